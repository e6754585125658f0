from __future__ import annotations

from dockerast.cst.nodes import FromInstruction, UnknownInstruction
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url


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
        first_from = next((i for i, ins in ctx.instructions() if isinstance(ins, FromInstruction)), None)
        if first_from is None:
            return
        commands = [
            (index, ins)
            for index, ins in ctx.instructions()
            if index >= first_from and not isinstance(ins, UnknownInstruction)
        ]
        lower = upper = 0
        for _, ins in commands:
            keyword = ins.keyword
            if keyword == keyword.lower():
                lower += 1
            elif keyword == keyword.upper():
                upper += 1
        majority_lower = lower > upper
        casing = "lowercase" if majority_lower else "uppercase"
        for index, ins in commands:
            keyword = ins.keyword
            wanted = keyword.lower() if majority_lower else keyword.upper()
            if keyword == wanted:
                continue
            fix = Fix(f"write '{wanted}'", (ctx.edit(index, ins.keyword_span, wanted),), FixSafety.SAFE)
            yield ctx.finding(
                index,
                ins.keyword_span,
                f"Command '{keyword}' should match the case of the command majority ({casing})",
                fix=fix,
            )
