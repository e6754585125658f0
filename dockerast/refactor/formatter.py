"""A canonical layout that never changes what a Dockerfile means.

What it does, instruction by instruction:

* keywords in upper case (ONBUILD triggers and ``AS`` too);
* one space between the keyword, the flags and the words of instructions
  whose arguments are words (FROM, COPY, ENV, LABEL, ARG, EXPOSE, ...); in
  RUN, CMD, ENTRYPOINT and SHELL only up to the command, whose own spacing
  belongs to the shell;
* JSON arrays written one way: ``["a", "b"]``;
* continuation lines indented by ``indent`` spaces, and the continuation
  marker right after the content (``foo \\``);
* no trailing whitespace, at most one blank line in a row, and a final newline.

What it never touches: heredoc bodies, comment lines, anything inside quotes,
and whitespace the shell or BuildKit would read (a continuation that splits a
word is left as it is).  The result is checked: every instruction must read
the same to BuildKit (same flags, same values) and to the shell (same words).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dockerast.compat import node_values
from dockerast.cst.nodes import (
    CmdInstruction,
    Dockerfile,
    EntrypointInstruction,
    HealthcheckInstruction,
    Instruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopsignalInstruction,
    UserInstruction,
    WorkdirInstruction,
)
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.semantic.shell import ExpansionError, ShellLex

OPERATION = "format"
_SHELL_COMMANDS = (RunInstruction, CmdInstruction, EntrypointInstruction, ShellInstruction, HealthcheckInstruction)
_VERBATIM = (UserInstruction, WorkdirInstruction, StopsignalInstruction, MaintainerInstruction)
_SPACE = " \t"
_SPACE_RUN = re.compile("[ \t]+")


@dataclass(frozen=True, slots=True)
class FormatOptions:
    indent: int = 4
    uppercase_keywords: bool = True
    max_blank_lines: int = 1


def format_dockerfile(tree: Dockerfile, options: FormatOptions | None = None) -> RefactorResult:
    """The canonical layout of ``tree``; idempotent, and refused where it would change meaning."""
    require_valid(tree, OPERATION)
    options = options or FormatOptions()
    # An instruction's layout depends on nothing else: the second run, which
    # checks the result is stable, reads again only the instructions the
    # first one changed (the others are the same nodes, or equal ones).
    laid_out: dict[Instruction, str] = {}
    return finish(
        tree,
        formatted_text(tree, options, laid_out),
        "formatted",
        operation=OPERATION,
        again=lambda t: formatted_text(t, options, laid_out),
        check_meaning=_same_reading,
    )


def formatted_text(tree: Dockerfile, options: FormatOptions, laid_out: dict[Instruction, str] | None = None) -> str:
    """The text of ``tree`` laid out; ``laid_out`` keeps each instruction's layout for later calls."""
    laid_out = {} if laid_out is None else laid_out
    parts = [tree.bom]
    parts.extend(d.text for d in tree.directives)
    for ins in tree.instructions:
        parts.append(_trivia(ins.leading, options))
        layout = laid_out.get(ins)
        if layout is None:
            layout = laid_out[ins] = _instruction(ins, options)
        parts.append(layout)
    trailing = _trivia(tree.trailing, options)
    parts.append(trailing)
    text = "".join(parts)
    if text and not text.endswith("\n") and tree.instructions and not trailing.strip():
        text += _newline_style(text)
    return text


