"""Offsets of the library <-> LSP positions, in the position encoding agreed with the client.

The library speaks ``str`` offsets (code points); LSP speaks lines and
columns counted in UTF-16 code units by default, or UTF-8 / UTF-32 when the
client offers them and pygls picks one.  This module is the only place that
converts.  Lines end at ``\\n`` (a ``\\r`` before it belongs to the line end),
as in BuildKit and :class:`dockerast.cst.positions.LineIndex`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any

from lsprotocol import types

from dockerast.cst.positions import line_starts

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def units(text: str, encoding: str) -> int:
    """The length of ``text`` in code units of ``encoding``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF16:
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


def column_offset(line_text: str, column: int, encoding: str) -> int:
    """The code-point index in ``line_text`` of a column in code units (clamped; inside a character rounds down)."""
    if column <= 0:
        return 0
    if encoding == UTF32 or line_text.isascii():
        return min(column, len(line_text))
    count = 0
    for index, ch in enumerate(line_text):
        code = ord(ch)
        if encoding == UTF16:
            width = 2 if code > 0xFFFF else 1
        else:
            width = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        if count + width > column:
            return index
        count += width
    return len(line_text)


class Positions:
    """Converts between offsets of one text and LSP positions."""

    __slots__ = ("text", "encoding", "_starts", "_code_points")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = str(getattr(encoding, "value", encoding))
        self._starts = line_starts(text)
        # A column is then the offset from its line's start: no character needs counting.
        self._code_points = self.encoding == UTF32 or text.isascii()

    def edited(self, start: int, end: int, new_text: str) -> Positions:
        """The positions of this text with ``[start, end)`` replaced by ``new_text``:
        the line starts before the change are kept, those after it moved."""
        text = self.text[:start] + new_text + self.text[end:]
        edited = object.__new__(Positions)
        edited.text = text
        edited.encoding = self.encoding
        starts = self._starts
        before = bisect_right(starts, start)  # line starts at or before the change stay
        after = bisect_right(starts, end)  # line starts after the old text's change move
        shift = len(new_text) - (end - start)
        inserted = [start + s for s in line_starts(new_text)[1:]]
        edited._starts = starts[:before] + inserted + [s + shift for s in starts[after:]]
        edited._code_points = self._code_points and new_text.isascii() if self.encoding != UTF32 else True
        return edited

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_bounds(self, line: int) -> tuple[int, int]:
        """Start and end (before ``\\r\\n`` / ``\\n``) of a line."""
        starts = self._starts
        start = starts[line]
        if line + 1 < len(starts):
            end = starts[line + 1] - 1
            if end > start and self.text[end - 1] == "\r":
                end -= 1
        else:
            end = len(self.text)
        return start, end

    def _column(self, line_start: int, offset: int) -> int:
        if self._code_points:
            return offset - line_start
        return units(self.text[line_start:offset], self.encoding)

    def position(self, offset: int) -> types.Position:
        offset = 0 if offset < 0 else min(offset, len(self.text))
        line = bisect_right(self._starts, offset) - 1
        return types.Position(line, self._column(self._starts[line], offset))

    def range(self, start: int, end: int) -> types.Range:
        if end < start:
            start, end = end, start
        return types.Range(self.position(start), self.position(end))

    def position_map(self, offsets: Iterable[int], make: Callable[[int, int], Any] = types.Position) -> dict[int, Any]:
        """The positions of many offsets, converted in one sorted sweep; an offset met twice shares its position.

        ``make(line, character)`` builds each position (default: ``types.Position``)."""
        starts = self._starts
        size = len(self.text)
        code_points = self._code_points
        out: dict[int, Any] = {}
        line = 0
        next_start = starts[1] if len(starts) > 1 else size + 1
        # On a line with wide characters, count on from the previous offset of that line.
        counted = counted_column = 0
        for offset in sorted(set(offsets)):
            at = 0 if offset < 0 else min(offset, size)
            if at >= next_start:
                line = bisect_right(starts, at, line) - 1
                next_start = starts[line + 1] if line + 1 < len(starts) else size + 1
                counted, counted_column = starts[line], 0
            if code_points:
                column = at - starts[line]
            else:
                column = counted_column + units(self.text[counted:at], self.encoding)
                counted, counted_column = at, column
            out[offset] = make(line, column)
        return out

    def offset(self, position: types.Position) -> int:
        """The offset of an LSP position; past the end of a line means its end, past the last line the text's end."""
        line = position.line
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self.text)
        start, end = self.line_bounds(line)
        return start + column_offset(self.text[start:end], position.character, self.encoding)

    def offsets(self, rng: types.Range) -> tuple[int, int]:
        start, end = self.offset(rng.start), self.offset(rng.end)
        return (start, end) if start <= end else (end, start)

    def line_of(self, offset: int) -> int:
        offset = 0 if offset < 0 else min(offset, len(self.text))
        return bisect_right(self._starts, offset) - 1
