"""The immutable nodes of a Dockerfile's concrete syntax tree.

Every character of the source belongs to exactly one node, so ``str(tree)``
gives the source back by construction:

* :class:`Dockerfile` owns the BOM, the parser directive lines at the top and
  the trivia after the last instruction (``trailing``);
* each :class:`Instruction` owns the blank and comment lines directly above it
  (``leading``) and its own ``text``: its lines, the comment and empty lines
  inside its continuations, its heredoc bodies and its final newline.

Moving an instruction therefore moves its comments with it; building a new
tree is ``dataclasses.replace`` / :meth:`Dockerfile.with_changes`.

Positions are never stored as absolute offsets: the spans an instruction
gives (``keyword_span``, ``Flag.span``, ...) are relative to the start of its
``text``, which does not move when other instructions change.
:meth:`Dockerfile.instruction_offsets` computes where each instruction stands.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

if TYPE_CHECKING:
    from dockerast.cst.positions import LineIndex


class Span(NamedTuple):
    """A half-open range of offsets ``[start, end)``; ``len(span)`` is its length.

    A named tuple, not a frozen dataclass like the nodes: the parser makes one
    for nearly every word, and a tuple is built in one call.
    """

    start: int
    end: int

    def shifted(self, base: int) -> Span:
        return Span(self.start + base, self.end + base)

    def __len__(self) -> int:
        return self.end - self.start


class Word(NamedTuple):
    """A word of an instruction as written (continuations removed) and where it stands.

    ``text`` is the logical text BuildKit sees; ``span`` covers the physical
    characters, continuation markers included, relative to the instruction;
    ``logical_start`` is where the word starts in the logical line.  A named
    tuple, as :class:`Span` is: the parser makes one for every word.
    """

    text: str
    span: Span
    logical_start: int = 0


class Flag(NamedTuple):
    """A builder flag such as ``--platform=$BUILDPLATFORM`` or ``--link``."""

    word: Word
    unquoted: str  # as BuildKit reports it: quotes removed, escapes applied
    name: str
    value: str | None  # None for a bare ``--link``
    name_span: Span
    value_span: Span | None

    @property
    def text(self) -> str:
        return self.word.text

    @property
    def span(self) -> Span:
        return self.word.span


class KeyValue(NamedTuple):
    """One ``key=value`` of ARG, ENV or LABEL, or the legacy ``ENV key value``.

    ``value`` is raw: quotes and escapes as written, which is what BuildKit
    stores before expansion.  ``value`` is None for ``ARG name`` with no default.
    """

    key: str
    value: str | None
    key_span: Span
    value_span: Span | None
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A heredoc opened by RUN, COPY or ADD: ``<<EOF``, ``<<-"EOF"``, ``3<<EOF``."""

    name: str
    file_descriptor: int
    chomp: bool
    expand: bool
    content: str
    word_span: Span
    body_span: Span
    terminator_span: Span


class ExecArgument(NamedTuple):
    """One string of a JSON (exec form) array: its decoded value and its span.

    Like the other parts of an instruction's syntax (words, flags, key=value
    pairs), a named tuple: the parser makes many, each in one call.
    """

    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Problem:
    """A syntax error inside an instruction, relative to it."""

    message: str
    span: Span


def unquote_flag(raw: str, escape: str) -> str:
    """BuildKit's reading of a flag word: quotes dropped, escapes applied."""
    if escape not in raw and "'" not in raw and '"' not in raw:
        return raw  # nothing to drop or apply, as in most flags
    out: list[str] = []
    quote = ""
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if quote:
            if ch == quote:
                quote = ""
                i += 1
                continue
        elif ch in "'\"":
            quote = ch
            i += 1
            continue
        if ch == escape:
            if i + 1 == n:
                break
            i += 1
            ch = raw[i]
        out.append(ch)
        i += 1
    return "".join(out)


