"""Write your own refactor in a few lines.

A transform is a function called once per instruction with the instruction
and a :class:`Context`; it returns the edits it wants (one, several, or
None).  Spans given by nodes are relative to their instruction, and the
context turns them into edits of the file::

    from dockerast import RunInstruction, parse
    from dockerast.refactor import transform

    def apk_no_cache(ins, ctx):
        if isinstance(ins, RunInstruction) and "apk add " in ins.arguments and "--no-cache" not in ins.arguments:
            return ctx.replace_text("apk add ", "apk add --no-cache ")

    result = transform(parse(text), apk_no_cache, description="apk add --no-cache")

The result goes through the same checks as the built-in refactors: it must
parse, keep every comment, and give nothing more to change when the
transform runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Union

from dockerast.cst.nodes import Dockerfile, Instruction, Span
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.semantic.model import SemanticModel, analyze

Edits = Union[TextEdit, Iterable[TextEdit], None]
Transform = Callable[[Instruction, "Context"], Edits]


@dataclass(frozen=True, slots=True)
class Context:
    """Where the current instruction stands, and helpers that build edits for it."""

    tree: Dockerfile
    model: SemanticModel
    index: int
    offset: int  # where the instruction's text starts in the file

    @property
    def instruction(self) -> Instruction:
        return self.tree.instructions[self.index]

    def replace(self, span: Span, new_text: str) -> TextEdit:
        """Replace what a node's span covers (spans are relative to the instruction)."""
        return TextEdit(self.offset + span.start, self.offset + span.end, new_text)

    def insert(self, at: int, new_text: str) -> TextEdit:
        """Insert at an offset relative to the instruction."""
        return TextEdit(self.offset + at, self.offset + at, new_text)

    def replace_text(self, old: str, new: str) -> TextEdit | None:
        """Replace the first occurrence of ``old`` in the instruction's own lines, or None."""
        text = self.instruction.text[: self.instruction.body_start]
        at = text.find(old)
        return None if at < 0 else TextEdit(self.offset + at, self.offset + at + len(old), new)

    @property
    def newline(self) -> str:
        """The file's line ending, for new lines: CRLF where the instruction uses it."""
        return "\r\n" if "\r\n" in self.instruction.text or "\r\n" in str(self.tree)[: self.offset] else "\n"

    def _line(self, text: str) -> str:
        text = text.replace("\r\n", "\n").replace("\n", self.newline)
        return text if text.endswith(self.newline) else text + self.newline

    def replace_instruction(self, new_text: str) -> TextEdit:
        """Replace the instruction's lines (its comments above stay), e.g. with ``"RUN make"``."""
        return TextEdit(self.offset, self.offset + len(self.instruction.text), self._line(new_text))

    def insert_before(self, new_text: str) -> TextEdit:
        """New lines just above the instruction (below its comments)."""
        return TextEdit(self.offset, self.offset, self._line(new_text))

    def insert_after(self, new_text: str) -> TextEdit:
        """New lines just below the instruction."""
        end = self.offset + len(self.instruction.text)
        prefix = "" if self.instruction.text.endswith("\n") else self.newline
        return TextEdit(end, end, prefix + self._line(new_text))

    def remove(self) -> TextEdit:
        """Remove the instruction's lines; the comments above it stay."""
        return TextEdit(self.offset, self.offset + len(self.instruction.text), "")


def _collect(tree: Dockerfile, fn: Transform) -> list[TextEdit]:
    model = analyze(tree)
    edits: list[TextEdit] = []
    for index, offset in enumerate(tree.instruction_offsets()):
        produced = fn(tree.instructions[index], Context(tree, model, index, offset))
        if produced is None:
            continue
        if isinstance(produced, TextEdit):
            edits.append(produced)
        else:
            edits.extend(e for e in produced if e is not None)
    return edits


def transform(tree: Dockerfile, fn: Transform, *, description: str = "custom refactor") -> RefactorResult:
    """Run ``fn`` on every instruction and apply the edits it returns, checked."""
    require_valid(tree, description)
    edits = _collect(tree, fn)
    try:
        new_text = apply_edits(str(tree), edits)
    except ValueError as error:
        raise RefactorError(f"{description}: {error}") from None
    return finish(
        tree,
        new_text,
        description,
        operation=description,
        again=lambda t: apply_edits(str(t), _collect(t, fn)),
        edits=edits,
    )
