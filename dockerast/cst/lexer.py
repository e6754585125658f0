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

The output is a list of :class:`RawInstruction` records holding offsets only;
:mod:`dockerast.cst.parser` turns them into nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockerast.cst.heredoc import heredoc_openers, read_bodies
from dockerast.cst.text import GO_SPACE, lstrip_space, trim_newline

BOM = "\ufeff"
DEFAULT_ESCAPE = "\\"
VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})

# ``# key = value``: BuildKit's directive pattern, applied after the ``#``.
# (The value is taken greedily and its trailing blanks cut by hand: a lazy
# ``(.+?)\s*$`` backtracks quadratically over a long run of blanks.)
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+)", re.S)
_COMMAND_SPLIT = re.compile(r"[\t\v\f\r ]+")


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


@dataclass(frozen=True, slots=True)
class RawInstruction:
    """One logical instruction, as absolute offsets into the source.

    ``leading_start`` .. ``start`` is the trivia it owns; ``start`` .. ``end``
    its own text.  ``segments`` are the (start, end) pieces of physical lines
    whose concatenation is the logical line BuildKit parses.  ``body_start``
    is where heredoc bodies begin (``end`` when there are none).
    """

    leading_start: int
    start: int
    end: int
    segments: tuple[tuple[int, int], ...]
    body_start: int
    has_empty_continuation: bool


@dataclass(frozen=True, slots=True)
class SplitResult:
    bom: str
    escape: str
    directives: tuple[RawDirective, ...]
    directives_end: int
    instructions: tuple[RawInstruction, ...]
    problems: tuple[RawProblem, ...]


def _line_bounds(text: str, pos: int) -> int:
    """Offset just past the line starting at ``pos`` (past its ``\\n``)."""
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def continuation_pattern(escape: str) -> re.Pattern[str]:
    """BuildKit's continuation test: an unescaped escape char ending the content."""
    e = re.escape(escape)
    return re.compile(rf"(?:(?<=[^{e}])|^){e}[ \t]*\Z", re.S)


_CONTINUATION = {"\\": continuation_pattern("\\"), "`": continuation_pattern("`")}


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

    continuation = _CONTINUATION[escape]
    instructions: list[RawInstruction] = []
    leading_start = pos
    while pos < n:
        end = _line_bounds(text, pos)
        content = trim_newline(text[pos:end])
        body = lstrip_space(content)
        if not body or body[0] == "#":
            pos = end
            continue
        seg_start = pos + len(content) - len(body)
        match = continuation.search(body)
        if match is not None and not body[: match.start()]:
            # A line holding only the escape character opens an instruction
            # with nothing on it yet, exactly as BuildKit reads it.
            segments = [(seg_start, seg_start)]
        elif match is not None:
            segments = [(seg_start, seg_start + match.start())]
        else:
            segments = [(seg_start, seg_start + len(body))]
        start = pos
        pos = end
        has_empty = False
        while match is not None and pos < n:
            end = _line_bounds(text, pos)
            content = trim_newline(text[pos:end])
            stripped = lstrip_space(content)
            if stripped.startswith("#"):
                pos = end
                continue
            if not stripped:
                has_empty = True
                pos = end
                continue
            match = continuation.search(content)
            segments.append((pos, pos + (match.start() if match is not None else len(content))))
            pos = end
        body_start = pos
        logical = "".join(text[s:e] for s, e in segments)
        heredocs = heredoc_openers(logical, escape)
        if heredocs:
            bodies = read_bodies(text, pos, heredocs)
            pos = bodies[-1].terminator_end
        instructions.append(RawInstruction(leading_start, start, pos, tuple(segments), body_start, has_empty))
        leading_start = pos
    return SplitResult(bom, escape, tuple(directives), directives_end, tuple(instructions), tuple(problems))


def command_and_rest(logical: str) -> tuple[str, str]:
    """The instruction word and what follows it, split as BuildKit splits them."""
    parts = _COMMAND_SPLIT.split(logical.strip(GO_SPACE), maxsplit=1)
    return parts[0], parts[1] if len(parts) == 2 else ""