class InstructionSyntax(NamedTuple):
    """What the grammar found in an instruction's logical line.

    Computed once per instruction, on first use, by :mod:`dockerast.cst.parser`.
    A named tuple, not a frozen dataclass like the nodes: one is made for
    every instruction read, and a tuple of ten fields is built in one call
    where a dataclass needs one per field.
    """

    keyword: Word
    flags: tuple[Flag, ...]
    arguments: Word | None
    words: tuple[Word, ...]
    exec_form: tuple[ExecArgument, ...] | None
    key_values: tuple[KeyValue, ...]
    heredocs: tuple[Heredoc, ...]
    trigger: Instruction | None
    healthcheck_type: Word | None
    problem: Problem | None


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction and the trivia it owns.

    ``segments`` are the pieces of ``text`` (relative offsets) whose
    concatenation is the logical line; ``body_start`` is where heredoc bodies
    begin.  Use the typed subclasses' accessors rather than these.
    """

    leading: str
    text: str
    segments: tuple[tuple[int, int], ...]
    body_start: int
    escape: str = "\\"
    _syntax: list = field(default_factory=list, init=False, repr=False, compare=False)
    _segment_starts: list = field(default_factory=list, init=False, repr=False, compare=False)
    # The heredoc openers the split found on this line, so that reading the
    # syntax does not look for them again; None when there are none.
    _heredoc_words: tuple | None = field(default=None, init=False, repr=False, compare=False)
    # The logical line of a continued instruction, joined on first use: the
    # model, the checks and the reader each ask for it.
    _joined: str | None = field(default=None, init=False, repr=False, compare=False)

    def __str__(self) -> str:
        return self.leading + self.text

    # -- the logical line -------------------------------------------------

    @property
    def logical(self) -> str:
        """The instruction as BuildKit reads it: one line, continuations removed."""
        text = self.text
        segments = self.segments
        if len(segments) == 1:
            start, end = segments[0]
            return text[start:end]
        joined = self._joined
        if joined is None:
            joined = "".join([text[s:e] for s, e in segments])
            _set_joined(self, joined)
        return joined

    def _logical_starts(self) -> list[int]:
        """Where each segment starts in :attr:`logical`, then its length."""
        starts = self._segment_starts
        if not starts:
            total = 0
            for start, end in self.segments:
                starts.append(total)
                total += end - start
            starts.append(total)
        return starts

    def physical_offset(self, logical_offset: int) -> int:
        """Map an offset of :attr:`logical` to one of :attr:`text` (O(log segments))."""
        segments = self.segments
        if not segments:
            return 0
        starts = self._logical_starts()
        i = bisect_right(starts, logical_offset) - 1
        if i >= len(segments):
            return segments[-1][1]
        start, end = segments[i]
        remaining = logical_offset - starts[i]
        # An offset at a segment's end belongs to the next segment, if any.
        while remaining >= end - start and i + 1 < len(segments):
            i += 1
            remaining = logical_offset - starts[i]
            start, end = segments[i]
        return start + remaining if remaining < end - start else end

    def physical_span(self, start: int, end: int) -> Span:
        segments = self.segments
        if len(segments) == 1:  # the common one-line instruction
            base = segments[0][0]
            return Span(base + start, base + end)
        if start == end:
            p = self.physical_offset(start)
            return Span(p, p)
        # Most spans lie within one segment: one search maps both ends.
        starts = self._logical_starts()
        i = bisect_right(starts, start) - 1
        if 0 <= i < len(segments) and end <= starts[i + 1]:
            base = segments[i][0] - starts[i]
            return new_span((base + start, base + end))
        # The end maps from the last character, so that a span never swallows
        # the continuation that follows it.
        return Span(self.physical_offset(start), self.physical_offset(end - 1) + 1)

    @property
    def is_read(self) -> bool:
        """Whether :attr:`syntax` has been read already (it then costs nothing)."""
        return bool(self._syntax)

    @property
    def syntax(self) -> InstructionSyntax:
        cache = self._syntax
        if not cache:
            cache.append(_syntax_reader()(self))
        return cache[0]

    # -- what every instruction has --------------------------------------

    @property
    def keyword(self) -> str:
        """The instruction word as written (``from``, ``RUN``...)."""
        return self.syntax.keyword.text

    @property
    def keyword_span(self) -> Span:
        return self.syntax.keyword.span

    @property
    def command(self) -> str:
        """The instruction word, upper-cased: ``FROM``, ``RUN``..."""
        return self.keyword.upper()

    @property
    def flags(self) -> tuple[Flag, ...]:
        return self.syntax.flags

    def flag(self, name: str) -> Flag | None:
        """The last flag called ``name`` (without dashes), as BuildKit lets the last one win."""
        found = None
        for f in self.syntax.flags:
            if f.name == name:
                found = f
        return found

    @property
    def arguments(self) -> str:
        """Everything after the keyword and flags, as one logical string."""
        words = self.syntax.arguments
        return words.text if words else ""

    @property
    def arguments_span(self) -> Span | None:
        words = self.syntax.arguments
        return words.span if words else None

    @property
    def problem(self) -> Problem | None:
        """The syntax error in this instruction, if there is one."""
        return self.syntax.problem

    @property
    def content_span(self) -> Span:
        """From the keyword to the end of the last line (before heredoc bodies and newline)."""
        return Span(self.segments[0][0], self.segments[-1][1]) if self.segments else Span(0, 0)


@cache
def _syntax_reader() -> Callable[[Instruction], InstructionSyntax]:
    """The parser's reader, imported on first use (the parser imports this module)."""
    from dockerast.cst.parser import parse_instruction_syntax  # noqa: PLC0415

    return parse_instruction_syntax


