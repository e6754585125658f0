"""What every refactor returns, and the checks every result passes before it is returned."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from dockerast.cst.nodes import Dockerfile
from dockerast.cst.parser import parse
from dockerast.refactor.edits import TextEdit, minimal_edits


class RefactorError(ValueError):
    """A refactor that cannot be done safely; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class RefactorResult:
    """The new tree and text, the minimal edits from the old text, and what was done."""

    tree: Dockerfile
    text: str
    edits: tuple[TextEdit, ...]
    description: str

    @property
    def changed(self) -> bool:
        return bool(self.edits)


_COMMENT = re.compile(r"^[ \t]*#.*$", re.M)


def _comments(text: str) -> Counter[str]:
    return Counter(m.group().strip() for m in _COMMENT.finditer(text))


def require_valid(tree: Dockerfile, operation: str) -> None:
    """Refuse to refactor a file that does not parse."""
    errors = tree.errors
    if errors:
        first = errors[0]
        raise RefactorError(
            f"{operation}: the file has syntax errors, nothing was changed "
            f"(line {first.line + 1}, column {first.column + 1}: {first.message})"
        )


def finish(
    before: Dockerfile,
    new_text: str,
    description: str,
    *,
    operation: str,
    again: Callable[[Dockerfile], str] | None,
    check_meaning: Callable[[Dockerfile, Dockerfile], None] | None = None,
    edits: list[TextEdit] | None = None,
) -> RefactorResult:
    """Check a refactor's output and package it.

    The new text must parse without errors, keep every comment of the old
    one, keep the build's meaning (``check_meaning`` raises
    :class:`RefactorError` otherwise), and come out unchanged when the same
    operation runs on it again (``again`` returns the text of a second run).
    """
    old_text = str(before)
    if new_text == old_text:
        return RefactorResult(before, old_text, (), f"{description}: nothing to change")
    # Instructions the refactor left as they were keep what the grammar read from them.
    after = parse(new_text, previous=before)
    if after.errors:
        raise RefactorError(f"{operation}: the result would not parse ({after.errors[0]}); nothing was changed")
    lost = _comments(old_text) - _comments(new_text)
    if lost:
        raise RefactorError(f"{operation}: the result would lose comments {sorted(lost)}; nothing was changed")
    if check_meaning is not None:
        try:
            check_meaning(before, after)
        except RefactorError as error:
            message = str(error)
            if not message.startswith(f"{operation}:"):
                message = f"{operation}: {message}"
            if "nothing was changed" not in message:
                message += "; nothing was changed"
            raise RefactorError(message) from None
    if again is not None and again(after) != new_text:
        raise RefactorError(f"{operation}: running it again would change the result; nothing was changed")
    if edits is None:
        return RefactorResult(after, new_text, minimal_edits(old_text, new_text), description)
    return RefactorResult(after, new_text, tuple(sorted(edits)), description)
