from __future__ import annotations

from dockerast.cst.nodes import MaintainerInstruction
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url


class MaintainerDeprecated(Rule):
    """
    ## What it does
    Flags every ``MAINTAINER`` instruction.

    ## Why is this bad
    ``MAINTAINER`` is deprecated.  It fills the image's legacy ``Author``
    field, which current tools do not show; the OCI label
    ``org.opencontainers.image.authors`` is where they look for an image's
    authors.

    ## Example
    ``MAINTAINER Jane <jane@example.org>`` becomes
    ``LABEL org.opencontainers.image.authors="Jane <jane@example.org>"``.

    ## Fix safety
    Unsafe: the image changes.  It gains the label and loses its ``Author``
    field, which a tool may still read.
    """

    code = "BK008"
    scope = "stage"
    name = "MaintainerDeprecated"
    summary = "The MAINTAINER instruction is deprecated, use a label instead to define an image author"
    url = rule_url("MaintainerDeprecated")
    buildkit = True
    fix_safety = FixSafety.UNSAFE
    bad_example = "FROM alpine\nMAINTAINER jane@example.org\n"
    good_example = 'FROM alpine\nLABEL org.opencontainers.image.authors="jane@example.org"\n'
    fixed_example = 'FROM alpine\nLABEL org.opencontainers.image.authors="jane@example.org"\n'

    def check(self, ctx: CheckContext):
        edits: list = []  # computed once, when the first fix is asked for

        def fix_for(index: int) -> Fix | None:
            if not edits:
                edits.append(_label_edits(ctx))
            start = ctx.offsets[index]
            end = start + len(ctx.tree.instructions[index].text)
            mine = tuple(e for e in edits[0] if start <= e.start and e.end <= end)
            return Fix("replace it with an authors label", mine, FixSafety.UNSAFE) if mine else None

        for index, _ in ctx.instructions(MaintainerInstruction):
            yield ctx.finding(
                index, None, "Maintainer instruction is deprecated in favor of using label",
                fix=lambda index=index: fix_for(index),
            )


def _label_edits(ctx: CheckContext):
    from dockerast.refactor import RefactorError, normalize  # noqa: PLC0415

    try:
        result = normalize(ctx.tree, keyword_case=False, as_case=False, maintainer=True, legacy_key_value=False)
    except RefactorError:
        return ()
    return result.edits
