from __future__ import annotations

from dockerast.cst.nodes import EnvInstruction, Instruction, LabelInstruction, Span
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url


class LegacyKeyValueFormat(Rule):
    """
    ## What it does
    Flags ``ENV`` and ``LABEL`` instructions written in the legacy form
    ``ENV key value``, where whitespace rather than ``=`` separates the key
    from the value.  Only instructions of a stage count (an ``ENV`` before the
    first ``FROM`` is an error of its own), and not ``ONBUILD`` triggers.
    ``ARG`` has no legacy form: ``ARG a b`` declares two arguments.

    ## Why is this bad
    The legacy form is deprecated.  It also reads ambiguously: everything
    after the key, spaces included, is the value, so ``ENV A 1 B 2`` sets one
    variable ``A`` to ``1 B 2``.

    ## Example
    ``ENV PATH /opt/bin:$PATH`` becomes ``ENV PATH=/opt/bin:$PATH``, and
    ``LABEL description a small image`` becomes
    ``LABEL description="a small image"``.

    ## Fix safety
    Safe, and offered only when the value can be written as one word that
    BuildKit expands to exactly the same text (the ``normalize`` refactor,
    applied to this instruction alone): a value without whitespace keeps its
    text, a value with whitespace but without quotes or escape characters is
    wrapped in double quotes.  Other values get no fix.
    """

    code = "BK013"
    scope = "stage"
    name = "LegacyKeyValueFormat"
    summary = "Legacy key/value format with whitespace separator should not be used"
    url = rule_url("LegacyKeyValueFormat")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine\nENV GREETING hello world\nLABEL maintainer someone\n"
    good_example = 'FROM alpine\nENV GREETING="hello world"\nLABEL maintainer=someone\n'
    fixed_example = 'FROM alpine\nENV GREETING="hello world"\nLABEL maintainer=someone\n'

    def check(self, ctx: CheckContext):
        model = ctx.model
        for index, ins in ctx.instructions(EnvInstruction, LabelInstruction):
            if ins.problem is not None:
                continue
            if model.stage_of(index) is None:
                continue
            for pair in ins.pairs:
                if not pair.legacy:
                    continue
                end = pair.value_span.end if pair.value_span is not None else pair.key_span.end
                keyword = ins.keyword
                yield ctx.finding(
                    index,
                    Span(pair.key_span.start, end),
                    f'"{keyword} key=value" should be used instead of legacy "{keyword} key value" format',
                    fix=lambda index=index, ins=ins: _fix(ctx, index, ins),
                )


def _fix(ctx: CheckContext, index: int, ins: Instruction) -> Fix | None:
    """``normalize`` on a file holding only this instruction, its edits moved back into place."""
    from dockerast.cst.parser import parse  # noqa: PLC0415
    from dockerast.refactor import RefactorError, TextEdit, normalize  # noqa: PLC0415

    prefix = "FROM scratch\n"
    if ctx.tree.escape != "\\":
        prefix = f"# escape={ctx.tree.escape}\n" + prefix
    alone = parse(prefix + ins.text)
    if alone.errors or len(alone.instructions) != 2:
        return None
    try:
        result = normalize(alone, keyword_case=False, as_case=False, maintainer=False, legacy_key_value=True)
    except RefactorError:
        return None
    if not result.edits or any(edit.start < len(prefix) for edit in result.edits):
        return None
    shift = ctx.offsets[index] - len(prefix)
    edits = tuple(TextEdit(e.start + shift, e.end + shift, e.new_text) for e in result.edits)
    return Fix(f'write "{ins.keyword} key=value"', edits, FixSafety.SAFE)
