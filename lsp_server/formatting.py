"""Formatting: the library's canonical layout, sent as its minimal edits (never the whole document)."""

from __future__ import annotations

import logging

from lsprotocol import types

from dockerast.refactor import FormatOptions, RefactorError, TextEdit, format_dockerfile

from lsp_server.documents import Snapshot

log = logging.getLogger(__name__)


def format_edits(snapshot: Snapshot, indent: int | None) -> tuple[TextEdit, ...]:
    options = FormatOptions() if indent is None else FormatOptions(indent=indent)

    def compute():
        try:
            return format_dockerfile(snapshot.tree, options).edits
        except RefactorError as error:
            log.info("not formatted: %s", error)
        except Exception:  # noqa: BLE001
            log.exception("format failed for %s", snapshot.uri)
        return ()

    return snapshot.memo(("format", indent), compute)


def to_lsp(snapshot: Snapshot, edits) -> list[types.TextEdit]:
    return [types.TextEdit(range=snapshot.range(e.start, e.end), new_text=e.new_text) for e in edits]


def document(snapshot: Snapshot, indent: int | None) -> list[types.TextEdit]:
    return to_lsp(snapshot, format_edits(snapshot, indent))


def range_(snapshot: Snapshot, rng: types.Range, indent: int | None) -> list[types.TextEdit]:
    """The edits of whole-document formatting that touch the range."""
    start, end = snapshot.positions.offsets(rng)
    picked = [e for e in format_edits(snapshot, indent) if e.start <= end and e.end >= start]
    return to_lsp(snapshot, picked)


def on_type(snapshot: Snapshot, position: types.Position, ch: str, indent: int | None) -> list[types.TextEdit]:
    """After a newline inside a continuation, indent the new line like the continuation lines."""
    if ch != "\n":
        return []
    pos = snapshot.positions
    line = position.line
    if line <= 0 or line >= pos.line_count:
        return []
    start, end = pos.line_bounds(line)
    current = snapshot.text[start:end]
    if current.strip():
        return []
    prev_start, prev_end = pos.line_bounds(line - 1)
    previous = snapshot.text[prev_start:prev_end].rstrip(" \t")
    escape = snapshot.tree.escape
    if not previous.endswith(escape) or previous.endswith(escape * 2):
        return []
    index = snapshot.instruction_at(prev_start)
    if index is None:
        return []
    first_line = snapshot.offsets[index] == prev_start
    prev_indent = previous[: len(previous) - len(previous.lstrip(" \t"))]
    wanted = prev_indent + " " * (indent if indent is not None else 4) if first_line else prev_indent
    if current == wanted:
        return []
    return [types.TextEdit(range=snapshot.range(start, end), new_text=wanted)]
