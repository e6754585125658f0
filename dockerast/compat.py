"""A drop-in replacement for the PyPI package ``dockerfile``, derived from our tree.

``dockerfile`` wraps BuildKit's Go parser (v0.12) and is deprecated.
:func:`parse_string` and :func:`parse_file` return the same tuple of
:class:`Command` it returns and raise :class:`GoParseError` where it raises.
Two deliberate differences, both losses of the wrapper that we do not copy:

* the wrapper passes strings through C, so it cuts its input and every string
  it returns at the first NUL character; we keep them whole;
* for an instruction inside ONBUILD the wrapper reports neither the wrapped
  instruction's flags nor its heredocs; the flags and heredocs BuildKit
  attaches are available from our tree (``OnbuildInstruction.trigger``).

BuildKit (every release) reads builder flags byte by byte, so a non-ASCII
flag such as ``--chown=José`` reaches it as ``--chown=JosÃ©``, and a byte
0x85 or 0xA0 inside a character (U+00A0 is C2 A0) is a space that ends the
flag; the flags and arguments here reproduce that, while our tree's ``Flag``
keeps the text as written.

Our tree follows current BuildKit; this module reproduces v0.12 where the
two differ:

* v0.12 read exec form with a streaming JSON decoder that ignored anything
  after the array, so ``CMD ["a"] # note`` was exec form (since mid-2024 it
  is shell form), and ``RUN ["a"] <<EOF`` opened no heredoc;
* v0.12 escaped in flags with a backslash whatever the ``escape`` directive
  (since Dockerfile frontend 1.15, with the directive's character);
* v0.12 knew no ``check`` parser directive: ``# check=...`` is a comment that
  ends the directives;
* v0.12's shell lexer split ``<< EOF`` into two words (no heredoc), kept the
  text before a ``${v:-w}`` form in its word (``<<${A:-b}`` opens a heredoc
  named ``${A:-b}``) and refused ``${v#p}`` and ``${v/p/r}``, which leaves a
  line with one of them without heredocs.

Where a heredoc differs, the text after the bodies v0.12 reads is parsed
again; files without such a line, flag or directive take no extra step.

:func:`dump` renders a tree in the format of BuildKit's ``Node.Dump()``, the
format of BuildKit's own parser test expectations.
"""

from __future__ import annotations

import json
import os
import re
from typing import NamedTuple

from dockerast.cst.exec_form import NOT_STRING_ARRAY
from dockerast.cst.heredoc import HEREDOC_COMMANDS, HeredocWord, file_descriptor, read_bodies
from dockerast.cst.lexer import prefix_without_directives
from dockerast.cst.nodes import (
    AddInstruction,
    CmdInstruction,
    CopyInstruction,
    Directive,
    Dockerfile,
    EntrypointInstruction,
    EnvInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    UnknownInstruction,
    VolumeInstruction,
)
from dockerast.cst.parser import parse
from dockerast.cst.text import GO_SPACE, go_quote


class Heredoc(NamedTuple):
    name: str
    file_descriptor: int
    content: str


class Command(NamedTuple):
    cmd: str
    sub_cmd: str | None
    json: bool
    original: str
    start_line: int
    end_line: int
    flags: tuple[str, ...]
    value: tuple[str, ...]
    heredocs: tuple[Heredoc, ...]


class GoParseError(ValueError):
    """The text is not a Dockerfile BuildKit accepts (same name as the package's)."""


class GoIOError(OSError):
    """The file could not be read (same name as the package's)."""


def parse_string(text: str) -> tuple[Command, ...]:
    return commands(parse(text))


def parse_file(path: str | os.PathLike[str]) -> tuple[Command, ...]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise GoIOError(str(error)) from None
    return parse_string(data.decode("utf-8", "replace"))


