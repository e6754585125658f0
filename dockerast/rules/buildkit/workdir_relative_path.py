from __future__ import annotations

import re

from dockerast.cst.nodes import WorkdirInstruction
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.rules.buildkit.undefined_var import DEFAULT_PATH, image_env_known
from dockerast.cst.text import go_quote
from dockerast.semantic.model import SemanticModel, Stage
from dockerast.semantic.shell import ExpansionError, ShellLex

_DRIVE_PATH = re.compile(r"[A-Za-z]:[\\/]")


class WorkdirRelativePath(Rule):
    """
    ## What it does
    Flags a relative ``WORKDIR`` (``WORKDIR app``) in a stage where no
    earlier ``WORKDIR`` of this Dockerfile has set the working directory:
    neither in the stage nor in the stages it is built ``FROM``.  Only the
    first ``WORKDIR`` of such a chain can be reported; once any ``WORKDIR``
    has run, the later relative ones are relative to a directory this file
    chose.

    The path is checked after variable expansion, as BuildKit checks it, and
    the message shows the expanded path.  In a stage built from an image
    whose environment is not known here (see ``UndefinedVar``), a path that
    uses a variable this file does not define is not reported, since its
    value would come from the image.

    A path with a drive letter (``C:\\app``) is taken as absolute even when
    the stage's platform is not known to be Windows: only a Windows build
    can use such a file.

    ## Why is this bad
    A relative ``WORKDIR`` continues from the base image's working
    directory.  If a new version of the image changes it, the files of the
    build silently move.

    ## Example
    ``WORKDIR app`` becomes ``WORKDIR /app`` (or whatever absolute path was
    meant).

    ## Fix safety
    No fix: the base image's working directory is not known here, so the
    absolute path cannot be computed.
    """

    code = "BK010"
    name = "WorkdirRelativePath"
    summary = (
        "Relative workdir without an absolute workdir declared within the build can have unexpected results "
        "if the base image changes"
    )
    url = rule_url("WorkdirRelativePath")
    buildkit = True
    scope = "stage"
    bad_example = "FROM alpine\nWORKDIR app\n"
    good_example = "FROM alpine\nWORKDIR /app\n"

    def check(self, ctx: CheckContext):
        model = ctx.model
        lex = ShellLex(ctx.tree.escape)
        seen: set[int] = set()
        for index, ins in ctx.instructions(WorkdirInstruction):
            stage = model.stage_of(index)
            # Only the first WORKDIR of a stage is looked at, and only when no base stage set one.
            if stage is None or stage.index in seen:
                continue
            seen.add(stage.index)
            if stage.base_stage is not None and _sets_workdir(model, model.stages[stage.base_stage]):
                continue
            os = stage.effective_platform.os
            values = model.scope_at(index).values
            env = values if os == "windows" else {"PATH": DEFAULT_PATH, **values}
            try:
                expanded = lex.process_word(ins.arguments, env)
            except ExpansionError:
                continue  # BuildKit's build fails here
            if expanded.unmatched and not image_env_known(model, stage):
                continue
            if not is_absolute(expanded.result, os):
                yield ctx.finding(
                    index,
                    ins.arguments_span,
                    f"Relative workdir {go_quote(expanded.result)} can have unexpected results "
                    "if the base image changes",
                )


def _sets_workdir(model: SemanticModel, stage: Stage) -> bool:
    """Whether a WORKDIR is in force at the end of ``stage``: its own, or one
    of the stage it is built FROM (the image config is inherited)."""
    while True:
        if any(isinstance(ins, WorkdirInstruction) for ins in stage.instructions[1:]):
            return True
        if stage.base_stage is None:
            return False
        stage = model.stages[stage.base_stage]


def is_absolute(path: str, os: str) -> bool:
    """util/system ``IsAbs``: a leading slash; on Windows also a ``C:`` drive
    letter, with either slash.

    Outside Windows, a path with a drive letter (``C:\\app``) counts too: a
    Dockerfile written so targets Windows, and its stages' platform is only
    known to be Windows when ``--platform`` says so.
    """
    if os != "windows":
        return path.startswith("/") or _DRIVE_PATH.match(path) is not None
    if len(path) == 2 and path[1] == ":":
        return False
    if path[:2].replace("\\", "/") == "//":
        return False  # UNC paths are refused
    drive, colon, rest = path.partition(":")
    if colon:
        if drive.lower() != "c":
            return False
        path = rest
    return path.replace("\\", "/").startswith("/")
