"""Run builder stages natively: ``FROM --platform=$BUILDPLATFORM``.

In a multi-platform build every stage runs on the target platform by
default, under emulation when it differs from the build machine's.  A stage
that only cross-compiles for the target (Go with ``GOOS``/``GOARCH``, cargo
``--target``, tonistiigi/xx's ``xx-*`` helpers) and hands its output to the
final image through ``COPY --from`` can run on the build platform instead,
often ten times faster, with the same result.

Pinning a stage that does *not* cross-compile would silently ship binaries
for the build machine's architecture, so such a stage is refused unless the
caller says its outputs do not depend on the platform.
"""

from __future__ import annotations

import re
from typing import Callable

from dockerast.cst.nodes import Dockerfile, FromInstruction
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.references import TARGET_ARGS, referenced_names
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.refactor.safety import check_same_meaning
from dockerast.refactor.selectors import stage_index
from dockerast.semantic.model import SemanticModel, analyze

OPERATION = "pin_build_platform"
PLATFORM_FLAG = "--platform=$BUILDPLATFORM"

# tonistiigi/xx's helpers read the target platform from the environment.
# A bare ``GOOS=linux`` or ``--target x86_64-...`` is not evidence: it builds
# for one fixed platform, or for the machine it runs on.
_CROSS_COMPILERS = re.compile(r"\bxx-[a-z]")


def cross_compile_evidence(tree: Dockerfile, model: SemanticModel, stage_index: int) -> str | None:
    """Why a stage looks like it builds for the target platform, or None."""
    step = cross_compile_step(tree, model, stage_index)
    if step is None:
        return None
    index, sign = step
    return f"line {_line(tree, index)} {sign}"


def cross_compile_step(
    tree: Dockerfile,
    model: SemanticModel,
    stage_index: int,
    target_names: Callable[[int], frozenset[str]] | None = None,
) -> tuple[int, str] | None:
    """The first instruction of a stage that builds for the target platform, and
    what shows it (see :func:`cross_compile_evidence`), or None.

    ``target_names(index)`` gives the TARGET* names instruction ``index``
    references, for a caller that already knows them (default: read here)."""
    instructions = tree.instructions
    for i in model.stages[stage_index].instruction_indices[1:]:
        ins = instructions[i]
        used = target_names(i) if target_names is not None else referenced_names(ins) & TARGET_ARGS
        if used:
            return i, f"uses {', '.join(sorted(used))}"
        match = _CROSS_COMPILERS.search(ins.logical) if "xx-" in ins.logical else None
        if match:
            return i, f"cross-compiles ({match.group().strip()})"
    return None


def builder_stages(
    tree: Dockerfile,
    model: SemanticModel | None = None,
    cross_compiles: Callable[[int], bool] | None = None,
) -> tuple[int, ...]:
    """Stages that feed other stages only by COPY --from / RUN --mount and cross-compile.

    ``cross_compiles(stage)`` may answer from what a caller already knows; by
    default :func:`cross_compile_step` reads the stage."""
    model = model or analyze(tree)
    if cross_compiles is None:
        cross_compiles = lambda index: cross_compile_step(tree, model, index) is not None  # noqa: E731
    final = len(model.stages) - 1
    copied = {r.stage for r in model.stage_references if r.kind != "from" and r.stage is not None}
    based_on = {r.stage for r in model.stage_references if r.kind == "from" and r.stage is not None}
    found = []
    for stage in model.stages:
        if stage.index == final or stage.index not in copied or stage.index in based_on:
            continue
        if stage.base_stage is not None:
            continue  # it runs on its base stage's platform, whatever its own flag says
        if stage.platform is not None:
            continue
        if cross_compiles(stage.index):
            found.append(stage.index)
    return tuple(found)


def pin_build_platform(
    tree: Dockerfile,
    stages: list[str | int] | None = None,
    *,
    platform_independent: bool = False,
) -> RefactorResult:
    """Add ``--platform=$BUILDPLATFORM`` to builder stages (found, or named in ``stages``).

    Stages that already carry ``--platform`` are left alone.  A named stage
    with no sign of cross-compiling is refused unless ``platform_independent``
    says its outputs (sources, assets) are the same for every platform.
    """
    require_valid(tree, OPERATION)
    model = analyze(tree)
    if stages is None:
        chosen = builder_stages(tree, model)
    else:
        chosen = tuple(stage_index(model, s, OPERATION) for s in stages)
        for index in chosen:
            stage = model.stages[index]
            if index == len(model.stages) - 1:
                raise RefactorError(
                    f"{OPERATION}: stage {_stage_label(stage)} is the final image; pinning it would ship the build machine's platform"
                )
            if stage.base_stage is not None:
                raise RefactorError(
                    f"{OPERATION}: stage {_stage_label(stage)} is built FROM another stage and runs on that stage's "
                    "platform; pin the stage it is built on instead"
                )
            if stage.platform is None and not platform_independent and cross_compile_step(tree, model, index) is None:
                raise RefactorError(
                    f"{OPERATION}: stage {_stage_label(stage)} shows no sign of cross-compiling (no TARGETOS/TARGETARCH, "
                    "GOOS/GOARCH, cargo --target or xx- helper); on $BUILDPLATFORM it would build for the build "
                    "machine, not the target. Pass platform_independent=True if its outputs do not depend on the platform."
                )
    edits = _pin_edits(tree, model, chosen)
    names = [_stage_label(model.stages[i]) for i in chosen if model.stages[i].platform is None]
    description = f"pinned {', '.join(names)} to $BUILDPLATFORM" if names else "no builder stage to pin"
    return finish(
        tree,
        apply_edits(str(tree), edits),
        description,
        operation=OPERATION,
        again=lambda t: apply_edits(str(t), _pin_edits(t, analyze(t), chosen)),
        check_meaning=lambda old, new: check_same_meaning(old, new, platform_of_stages=frozenset(chosen)),
        edits=edits,
    )


def _pin_edits(tree: Dockerfile, model: SemanticModel, chosen: tuple[int, ...]) -> list[TextEdit]:
    offsets = tree.instruction_offsets()
    edits = []
    for index in chosen:
        stage = model.stages[index]
        if stage.platform is not None:
            continue
        ins = tree.instructions[stage.from_index]
        assert isinstance(ins, FromInstruction)
        first = ins.flags[0].span if ins.flags else ins.image_span
        at = offsets[stage.from_index] + first.start
        edits.append(TextEdit(at, at, PLATFORM_FLAG + " "))
    return edits


def _stage_label(stage) -> str:
    return repr(stage.name) if stage.name else f"#{stage.index}"


def _line(tree: Dockerfile, index: int) -> int:
    offset = tree.instruction_offsets()[index]
    return str(tree).count("\n", 0, offset) + 1