def commands(tree: Dockerfile) -> tuple[Command, ...]:
    """The package's view of ``tree``; raises :class:`GoParseError` on a syntax error."""
    check = tree.directive("check")
    if check is not None and check is not tree.directives[-1]:
        # v0.12 reads the lines after it as comments, not as directives.
        return commands(parse(_check_as_comment(tree, check)))
    errors = tree.errors
    if any(_read_otherwise(ins) for ins in tree.instructions):
        return _commands_as_v012(tree)
    if errors:
        raise GoParseError(errors[0].message)
    result = []
    line = 1 + sum(d.text.count("\n") for d in tree.directives)
    for ins in tree.instructions:
        line += ins.leading.count("\n")
        start_line = line
        newlines = ins.text.count("\n")
        end_line = line + newlines - (1 if ins.text.endswith("\n") else 0)
        line += newlines
        result.append(_command(ins, start_line, end_line))
    return tuple(result)


def _check_as_comment(tree: Dockerfile, check: Directive) -> str:
    """The text of ``tree`` with its first ``check`` directive turned into a bare comment.

    The lines after it are then no directives either; comments leave no trace
    in the commands, and the line count is kept.
    """
    start = len(tree.bom)
    for d in tree.directives:
        if d is check:
            break
        start += len(d.text)
    line_end = check.text[len(check.text.rstrip("\r\n")) :]
    text = str(tree)
    return text[:start] + "#" + line_end + text[start + len(check.text) :]


def _read_otherwise(ins: Instruction) -> bool:
    """Does v0.12 read other flags or other heredocs than our tree in ``ins``?"""
    try:
        text = ins.text
        if (not text.isascii() or ins.escape != "\\") and (
            _other_flags(ins) or _other_flags(_tree_target(ins))
        ):
            return True
        return "<<" in text and _v012_heredocs(ins, _tree_target(ins)) is not None
    except GoParseError:
        return True  # reported in its place by _commands_as_v012


def _commands_as_v012(tree: Dockerfile) -> tuple[Command, ...]:
    """:func:`commands` for a tree with an instruction v0.12 reads otherwise.

    Where v0.12 reads other heredoc bodies, the text after them is parsed again
    (a blank line first, so that it has no directives) and read the same way.
    """
    if tree.split_problems:
        raise GoParseError(min(tree.split_problems)[2])
    prefix = prefix_without_directives(tree.escape)
    result = []
    shift = 0  # from a line of ``tree`` to the same line of the file
    line = 1 + sum(d.text.count("\n") for d in tree.directives)
    while True:
        text = str(tree)
        rest = None
        for ins, offset in zip(tree.instructions, tree.instruction_offsets()):
            line += ins.leading.count("\n")
            reading = _v012_reading(ins)
            problem = reading.target.problem
            if problem is not None and not problem.message.startswith(_UNTERMINATED):
                raise GoParseError(problem.message)
            openers = _v012_heredocs(ins, reading.target)
            if openers is None and ins.problem is not None and ins.problem.message.startswith(_UNTERMINATED):
                raise GoParseError(ins.problem.message)
            own, heredocs = ins.text, None
            if openers is not None:
                # The bodies may run past our instruction: read them in the whole text.
                bounds = read_bodies(text, offset + ins.body_start, openers)
                if bounds and not bounds[-1].terminated:
                    raise GoParseError(_UNTERMINATED)
                own = text[offset : bounds[-1].terminator_end if bounds else offset + ins.body_start]
                heredocs = tuple(
                    Heredoc(o.name, _go_int64(o.file_descriptor), text[b.body_start : b.body_end]) for o, b in zip(openers, bounds)
                )
            newlines = own.count("\n")
            end_line = line + newlines - (1 if own.endswith("\n") else 0)
            result.append(_command(ins, line + shift, end_line + shift, reading, heredocs))
            line += newlines
            if openers is not None:
                rest = text[offset + len(own) :]
                break
        if rest is None:
            return tuple(result)
        shift += line - 1 - prefix.count("\n")
        tree = parse(prefix + rest, tree)
        line = 1 + sum(d.text.count("\n") for d in tree.directives)


class _Reading(NamedTuple):
    """How v0.12 reads an instruction."""

    command: Instruction  # the instruction, or the one read from the arguments after v0.12's flags
    target: Instruction  # the one whose values it reports: ``command`` or the instruction ONBUILD wraps
    flags: tuple[str, ...] | None  # v0.12's flags; None where they are ours