class FromInstruction(Instruction):
    """``FROM [--platform=...] image [AS name]``."""

    __slots__ = ()

    @property
    def image(self) -> str:
        words = self.syntax.words
        return words[0].text if words else ""

    @property
    def image_span(self) -> Span | None:
        words = self.syntax.words
        return words[0].span if words else None

    @property
    def stage_name(self) -> str | None:
        """The name after ``AS`` (any case), or None."""
        words = self.syntax.words
        if len(words) == 3 and words[1].text.lower() == "as":
            return words[2].text
        return None

    @property
    def stage_name_span(self) -> Span | None:
        words = self.syntax.words
        if len(words) == 3 and words[1].text.lower() == "as":
            return words[2].span
        return None

    @property
    def as_keyword(self) -> Word | None:
        words = self.syntax.words
        if len(words) >= 2 and words[1].text.lower() == "as":
            return words[1]
        return None

    @property
    def platform(self) -> str | None:
        flag = self.flag("platform")
        return flag.value if flag else None


class _KeyValueInstruction(Instruction):
    __slots__ = ()

    @property
    def pairs(self) -> tuple[KeyValue, ...]:
        return self.syntax.key_values


class ArgInstruction(_KeyValueInstruction):
    """``ARG name[=default] ...``."""

    __slots__ = ()


class EnvInstruction(_KeyValueInstruction):
    """``ENV key=value ...`` or the legacy ``ENV key value``."""

    __slots__ = ()


class LabelInstruction(_KeyValueInstruction):
    """``LABEL key=value ...``."""

    __slots__ = ()


class _CommandInstruction(Instruction):
    """An instruction whose arguments are a JSON array or a shell string."""

    __slots__ = ()

    @property
    def is_exec_form(self) -> bool:
        return self.syntax.exec_form is not None

    @property
    def exec_form(self) -> tuple[ExecArgument, ...] | None:
        return self.syntax.exec_form

    @property
    def heredocs(self) -> tuple[Heredoc, ...]:
        return self.syntax.heredocs


class RunInstruction(_CommandInstruction):
    __slots__ = ()


class CmdInstruction(_CommandInstruction):
    __slots__ = ()


class EntrypointInstruction(_CommandInstruction):
    __slots__ = ()


class ShellInstruction(_CommandInstruction):
    __slots__ = ()


class _SourcesInstruction(_CommandInstruction):
    """COPY, ADD and VOLUME: a JSON array or whitespace-separated words."""

    __slots__ = ()

    @property
    def paths(self) -> tuple[str, ...]:
        if self.syntax.exec_form is not None:
            return tuple(a.value for a in self.syntax.exec_form)
        return tuple(w.text for w in self.syntax.words)


class CopyInstruction(_SourcesInstruction):
    __slots__ = ()


class AddInstruction(_SourcesInstruction):
    __slots__ = ()


class VolumeInstruction(_SourcesInstruction):
    __slots__ = ()