def _newline_style(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _trivia(text: str, options: FormatOptions) -> str:
    """Blank and comment lines: comments untouched, blank lines emptied and limited."""
    lines = text.split("\n")
    out = []
    blank_run = 0
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        if last and line == "":
            break
        if line.strip(" \t\r") == "":
            blank_run += 1
            if blank_run > options.max_blank_lines:
                continue
            out.append("\r" if line.endswith("\r") else "")
        else:
            blank_run = 0
            out.append(line)
        if last:
            return "\n".join(out)
    return "\n".join(out) + "\n" if out else ""


def _quote_states(logical: str, escape: str) -> list[bool]:
    """For each offset of the logical line: is it inside quotes?"""
    if "'" not in logical and '"' not in logical:
        return [False] * (len(logical) + 1)  # (most lines: nothing is)
    states = []
    quote = ""
    i = 0
    n = len(logical)
    while i < n:
        ch = logical[i]
        states.append(bool(quote))
        if ch == escape and quote != "'" and i + 1 < n:
            states.append(bool(quote))
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        i += 1
    states.append(bool(quote))
    return states


def _instruction(ins: Instruction, options: FormatOptions) -> str:
    text = ins.text
    head = _head(ins, options)
    body = text[ins.body_start :]
    return head + body


def _head(ins: Instruction, options: FormatOptions) -> str:
    """The instruction's lines before any heredoc body, laid out."""
    text = ins.text
    logical = ins.logical
    quoted = _quote_states(logical, ins.escape)
    verbatim = _verbatim_start(ins)
    if verbatim is not None:  # read as written: treat like quoted text
        quoted[verbatim:] = [True] * (len(quoted) - verbatim)
    free_until = _collapsible_end(ins)
    edits: dict[int, tuple[int, str]] = {}  # physical start -> (end, replacement)

    # Keywords.
    if options.uppercase_keywords:
        for node in (ins, getattr(ins, "trigger", None)):
            if node is not None and node.keyword != node.keyword.upper():
                span = node.keyword_span
                edits[span.start] = (span.end, node.keyword.upper())

        as_keyword = getattr(ins, "as_keyword", None)
        if as_keyword is not None and as_keyword.text != "AS":
            edits[as_keyword.span.start] = (as_keyword.span.end, "AS")

    # JSON arrays on one physical line.
    exec_form = getattr(ins, "exec_form", None)
    if exec_form is not None and ins.arguments_span is not None:
        span = ins.arguments_span
        if "\n" not in text[span.start : span.end]:
            canonical = json.dumps([a.value for a in exec_form], ensure_ascii=False)
            if text[span.start : span.end] != canonical and json.loads(canonical) == [a.value for a in exec_form]:
                edits[span.start] = (span.end, canonical)

    # Whitespace, segment by segment.  Continuation lines keep their nesting:
    # the least indented moves to ``indent`` spaces and the others keep their
    # depth relative to it (a tab counting as four columns).
    indents = _continuation_indents(ins, logical, quoted)
    base = min((width for _, _, width in indents.values()), default=0)
    logical_at = 0
    segments = ins.segments
    for number, (start, end) in enumerate(segments):
        length = end - start
        last = number == len(segments) - 1
        i = 0
        if start in indents:
            _, indent_end, width = indents[start]
            wanted = " " * (options.indent + width - base)
            if text[start:indent_end] != wanted:
                edits[start] = (indent_end, wanted)
            i = indent_end - start
        # Runs of spaces between words (a run holds no quote: all of it is
        # quoted, or none of it).
        for run in _SPACE_RUN.finditer(text, start + i, end):
            i, j = run.start() - start, run.end() - start
            if quoted[logical_at + i]:
                continue
            at_line_start = i == 0 and number > 0
            at_end = j == length
            if at_end and (last or not quoted[logical_at + j]):
                if last:
                    edits.setdefault(start + i, (start + j, ""))
                elif j - i > 1 or text[start + i] != " ":
                    edits.setdefault(start + i, (start + j, " "))
            elif not at_line_start and logical_at + i < free_until and (j - i > 1 or text[start + i] != " "):
                edits.setdefault(start + i, (start + j, " "))
        # The continuation marker: escape character then the line end.
        if not last:
            line_end = text.find("\n", end)
            marker_end = line_end if line_end >= 0 else len(text)
            if marker_end > 0 and text[marker_end - 1] == "\r":
                marker_end -= 1
            if text[end:marker_end] != ins.escape:
                edits[end] = (marker_end, ins.escape)
        logical_at += length
    # Trailing whitespace of lines inside a continuation (empty ones too); comments stay.
    region_end = ins.body_start
    pos = 0
    while pos < region_end:
        nl = text.find("\n", pos)
        line_end = region_end if nl < 0 or nl >= region_end else nl
        content_end = line_end - 1 if line_end > pos and text[line_end - 1] == "\r" else line_end
        line = text[pos:content_end]
        if line.strip(_SPACE) == "" and line:
            edits.setdefault(pos, (content_end, ""))
        pos = line_end + 1
    return _apply(text[:region_end], edits)


def _continuation_indents(ins: Instruction, logical: str, quoted: list[bool]) -> dict[int, tuple[int, int, int]]:
    """Continuation lines whose indentation is ours to set: start -> (start, end, width)."""
    text = ins.text
    found = {}
    logical_at = 0
    for number, (start, end) in enumerate(ins.segments):
        if number and start < end and text.rfind("\n", 0, start) + 1 == start and not quoted[logical_at]:
            indent_end = start
            while indent_end < end and text[indent_end] in _SPACE:
                indent_end += 1
            previous_ends_in_space = logical_at > 0 and logical[logical_at - 1] in _SPACE
            # Adding indentation where there was none would split a word.
            if indent_end > start or previous_ends_in_space:
                width = len(text[start:indent_end].expandtabs(4))
                found[start] = (start, indent_end, width)
        logical_at += end - start
    return found


def _apply(text: str, edits: dict[int, tuple[int, str]]) -> str:
    out = []
    pos = 0
    for start in sorted(edits):
        end, replacement = edits[start]
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _collapsible_end(ins: Instruction) -> int:
    """Logical offset up to which spacing is ours to change.

    The shell owns the spacing of a shell-form command, and BuildKit reads the
    argument of USER, WORKDIR, STOPSIGNAL and MAINTAINER as written.
    """
    if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
        # The trigger's offsets count from its own keyword.
        return len(ins.logical) - len(ins.trigger.logical) + _collapsible_end(ins.trigger)
    verbatim = isinstance(ins, _SHELL_COMMANDS) and ins.exec_form is None or isinstance(ins, _VERBATIM)
    if verbatim and ins.syntax.arguments is not None:
        return ins.syntax.arguments.logical_start
    return len(ins.logical) + 1


def _verbatim_start(ins: Instruction) -> int | None:
    """Where a legacy ``ENV key value`` value starts: BuildKit reads it verbatim, spacing included."""
    pairs = getattr(ins, "pairs", ())
    if pairs and pairs[0].legacy and len(ins.syntax.words) > 1:
        key = ins.syntax.words[0]
        return key.logical_start + len(key.text)
    return None


# -- the meaning check ---------------------------------------------------------

_SHELL_WORDS = ShellLex("\\", raw_quotes=True, raw_escapes=True, skip_unset_env=True)


def _reading(ins: Instruction) -> tuple:
    """What BuildKit and the shell read in an instruction, spacing aside."""
    target = ins.trigger if isinstance(ins, OnbuildInstruction) and ins.trigger is not None else ins
    values = node_values(target, with_separators=True)
    if isinstance(target, _SHELL_COMMANDS) and target.exec_form is None and values:
        try:
            values = [*values[:-1], tuple(_SHELL_WORDS.process_words(values[-1], {}))]
        except ExpansionError:
            pass
    if len(values) == 3 and values[1].lower() == "as":
        values = [values[0], "AS", values[2]]  # BuildKit reads AS in any case
    heredocs = tuple(h.content for h in getattr(target, "heredocs", ()))
    return (type(ins), ins.keyword.upper(), tuple(f.unquoted for f in ins.flags), tuple(f.unquoted for f in target.flags), tuple(values), heredocs)


def _same_reading(before: Dockerfile, after: Dockerfile) -> None:
    if len(before.instructions) != len(after.instructions):
        raise RefactorError(f"{OPERATION}: the number of instructions would change; nothing was changed")
    for old, new in zip(before.instructions, after.instructions):
        if _reading(old) != _reading(new):
            raise RefactorError(f"{OPERATION}: {old.logical.strip()[:60]!r} would read differently; nothing was changed")
