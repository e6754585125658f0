"""Heredocs: which words of a logical line open one, and where their bodies lie.

BuildKit looks for heredocs only in RUN, COPY and ADD (also under ONBUILD) in
shell form.  It splits the whole logical line into shell words (quotes and
escapes kept), and a word of the form ``[fd]<<[-]name`` opens a heredoc whose
name is that word unquoted; a quoted name turns expansion of the body off.
Bodies follow the instruction's last line, one after another, each ending at
the first line that equals its name (after leading tabs for ``<<-``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockerast.cst.text import GO_SPACE, trim_newline
from dockerast.semantic.shell import ExpansionError, ShellLex

_HEREDOC_WORD = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z", re.S)
_LINE_WORDS = ShellLex("\\", raw_quotes=True, raw_escapes=True, skip_unset_env=True)
_NAME_WORDS = ShellLex("\\", skip_unset_env=True)
_NAME_WORDS_RAW = ShellLex("\\", raw_quotes=True, skip_unset_env=True)
_NO_ENV: dict[str, str] = {}
# BuildKit reads the descriptor with strconv.ParseUint(digits, 10, 0), which
# saturates at the largest uint64 instead of failing on a longer run of digits.
MAX_FILE_DESCRIPTOR = 2**64 - 1


@dataclass(frozen=True, slots=True)
class HeredocWord:
    """A ``<<EOF`` word: the heredoc's name and how its body is read."""

    word: str
    name: str
    file_descriptor: int
    chomp: bool
    expand: bool


def parse_heredoc_word(word: str) -> HeredocWord | None:
    """Read one shell word as a heredoc opener, or None if it is not one."""
    match = _HEREDOC_WORD.match(word)
    if match is None or not match.group(3):
        return None
    rest = match.group(3)
    try:
        names = _NAME_WORDS.process_words(rest, _NO_ENV)
        raw = _NAME_WORDS_RAW.process_words(rest, _NO_ENV)
    except ExpansionError:
        return None
    if len(names) != 1 or len(raw) != 1:
        return None
    name = names[0]
    quotes = name.count("'") + name.count('"')
    raw_quotes = raw[0].count("'") + raw[0].count('"')
    return HeredocWord(
        word=word,
        name=name,
        file_descriptor=file_descriptor(match.group(1)),
        chomp=match.group(2) == "-",
        expand=quotes == raw_quotes,
    )


def file_descriptor(digits: str) -> int:
    """The number a heredoc's ``[fd]`` digits stand for, as BuildKit reads them."""
    digits = digits.lstrip("0")
    if len(digits) > len(str(MAX_FILE_DESCRIPTOR)):  # int() refuses thousands of digits
        return MAX_FILE_DESCRIPTOR
    return min(int(digits or 0), MAX_FILE_DESCRIPTOR)


def heredocs_in_line(logical: str) -> list[HeredocWord]:
    """Every heredoc the logical line opens, in order."""
    try:
        words = _LINE_WORDS.process_words(logical, _NO_ENV)
    except ExpansionError:
        return []
    return _openers_among(words)


def _openers_among(words: list[str]) -> list[HeredocWord]:
    found = []
    for word in words:
        heredoc = parse_heredoc_word(word)
        if heredoc is not None:
            found.append(heredoc)
    return found


@dataclass(frozen=True, slots=True)
class BodyBounds:
    """Where one heredoc's body and its terminator line lie in a text."""

    body_start: int
    body_end: int
    terminator_end: int
    terminated: bool


def read_bodies(text: str, pos: int, heredocs: list[HeredocWord]) -> list[BodyBounds]:
    """Consume the bodies of ``heredocs`` from ``text`` starting at ``pos``.

    Stops at the first unterminated body, which runs to the end of the text.
    """
    bounds = []
    n = len(text)
    for heredoc in heredocs:
        start = pos
        while pos < n:
            nl = text.find("\n", pos)
            end = n if nl < 0 else nl + 1
            candidate = trim_newline(text[pos:end])
            if heredoc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == heredoc.name:
                bounds.append(BodyBounds(start, pos, end, True))
                pos = end
                break
            pos = end
        else:
            bounds.append(BodyBounds(start, n, n, False))
            break
    return bounds


HEREDOC_COMMANDS = frozenset({"run", "copy", "add"})


# A RUN, COPY or ADD line of plain words: printable ASCII without a quote, an
# escape character, "$" or "[" (no exec form can start), blanks between words.
# The grammar reads such a line in shell form whatever its flags, and the shell
# splits it at its blanks, unless a "<<" is followed by one (the blanks belong
# to the "<<" word): most heredoc lines, read without either.
_PLAIN_LINE = re.compile(r"(?i:run|copy|add)[ \t][ \t!#%&()*+,\-./0-9:;<=>?@A-Z\]^_a-z{|}~]*")


def heredoc_openers(logical: str, escape: str) -> list[HeredocWord]:
    """The heredocs a logical instruction line opens: none unless RUN, COPY or ADD in shell form."""
    if "<<" not in logical:
        return []
    line = logical.strip(GO_SPACE)
    if _PLAIN_LINE.fullmatch(line) and "<< " not in line and "<<\t" not in line:
        return _openers_among(line.split())
    return _openers_by_grammar(logical, escape)


def _openers_by_grammar(logical: str, escape: str) -> list[HeredocWord]:
    """:func:`heredoc_openers` for any line: the grammar tells the instruction
    and its form, the shell splits the line into words."""
    from dockerast.cst.exec_form import is_array_of_other_values  # noqa: PLC0415
    from dockerast.cst.grammar import GrammarError, Tree, parse_logical_line  # noqa: PLC0415

    try:
        tree = parse_logical_line(logical.strip(GO_SPACE), escape)
    except (GrammarError, RecursionError):
        return []
    if tree.data == "onbuild":
        subtrees = [c for c in tree.children if isinstance(c, Tree)]
        if not subtrees:
            return []
        tree = subtrees[0]
    if tree.data not in ("exec_or_shell", "json_or_words") or tree.children[0].value.lower() not in HEREDOC_COMMANDS:
        return []
    for child in tree.children:
        kind = getattr(child, "type", None)
        if kind == "EXEC_FORM" or (kind == "ARGUMENTS" and is_array_of_other_values(child.value.lstrip(GO_SPACE))):
            return []
    return heredocs_in_line(logical)
