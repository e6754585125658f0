"""Offsets of the library <-> LSP positions, in the position encoding agreed with the client.

The library speaks ``str`` offsets (code points); LSP speaks lines and
columns counted in UTF-16 code units by default, or UTF-8 / UTF-32 when the
client offers them and pygls picks one.  This module is the only place that
converts.  Lines end at ``\\n`` (a ``\\r`` before it belongs to the line end),
as in BuildKit and :class:`dockerast.cst.positions.LineIndex`.
"""

from __future__ import annotations

from lsprotocol import types

from dockerast.cst.positions import LineIndex

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

    __slots__ = ("text", "encoding", "index")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = str(getattr(encoding, "value", encoding))
        self.index = LineIndex(text)

    @property
    def line_count(self) -> int:
        return self.index.line_count

    def line_bounds(self, line: int) -> tuple[int, int]:
        """Start and end (before ``\\r\\n`` / ``\\n``) of a line."""
        start = self.index.line_start(line)
        if line + 1 < self.index.line_count:
            end = self.index.line_start(line + 1) - 1
            if end > start and self.text[end - 1] == "\r":
                end -= 1
        else:
            end = len(self.text)
        return start, end

    def position(self, offset: int) -> types.Position:
        pos = self.index.position(offset)
        start = offset - pos.column
        return types.Position(line=pos.line, character=units(self.text[start : start + pos.column], self.encoding))

    def range(self, start: int, end: int) -> types.Range:
        if end < start:
            start, end = end, start
        return types.Range(start=self.position(start), end=self.position(end))

    def offset(self, position: types.Position) -> int:
        """The offset of an LSP position; past the end of a line means its end, past the last line the text's end."""
        line = position.line
        if line < 0:
            return 0
        if line >= self.index.line_count:
            return len(self.text)
        start, end = self.line_bounds(line)
        return start + column_offset(self.text[start:end], position.character, self.encoding)

    def offsets(self, rng: types.Range) -> tuple[int, int]:
        start, end = self.offset(rng.start), self.offset(rng.end)
        return (start, end) if start <= end else (end, start)

    def line_of(self, offset: int) -> int:
        return self.index.position(offset).line
