"""Text edits: the one currency of every refactor, fix and formatter.

An edit replaces ``[start, end)`` of the old text with ``new_text``; offsets
are ``str`` offsets into the text before any edit.  A list of edits is sorted
and never overlaps.  :func:`minimal_edits` finds the smallest such list that
turns one text into another, so that an editor or a diff shows only what
really changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True, slots=True, order=True)
class TextEdit:
    """Replace ``text[start:end]`` with ``new_text``."""

    start: int
    end: int
    new_text: str


class OverlappingEdits(ValueError):
    """Two edits touch the same characters."""


def apply_edits(text: str, edits: list[TextEdit] | tuple[TextEdit, ...]) -> str:
    """Apply non-overlapping edits, all expressed against ``text``."""
    out = []
    pos = 0
    for edit in sorted(edits):
        if edit.start < pos:
            raise OverlappingEdits(f"edit at {edit.start} overlaps an earlier one ending at {pos}")
        out.append(text[pos : edit.start])
        out.append(edit.new_text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def minimal_edits(old: str, new: str) -> tuple[TextEdit, ...]:
    """The edits turning ``old`` into ``new``: whole moved lines, changed characters within a line."""
    if old == new:
        return ()
    a, b = _lines(old), _lines(new)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    edits = []
    b_starts = [0]
    for line in b:
        b_starts.append(b_starts[-1] + len(line))
    # Lines both texts begin and end with stay: compare only what lies between.
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle = SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False)
    for tag, i1, i2, j1, j2 in middle.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        if tag == "replace" and i2 - i1 == j2 - j1:
            # Line for line: each changed line gets its own, smallest edit.
            for k in range(i2 - i1):
                if a[i1 + k] != b[j1 + k]:
                    edits.append(_shrink(old, starts[i1 + k], starts[i1 + k + 1], b[j1 + k]))
            continue
        start, end = starts[i1], starts[i2]
        replacement = new[b_starts[j1] : b_starts[j2]]
        edits.append(_shrink(old, start, end, replacement))
    return tuple(edits)


def _shrink(old: str, start: int, end: int, replacement: str) -> TextEdit:
    """Drop the characters a replacement shares with the text it replaces, at both ends."""
    original = old[start:end]
    prefix = 0
    limit = min(len(original), len(replacement))
    while prefix < limit and original[prefix] == replacement[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and original[-1 - suffix] == replacement[-1 - suffix]:
        suffix += 1
    return TextEdit(start + prefix, end - suffix, replacement[prefix : len(replacement) - suffix])
