"""Open documents: text kept in sync with the client, and what the library reads from it.

A :class:`Snapshot` is one version of one document.  It is immutable; every
analysis of it (tree, semantic model, findings, refactor results...) is
computed on first use and kept with it, so that a burst of requests on the
same version parses once.
"""

from __future__ import annotations

import bisect
import logging
from functools import cached_property
from typing import Any, Callable, Sequence

from lsprotocol import types
from pygls.uris import to_fs_path

import dockerast
from dockerast.cst.nodes import Dockerfile, Instruction
from dockerast.semantic.model import SemanticModel, analyze

from lsp_server.positions import UTF16, Positions

log = logging.getLogger(__name__)


class Snapshot:
    """One version of a document and its analyses."""

    def __init__(
        self,
        uri: str,
        text: str,
        version: int | None,
        encoding: str = UTF16,
        language_id: str = "",
        previous: Snapshot | None = None,
    ) -> None:
        self.uri = uri
        self.text = text
        self.version = version
        self.encoding = encoding
        self.language_id = language_id
        self._memo: dict[Any, Any] = {}
        # What the newest earlier version computed (its tree, model and check
        # run): this version reads again only what its edits changed.  Taken
        # over from a version that computed nothing, so that a burst of edits
        # still finds them; each is dropped once used.
        self._earlier: dict[Any, Any] = {}
        if previous is not None:
            self._earlier.update(previous._earlier)
            self._earlier.update((key, previous.__dict__[key]) for key in ("tree", "model") if key in previous.__dict__)
            self._earlier.update((key, value) for key, value in previous._memo.items() if isinstance(key, tuple) and key[0] == "check")

    def earlier(self, key: Any) -> Any:
        """What an earlier version computed for ``key``, if any (once)."""
        return self._earlier.pop(key, None)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key for this version."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    @cached_property
    def path(self) -> str | None:
        try:
            return to_fs_path(self.uri)
        except Exception:  # noqa: BLE001  (a URI we cannot map: no project configuration)
            return None

    @cached_property
    def tree(self) -> Dockerfile:
        return dockerast.parse(self.text, previous=self.earlier("tree"))

    @cached_property
    def positions(self) -> Positions:
        return Positions(self.text, self.encoding)

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        return self.tree.instruction_offsets()

    @cached_property
    def model(self) -> SemanticModel | None:
        try:
            return analyze(self.tree, previous=self.earlier("model"))
        except Exception:  # noqa: BLE001  (the model never raises for a file, but stay up if it does)
            log.exception("analyze failed for %s", self.uri)
            return None

    @cached_property
    def valid(self) -> bool:
        return not self.tree.errors

    # -- where things are --------------------------------------------------------

    def instruction_at(self, offset: int, *, with_leading: bool = False) -> int | None:
        """The index of the instruction whose text holds ``offset`` (its end included)."""
        offsets = self.offsets
        i = bisect.bisect_right(offsets, offset) - 1
        instructions = self.tree.instructions
        if i >= 0 and offset <= offsets[i] + len(instructions[i].text):
            return i
        if with_leading and i + 1 < len(offsets) and offset >= offsets[i + 1] - len(instructions[i + 1].leading):
            return i + 1
        return None

    def instruction(self, index: int) -> Instruction:
        return self.tree.instructions[index]

    def content_end(self, index: int) -> int:
        """Absolute end of an instruction without its final newline."""
        ins = self.tree.instructions[index]
        return self.offsets[index] + len(ins.text.rstrip("\r\n"))

    def range(self, start: int, end: int) -> types.Range:
        return self.positions.range(start, end)

    def offset(self, position: types.Position) -> int:
        return self.positions.offset(position)


class DocumentStore:
    """The documents the client has opened, by URI."""

    def __init__(self) -> None:
        self._docs: dict[str, Snapshot] = {}
        self.encoding = UTF16

    def __contains__(self, uri: str) -> bool:
        return uri in self._docs

    def __iter__(self):
        return iter(list(self._docs.values()))

    def get(self, uri: str) -> Snapshot | None:
        return self._docs.get(uri)

    def open(self, item: types.TextDocumentItem) -> Snapshot:
        snap = Snapshot(item.uri, item.text, item.version, self.encoding, item.language_id or "")
        self._docs[item.uri] = snap
        return snap

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def change(self, uri: str, version: int | None, changes: Sequence[Any]) -> Snapshot | None:
        """Apply content changes in order; incremental ones are converted with the agreed encoding."""
        old = self._docs.get(uri)
        if old is None:
            log.warning("change for a document that is not open: %s", uri)
            return None
        text = old.text
        # The old version's positions serve the first change, if they were computed.
        positions = old.__dict__.get("positions")
        for change in changes:
            rng = getattr(change, "range", None)
            if rng is None:
                text = change.text
                positions = None
                continue
            if positions is None or positions.text is not text or positions.encoding != self.encoding:
                positions = Positions(text, self.encoding)
            start, end = positions.offsets(rng)
            positions = positions.edited(start, end, change.text)
            text = positions.text
        snap = Snapshot(uri, text, version, self.encoding, old.language_id, previous=old)
        if positions is not None:
            snap.__dict__["positions"] = positions  # (a cached property, known already)
        self._docs[uri] = snap
        return snap