def _tree_target(ins: Instruction) -> Instruction:
    trigger = ins.syntax.trigger if isinstance(ins, OnbuildInstruction) else None
    return ins if trigger is None else trigger


def _v012_reading(ins: Instruction) -> _Reading:
    command, flags = _v012_flags(ins)
    target = _tree_target(command)
    if target is not command:
        target = _v012_flags(target)[0]
    return _Reading(command, target, flags)


def _command(
    ins: Instruction, start_line: int, end_line: int, reading: _Reading | None = None, heredocs: tuple[Heredoc, ...] | None = None
) -> Command:
    """``ins`` as a command; ``reading`` and ``heredocs`` replace our tree's where v0.12 reads otherwise."""
    if reading is None:
        reading = _Reading(ins, _tree_target(ins), None)
    target = reading.target
    wrapped = target is not reading.command
    syntax = target.syntax
    values = node_values(target, with_separators=False)
    is_json = syntax.exec_form is not None
    legacy = _legacy_exec_form(target)
    if legacy is not None:
        values, is_json = legacy, True
    original = ins.logical
    if wrapped:
        heredocs = ()  # the package does not report a trigger's heredocs
    elif heredocs is None:
        heredocs = tuple(Heredoc(h.name, _go_int64(h.file_descriptor), h.content) for h in syntax.heredocs)
    if heredocs:
        original += "\n" + "".join(h.content + h.name + "\n" for h in heredocs)
    flags = reading.flags
    return Command(
        cmd=ins.keyword or None,  # the wrapper turns empty strings into None
        sub_cmd=(target.keyword or None) if wrapped else None,
        json=is_json,
        original=original or None,
        start_line=start_line,
        end_line=end_line,
        flags=flags if flags is not None else tuple(_bytes_as_runes(f.unquoted) for f in ins.flags),
        value=tuple(values),
        heredocs=heredocs,
    )


def _go_int64(number: int) -> int:
    """A Go uint as the package passes it on: as the int64 with the same bits."""
    return number - 2**64 if number >= 2**63 else number


def _bytes_as_runes(flag: str) -> str:
    """BuildKit reads flags byte by byte as runes: a non-ASCII flag comes back as Latin-1 mojibake."""
    return flag.encode("utf-8", "surrogateescape").decode("latin-1") if not flag.isascii() else flag


# -- v0.12's builder flags -------------------------------------------------------

# The bytes that are spaces when read as runes: ASCII blanks, and U+0085 and
# U+00A0, which UTF-8 has as continuation bytes, so that a character holding
# one of them (U+00A0 itself, U+0085, U+0105...) ends a flag inside it.
_SPACE_BYTES = frozenset(b"\t\n\v\f\r \x85\xa0")
_QUOTE_BYTES = frozenset(b"'\"")
_BACKSLASH = ord("\\")
# BuildKit's splitCommand: the instruction word ends at the first run of these.
_COMMAND_SPLIT = re.compile(r"[\t\v\f\r ]+")


def _other_flags(ins: Instruction) -> bool:
    """Does v0.12 read other flags than our tree in ``ins``?"""
    backtick = ins.escape != "\\"
    for flag in ins.syntax.flags:
        raw = flag.text
        if backtick and ("\\" in raw or ins.escape in raw):
            return True
        if not raw.isascii():
            data = raw.encode("utf-8", "surrogateescape")
            if b"\x85" in data or b"\xa0" in data:
                return True
    return False


