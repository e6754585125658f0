"""Refactors: pure functions from a tree to a checked :class:`RefactorResult`.

Each returns the new tree, the new text and the minimal text edits; each
result has been re-parsed, shown idempotent, shown to keep every comment and
to change the build's meaning only as the operation intends.  A file with
syntax errors is refused with :class:`RefactorError`, as is any change that
cannot be made safely.
"""

from dockerast.refactor.base_image import ImageReference, pin_digests, set_base_image
from dockerast.refactor.edits import TextEdit, apply_edits, minimal_edits
from dockerast.refactor.exec_form import to_exec_form
from dockerast.refactor.formatter import FormatOptions, format_dockerfile
from dockerast.refactor.move import move_instructions
from dockerast.refactor.normalize import normalize
from dockerast.refactor.pin_build_platform import builder_stages, pin_build_platform
from dockerast.refactor.rename_stage import rename_stage
from dockerast.refactor.result import RefactorError, RefactorResult
from dockerast.refactor.selectors import Selector, SelectorError
from dockerast.refactor.sink_args import sink_args
from dockerast.refactor.transform import Context, transform

format = format_dockerfile  # noqa: A001  (the operation's name in the docs and the CLI)

__all__ = [
    "Context",
    "FormatOptions",
    "ImageReference",
    "RefactorError",
    "RefactorResult",
    "Selector",
    "SelectorError",
    "TextEdit",
    "apply_edits",
    "builder_stages",
    "format",
    "format_dockerfile",
    "minimal_edits",
    "move_instructions",
    "normalize",
    "pin_build_platform",
    "pin_digests",
    "rename_stage",
    "set_base_image",
    "sink_args",
    "to_exec_form",
    "transform",
]