class ExposeInstruction(Instruction):
    __slots__ = ()

    @property
    def ports(self) -> tuple[Word, ...]:
        return self.syntax.words


class _StringInstruction(Instruction):
    __slots__ = ()

    @property
    def value(self) -> str:
        return self.arguments


class UserInstruction(_StringInstruction):
    __slots__ = ()


class WorkdirInstruction(_StringInstruction):
    __slots__ = ()


class StopsignalInstruction(_StringInstruction):
    __slots__ = ()


class MaintainerInstruction(_StringInstruction):
    __slots__ = ()


class HealthcheckInstruction(_CommandInstruction):
    """``HEALTHCHECK NONE`` or ``HEALTHCHECK [flags] CMD command``."""

    __slots__ = ()

    @property
    def check_type(self) -> str | None:
        """``CMD``, ``NONE`` (as written) or None for a bare HEALTHCHECK."""
        word = self.syntax.healthcheck_type
        return word.text if word else None


class OnbuildInstruction(Instruction):
    """``ONBUILD <instruction>``: :attr:`trigger` is the wrapped instruction."""

    __slots__ = ()

    @property
    def trigger(self) -> Instruction | None:
        return self.syntax.trigger


class UnknownInstruction(Instruction):
    """An instruction word BuildKit does not know; it keeps its text untouched."""

    __slots__ = ()


INSTRUCTION_TYPES: dict[str, type[Instruction]] = {
    "add": AddInstruction,
    "arg": ArgInstruction,
    "cmd": CmdInstruction,
    "copy": CopyInstruction,
    "entrypoint": EntrypointInstruction,
    "env": EnvInstruction,
    "expose": ExposeInstruction,
    "from": FromInstruction,
    "healthcheck": HealthcheckInstruction,
    "label": LabelInstruction,
    "maintainer": MaintainerInstruction,
    "onbuild": OnbuildInstruction,
    "run": RunInstruction,
    "shell": ShellInstruction,
    "stopsignal": StopsignalInstruction,
    "user": UserInstruction,
    "volume": VolumeInstruction,
    "workdir": WorkdirInstruction,
}


# -- building nodes fast ---------------------------------------------------------
#
# The parser makes a Word and a Span for every word of every instruction, and
# an Instruction for every instruction.  The named tuples among the nodes are
# built here by tuple.__new__, in C, without the Python-level __new__ a named
# tuple's class call runs; the frozen dataclass nodes by plain stores into an
# object of the same layout, where their generated __init__ sets each field
# through object.__setattr__.  They make the same objects, every field given.

_new = object.__new__
_new_tuple = tuple.__new__
_set_joined = Instruction._joined.__set__


# Each takes the tuple of its node's fields, in order: ``new_span((start,
# end))`` is ``Span(start, end)``, ``new_word((text, span, logical_start))``
# is ``Word(text, span, logical_start)``.  A partial of tuple.__new__ runs in C
# from end to end: a Python function around it would cost a frame per node.
new_span = partial(_new_tuple, Span)
new_word = partial(_new_tuple, Word)
# (key, value, key_span, value_span, legacy)
new_key_value = partial(_new_tuple, KeyValue)
new_syntax = partial(_new_tuple, InstructionSyntax)
new_flag = partial(_new_tuple, Flag)
new_exec_argument = partial(_new_tuple, ExecArgument)


class _InstructionSlots:
    """An object laid out as an :class:`Instruction`: the same slots, in the
    same order.  :func:`new_instruction` fills them by plain assignment (one
    specialised store each, where calling a frozen dataclass's slot descriptors
    goes through a type call every time), then gives the object the node's
    class; Python refuses that if the layouts ever differ."""

    __slots__ = ("leading", "text", "segments", "body_start", "escape", "_syntax", "_segment_starts", "_heredoc_words", "_joined")


def new_instruction(
    cls: type[Instruction],
    leading: str,
    text: str,
    segments: tuple[tuple[int, int], ...],
    body_start: int,
    escape: str,
    heredoc_words: tuple | None = None,
) -> Instruction:
    """``cls(leading, text, segments, body_start, escape)``, knowing its heredoc openers."""
    ins = _new(_InstructionSlots)
    ins.leading = leading
    ins.text = text
    ins.segments = segments
    ins.body_start = body_start
    ins.escape = escape
    ins._syntax = []
    ins._segment_starts = []
    ins._heredoc_words = heredoc_words
    ins._joined = None
    ins.__class__ = cls
    return ins


