"""Offsets in a text, and the line/column pairs editors speak.

Inside the library every position is a ``str`` offset.  This module is the one
place that converts: lines and columns are 0-based here, columns count code
points (``column``) or UTF-16 code units (``utf16_column``, what LSP clients
use by default).  Only ``\\n`` ends a line, as in BuildKit.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """A 0-based line and code-point column."""

    line: int
    column: int


def line_starts(text: str) -> list[int]:
    """The offset where each line of ``text`` starts; lines end at ``\\n`` only."""
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


class LineIndex:
    """Converts offsets of one text to line/column and back in O(log lines)."""

    __slots__ = ("_text", "_starts")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = line_starts(text)

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, line: int) -> int:
        return self._starts[line]

    def position(self, offset: int) -> Position:
        """The line and column of ``offset`` (clamped to the text)."""
        offset = max(0, min(offset, len(self._text)))
        line = bisect_right(self._starts, offset) - 1
        return Position(line, offset - self._starts[line])

    def offset(self, line: int, column: int) -> int:
        """The offset of a line and code-point column, clamped to that line."""
        if line >= len(self._starts):
            return len(self._text)
        start = self._starts[max(line, 0)]
        end = self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self._text)
        return min(start + max(column, 0), end)

    def utf16_column(self, offset: int) -> int:
        """The UTF-16 column of ``offset`` within its line."""
        pos = self.position(offset)
        segment = self._text[offset - pos.column : offset]
        return pos.column + sum(1 for ch in segment if ord(ch) > 0xFFFF)

    def offset_from_utf16(self, line: int, utf16_column: int) -> int:
        """The offset of a line and UTF-16 column; a column inside a surrogate pair rounds down."""
        if line >= len(self._starts):
            return len(self._text)
        start = self._starts[max(line, 0)]
        end = self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self._text)
        units = 0
        pos = start
        while pos < end:
            width = 2 if ord(self._text[pos]) > 0xFFFF else 1
            if units + width > utf16_column:
                break
            units += width
            pos += 1
        return pos
