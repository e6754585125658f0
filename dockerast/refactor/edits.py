"""Text edits: the one currency of every refactor, fix and formatter.

An edit replaces ``[start, end)`` of the old text with ``new_text``; offsets
are ``str`` offsets into the text before any edit.  A list of edits is sorted
and never overlaps.  :func:`minimal_edits` finds the smallest such list that
turns one text into another, so that an editor or a diff shows only what
really changed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
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
    for tag, i1, i2, j1, j2 in _line_opcodes(a, b):
        if tag == "equal":
            continue
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


def _line_opcodes(a: list[str], b: list[str]) -> Iterator[tuple[str, int, int, int, int]]:
    """``SequenceMatcher(None, a, b).get_opcodes()``, in about linear time on long texts.

    The matcher's cost grows with the product of the lengths of what it
    compares, which hurts when edits are spread over a long file (a formatter
    touching every tenth line).  So the texts are first cut at *anchors*: the
    lines that occur exactly once in each, taken in an order both texts share
    (the longest such sequence, as patience diff does); the matcher then only
    compares the short stretches between two anchors.
    """
    count_a, count_b = Counter(a), Counter(b)
    where_b = {line: j for j, line in enumerate(b) if count_b[line] == 1}
    pairs = [(i, where_b[line]) for i, line in enumerate(a) if count_a[line] == 1 and line in where_b]
    i0 = j0 = 0
    for i, j in [*_longest_increasing(pairs), (len(a), len(b))]:
        if i > i0 or j > j0:
            matcher = SequenceMatcher(None, a[i0:i], b[j0:j], autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                yield tag, i1 + i0, i2 + i0, j1 + j0, j2 + j0
        if i < len(a):
            yield "equal", i, i + 1, j, j + 1
        i0, j0 = i + 1, j + 1


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (in increasing first items) whose second items increase too."""
    tails: list[int] = []  # tails[k]: second item ending the best run of length k + 1
    ends: list[int] = []  # the pair index behind each of those tails
    before = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            ends.append(n)
        else:
            tails[k], ends[k] = j, n
        before[n] = ends[k - 1] if k else -1
    run = []
    n = ends[-1] if ends else -1
    while n != -1:
        run.append(pairs[n])
        n = before[n]
    return run[::-1]


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
