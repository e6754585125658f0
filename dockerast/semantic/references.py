"""Where an instruction names another stage: ``FROM``, ``COPY --from``, ``RUN --mount=from=``.

Each kind is resolved the way BuildKit resolves it, and they differ:

* ``FROM <base>``: the base name after expanding the global scope is looked
  up among the names of the stages *before* this one, exactly: stage names
  are lower-cased by BuildKit but the base name is not, so ``FROM Builder``
  does not name the stage ``AS builder`` (convert.go, ``dispatchStates.addState``);
* ``COPY --from=<ref>``: no variable may appear in it; a number (Go's
  ``strconv.Atoi``: optional sign, ASCII digits) is a stage index, anything
  else is looked up case-insensitively among all stage names, the last stage
  of a name winning (convert.go, ``toCommand`` / ``findStateByName``);
* ``RUN --mount=...,from=<ref>``: the mount is read as one CSV record and the
  ``from`` key (any case) is looked up case-insensitively by name only, so
  ``from=0`` names an image called ``0``; a ``$`` anywhere but at the end is
  refused (instructions/commands_runmount.go, ``parseMount``;
  convert_runmount.go, ``detectRunMount``).

A reference that names no stage names an image (or a named build context).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from dockerast.cst.nodes import Flag, Instruction, Span

__all__ = ["MountField", "StageReference", "mount_fields", "stage_index_of"]

_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MAX = 2**63 - 1


class StageReference(NamedTuple):
    """One place where an instruction names a stage or an image.

    * ``kind``: ``"from"``, ``"copy-from"`` or ``"mount-from"``;
    * ``instruction_index``: the instruction in ``tree.instructions`` (for a
      reference inside an ``ONBUILD`` trigger, the ONBUILD instruction);
    * ``text``: the reference as BuildKit reads it (the FROM base name as
      written; the flag or mount value with its quotes removed), and ``span``
      where it stands, relative to the instruction;
    * ``name``: what BuildKit looks up: the expanded base name for FROM (None
      when it cannot be expanded), ``text`` otherwise;
    * ``stage``: the index of the stage referenced, or None for an image;
    * ``owner``: the stage whose instruction this is;
    * ``onbuild``: True inside an ``ONBUILD`` trigger; such a reference is a
      dependency of the stages built FROM ``owner``, not of ``owner``.
    """

    kind: str
    instruction_index: int
    text: str
    span: Span
    name: str | None
    stage: int | None
    owner: int
    onbuild: bool = False


@dataclass(frozen=True, slots=True)
class MountField:
    """One field of a ``--mount`` value: ``key`` lower-cased as BuildKit reads it,
    ``value`` None for a bare key (``ro``); ``start``/``end`` are offsets of the
    value (of the field when it has none) in the mount string."""

    key: str
    value: str | None
    start: int
    end: int


def mount_fields(value: str) -> tuple[MountField, ...]:
    """Split a ``--mount`` value into fields as one CSV record (``csvvalue.Fields``).

    Raises ValueError where the CSV reader would (a bare ``"`` inside an
    unquoted field, an unterminated quoted field).
    """
    if value.endswith("\r\n"):
        value = value[:-2]
    elif value.endswith("\n"):
        value = value[:-1]
    if not value:
        return ()
    raw_fields: list[tuple[str, int, int, bool]] = []
    pos = 0
    size = len(value)
    while True:
        if pos >= size or value[pos] != '"':
            comma = value.find(",", pos)
            end = size if comma < 0 else comma
            text = value[pos:end]
            if '"' in text:
                raise ValueError(f'bare " in non-quoted field at {pos + text.index(chr(34))}')
            raw_fields.append((text, pos, end, False))
            if comma < 0:
                break
            pos = comma + 1
            continue
        start = pos
        pos += 1
        pieces = []
        while True:
            quote = value.find('"', pos)
            if quote < 0:
                raise ValueError(f'extraneous or missing " in quoted field at {start}')
            pieces.append(value[pos:quote])
            pos = quote + 1
            following = value[pos : pos + 1]
            if following == '"':
                pieces.append('"')
                pos += 1
                continue
            if following in (",", ""):
                break
            raise ValueError(f'extraneous or missing " in quoted field at {quote}')
        raw_fields.append(("".join(pieces), start, pos, True))
        if pos >= size:
            break
        pos += 1
    fields = []
    for text, start, end, quoted in raw_fields:
        key, eq, val = text.partition("=")
        if not eq:
            fields.append(MountField(key.lower(), None, start, end))
        elif quoted:
            fields.append(MountField(key.lower(), val, start, end))
        else:
            fields.append(MountField(key.lower(), val, start + len(key) + 1, end))
    return tuple(fields)


def stage_index_of(reference: str) -> int | None:
    """The number in ``COPY --from=<n>`` as Go's ``strconv.Atoi`` reads it, or None for a name."""
    if not _ATOI.match(reference):
        return None
    number = int(reference)
    if -_INT64_MAX - 1 <= number <= _INT64_MAX:
        return number
    return None  # Atoi fails on overflow, and BuildKit then treats it as a name


def flag_value_span(ins: Instruction, flag: Flag, start: int, end: int) -> Span:
    """The span of ``flag.value[start:end]`` in ``ins``, or of the whole value
    when quotes or escapes make the written value differ from ``flag.value``."""
    raw = flag.word.text
    eq = raw.find("=")
    whole = flag.value_span or flag.span
    if eq < 0 or raw[eq + 1 :] != flag.value:
        return whole
    base = flag.word.logical_start + eq + 1
    return ins.physical_span(base + start, base + end)
