"""When Python's cyclic garbage collector runs: between messages, never in the middle of one.

The server keeps each open document's tree, model and findings, and builds
new ones on every edit.  Those hold no reference cycles (the library makes
sure of it: ``tests/test_incremental.py``), so reference counting frees each
old version; yet the automatic collector scans the young objects every few
hundred allocations, in the middle of an analysis: 4 to 8 % of a document's
first analysis.  So while the server serves, automatic collection is off:

* after a message, once many objects have piled up since the last
  collection, a young collection finds whatever cycles other code made
  (pygls' futures, exceptions and their tracebacks), after the answers and
  publishes that message scheduled;
* a full collection runs once no message has come for a moment.
"""

from __future__ import annotations

import asyncio
import gc

IDLE_SECONDS = 1.0
# Net new container objects since the last collection that make a young collection due (a few
# megabytes; opening a 10,000-line document makes about 120,000).
YOUNG_LIMIT = 100_000


class IdleCollector:
    """Garbage collection between messages: young ones when objects pile up, full ones when idle."""

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self._last_message = 0.0
        self._young_due = False
        self._serving = False

    def start(self) -> None:
        """The server starts serving: from now on the collector runs only between messages."""
        gc.disable()
        self._serving = True

    def busy(self) -> None:
        """A message came: the next full collection waits for quiet again.

        (The timer is not moved at every message: when it fires it looks at
        when the last message came, and waits again if that was too recent.)
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving yet
        self._last_message = loop.time()
        if self._timer is None:
            self._timer = loop.call_later(IDLE_SECONDS, self._collect)

    def handled(self) -> None:
        """A message was handled: a young collection, after what it scheduled, if objects piled up."""
        if not self._serving or self._young_due or gc.get_count()[0] < YOUNG_LIMIT:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._young_due = True
        loop.call_soon(self._collect_young)

    def _collect_young(self) -> None:
        self._young_due = False
        gc.collect(0)

    def _collect(self) -> None:
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self._last_message
        if quiet < IDLE_SECONDS:
            self._timer = loop.call_later(IDLE_SECONDS - quiet, self._collect)
            return
        self._timer = None
        gc.collect()
