from __future__ import annotations

from dockerast.rules.base import CheckContext, Rule, Severity


class UnusedSuppression(Rule):
    """
    ## What it does
    Flags a ``# dockerast: ignore[...]`` pragma that suppresses no finding of
    the instruction below it.

    ## Why is this bad
    A stale suppression hides nothing today but will silently hide a real
    problem tomorrow, and it tells readers about a problem that is gone.

    ## Example
    ``# dockerast: ignore[StageNameCasing]`` above ``FROM alpine AS base``.

    ## Fix safety
    No fix: delete the comment by hand once you agree it is stale.
    """

    code = "DA900"
    name = "UnusedSuppression"
    summary = "A suppression pragma that suppresses nothing"
    severity = Severity.INFO
    bad_example = "# dockerast: ignore[StageNameCasing]\nFROM alpine AS base\n"
    good_example = "# dockerast: ignore[StageNameCasing] -- kept for the old CI\nFROM alpine AS Base\n"

    def check(self, ctx: CheckContext):
        # The engine reports unused pragmas itself: it alone knows what was suppressed.
        return ()
