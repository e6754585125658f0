from __future__ import annotations

from dataclasses import dataclass

from dockerast.cst.nodes import UnknownInstruction
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url
from dockerast.semantic.model import Stage


class ConsistentInstructionCasing(Rule):
    """
    ## What it does
    Flags instruction keywords whose case differs from the file's majority.

    The keywords of the build stages (every instruction from the first
    ``FROM`` on) are counted: all-lowercase ones and all-uppercase ones.
    Lowercase wins only when it has strictly more; otherwise uppercase is the
    majority.  Each keyword not written in the majority's case is reported,
    including mixed-case ones such as ``From`` or ``EntryPoint``.  As in
    BuildKit, ARGs before the first ``FROM`` and the instructions inside
    ``ONBUILD`` are neither counted nor checked.

    ## Why is this bad
    Keywords are case-insensitive, so the build does not change, but a file
    that mixes ``COPY`` and ``copy`` is harder to read and to search.

    ## Example
    ```dockerfile
    FROM alpine
    copy app /app
    RUN /app/setup
    ```
    ``copy`` becomes ``COPY``.

    ## Fix safety
    Safe: only the case of the keyword changes, which BuildKit ignores.
    """

    code = "BK004"
    name = "ConsistentInstructionCasing"
    summary = "All commands within the Dockerfile should use the same casing (either upper or lower)"
    url = rule_url("ConsistentInstructionCasing")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine\ncopy app /app\nRUN /app/setup\n"
    good_example = "FROM alpine\nCOPY app /app\nRUN /app/setup\n"
    fixed_example = "FROM alpine\nCOPY app /app\nRUN /app/setup\n"

    def check(self, ctx: CheckContext):
        stages = ctx.model.stages
        casings = [ctx.stage_fact("keyword-casing", stage.index, lambda s=stage: _casing(s)) for stage in stages]
        majority_lower = sum(c.lower for c in casings) > sum(c.upper for c in casings)
        casing = "lowercase" if majority_lower else "uppercase"
        for stage, counted in zip(stages, casings):
            for offset in counted.not_lower if majority_lower else counted.not_upper:
                index = stage.from_index + offset
                ins = ctx.tree.instructions[index]
                keyword = ins.keyword
                wanted = keyword.lower() if majority_lower else keyword.upper()
                fix = Fix(f"write '{wanted}'", (ctx.edit(index, ins.keyword_span, wanted),), FixSafety.SAFE)
                yield ctx.finding(
                    index,
                    ins.keyword_span,
                    f"Command '{keyword}' should match the case of the command majority ({casing})",
                    fix=fix,
                )


@dataclass(frozen=True, slots=True)
class _Casing:
    """The keywords of one stage: how many are all-lowercase and all-uppercase,
    and where (relative to its FROM) those that are not."""

    lower: int
    upper: int
    not_lower: tuple[int, ...]
    not_upper: tuple[int, ...]


def _casing(stage: Stage) -> _Casing:
    counted = 0
    not_lower: list[int] = []
    not_upper: list[int] = []
    for k, ins in enumerate(stage.instructions):
        if isinstance(ins, UnknownInstruction):
            continue
        counted += 1
        keyword = ins.syntax.keyword.text  # (``ins.keyword``, one call less for every instruction)
        if keyword != keyword.lower():
            not_lower.append(k)
        if keyword != keyword.upper():
            not_upper.append(k)
    return _Casing(counted - len(not_lower), counted - len(not_upper), tuple(not_lower), tuple(not_upper))
