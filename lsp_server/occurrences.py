"""Where names stand in a document: variables (ARG/ENV) and stages, each with what it binds to.

Everything here is read from the library (spans of nodes, variable
references found by its shell lexer, stage references resolved by the
semantic model); this module only groups them so that definition,
references, highlight and rename agree on what "the same name" means:

* a variable occurrence's ``key`` is the declaration it reads: an automatic
  platform ARG (``("auto", NAME)``), a meta ARG (``("global", NAME)``), a
  stage's ARG/ENV (``("stage", STAGE, NAME)``, inherited by stages built
  FROM it), or nothing declared (``("free", STAGE, NAME)``).  ``ARG NAME``
  without a default inside a stage imports the global one, so it shares the
  global key;
* a stage occurrence's ``key`` is ``("stage", INDEX)``: its ``AS`` name and
  every FROM / ``--from`` / ``--mount from=`` that resolves to it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from dockerast.cst.nodes import (
    ArgInstruction,
    EnvInstruction,
    FromInstruction,
    Instruction,
    OnbuildInstruction,
    Span,
)
from dockerast.semantic.shell import find_variable_references

from lsp_server.documents import Snapshot


@dataclass(frozen=True, slots=True)
class Occurrence:
    kind: str  # "variable" or "stage"
    name: str
    start: int  # absolute offsets of the name
    end: int
    index: int  # the instruction
    declaration: bool
    key: tuple
    ref_start: int = -1  # absolute span of the whole ``$NAME`` / ``${NAME...}`` (variables used)
    ref_end: int = -1


@dataclass(frozen=True, slots=True)
class VariableRef:
    """A ``$NAME`` in an instruction, relative to it: the name's span and the whole reference's."""

    name: str
    name_span: Span
    span: Span


_REF_CACHE: OrderedDict = OrderedDict()
_REF_CACHE_SIZE = 20000


def variable_refs(ins: Instruction) -> tuple[VariableRef, ...]:
    """The variable references of an instruction's line and expanding heredoc bodies (cached by its text)."""
    key = (type(ins).__name__, ins.text, ins.segments, ins.body_start, ins.escape)
    found = _REF_CACHE.get(key)
    if found is not None:
        _REF_CACHE.move_to_end(key)
        return found
    refs = []
    for ref in find_variable_references(ins.logical, ins.escape):
        if ref.is_special:
            continue
        name_span = ins.physical_span(ref.name_start, ref.name_end)
        span = ins.physical_span(ref.start, ref.end)
        refs.append(VariableRef(ref.name, name_span, span))
    for heredoc in getattr(ins, "heredocs", ()) or ():
        if not heredoc.expand:
            continue
        base = heredoc.body_span.start
        for ref in find_variable_references(heredoc.content, ins.escape):
            if ref.is_special:
                continue
            refs.append(
                VariableRef(ref.name, Span(base + ref.name_start, base + ref.name_end), Span(base + ref.start, base + ref.end))
            )
    found = tuple(refs)
    _REF_CACHE[key] = found
    if len(_REF_CACHE) > _REF_CACHE_SIZE:
        _REF_CACHE.popitem(last=False)
    return found


def _inside(span: Span | None, inner: Span) -> bool:
    return span is not None and span.start <= inner.start and inner.end <= span.end


