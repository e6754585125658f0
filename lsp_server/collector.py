"""When Python's cyclic garbage collector scans everything: while the server is idle.

The server keeps each open document's tree, model and findings: hundreds of
thousands of objects for a large file.  A full collection scans all of them,
and Python's allocation counters start one at arbitrary moments: in the
middle of an edit's analysis, tens of milliseconds at a time.  Reference
counting frees nearly all of those objects anyway; cycles are rare.  So the
automatic collector keeps to the young generations, and a full collection
runs once no message has come for a moment.
"""

from __future__ import annotations

import asyncio
import gc

IDLE_SECONDS = 1.0
# Young collections as usual; the third threshold (young collections between
# two full ones) out of reach, so that only the idle collection is full.
_THRESHOLDS = (gc.get_threshold()[0], gc.get_threshold()[1], 1_000_000)


class IdleCollector:
    """Full collections, each after ``IDLE_SECONDS`` without a message."""

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        gc.set_threshold(*_THRESHOLDS)

    def busy(self) -> None:
        """A message came: the next full collection waits for quiet again."""
        if self._timer is not None:
            self._timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving yet
        self._timer = loop.call_later(IDLE_SECONDS, self._collect)

    def _collect(self) -> None:
        self._timer = None
        gc.collect()
