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
    FromInstruction,
    Instruction,
    RunInstruction,
    ShellInstruction,
)
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid

OPERATION = "to_exec_form"
DEFAULT_SHELL = ("/bin/sh", "-c")

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
    edits = []
    shell = DEFAULT_SHELL
    for offset, ins in zip(offsets, tree.instructions):
        if isinstance(ins, FromInstruction):
            shell = DEFAULT_SHELL
        elif isinstance(ins, ShellInstruction) and ins.exec_form:
            shell = tuple(a.value for a in ins.exec_form)
        if not isinstance(ins, kinds) or ins.is_exec_form or ins.arguments_span is None or ins.heredocs:
            continue
        if lines is not None and text.count("\n", 0, offset) + 1 not in lines:
            continue
        argv = _argv(ins, shell, wrap)
        span = ins.arguments_span
        edits.append(TextEdit(offset + span.start, offset + span.end, json.dumps(argv, ensure_ascii=False)))
    return edits


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
