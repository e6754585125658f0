"""Split a Dockerfile into directives, trivia and logical instructions.

This is the stateful half of parsing, done by hand because it depends on state
that a context-free grammar cannot carry: the escape character chosen by a
``# escape=`` directive, line continuations, comment and empty lines inside a
continuation, and heredoc bodies whose end depends on a word of the line that
opened them.  The rules follow BuildKit's ``parser.Parse``:

* lines end at ``\\n`` only; a lone ``\\r`` is part of the line, and trailing
  ``\\r``/``\\n`` characters are not part of a line's content;
* parser directives are recognised only in the leading run of ``# key=value``
  comment lines;
* a blank or comment line outside an instruction is trivia;
* a line whose content ends with the escape character (not itself escaped)
  continues on the next line; comment lines and whitespace-only lines inside a
  continuation are skipped;
* RUN, COPY and ADD (also under ONBUILD) in shell form read heredoc bodies
  after their last line.

Ownership of trivia, the one rule the rest of the library relies on: an
instruction owns the blank and comment lines directly above it, its own lines
(continuation, comment and empty lines inside it, heredoc bodies and their
terminators) and its final newline.  The file owns the BOM, the directive lines
at the top and whatever trails the last instruction.

The output is a list of :class:`RawInstruction` records holding offsets, the
instruction word and the heredocs found on the way; :mod:`dockerast.cst.parser`
turns them into nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from dockerast.cst.heredoc import HEREDOC_COMMANDS, HeredocWord, heredoc_openers, read_bodies
from dockerast.cst.text import GO_SPACE, lstrip_space, trim_newline

BOM = "\ufeff"
DEFAULT_ESCAPE = "\\"
VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})
# Only these instructions (ONBUILD for its trigger) can open a heredoc.
_HEREDOC_KEYWORDS = HEREDOC_COMMANDS | {"onbuild"}

# ``# key = value``: BuildKit's directive pattern, applied after the ``#``.
# (The value is taken greedily and its trailing blanks cut by hand: a lazy
# ``(.+?)\s*$`` backtracks quadratically over a long run of blanks.)
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+)", re.S)
_COMMAND_SPLIT = re.compile(r"[\t\v\f\r ]+")
_LINE_SPACE = re.escape(GO_SPACE.replace("\n", ""))
# Blank and comment lines: their content (without the trailing CR and LF
# characters) is blank, or starts with "#", after Go's spaces.  Written as runs
# of spaces and newlines, each up to a "#" that opens a comment line, then up to
# the last newline: sre steps over those runs one character at a time, where a
# group repeated per line costs it far more.  The lookahead spares the common
# case, no comment at all, that repeated group.
_SPACE_OR_NEWLINE = f"[{_LINE_SPACE}\\n]"
_SKIPPED = rf"(?:(?={_SPACE_OR_NEWLINE}*#)(?:{_SPACE_OR_NEWLINE}*#[^\n]*\n)*|)(?:{_SPACE_OR_NEWLINE}*\n|)"
# Trivia, then the first line of an instruction: its indentation, the rest of
# the line (group 2) and the first word (group 3).
_FIRST_LINE = re.compile(rf"({_SKIPPED})[{_LINE_SPACE}]*(([^\t\n\v\f\r ]*)[^\n]*)")
# Inside an instruction: skipped lines, then the next line (group 1).
_NEXT_LINE = re.compile(rf"{_SKIPPED}([^\n]*)")
# The next line, when it is neither blank nor a comment and goes on to the
# next one (group 1 stops at the escape character): the common case, in one
# match; a line after blank or comment lines is read by _NEXT_LINE.  The escape
# character comes right after the line's run so that the match steps back from
# the line's end to an escape character at once; the lookbehind then checks
# that it is not itself escaped.
_CONTINUED_LINE = {
    escape: re.compile(rf"(?![{_LINE_SPACE}]*#)([^\n]*){re.escape(escape)}(?<!{re.escape(escape * 2)})[ \t]*\r*\n")
    for escape in ("\\", "`")
}
# What may end a line before a continuation's escape character, or its newline.
_LINE_END_BLANKS = " \t\r"
_FIRST_WORD = re.compile(rf"[{re.escape(GO_SPACE)}]*([^\t\v\f\r ]*)")
_NOT_SPACE = re.compile(rf"[^{re.escape(GO_SPACE)}]")


@dataclass(frozen=True, slots=True)
class RawDirective:
    """A parser directive line: ``start``/``end`` cover the line and its newline."""

    start: int
    end: int
    name: str
    value: str
    value_start: int


@dataclass(frozen=True, slots=True)
class RawProblem:
    """A syntax error found while splitting, at absolute offsets."""

    start: int
    end: int
    message: str


class RawInstruction(NamedTuple):
    """One logical instruction, as offsets into the source.

    ``leading_start`` .. ``start`` is the trivia it owns; ``start`` .. ``end``
    its own text.  ``segments`` are the (start, end) pieces of physical lines,
    relative to ``start``, whose concatenation is the logical line BuildKit
    parses.  ``body_start`` is where heredoc bodies begin (``end`` when there
    are none).  ``command`` is the instruction word as written, ``heredocs``
    the heredocs the line opens (None when it opens none).

    A named tuple: one is made for every instruction of every file parsed.
    """

    leading_start: int
    start: int
    end: int
    segments: tuple[tuple[int, int], ...]
    body_start: int
    command: str
    heredocs: tuple[HeredocWord, ...] | None


# RawInstruction(*fields) without the named tuple's Python-level __new__.
_new_raw_instruction = partial(tuple.__new__, RawInstruction)


class SplitResult(NamedTuple):
    """What :func:`split` found in a file (a named tuple: one is made per file parsed)."""

    bom: str
    escape: str
    directives: tuple[RawDirective, ...]
    directives_end: int
    instructions: tuple[RawInstruction, ...]
    problems: tuple[RawProblem, ...]


_new_split_result = partial(tuple.__new__, SplitResult)


def _line_bounds(text: str, pos: int) -> int:
    """Offset just past the line starting at ``pos`` (past its ``\\n``)."""
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def prefix_without_directives(escape: str) -> str:
    """What to put before a piece of a file so that it is read with ``escape``
    and no parser directive: a blank line ends the directives (and keeps a
    byte order mark that starts the piece from being taken for the file's)."""
    return "\n" if escape == DEFAULT_ESCAPE else f"# escape={escape}\n\n"


def split(text: str) -> SplitResult:
    """Split ``text`` into directives and logical instructions; never raises."""
    n = len(text)
    bom = BOM if text.startswith(BOM) else ""
    pos = len(bom)
    escape = DEFAULT_ESCAPE
    problems: list[RawProblem] = []

    # Parser directives: the leading run of ``#key=value`` lines.
    directives: list[RawDirective] = []
    seen: set[str] = set()
    while pos < n:
        end = _line_bounds(text, pos)
        content = trim_newline(text[pos:end])
        body = lstrip_space(content)
        if not body.startswith("#"):
            break
        after_hash = lstrip_space(body[1:])
        match = _DIRECTIVE.match(after_hash)
        if match is None or match.group(1).lower() not in VALID_DIRECTIVES:
            break
        # All blanks: Go's lazy pattern keeps the last one as the value.
        value = match.group(2).rstrip("\t\n\f\r ") or match.group(2)
        name = match.group(1).lower()
        value_start = pos + (len(content) - len(after_hash)) + match.start(2)
        if name in seen:
            problems.append(RawProblem(pos, pos + len(content), f"only one {name} parser directive can be used"))
        elif name == "escape" and value not in ("\\", "`"):
            problems.append(
                RawProblem(value_start, value_start + len(value), f"invalid escape token '{value}' does not match ` or \\")
            )
        else:
            seen.add(name)
            if name == "escape":
                escape = value
        directives.append(RawDirective(pos, end, name, value, value_start))
        pos = end
    directives_end = pos

    instructions: list[RawInstruction] = []
    raw_instruction = _new_raw_instruction
    # A regex steps over the trivia before each instruction (and between its
    # lines) and takes the next line; lines are cut with str methods, never
    # walked in Python.  Groups are read as m[i] and offsets derived from their
    # lengths where possible: each call on a match object costs about as much
    # as the arithmetic of a whole line.
    first_line = _FIRST_LINE.match
    next_line = _NEXT_LINE.match
    continued_line = _CONTINUED_LINE[escape].match
    leading_start = pos
    while True:
        m = first_line(text, pos)
        body = m[2]
        if not body or body[0] == "#":
            break  # only trivia is left, and its last line has no newline
        start = m.end(1)
        seg_start = m.start(2)
        line_end = seg_start + len(body)
        pos = line_end + 1 if line_end < n else n
        if body[-1] in _LINE_END_BLANKS or body[-1] == escape:
            # (A line holding only the escape character opens an instruction
            # with nothing on it yet, exactly as BuildKit reads it.)
            continued, length = _continuation(body, escape)
            seg_end = seg_start + length
        else:  # most lines: neither continued nor blank at their end
            continued = False
            seg_end = line_end
        command = m[3]
        if seg_start + len(command) >= seg_end or command[-1] in GO_SPACE:
            command = None  # the keyword does not end on this line: read it from the logical line
        segments = [(seg_start - start, seg_end - start)]
        while continued and pos < n:
            m = continued_line(text, pos)
            if m is not None:
                segments.append((pos - start, m.end(1) - start))
                pos = m.end()
                continue
            m = next_line(text, pos)
            content = m.group(1)
            line_start, line_end = m.span(1)
            if line_end < n:
                pos = line_end + 1
            elif not content.lstrip(GO_SPACE) or content.lstrip(GO_SPACE)[0] == "#":
                pos = n  # a comment or blank last line without a newline
                break
            else:
                pos = n
            continued, length = _continuation(content, escape)
            segments.append((line_start - start, line_start - start + length))
        body_start = pos
        if len(segments) == 1:
            # (The segment is the line's content, less what ends it: no "<".)
            logical = text[seg_start:seg_end] if "<<" in body else ""
            if command is None:
                command = _command_word(text, seg_start, seg_end)
        elif command is not None and text.find("<", start + segments[0][0], start + segments[-1][1]) < 0:
            logical = ""  # the keyword is known and no "<<" can be in the line: no need to join it
        else:
            logical = "".join([text[start + s : start + e] for s, e in segments])
            if command is None:
                command = _command_word(logical, 0, len(logical))
        heredocs = None
        if "<<" in logical and command.lower() in _HEREDOC_KEYWORDS:
            heredocs = tuple(heredoc_openers(logical, escape)) or None
            if heredocs:
                pos = read_bodies(text, pos, heredocs)[-1].terminator_end
        instructions.append(raw_instruction((leading_start, start, pos, tuple(segments), body_start, command, heredocs)))
        leading_start = pos
    return _new_split_result((bom, escape, tuple(directives), directives_end, tuple(instructions), tuple(problems)))


def _continuation(content: str, escape: str) -> tuple[bool, int]:
    """BuildKit's continuation test on a line's content (not blank, its newline
    cut off): whether it ends with an escape character that is not itself
    escaped, then blanks and tabs only; and how much of it belongs to the
    logical line: what comes before that escape character, or the content
    less its trailing carriage returns."""
    content = content.rstrip("\r")
    cut = content.rstrip(" \t")
    if cut[-1] == escape and cut[-2:-1] != escape:
        return True, len(cut) - 1
    return False, len(content)


def _command_word(text: str, start: int, end: int) -> str:
    """The instruction word of the logical line ``text[start:end]``, as
    BuildKit splits it off: the line stripped of Go's spaces, cut at the first
    ASCII whitespace."""
    m = _FIRST_WORD.match(text, start, end)
    word = m.group(1)
    if word and word[-1] in GO_SPACE and _NOT_SPACE.search(text, m.end(), end) is None:
        # The word ends the line: the line's trailing Unicode spaces are stripped from it.
        word = word.rstrip(GO_SPACE)
    return word


def command_and_rest(logical: str) -> tuple[str, str]:
    """The instruction word and what follows it, split as BuildKit splits them."""
    parts = _COMMAND_SPLIT.split(logical.strip(GO_SPACE), maxsplit=1)
    return parts[0], parts[1] if len(parts) == 2 else ""
