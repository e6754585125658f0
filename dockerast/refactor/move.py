"""Move instructions, with the comments that belong to them, within their stage.

An instruction owns the comment and blank lines above it, so a move is list
surgery on ``tree.instructions``.  One adjustment keeps blank-line structure
natural: when the moved block was set off by a blank line and the
instruction that closes the gap was not, that instruction takes the blank
line, so that the gap does not glue two paragraphs together.
"""

from __future__ import annotations

import dataclasses

from dockerast.cst.nodes import ArgInstruction, Dockerfile, EnvInstruction, FromInstruction, Instruction
from dockerast.refactor.references import referenced_names
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.refactor.safety import check_same_meaning
from dockerast.refactor.selectors import Selector, as_selector
from dockerast.semantic.model import analyze

OPERATION = "move_instructions"


def move_instructions(
    tree: Dockerfile,
    select: str | Selector,
    *,
    after: str | Selector | None = None,
    before: str | Selector | None = None,
) -> RefactorResult:
    """Move the instructions ``select`` matches to just after (or before) one anchor instruction.

    Refuses, saying why, to move instructions out of their stage, an ARG or
    ENV below an instruction that reads it, or an instruction above the ARG or
    ENV it reads.
    """
    require_valid(tree, OPERATION)
    if (after is None) == (before is None):
        raise RefactorError(f"{OPERATION}: give exactly one of after= or before=")
    selected = as_selector(select)
    anchor_selector = as_selector(after if after is not None else before)
    model = analyze(tree)
    moved = selected.resolve(tree, model)
    anchor = anchor_selector.resolve_one(tree, model)
    if anchor in moved:
        raise RefactorError(f"{OPERATION}: the anchor {str(anchor_selector)!r} is one of the instructions to move")
    stage = model.stage_of(anchor)
    outside = [i for i in moved if model.stage_of(i) != stage]
    if outside or stage is None:
        raise RefactorError(f"{OPERATION}: instructions can only move within their stage; {str(selected)!r} is not in the anchor's stage")
    if any(i == stage.from_index for i in moved):
        raise RefactorError(f"{OPERATION}: a stage's FROM cannot move")
    if before is not None and anchor == stage.from_index:
        raise RefactorError(f"{OPERATION}: nothing can move above the stage's FROM")
    new_order = planned_order(len(tree.instructions), moved, anchor, after=after is not None)
    _refuse_broken_dependencies(tree, new_order, moved)
    description = f"moved {len(moved)} instruction(s) {str(selected)!r} {'after' if after is not None else 'before'} {str(anchor_selector)!r}"
    # Running again means moving the same instructions, wherever they now
    # stand, next to the same anchor: selectors like index:N would name others.
    moved_now = tuple(new_order.index(i) for i in moved)
    anchor_now = new_order.index(anchor)

    def again(t: Dockerfile) -> str:
        return str(reorder(t, planned_order(len(t.instructions), moved_now, anchor_now, after=after is not None)))

    return finish(
        tree,
        str(reorder(tree, new_order)),
        description,
        operation=OPERATION,
        again=again,
        check_meaning=lambda old, new: check_same_meaning(
            old, new, moved_args=_declared(tree, moved), moved=frozenset(moved)
        ),
    )


def planned_order(count: int, moved: tuple[int, ...], anchor: int, *, after: bool) -> list[int]:
    """The new order of instruction indices; unchanged when the block is already in place."""
    rest = [i for i in range(count) if i not in moved]
    at = rest.index(anchor) + (1 if after else 0)
    return rest[:at] + list(moved) + rest[at:]


def reorder(tree: Dockerfile, order: list[int]) -> Dockerfile:
    """``tree`` with its instructions in ``order``, blank lines kept natural."""
    if order == list(range(len(tree.instructions))):
        return tree
    old = tree.instructions
    new = [old[i] for i in order]
    placed: set[int] = set()
    for pos, index in enumerate(order):
        previous = order[pos - 1] if pos else -1
        # ``index`` closes a gap when what stood just above it has moved away:
        # if that block opened with a blank line and ``index`` does not, it
        # takes the blank line.
        if 0 <= previous < index - 1 and (previous + 1) not in placed:
            opener = old[previous + 1]
            if _opens_with_blank(opener) and not _opens_with_blank(new[pos]):
                blank = opener.leading[: opener.leading.index("\n") + 1]
                new[pos] = dataclasses.replace(new[pos], leading=blank + new[pos].leading)
        placed.add(index)
    return tree.with_changes(instructions=tuple(new))


def _opens_with_blank(ins: Instruction) -> bool:
    first_line = ins.leading.split("\n", 1)[0]
    return "\n" in ins.leading and not first_line.strip(" \t\r")


def _declared(tree: Dockerfile, indices) -> frozenset[str]:
    names: set[str] = set()
    for i in indices:
        ins = tree.instructions[i]
        if isinstance(ins, (ArgInstruction, EnvInstruction)):
            names.update(p.key for p in ins.pairs)
    return frozenset(names)


def _refuse_broken_dependencies(tree: Dockerfile, order: list[int], moved: tuple[int, ...]) -> None:
    """An ARG/ENV must stay above every instruction that reads it, in both directions of a move."""
    position = {index: pos for pos, index in enumerate(order)}
    instructions = tree.instructions
    moved_set = set(moved)
    for i, ins in enumerate(instructions):
        if not isinstance(ins, (ArgInstruction, EnvInstruction)):
            continue
        names = {p.key for p in ins.pairs}
        for j in range(i + 1, len(instructions)):
            if isinstance(instructions[j], FromInstruction):
                break  # declarations end with their stage
            if i not in moved_set and j not in moved_set:
                continue
            used = names & referenced_names(instructions[j])
            if used and position[j] < position[i]:
                reader = instructions[j].logical.strip()[:60]
                raise RefactorError(
                    f"{OPERATION}: {', '.join(sorted(used))} would be declared after {reader!r}, which reads it; nothing was changed"
                )