def _variables(snapshot: Snapshot) -> list[Occurrence]:
    model = snapshot.model
    tree = snapshot.tree
    offsets = snapshot.offsets
    out: list[Occurrence] = []
    if model is None:
        return out
    globals_: dict[str, tuple] = {name: ("auto", name) for name in model.platform_args}
    final_env: dict[int, dict[str, tuple]] = {}
    env: dict[str, tuple] = {}
    stage = None
    for i, ins in enumerate(tree.instructions):
        base = offsets[i]
        if isinstance(ins, FromInstruction):
            if stage is not None:
                final_env[stage.index] = env
            stage = model.stage_of(i)
            env = dict(final_env.get(stage.base_stage, {})) if stage is not None and stage.base_stage is not None else {}
            for ref in variable_refs(ins):
                key = globals_.get(ref.name, ("free", -1, ref.name))
                out.append(_use(ref, base, i, key))
            continue
        refs = variable_refs(ins)
        if isinstance(ins, OnbuildInstruction):
            for ref in refs:  # read by a later build, with that build's variables
                out.append(_use(ref, base, i, ("onbuild", i, ref.name)))
            continue
        in_stage = stage is not None
        scope = env if in_stage else globals_
        stage_number = stage.index if stage is not None else -1
        if isinstance(ins, (ArgInstruction, EnvInstruction)):
            pairs = ins.pairs
            used = set()
            for pair in pairs:
                for n, ref in enumerate(refs):
                    if n not in used and _inside(pair.value_span, ref.span):
                        used.add(n)
                        out.append(_use(ref, base, i, scope.get(ref.name, ("free", stage_number, ref.name))))
                name = pair.key
                if not in_stage:
                    key = globals_[name] = ("global", name)
                elif name in env:
                    key = env[name]
                elif isinstance(ins, ArgInstruction) and pair.value is None and name in globals_:
                    key = env[name] = globals_[name]
                else:
                    key = env[name] = ("stage", stage_number, name)
                out.append(
                    Occurrence("variable", name, base + pair.key_span.start, base + pair.key_span.end, i, True, key)
                )
            for n, ref in enumerate(refs):
                if n not in used:
                    out.append(_use(ref, base, i, scope.get(ref.name, ("free", stage_number, ref.name))))
            continue
        for ref in refs:
            out.append(_use(ref, base, i, scope.get(ref.name, ("free", stage_number, ref.name))))
    out.sort(key=lambda o: o.start)
    return out


def _use(ref: VariableRef, base: int, index: int, key: tuple) -> Occurrence:
    return Occurrence(
        "variable",
        ref.name,
        base + ref.name_span.start,
        base + ref.name_span.end,
        index,
        False,
        key,
        base + ref.span.start,
        base + ref.span.end,
    )


def _stages(snapshot: Snapshot) -> list[Occurrence]:
    model = snapshot.model
    out: list[Occurrence] = []
    if model is None:
        return out
    offsets = snapshot.offsets
    for stage in model.stages:
        if stage.name is not None and stage.name_span is not None:
            at = offsets[stage.from_index]
            ins = snapshot.instruction(stage.from_index)
            written = ins.stage_name or stage.name
            out.append(
                Occurrence("stage", written, at + stage.name_span.start, at + stage.name_span.end, stage.from_index, True, ("stage", stage.index))
            )
    for ref in model.stage_references:
        if ref.stage is None:
            continue
        at = offsets[ref.instruction_index]
        out.append(Occurrence("stage", ref.text, at + ref.span.start, at + ref.span.end, ref.instruction_index, False, ("stage", ref.stage)))
    out.sort(key=lambda o: o.start)
    return out


def occurrences(snapshot: Snapshot) -> list[Occurrence]:
    """Every variable and stage occurrence of the document, in order."""
    return snapshot.memo("occurrences", lambda: sorted(_variables(snapshot) + _stages(snapshot), key=lambda o: o.start))


def occurrence_at(snapshot: Snapshot, offset: int) -> Occurrence | None:
    """The occurrence whose name holds ``offset`` (its end included); a use's ``$`` counts too."""
    best = None
    for occ in occurrences(snapshot):
        lo = occ.ref_start if occ.ref_start >= 0 else occ.start
        hi = max(occ.end, occ.ref_end) if occ.ref_end >= 0 else occ.end
        if lo <= offset <= hi:
            if best is None or (occ.end - occ.start) < (best.end - best.start):
                best = occ
        elif lo > offset:
            break
    return best


def same_key(snapshot: Snapshot, key: tuple) -> list[Occurrence]:
    return [o for o in occurrences(snapshot) if o.key == key]
