from __future__ import annotations

from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url


class StageNameCasing(Rule):
    """
    ## What it does
    Flags stage names (``FROM image AS Name``) that are not all lowercase.

    ## Why is this bad
    Lowercase stage names tell identifiers apart from instruction keywords,
    and BuildKit compares stage names in lowercase anyway.

    ## Example
    ``FROM alpine AS BuilderBase`` becomes ``FROM alpine AS builderbase``.

    ## Fix safety
    Safe: the stage is renamed everywhere it is referenced (``rename_stage``).
    """

    code = "BK001"
    scope = "stage"
    name = "StageNameCasing"
    summary = "Stage names should be lowercase"
    url = rule_url("StageNameCasing")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine AS BuilderBase\nFROM scratch\nCOPY --from=BuilderBase /app /app\n"
    good_example = "FROM alpine AS builder-base\n"
    fixed_example = "FROM alpine AS builderbase\nFROM scratch\nCOPY --from=builderbase /app /app\n"

    def check(self, ctx: CheckContext):
        for stage in ctx.stages():
            ins = ctx.tree.instructions[stage.from_index]
            written = ins.stage_name
            if written is None or written == written.lower():
                continue
            yield ctx.finding(
                stage.from_index,
                ins.stage_name_span,
                f"Stage name '{written}' should be lowercase",
                fix=lambda written=written: _rename_fix(ctx, written),
            )


def _rename_fix(ctx: CheckContext, written: str) -> Fix | None:
    from dockerast.refactor import RefactorError, rename_stage  # noqa: PLC0415

    try:
        result = rename_stage(ctx.tree, written, written.lower())
    except RefactorError:
        return None
    return Fix(f"rename the stage to '{written.lower()}'", result.edits, FixSafety.SAFE)
