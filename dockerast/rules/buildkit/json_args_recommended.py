from __future__ import annotations

from dockerast.cst.nodes import CmdInstruction, EntrypointInstruction, ShellInstruction, Span
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url
from dockerast.semantic.model import SemanticModel, Stage


class JSONArgsRecommended(Rule):
    """
    ## What it does
    Flags ``CMD`` and ``ENTRYPOINT`` written in shell form
    (``CMD node server.js``) in a stage where no ``SHELL`` instruction has
    set the shell.

    As in BuildKit, a ``SHELL ["..."]`` earlier in the stage, or in a stage
    it is built ``FROM``, silences the rule: choosing a shell explicitly
    shows that the shell form is intended.  (BuildKit also honours a shell
    set in the base image's configuration; that configuration is not known
    here and is taken to have none, which is the usual case.)

    ## Why is this bad
    In shell form the container runs ``/bin/sh -c "node server.js"``: the
    shell is PID 1 and does not forward signals, so ``docker stop`` cannot
    ask the program to shut down cleanly and kills it after the timeout.

    ## Example
    ``CMD node server.js`` becomes ``CMD ["node", "server.js"]``.

    ## Fix safety
    Unsafe, and offered only when the command uses nothing but words and
    quotes (no variables, pipes, ``&&``, redirections, globs...), so that the
    exec form runs the same program with the same arguments.  It is still
    unsafe because the process changes: the program becomes PID 1 with no
    shell around it, and an exec-form ``ENTRYPOINT`` receives ``CMD`` (the
    stage's or the image's) as extra arguments, which the shell form ignored.
    """

    code = "BK007"
    name = "JSONArgsRecommended"
    summary = "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals"
    url = rule_url("JSONArgsRecommended")
    buildkit = True
    scope = "stage"
    fix_safety = FixSafety.UNSAFE
    bad_example = "FROM alpine\nCMD echo hello\n"
    good_example = 'FROM alpine\nCMD ["echo", "hello"]\n'
    fixed_example = 'FROM alpine\nCMD ["echo", "hello"]\n'

    def check(self, ctx: CheckContext):
        model = ctx.model
        stage: Stage | None = None
        shell_set = False
        for index, ins in ctx.instructions(ShellInstruction, CmdInstruction, EntrypointInstruction):
            owner = model.stage_of(index)
            if owner is None:
                continue
            if owner is not stage:
                stage = owner
                shell_set = stage.base_stage is not None and _sets_shell(model, model.stages[stage.base_stage])
            if _is_shell(ins):
                shell_set = True
            elif isinstance(ins, (CmdInstruction, EntrypointInstruction)) and not ins.is_exec_form:
                if shell_set:
                    continue
                end = ins.arguments_span.end if ins.arguments_span is not None else ins.keyword_span.end
                yield ctx.finding(
                    index,
                    Span(ins.keyword_span.start, end),
                    f"JSON arguments recommended for {ins.keyword} "
                    "to prevent unintended behavior related to OS signals",
                    fix=lambda index=index: _exec_form_fix(ctx, index),
                )


def _is_shell(ins) -> bool:
    # Only the JSON form is valid; an empty list sets nothing.
    return isinstance(ins, ShellInstruction) and bool(ins.exec_form)


def _sets_shell(model: SemanticModel, stage: Stage) -> bool:
    """Whether a SHELL is in force at the end of ``stage``, for the stages built
    FROM it (convert.go: the image config is inherited)."""
    while True:
        if any(_is_shell(ins) for ins in stage.instructions[1:]):
            return True
        if stage.base_stage is None:
            return False
        stage = model.stages[stage.base_stage]


def _exec_form_fix(ctx: CheckContext, index: int) -> Fix | None:
    from dockerast.refactor import RefactorError, to_exec_form  # noqa: PLC0415

    line = ctx.lines.position(ctx.offsets[index]).line + 1
    try:
        result = to_exec_form(ctx.tree, lines={line})
    except RefactorError:
        return None
    if not result.edits:
        return None
    return Fix("write the command in exec (JSON) form", result.edits, FixSafety.UNSAFE)
