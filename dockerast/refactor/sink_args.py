"""Move ARG declarations down to just before their first use, for better layer caching.

An ARG's value becomes part of the cache key of every RUN below it.  Declared
at the top of a stage, ``ARG TARGETARCH`` makes each target platform rebuild
the dependency download that never reads it; declared just before the build
step, everything above is shared.  ARGs that are declared together and first
used by the same instruction move together, in their order, with their
comments.
"""

from __future__ import annotations

from dockerast.cst.nodes import ArgInstruction, Dockerfile
from dockerast.refactor.move import reorder
from dockerast.refactor.references import referenced_names
from dockerast.refactor.result import RefactorResult, finish, require_valid
from dockerast.refactor.safety import check_same_meaning
from dockerast.refactor.selectors import stage_index
from dockerast.semantic.model import SemanticModel, analyze

OPERATION = "sink_args"


def sink_args(tree: Dockerfile, names: list[str] | None = None, stage: str | int | None = None) -> RefactorResult:
    """Move each ARG (of ``names``, in ``stage``, or all) to just before its first use."""
    require_valid(tree, OPERATION)
    model = analyze(tree)
    if stage is not None:
        stage = stage_index(model, stage, OPERATION)
    wanted = frozenset(names) if names else None
    order, moved = _plan(tree, model, wanted, stage)
    new_text = str(reorder(tree, order))
    movable = _plan_targets(tree, model, wanted, stage)
    declared = frozenset(p.key for i in movable for p in tree.instructions[i].pairs)
    description = f"moved {len(moved)} ARG instruction(s) to their first use" if moved else "every ARG is at its first use"
    return finish(
        tree,
        new_text,
        description,
        operation=OPERATION,
        again=lambda t: str(reorder(t, _plan(t, analyze(t), wanted, stage)[0])),
        check_meaning=lambda old, new: check_same_meaning(old, new, moved_args=declared, moved=frozenset(movable)),
    )


def _plan(
    tree: Dockerfile, model: SemanticModel, wanted: frozenset[str] | None, stage_filter: int | None
) -> tuple[list[int], list[int]]:
    """The new instruction order, and the ARG instructions it moves."""
    target_of = _plan_targets(tree, model, wanted, stage_filter)
    order = [i for i in range(len(tree.instructions)) if i not in target_of]
    moved = []
    # Latest use first: an ARG whose first use is another moving ARG follows it.
    for use in sorted(set(target_of.values()), reverse=True):
        group = [i for i in sorted(target_of) if target_of[i] == use]
        at = order.index(use)
        order[at:at] = group
        if group != list(range(use - len(group), use)):
            moved.extend(group)
    return order, moved


def _plan_targets(
    tree: Dockerfile, model: SemanticModel, wanted: frozenset[str] | None, stage_filter: int | None
) -> dict[int, int]:
    """Each ARG instruction that has a first use, and that use's index."""
    instructions = tree.instructions
    target_of: dict[int, int] = {}
    stages = [model.stages[stage_filter]] if stage_filter is not None else list(model.stages)
    for stage in stages:
        body = list(stage.instruction_indices[1:])
        for pos, i in enumerate(body):
            ins = instructions[i]
            if not isinstance(ins, ArgInstruction) or not ins.pairs:
                continue
            declared = {p.key for p in ins.pairs}
            if wanted is not None and not declared <= wanted:
                continue
            first_use = next((j for j in body[pos + 1 :] if declared & referenced_names(instructions[j])), None)
            if first_use is None:
                continue
            target_of[i] = first_use
    return target_of