def _v012_flags(ins: Instruction) -> tuple[Instruction, tuple[str, ...] | None]:
    """The instruction v0.12 reads from the arguments after its flags, and those
    flags; ``(ins, None)`` where they are ours."""
    if not _other_flags(ins):
        return ins, None
    keyword, *rest = _COMMAND_SPLIT.split(ins.logical.strip(GO_SPACE), maxsplit=1)
    arguments, flags = _builder_flags("".join(rest).encode("utf-8", "surrogateescape"))
    arguments = arguments.decode("utf-8", "surrogateescape").strip(GO_SPACE)
    # After a "--" word, arguments that look like flags are arguments.
    head = keyword + (" -- " if arguments.startswith("--") else " ") + arguments
    # The heredoc bodies stay after the line, so they are read as they were.
    reading = parse(prefix_without_directives(ins.escape) + head + "\n" + ins.text[ins.body_start :]).instructions[0]
    return reading, tuple(f.decode("latin-1") for f in flags)


def _builder_flags(line: bytes) -> tuple[bytes, list[bytes]]:
    """v0.12's extractBuilderFlags: the leading ``--flag`` words, read byte by
    byte (a backslash escapes the next byte, quotes group), and the rest of the line."""
    flags: list[bytes] = []
    word = bytearray()
    in_word = blank_ok = False
    quote = None
    pos, n = 0, len(line)
    while pos < n:
        ch = line[pos]
        if not in_word:
            if ch in _SPACE_BYTES:
                pos += 1
                continue
            if not line.startswith(b"--", pos):
                return line[pos:], flags
            in_word = True
        if quote is None and ch in _SPACE_BYTES:
            if word == b"--":
                return line[pos:], flags
            if blank_ok or word:
                flags.append(bytes(word))
            word.clear()
            in_word = blank_ok = False
        elif quote is None and ch in _QUOTE_BYTES:
            quote, blank_ok = ch, True
        elif ch == quote:
            quote = None
        elif ch == _BACKSLASH and pos + 1 == n:
            quote = None  # a backslash that ends the line is skipped
        else:
            if ch == _BACKSLASH:
                pos += 1
                ch = line[pos]
            word.append(ch)
        pos += 1
    if in_word and word != b"--" and (blank_ok or word):
        flags.append(bytes(word))
    return b"", flags


# -- v0.12's heredocs -----------------------------------------------------------

_UNTERMINATED = "unterminated heredoc"
_V012_HEREDOC_WORD = re.compile(r"([0-9]*)<<(-?)([^<]*)\Z")
# What current BuildKit's shell lexer splits otherwise: "<<" and the blanks
# after it are one word there, and a "${" form can change the words around it.
_BLANK_AFTER_MARKER = re.compile(r"<<[\t\r ]")


def _v012_heredocs(ins: Instruction, target: Instruction) -> list[HeredocWord] | None:
    """The heredocs v0.12 opens in ``ins`` (``target`` is its v0.12 reading, see
    :class:`_Reading`), or None where they are our tree's."""
    logical = ins.logical
    if "<<" not in logical:
        return None
    ours = _tree_target(ins)
    syntax = target.syntax
    if target.keyword.lower() not in HEREDOC_COMMANDS or syntax.exec_form is not None or _legacy_exec_form(target) is not None:
        found = []
    elif target is not ours or "${" in logical or _BLANK_AFTER_MARKER.search(logical):
        found = _v012_heredocs_in_line(logical)
    else:
        return None
    if [(h.name, h.file_descriptor, h.chomp) for h in ours.syntax.heredocs] == [(h.name, h.file_descriptor, h.chomp) for h in found]:
        return None
    return found


def _v012_heredocs_in_line(logical: str) -> list[HeredocWord]:
    try:
        words = _V012Words(logical, raw_quotes=True, raw_escapes=True).split()
    except _LexError:
        return []  # v0.12 looks for heredocs in no word of a line it cannot split
    found = []
    for word in words:
        match = _V012_HEREDOC_WORD.match(word)
        if match is None or not match.group(3):
            continue
        rest = match.group(3)
        try:
            names = _V012Words(rest, raw_quotes=False, raw_escapes=False).split()
            if len(names) != 1:
                continue
            raw = _V012Words(rest, raw_quotes=True, raw_escapes=False).split()
        except _LexError as error:
            raise GoParseError(f"failed to process {go_quote(rest)}: {error}") from None
        if len(raw) != 1:
            raise GoParseError(f"internal lexing of heredoc produced inconsistent results: {rest}")
        name = names[0]
        found.append(
            HeredocWord(
                word=word,
                name=name,
                file_descriptor=file_descriptor(match.group(1)),
                chomp=match.group(2) == "-",
                expand=_quotes(name) == _quotes(raw[0]),
            )
        )
    return found


