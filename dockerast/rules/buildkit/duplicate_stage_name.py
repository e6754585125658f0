from __future__ import annotations

from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.cst.text import go_quote


class DuplicateStageName(Rule):
    """
    ## What it does
    Flags a stage whose name (compared in lowercase, as BuildKit compares
    stage names) was already given to an earlier stage.  Every repetition
    after the first is reported.

    ## Why is this bad
    ``--target``, ``COPY --from`` and ``RUN --mount=from=`` look a name up
    and take the *last* stage of that name, while ``FROM name`` takes the
    last one *before* it: the same name then means different stages in
    different places, which is rarely what was meant.

    ## Example
    ```dockerfile
    FROM alpine AS build
    RUN make
    FROM alpine AS build
    RUN make test
    ```
    Give the second stage its own name, e.g. ``AS test``.

    ## Fix safety
    No fix: which references should follow the new name is the author's
    decision.
    """

    code = "BK005"
    name = "DuplicateStageName"
    summary = "Stage names should be unique"
    url = rule_url("DuplicateStageName")
    buildkit = True
    bad_example = "FROM alpine AS build\nRUN echo one > /out\nFROM alpine AS build\nRUN echo two > /out\n"
    good_example = "FROM alpine AS build\nRUN echo one > /out\nFROM alpine AS test\nRUN echo two > /out\n"

    def check(self, ctx: CheckContext):
        seen: set[str] = set()
        for stage in ctx.model.stages:
            if stage.name is None:
                continue
            if stage.name in seen:
                yield ctx.finding(
                    stage.from_index,
                    stage.name_span,
                    f"Duplicate stage name {go_quote(stage.name)}, stage names should be unique",
                )
            seen.add(stage.name)
