"""Rename a stage everywhere BuildKit would resolve the name to it.

The stage's own ``AS`` name, ``FROM <stage>``, ``COPY``/``ADD --from=`` and
``RUN --mount=...,from=`` that resolve to that stage change; an image that
happens to have the same name, a path, or a reference that resolves to
another stage of the same name does not.  References by index
(``--from=0``) stay as they are: they still point at the same stage.
"""

from __future__ import annotations

import re

from dockerast.cst.nodes import Dockerfile
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.semantic.model import analyze

OPERATION = "rename_stage"
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*\Z", re.I)


def rename_stage(tree: Dockerfile, old: str, new: str) -> RefactorResult:
    """Rename stage ``old`` to ``new`` in its ``AS`` and in every reference that resolves to it."""
    require_valid(tree, OPERATION)
    if not _STAGE_NAME.match(new):
        raise RefactorError(f"{OPERATION}: {new!r} is not a valid stage name (a letter, then letters, digits, '-', '_' or '.')")
    model = analyze(tree)
    stage = model.stage_by_name(old)
    if stage is None:
        known = ", ".join(s.name for s in model.stages if s.name) or "none"
        raise RefactorError(f"{OPERATION}: no stage named {old!r} (named stages: {known})")
    clash = model.stage_by_name(new)
    if clash is not None and clash.index != stage.index:
        raise RefactorError(f"{OPERATION}: a stage named {new!r} already exists (stage #{clash.index})")
    edits = _rename_edits(tree, stage.index, new)
    return finish(
        tree,
        apply_edits(str(tree), edits),
        f"renamed stage {old!r} to {new!r}",
        operation=OPERATION,
        again=lambda t: apply_edits(str(t), _rename_edits(t, stage.index, new)),
        check_meaning=_same_references,
        edits=edits,
    )


def _same_references(before: Dockerfile, after: Dockerfile) -> None:
    """Every reference must resolve to the same stage (or image) as before."""
    def resolved(tree: Dockerfile):
        return [(r.kind, r.instruction_index, r.stage) for r in analyze(tree).stage_references]

    if resolved(before) != resolved(after):
        raise RefactorError(f"{OPERATION}: a reference would resolve differently after the rename; nothing was changed")


def _rename_edits(tree: Dockerfile, stage_index: int, new: str) -> list[TextEdit]:
    model = analyze(tree)
    offsets = tree.instruction_offsets()
    stage = model.stages[stage_index]
    edits = []
    if stage.name_span is not None:
        at = offsets[stage.from_index]
        edits.append(TextEdit(at + stage.name_span.start, at + stage.name_span.end, new))
    for ref in model.stage_references:
        if ref.stage != stage_index or ref.text.lstrip("+-").isdigit():
            continue
        if "$" in ref.text:
            raise RefactorError(
                f"{OPERATION}: {ref.text!r} names the stage through a variable; renaming it would "
                "change what the variable must hold, so rename by hand"
            )
        at = offsets[ref.instruction_index]
        edits.append(TextEdit(at + ref.span.start, at + ref.span.end, new))
    return sorted(set(edits))
