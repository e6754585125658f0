"""Shell form to exec (JSON) form: ``CMD node server.js`` to ``CMD ["node", "server.js"]``.

Exec form runs the program directly: it receives signals (``docker stop``
works), and no ``/bin/sh`` has to exist in the image.  The conversion is
exact only when the shell would do nothing but split words and remove
quotes, so commands using shell features (pipes, ``&&``, redirections,
variables, globs, command substitution) are refused unless the caller asks
to keep the shell explicitly: ``["/bin/sh", "-c", "..."]`` (or the stage's
``SHELL``).
"""

from __future__ import annotations

import json
import re
import shlex

from dockerast.cst.nodes import (
    CmdInstruction,
    Dockerfile,
    EntrypointInstruction,
    Instruction,
    RunInstruction,
    ShellInstruction,
)
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.semantic.model import analyze

OPERATION = "to_exec_form"
DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_SHELL = ("cmd", "/S", "/C")

# Characters the shell gives a meaning to beyond splitting words and quoting.
_SHELL_FEATURES = re.compile(r"[|&;<>()$`*?\[\]{}~!#\n\\]")
# A leading ``NAME=value`` sets the environment of the command in a shell.
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Words that are shell builtins or keywords, not programs exec form could run.
_SHELL_BUILTINS = frozenset(
    "exec cd export source . if then for while until case set unset ulimit umask eval trap alias "
    "function select time wait read shift return exit test [ [[".split()
)


def to_exec_form(
    tree: Dockerfile,
    *,
    include_run: bool = False,
    wrap_in_shell: bool = False,
    lines: set[int] | None = None,
) -> RefactorResult:
    """Rewrite CMD and ENTRYPOINT (and RUN with ``include_run``) from shell form to JSON.

    ``lines`` limits the change to instructions starting on those 1-based
    lines.  A command that needs a shell is refused, naming it, unless
    ``wrap_in_shell`` keeps the shell: ``["/bin/sh", "-c", "command"]``.
    """
    require_valid(tree, OPERATION)
    edits = _conversions(tree, include_run, wrap_in_shell, lines)
    description = f"converted {len(edits)} instruction(s) to exec form" if edits else "nothing in shell form to convert"
    return finish(
        tree,
        apply_edits(str(tree), edits),
        description,
        operation=OPERATION,
        again=lambda t: apply_edits(str(t), _conversions(t, include_run, wrap_in_shell, lines)),
        edits=edits,
    )


def exec_words(command: str) -> list[str] | None:
    """The argv a plain command splits into, or None when it uses shell features."""
    if _SHELL_FEATURES.search(command):
        return None
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        return None
    if words and (_ASSIGNMENT.match(words[0]) or words[0] in _SHELL_BUILTINS):
        return None
    return words


def _conversions(tree: Dockerfile, include_run: bool, wrap: bool, lines: set[int] | None) -> list[TextEdit]:
    kinds = (CmdInstruction, EntrypointInstruction, RunInstruction) if include_run else (CmdInstruction, EntrypointInstruction)
    text = str(tree)
    offsets = tree.instruction_offsets()
    model = analyze(tree)
    edits = []
    shells: dict[int, tuple[str, ...]] = {}  # the SHELL each stage ends with: image config, inherited
    for stage in model.stages:
        shell = shells.get(stage.base_stage) if stage.base_stage is not None else None
        if shell is None:
            shell = WINDOWS_SHELL if _on_windows(stage, tree.escape) else DEFAULT_SHELL
        has_cmd = any(isinstance(tree.instructions[i], CmdInstruction) for i in stage.instruction_indices)
        for i in stage.instruction_indices[1:]:
            ins, offset = tree.instructions[i], offsets[i]
            if isinstance(ins, ShellInstruction) and ins.exec_form:
                shell = tuple(a.value for a in ins.exec_form)
            if not isinstance(ins, kinds) or ins.is_exec_form or ins.arguments_span is None or ins.heredocs:
                continue
            if lines is not None and text.count("\n", 0, offset) + 1 not in lines:
                continue
            if isinstance(ins, EntrypointInstruction) and has_cmd:
                raise RefactorError(
                    f"{OPERATION}: ENTRYPOINT {ins.arguments[:60]!r} ignores CMD in shell form but would receive it "
                    "as arguments in exec form; convert by hand"
                )
            argv = _argv(ins, shell, wrap)
            span = ins.arguments_span
            edits.append(TextEdit(offset + span.start, offset + span.end, json.dumps(argv, ensure_ascii=False)))
        shells[stage.index] = shell
    return edits


def _on_windows(stage, escape: str) -> bool:
    """A Windows stage: by platform, by a Windows base image, or by the backtick escape Windows files use."""
    if stage.effective_platform.os == "windows" or escape == "`":
        return True
    base = (stage.expanded_base_name or stage.base_name).lower()
    return any(word in base for word in ("windows", "nanoserver", "servercore"))


def _argv(ins: Instruction, shell: tuple[str, ...], wrap: bool) -> list[str]:
    command = ins.arguments
    words = exec_words(command)
    if words is not None and words:
        return words
    if wrap:
        return [*shell, command]
    raise RefactorError(
        f"{OPERATION}: {ins.command} {command[:60]!r} uses shell features (pipes, &&, redirections, variables, "
        "globs...); pass wrap_in_shell=True to keep the shell explicitly"
    )
