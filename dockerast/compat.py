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
flag such as ``--chown=José`` reaches it as ``--chown=JosÃ©``; the flags
here reproduce that, while our tree's ``Flag`` keeps the text as written.

One difference is BuildKit's own: until mid-2024 (so in v0.12) BuildKit read
exec form with a streaming JSON decoder that ignored anything after the
array, so ``CMD ["a"] # note`` was exec form; since then it is shell form.
Our tree follows current BuildKit; this module reproduces v0.12.

:func:`dump` renders a tree in the format of BuildKit's ``Node.Dump()``, the
format of BuildKit's own parser test expectations.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

from dockerast.cst.exec_form import NOT_STRING_ARRAY
from dockerast.cst.nodes import (
    AddInstruction,
    CmdInstruction,
    CopyInstruction,
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
from dockerast.cst.text import go_quote


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
    errors = tree.errors
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


def _command(ins: Instruction, start_line: int, end_line: int) -> Command:
    target = ins
    sub_cmd = None
    if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
        target = ins.trigger
        sub_cmd = target.keyword
    syntax = target.syntax
    values = node_values(target, with_separators=False)
    is_json = syntax.exec_form is not None
    legacy = _legacy_exec_form(target)
    if legacy is not None:
        values, is_json = legacy, True
    original = ins.logical
    heredocs: tuple[Heredoc, ...] = ()
    if target is ins and syntax.heredocs:
        original += "\n" + "".join(h.content + h.name + "\n" for h in syntax.heredocs)
        heredocs = tuple(Heredoc(h.name, h.file_descriptor, h.content) for h in syntax.heredocs)
    return Command(
        cmd=ins.keyword or None,  # the wrapper turns empty strings into None
        sub_cmd=sub_cmd or None,
        json=is_json,
        original=original or None,
        start_line=start_line,
        end_line=end_line,
        flags=tuple(_bytes_as_runes(f.unquoted) for f in ins.flags),
        value=tuple(values),
        heredocs=heredocs,
    )


def _bytes_as_runes(flag: str) -> str:
    """BuildKit reads flags byte by byte as runes: a non-ASCII flag comes back as Latin-1 mojibake."""
    return flag.encode("utf-8", "surrogateescape").decode("latin-1") if not flag.isascii() else flag


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
