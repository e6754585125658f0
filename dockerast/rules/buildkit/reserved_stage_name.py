from __future__ import annotations

from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.cst.text import go_quote

# dockerfile2llb/validations.go, ``reservedStageNames``.
RESERVED_STAGE_NAMES = frozenset({"context", "scratch"})


class ReservedStageName(Rule):
    """
    ## What it does
    Flags a stage named ``scratch`` or ``context`` (in any case).

    ## Why is this bad
    Both words already mean something to BuildKit: ``scratch`` is the empty
    image and ``context`` the build context.  A stage with one of these
    names makes ``FROM scratch`` or ``COPY --from=context`` ambiguous to
    readers, and to tools that do not resolve them exactly as BuildKit does.

    ## Example
    ``FROM alpine AS scratch`` should become, e.g., ``FROM alpine AS base``.

    ## Fix safety
    No fix: the new name is the author's choice.
    """

    code = "BK006"
    name = "ReservedStageName"
    summary = "Reserved words should not be used as stage names"
    url = rule_url("ReservedStageName")
    buildkit = True
    bad_example = "FROM alpine AS scratch\nRUN echo hello > /greeting\n"
    good_example = "FROM alpine AS base\nRUN echo hello > /greeting\n"

    def check(self, ctx: CheckContext):
        for stage in ctx.model.stages:
            if stage.name in RESERVED_STAGE_NAMES:
                yield ctx.finding(
                    stage.from_index,
                    stage.name_span,
                    f"Stage name should not use the same name as reserved stage {go_quote(stage.name)}",
                )
