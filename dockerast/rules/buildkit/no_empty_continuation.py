from __future__ import annotations

import re

from dockerast.cst.nodes import Instruction, Span
from dockerast.cst.text import GO_SPACE, lstrip_space, trim_newline
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url


class NoEmptyContinuation(Rule):
    """
    ## What it does
    Flags an instruction continued over a blank (or whitespace-only) line:

    ```dockerfile
    RUN apk add \\

        curl
    ```

    BuildKit skips such lines today and joins ``curl`` to the ``RUN``.  Like
    BuildKit, the finding is reported once per instruction, on the last line
    the instruction's continuation reaches.

    ## Why is this bad
    A blank line reads as the end of the instruction, so the next line looks
    like a separate one while it is not; BuildKit has announced that empty
    continuation lines will become an error.

    ## Example
    Remove the blank line, or end the instruction before it.

    ## Fix safety
    Safe: the blank lines are deleted; BuildKit already ignores them, so the
    instruction keeps its meaning.
    """

    code = "BK003"
    scope = "stage"
    name = "NoEmptyContinuation"
    summary = "Empty continuation lines will become errors in a future release"
    url = rule_url("NoEmptyContinuation")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine\nRUN apk add \\\n\n    curl\n"
    good_example = "FROM alpine\nRUN apk add \\\n    curl\n"
    fixed_example = "FROM alpine\nRUN apk add \\\n    curl\n"

    def check(self, ctx: CheckContext):
        for index, ins in ctx.instructions():
            if not _has_blank_line(ins):
                continue  # most instructions: what follows is for the few with one
            lines = continuation_lines(ins)
            empty = [(start, end) for start, end in lines if not lstrip_space(trim_newline(ins.text[start:end]))]
            if not empty:
                continue
            last_start, last_end = lines[-1]
            span = Span(last_start, last_start + len(trim_newline(ins.text[last_start:last_end])))
            edits = tuple(ctx.edit(index, Span(start, end), "") for start, end in empty)
            fix = Fix("remove the empty continuation lines", edits, FixSafety.SAFE)
            yield ctx.finding(index, span, "Empty continuation line", fix=fix)


# A newline and a line of blanks after it, up to the next newline or ``body_start``.
_BLANK_LINE = re.compile("\n[" + re.escape(GO_SPACE.replace("\n", "")) + "]*(?=\n|\\Z)")


def _has_blank_line(ins: Instruction) -> bool:
    """Whether one of the :func:`continuation_lines` is empty, in one search."""
    if not ins.segments:
        return False
    text, body_start = ins.text, ins.body_start
    first = text.find("\n", ins.segments[0][0], body_start - 1)
    if first < 0:
        return False  # one line
    blank = _BLANK_LINE.search(text, first, body_start)
    # (a newline right before ``body_start`` starts no line)
    return blank is not None and blank.start() < body_start - 1


def continuation_lines(ins: Instruction) -> list[tuple[int, int]]:
    """The physical lines after an instruction's first one, up to its heredoc
    bodies, as (start, end) offsets of ``ins.text`` (the newline included):
    its continuation lines, with the comment and empty lines among them."""
    if not ins.segments:
        return []
    text = ins.text
    newline = text.find("\n", ins.segments[0][0])
    if newline < 0:
        return []
    lines = []
    pos = newline + 1
    while pos < ins.body_start:
        end = text.find("\n", pos, ins.body_start)
        end = ins.body_start if end < 0 else end + 1
        lines.append((pos, end))
        pos = end
    return lines