def _quotes(word: str) -> int:
    return word.count("'") + word.count('"')


class _LexError(Exception):
    """A word v0.12's shell lexer refuses."""


class _V012Fields:
    """The words of one stretch of text; v0.12 keeps one of these per nested word."""

    __slots__ = ("word", "words")

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []

    def add_char(self, ch: str) -> None:
        if ch not in GO_SPACE:
            self.word += ch
        elif self.word:
            self.words.append(self.word)
            self.word = ""

    def add_raw(self, text: str) -> None:
        self.word += text

    def finish(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
        return self.words


class _V012Words:
    """v0.12's ``shell.Lex.ProcessWords`` as its heredoc search uses it: escape
    ``\\``, no variable set, unset ones written back as they are.

    Unlike current BuildKit it knows no ``${v#p}``, ``${v%p}`` or ``${v/p/r}``,
    does not keep ``<<`` with the blanks after it, and keeps the text before a
    nested word (``a${v:-w}``) in its word.
    """

    def __init__(self, text: str, *, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.pos = 1 if text.startswith("\ufeff") else 0  # Go's text/scanner skips a leading BOM
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes

    def split(self) -> list[str]:
        try:
            return self.until(None)[1]
        except RecursionError:
            raise _LexError("expansions nested too deeply") from None

    def until(self, stop: str | None) -> tuple[str, list[str]]:
        """Read to the unquoted, unescaped ``stop`` (consumed) or the end: the text and its words."""
        text, n = self.text, len(self.text)
        out: list[str] = []
        fields = _V012Fields()
        while self.pos < n:
            ch = text[self.pos]
            if ch == stop:
                self.pos += 1
                return "".join(out), fields.finish()
            if ch == "$":
                piece = self.dollar()
                out.append(piece)
                for c in piece:
                    fields.add_char(c)
                continue
            if ch == "'" or ch == '"':
                piece = self.single_quoted() if ch == "'" else self.double_quoted()
                out.append(piece)
                fields.add_raw(piece)
                continue
            self.pos += 1
            if ch == "\\":
                if self.raw_escapes:
                    fields.add_raw(ch)
                    out.append(ch)
                if self.pos == n:
                    break
                ch = text[self.pos]
                self.pos += 1
                fields.add_raw(ch)
            else:
                fields.add_char(ch)
            out.append(ch)
        if stop is not None:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out), fields.finish()

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise _LexError("unexpected end of statement while looking for matching single-quote")
        start, self.pos = self.pos, end + 1
        return self.text[start : end + 1] if self.raw_quotes else self.text[start + 1 : end]

    def double_quoted(self) -> str:
        text, n = self.text, len(self.text)
        self.pos += 1
        out = ['"'] if self.raw_quotes else []
        while True:
            if self.pos >= n:
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            ch = text[self.pos]
            if ch == "$":
                out.append(self.dollar())
                continue
            self.pos += 1
            if ch == '"':
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "\\":
                if self.raw_escapes:
                    out.append(ch)
                if self.pos == n:
                    continue
                if text[self.pos] in '"$\\':
                    ch = text[self.pos]
                    self.pos += 1
                # any other escape stays, so raw escapes keep it twice
            out.append(ch)

    def dollar(self) -> str:
        text, n = self.text, len(self.text)
        self.pos += 1
        if self.pos == n or text[self.pos] != "{":
            return "$" + self.name()
        self.pos += 1
        if self.pos == n:
            raise _LexError("syntax error: missing '}'")
        if text[self.pos] in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self.name()
        modifier = text[self.pos : self.pos + 1]
        self.pos += 1
        if modifier == "}":
            return "${" + name + "}"
        if modifier == ":":
            modifier += text[self.pos : self.pos + 1]
            self.pos += 1
        elif modifier not in ("+", "-", "?"):
            raise _LexError(f"unsupported modifier ({modifier}) in substitution")
        try:
            word, _ = self.until("}")
        except _LexError:
            if self.pos >= n:
                raise _LexError("syntax error: missing '}'") from None
            raise
        return "${" + name + modifier + word + "}"

    def name(self) -> str:
        text, n = self.text, len(self.text)
        start = self.pos
        if start < n and text[start].isdecimal():
            while self.pos < n and text[self.pos].isdecimal():
                self.pos += 1
        elif start < n and text[start] in "@*#?-$!0":
            self.pos += 1
        else:
            while self.pos < n and (text[self.pos].isalpha() or text[self.pos].isdecimal() or text[self.pos] == "_"):
                self.pos += 1
        return text[start : self.pos]


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def _legacy_exec_form(ins: Instruction) -> list[str] | None:
    """The strings of a JSON array followed by other text, which v0.12 took as exec form."""
    syntax = ins.syntax
    if syntax.exec_form is not None or syntax.arguments is None:
        return None
    if not isinstance(ins, _EXEC_FORM_TYPES):
        return None
    text = syntax.arguments.text
    if isinstance(ins, HealthcheckInstruction):
        if syntax.healthcheck_type is None:
            return None
        prefix = [syntax.healthcheck_type.text]
    else:
        prefix = []
    if not text.startswith("["):
        return None
    try:
        value, _ = json.JSONDecoder(parse_constant=_reject_constant).raw_decode(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise GoParseError(NOT_STRING_ARRAY)
    return prefix + value


def node_values(ins: Instruction, *, with_separators: bool) -> list[str]:
    """The values BuildKit chains after an instruction's node.

    BuildKit 0.12 stores ENV and LABEL pairs as key, value; newer releases add
    the separator ("=" or "" for the legacy form), which ``Node.Dump`` shows.
    """
    syntax = ins.syntax
    if isinstance(ins, UnknownInstruction):
        return [""]
    if isinstance(ins, OnbuildInstruction):
        # The wrapped instruction hangs under an empty node of its own.
        return [""] if ins.trigger is not None else []
    if isinstance(ins, (EnvInstruction, LabelInstruction)):
        values = []
        for pair in syntax.key_values:
            values.extend((pair.key, pair.value or ""))
            if with_separators:
                values.append("" if pair.legacy else "=")
        return values
    if syntax.key_values:  # ARG
        return [w.text for w in syntax.words]
    if isinstance(ins, HealthcheckInstruction):
        if syntax.healthcheck_type is None:
            return []
        rest = _command_values(ins)
        return [syntax.healthcheck_type.text, *rest]
    if syntax.exec_form is not None or syntax.words:
        return _command_values(ins)
    return [syntax.arguments.text] if syntax.arguments is not None else []


def _command_values(ins: Instruction) -> list[str]:
    syntax = ins.syntax
    if syntax.exec_form is not None:
        return [a.value for a in syntax.exec_form]
    if syntax.words:
        return [w.text for w in syntax.words]
    return [syntax.arguments.text] if syntax.arguments is not None else []


_EXEC_FORM_TYPES = (
    AddInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    HealthcheckInstruction,
    RunInstruction,
    ShellInstruction,
    VolumeInstruction,
)


# -- BuildKit's Node.Dump() ----------------------------------------------------


def dump(tree: Dockerfile) -> str:
    """``tree`` in BuildKit's ``Node.Dump()`` format, one instruction a line."""
    return "".join(f"({_dump_instruction(ins)})\n" for ins in tree.instructions)


def _dump_instruction(ins: Instruction) -> str:
    parts = [ins.keyword.lower()]
    if ins.flags:
        parts.append("[" + " ".join(go_quote(f.unquoted) for f in ins.flags) + "]")
    if isinstance(ins, OnbuildInstruction):
        if ins.trigger is not None:
            parts.append(f"({_dump_instruction(ins.trigger)})")
    else:
        parts.extend(go_quote(v) for v in node_values(ins, with_separators=True))
    return " ".join(parts).strip()
