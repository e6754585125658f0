"""Refactors: pure functions from a tree to a checked :class:`RefactorResult`.

Each returns the new tree, the new text and the minimal text edits; each
result has been re-parsed, shown idempotent, shown to keep every comment and
to change the build's meaning only as the operation intends.
"""

from dockerast.refactor.edits import TextEdit, apply_edits, minimal_edits
from dockerast.refactor.move import move_instructions
from dockerast.refactor.pin_build_platform import builder_stages, pin_build_platform
from dockerast.refactor.result import RefactorError, RefactorResult
from dockerast.refactor.selectors import Selector, SelectorError
from dockerast.refactor.sink_args import sink_args

__all__ = [
    "RefactorError",
    "RefactorResult",
    "Selector",
    "SelectorError",
    "TextEdit",
    "apply_edits",
    "builder_stages",
    "minimal_edits",
    "move_instructions",
    "pin_build_platform",
    "sink_args",
]
