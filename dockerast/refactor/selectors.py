"""Selectors: plain data naming instructions, with a string form the CLI and editors share.

Forms (the optional ``STAGE/`` prefix limits the search to one stage, named
or numbered from 0):

``line:N``
    the instruction on line N (1-based), continuation lines included;
``index:N``
    the Nth instruction of its stage, from 0 (the FROM);
``layer:N``
    the Nth instruction of the stage that adds a filesystem layer (RUN, COPY,
    ADD), from 1;
``arg:A,B`` / ``env:A,B``
    the ARG / ENV instructions that declare any of the names;
``KEYWORD:TEXT``
    instructions of that kind (``run``, ``copy``...) whose arguments contain
    TEXT; ``KEYWORD`` alone matches every instruction of that kind;
``stage:NAME``
    the FROM instruction of a stage.

Example: ``builder/run:go mod download``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockerast.cst.nodes import (
    INSTRUCTION_TYPES,
    AddInstruction,
    ArgInstruction,
    CopyInstruction,
    Dockerfile,
    EnvInstruction,
    RunInstruction,
)
from dockerast.refactor.result import RefactorError
from dockerast.semantic.model import SemanticModel, analyze

LAYER_TYPES = (RunInstruction, CopyInstruction, AddInstruction)
_KINDS = {"line", "index", "layer", "stage", *INSTRUCTION_TYPES}


class SelectorError(RefactorError):
    """A selector that is malformed, matches nothing, or is ambiguous where one is needed."""


@dataclass(frozen=True, slots=True)
class Selector:
    kind: str
    value: str = ""
    stage: str | None = None

    @classmethod
    def parse(cls, text: str) -> Selector:
        """Read the string form; raises :class:`SelectorError` naming what is wrong."""
        stage = None
        body = text.strip()
        head, sep, rest = body.partition(":")
        if "/" in head:
            stage, _, head = head.rpartition("/")
        kind = head.strip().lower()
        if kind not in _KINDS:
            raise SelectorError(
                f"selector {text!r}: unknown kind {head!r}; use line:N, index:N, layer:N, stage:NAME, "
                "arg:NAMES, env:NAMES or an instruction keyword such as run:TEXT"
            )
        value = rest.strip() if sep else ""
        if kind in ("line", "index", "layer") and not value.isdigit():
            raise SelectorError(f"selector {text!r}: {kind}: needs a number")
        if kind == "stage" and not value:
            raise SelectorError(f"selector {text!r}: stage: needs a name or a number")
        return cls(kind, value, stage.strip() if stage else None)

    def __str__(self) -> str:
        prefix = f"{self.stage}/" if self.stage else ""
        return f"{prefix}{self.kind}:{self.value}" if self.value else f"{prefix}{self.kind}"

    def resolve(self, tree: Dockerfile, model: SemanticModel | None = None) -> tuple[int, ...]:
        """Indices (in ``tree.instructions``) of the matching instructions, in order; never empty."""
        model = model or analyze(tree)
        stages = list(model.stages)
        if self.stage is not None:
            stages = [_find_stage(model, self.stage, str(self))]
        if self.kind == "stage":
            found = (_find_stage(model, self.value, str(self)).from_index,)
        else:
            found = tuple(i for stage in stages for i in self._in_stage(tree, stage.instruction_indices))
            if self.stage is None and self.kind == "line":
                found = self._in_stage(tree, range(len(tree.instructions)))
        if not found:
            raise SelectorError(f"selector {str(self)!r} matches no instruction")
        return found

    def resolve_one(self, tree: Dockerfile, model: SemanticModel | None = None) -> int:
        found = self.resolve(tree, model)
        if len(found) > 1:
            raise SelectorError(
                f"selector {str(self)!r} is ambiguous: it matches {len(found)} instructions; "
                "add a stage prefix (STAGE/...) or more text"
            )
        return found[0]

    def _in_stage(self, tree: Dockerfile, indices) -> tuple[int, ...]:
        instructions = tree.instructions
        kind, value = self.kind, self.value
        if kind == "line":
            line = int(value) - 1
            offsets = tree.instruction_offsets()
            text = str(tree)
            found = []
            for i in indices:
                first = text.count("\n", 0, offsets[i])
                last = first + instructions[i].text.rstrip("\n").count("\n")
                if first <= line <= last:
                    found.append(i)
            return tuple(found)
        indices = list(indices)
        if kind == "index":
            n = int(value)
            return (indices[n],) if n < len(indices) else ()
        if kind == "layer":
            layers = [i for i in indices if isinstance(instructions[i], LAYER_TYPES)]
            n = int(value)
            return (layers[n - 1],) if 1 <= n <= len(layers) else ()
        cls = INSTRUCTION_TYPES[kind]
        if cls in (ArgInstruction, EnvInstruction) and value:
            names = {n.strip() for n in value.split(",") if n.strip()}
            return tuple(
                i
                for i in indices
                if isinstance(instructions[i], cls) and names & {p.key for p in instructions[i].pairs}
            )
        return tuple(i for i in indices if type(instructions[i]) is cls and value in instructions[i].logical)


def _find_stage(model: SemanticModel, name: str, selector: str):
    if name.isdigit():
        index = int(name)
        if index < len(model.stages):
            return model.stages[index]
    else:
        stage = model.stage_by_name(name)
        if stage is not None:
            return stage
    names = ", ".join(s.name or str(s.index) for s in model.stages)
    raise SelectorError(f"selector {selector!r}: no stage {name!r} (stages: {names})")


def stage_index(model: SemanticModel, stage: str | int, operation: str) -> int:
    """The index of a stage given by name or number; a clear error naming the stages otherwise."""
    if isinstance(stage, int) or str(stage).isdigit():
        index = int(stage)
        if 0 <= index < len(model.stages):
            return index
    else:
        found = model.stage_by_name(str(stage))
        if found is not None:
            return found.index
    known = ", ".join(s.name or f"#{s.index}" for s in model.stages)
    raise RefactorError(f"{operation}: no stage {stage!r} (stages: {known})")


def as_selector(value: str | Selector) -> Selector:
    return value if isinstance(value, Selector) else Selector.parse(value)
