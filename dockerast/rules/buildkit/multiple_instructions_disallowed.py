from __future__ import annotations

from dockerast.cst.nodes import CmdInstruction, EntrypointInstruction, HealthcheckInstruction, UnknownInstruction
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.semantic.model import Stage

# The instructions an image keeps only one of (convert.go, ``instructionTracker``).
_SINGLE_USE = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


class MultipleInstructionsDisallowed(Rule):
    """
    ## What it does
    Flags a ``CMD``, ``ENTRYPOINT`` or ``HEALTHCHECK`` that a later one of the
    same kind in the same stage replaces.  The finding is on the earlier
    instruction, the one that has no effect; the message names the later one
    as it is written.

    Each stage counts on its own: a stage built ``FROM`` another may set its
    own ``CMD``.  ``HEALTHCHECK NONE`` counts as a ``HEALTHCHECK``; the ``CMD``
    inside ``HEALTHCHECK ... CMD`` does not count as a ``CMD``, and neither do
    ``ONBUILD`` triggers, which run in another build.

    ## Why is this bad
    An image has one command, one entrypoint and one health check: only the
    last instruction of each kind is used, so the earlier ones are dead code
    that readers may believe in.

    ## Example
    ```dockerfile
    FROM alpine
    ENTRYPOINT ["echo", "Hello, Norway!"]
    ENTRYPOINT ["echo", "Hello, Sweden!"]
    ```
    Keep only the last ``ENTRYPOINT``.

    ## Fix safety
    No automatic fix: which instruction was meant is for a person to decide.
    """

    code = "BK012"
    scope = "stage"
    name = "MultipleInstructionsDisallowed"
    summary = "Multiple instructions of the same type should not be used in the same stage"
    url = rule_url("MultipleInstructionsDisallowed")
    buildkit = True
    bad_example = 'FROM alpine\nCMD ["echo", "one"]\nCMD ["echo", "two"]\n'
    good_example = (
        'FROM alpine AS base\nCMD ["echo", "base"]\n'
        'FROM base\nHEALTHCHECK CMD ["true"]\nCMD ["echo", "final"]\n'
    )

    def check(self, ctx: CheckContext):
        instructions = ctx.tree.instructions
        model = ctx.model
        stage: Stage | None = None
        last: dict[str, int] = {}
        # (an unknown instruction too: ``entrypoınt`` reads ENTRYPOINT once upper-cased)
        for index, ins in ctx.instructions(CmdInstruction, EntrypointInstruction, HealthcheckInstruction, UnknownInstruction):
            command = ins.command
            owner = model.stage_of(index)
            if command not in _SINGLE_USE or owner is None:
                continue
            if owner is not stage:
                stage, last = owner, {}
            previous = last.get(command)
            if previous is not None:
                yield ctx.finding(
                    previous,
                    instructions[previous].content_span,
                    f"Multiple {ins.keyword} instructions should not be used in the same stage "
                    "because only the last one will be used",
                )
            last[command] = index
