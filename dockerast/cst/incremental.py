"""Re-parse an edited document by reading again only the instructions the edit touched.

An editor sends a new version of a file after every keystroke.  Splitting a
file into instructions depends, at an instruction boundary, on nothing but
the text that follows (the escape character aside, which the header sets), so
an edit confined to a few instructions can be re-read locally:

* the text that both versions start and end with is found first;
* the instructions from the one the change begins in are split again, up to
  an old instruction boundary after the change where the new split lands
  exactly (the window grows until it does, or reaches the end of the file);
* the old instructions before and after are kept as they are: nodes hold no
  absolute position, so they stay valid wherever they now stand.

An edit of the header (BOM, parser directives and the line after them, which
an edit could turn into a directive) changes how everything is read: that
text is parsed whole.  So is a file whose change window would cover most of
it anyway.
"""

from __future__ import annotations

from dataclasses import replace

from dockerast.cst.lexer import prefix_without_directives
from dockerast.cst.nodes import Dockerfile, Instruction

# Compare texts in blocks this long before narrowing down to the character.
_BLOCK = 4096


def reparse(previous: Dockerfile, text: str, parse) -> Dockerfile | None:
    """``parse(text)`` re-read from ``previous`` (an earlier version of the same
    document), or None when a local re-read does not apply and the caller
    should parse the whole text.  ``parse(text, previous=...)`` is the full
    parser, used on the window that is read again."""
    old_text = str(previous)
    if old_text == text:
        return previous
    instructions = previous.instructions
    if not instructions:
        return None
    prefix = _common_prefix(old_text, text)
    suffix = _common_suffix(old_text, text, min(len(old_text), len(text)) - prefix)
    old_change_end = len(old_text) - suffix
    delta = len(text) - len(old_text)

    header = previous.header_length
    first_line_end = old_text.find("\n", header)
    if prefix <= (len(old_text) if first_line_end < 0 else first_line_end):
        return None  # the header, or the line an edit could make a directive

    # Where each old instruction's leading trivia starts, and where its text ends.
    starts: list[int] = []
    ends: list[int] = []
    pos = header
    for ins in instructions:
        starts.append(pos)
        pos += len(ins.leading) + len(ins.text)
        ends.append(pos)

    # The first instruction the change can affect: the one it begins in, or the
    # one it begins right after (whose last line it may continue).
    first = next((k for k, end in enumerate(ends) if end >= prefix), len(instructions))
    if first == len(instructions):
        return None  # the change is in the trailing text: a full parse reads only that
    window_start = starts[first]

    # Old instructions that begin after the change: the split must land on one of them.
    after = next((k for k, start in enumerate(starts) if start >= old_change_end and k > first), len(instructions))
    reach = 2
    while True:
        last = min(after + reach, len(instructions))
        window_end = len(text) if last == len(instructions) else ends[last - 1] + delta
        if window_end - window_start > len(text) // 2:
            return None
        found = _read_window(previous, text, window_start, window_end, previous.instructions[first:last], parse)
        if found is None:
            return None
        new_nodes, boundaries = found
        # The window holds old instruction k whole, so a new instruction ending
        # where k began ended by its own text, not by the window's end.
        for k in range(after, last):
            aligned = starts[k] + delta
            if aligned in boundaries:
                kept = new_nodes[: boundaries[aligned]]
                merged = instructions[:first] + tuple(_reuse(kept, instructions[first:k])) + instructions[k:]
                return replace(previous, instructions=merged)
        if window_end == len(text):
            # Read to the end of the file: everything after `first` is new.
            trailing_start = window_start + sum(len(n.leading) + len(n.text) for n in new_nodes)
            merged = instructions[:first] + tuple(_reuse(new_nodes, instructions[first:]))
            return replace(previous, instructions=merged, trailing=text[trailing_start:])
        reach *= 2


def _read_window(
    previous: Dockerfile, text: str, start: int, end: int, old: tuple[Instruction, ...], parse
) -> tuple[list[Instruction], dict[int, int]] | None:
    """The instructions of ``text[start:end]`` read as they are in the whole file,
    and for each boundary between them (an absolute offset) the number of
    instructions before it; ``old`` are the instructions the window held."""
    guard = prefix_without_directives(previous.escape)
    # The old instructions of the window: those the edit left alone keep their syntax.
    hint = Dockerfile(bom="", directives=(), instructions=old, trailing="", escape=previous.escape)
    window = parse(guard + text[start:end], previous=hint)
    if window.escape != previous.escape or window.split_problems:
        return None
    nodes = list(window.instructions)
    if not nodes:
        return [], {start: 0}
    # The guard lines are trivia of the window's first instruction: take them off.
    skip = len(guard) - window.header_length
    nodes[0] = replace(nodes[0], leading=nodes[0].leading[skip:])
    boundaries = {}
    pos = start
    for count, node in enumerate(nodes):
        boundaries[pos] = count
        pos += len(node.leading) + len(node.text)
    boundaries[pos] = len(nodes)
    return nodes, boundaries


def _reuse(new: list[Instruction], old: tuple[Instruction, ...]) -> list[Instruction]:
    """``new``, with the old node wherever an instruction did not change, so that
    what was read from it (its syntax, the model's per-stage results) is kept."""
    by_text = {(ins.leading, ins.text): ins for ins in old}
    return [by_text.get((ins.leading, ins.text), ins) for ins in new]


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    pos = 0
    while pos < n and a[pos : pos + _BLOCK] == b[pos : pos + _BLOCK]:
        pos += _BLOCK
    pos = min(pos, n)
    while pos < n and a[pos] == b[pos]:
        pos += 1
    return pos


def _common_suffix(a: str, b: str, limit: int) -> int:
    """How many characters ``a`` and ``b`` end with in common, at most ``limit``."""
    la, lb = len(a), len(b)
    size = 0
    while size + _BLOCK <= limit and a[la - size - _BLOCK : la - size] == b[lb - size - _BLOCK : lb - size]:
        size += _BLOCK
    while size < limit and a[la - size - 1] == b[lb - size - 1]:
        size += 1
    return size