@dataclass(frozen=True, slots=True)
class Directive:
    """A parser directive line at the top of the file: ``# syntax=...``, ``# escape=`` ..."""

    text: str
    name: str
    value: str
    value_span: Span  # relative to the directive's line


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    """A syntax error with its place, for people and editors (0-based line/column)."""

    message: str
    start: int
    end: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line + 1}:{self.column + 1}: {self.message}"


@dataclass(frozen=True, slots=True)
class Dockerfile:
    """A whole Dockerfile: ``str(tree)`` is the source, byte for byte."""

    bom: str
    directives: tuple[Directive, ...]
    instructions: tuple[Instruction, ...]
    trailing: str
    escape: str = "\\"
    split_problems: tuple[tuple[int, int, str], ...] = ()
    # instruction_offsets, computed once: the rules, the server and the
    # incremental parse all need them for the same tree.
    _offsets: list = field(default_factory=list, init=False, repr=False, compare=False)
    # errors, computed once: the check engine and the server both list them.
    _errors: list = field(default_factory=list, init=False, repr=False, compare=False)

    def __str__(self) -> str:
        parts = [self.bom]
        parts.extend(d.text for d in self.directives)
        for ins in self.instructions:
            parts.append(ins.leading)
            parts.append(ins.text)
        parts.append(self.trailing)
        return "".join(parts)

    def to_bytes(self) -> bytes:
        """The source as bytes; undecodable bytes of :func:`parse_bytes` input come back as they were."""
        return str(self).encode("utf-8", "surrogateescape")

    def with_changes(self, **changes) -> Dockerfile:
        return dataclasses.replace(self, **changes)

    def __iter__(self) -> Iterator[Instruction]:
        return iter(self.instructions)

    def __len__(self) -> int:
        return len(self.instructions)

    @property
    def header_length(self) -> int:
        return len(self.bom) + sum(len(d.text) for d in self.directives)

    def instruction_offsets(self) -> tuple[int, ...]:
        """The offset in ``str(self)`` where each instruction's ``text`` starts."""
        cache = self._offsets
        if not cache:
            offsets = []
            pos = self.header_length
            for ins in self.instructions:
                pos += len(ins.leading)
                offsets.append(pos)
                pos += len(ins.text)
            cache.append(tuple(offsets))
        return cache[0]

    def directive(self, name: str) -> Directive | None:
        for d in self.directives:
            if d.name == name:
                return d
        return None

    def line_index(self) -> LineIndex:
        from dockerast.cst.positions import LineIndex  # noqa: PLC0415

        return LineIndex(str(self))

    @property
    def errors(self) -> tuple[SyntaxIssue, ...]:
        """Every syntax error, in source order, with line and column."""
        cache = self._errors
        if not cache:
            from dockerast.cst.parser import collect_errors  # noqa: PLC0415

            cache.append(collect_errors(self))
        return cache[0]


class _DockerfileSlots:
    """An object laid out as a :class:`Dockerfile`, for :func:`new_dockerfile`
    (see :class:`_InstructionSlots`)."""

    __slots__ = ("bom", "directives", "instructions", "trailing", "escape", "split_problems", "_offsets", "_errors")


def new_dockerfile(
    bom: str,
    directives: tuple[Directive, ...],
    instructions: tuple[Instruction, ...],
    trailing: str,
    escape: str,
    split_problems: tuple[tuple[int, int, str], ...],
) -> Dockerfile:
    """``Dockerfile(bom, directives, instructions, trailing, escape, split_problems)``."""
    tree = _new(_DockerfileSlots)
    # (one per file: a loop costs nothing that shows here)
    for name, value in zip(_DockerfileSlots.__slots__, (bom, directives, instructions, trailing, escape, split_problems, [], [])):
        setattr(tree, name, value)  # the last two: the caches of offsets and errors
    tree.__class__ = Dockerfile
    return tree
