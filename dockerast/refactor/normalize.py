"""Normalize spellings that mean the same, the way BuildKit's checks recommend.

* instruction keywords in upper case (``from`` to ``FROM``, ONBUILD triggers too);
* ``as`` to ``AS`` in ``FROM image as name``;
* ``MAINTAINER name`` to ``LABEL org.opencontainers.image.authors="name"``
  (MAINTAINER is deprecated; the label is where tools look now);
* the legacy ``ENV key value`` to ``ENV key=value`` (likewise LABEL), when the
  value can be written as one word that expands to the same text.

Each change is a small edit in place: layout, comments and continuation lines
stay as they are.
"""

from __future__ import annotations

from dockerast.cst.nodes import (
    Dockerfile,
    EnvInstruction,
    FromInstruction,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
)
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.result import RefactorResult, finish, require_valid
from dockerast.refactor.safety import check_same_meaning

OPERATION = "normalize"
AUTHORS_LABEL = "org.opencontainers.image.authors"


def normalize(
    tree: Dockerfile,
    *,
    keyword_case: bool = True,
    as_case: bool = True,
    maintainer: bool = True,
    legacy_key_value: bool = True,
) -> RefactorResult:
    """Apply the selected normalizations; see the module docs."""
    require_valid(tree, OPERATION)
    options = (keyword_case, as_case, maintainer, legacy_key_value)
    edits, rewritten = _normalized(tree, *options)
    return finish(
        tree,
        apply_edits(str(tree), edits),
        "normalized keywords and legacy forms",
        operation=OPERATION,
        again=lambda t: apply_edits(str(t), _normalized(t, *options)[0]),
        check_meaning=lambda old, new: check_same_meaning(old, new, rewritten=rewritten),
        edits=edits,
    )


def _normalized(tree: Dockerfile, keyword_case: bool, as_case: bool, maintainer: bool, legacy: bool):
    edits: list[TextEdit] = []
    rewritten: set[int] = set()
    for index, (offset, ins) in enumerate(zip(tree.instruction_offsets(), tree.instructions)):
        if maintainer and isinstance(ins, MaintainerInstruction) and ins.arguments_span is not None:
            label = f"LABEL {AUTHORS_LABEL}={quote_word(ins.arguments, ins.escape)}"
            edits.append(TextEdit(offset + ins.keyword_span.start, offset + ins.arguments_span.end, label))
            rewritten.add(index)
            continue
        if keyword_case:
            edits.extend(_upper(offset, ins))
            if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
                trigger_edits = _upper(offset, ins.trigger)
                if trigger_edits:
                    edits.extend(trigger_edits)
                    rewritten.add(index)  # ONBUILD keeps its trigger as text: only the case changes
        if as_case and isinstance(ins, FromInstruction) and ins.as_keyword is not None and ins.as_keyword.text != "AS":
            span = ins.as_keyword.span
            edits.append(TextEdit(offset + span.start, offset + span.end, "AS"))
        if legacy and isinstance(ins, (EnvInstruction, LabelInstruction)) and ins.pairs and ins.pairs[0].legacy:
            edits.extend(_key_value_edits(offset, ins.pairs[0], ins.escape))
    return edits, frozenset(rewritten)


def _upper(offset: int, ins) -> list[TextEdit]:
    span = ins.keyword_span
    keyword = ins.keyword
    return [TextEdit(offset + span.start, offset + span.end, keyword.upper())] if keyword != keyword.upper() else []


def quote_word(text: str, escape: str) -> str:
    """``text`` as one double-quoted word that BuildKit reads back as exactly ``text``."""
    out = []
    for ch in text:
        if ch in ('"', "$", escape):
            out.append(escape)
        out.append(ch)
    return '"' + "".join(out) + '"'


def _key_value_edits(offset: int, pair, escape: str) -> list[TextEdit]:
    """``key value`` to ``key=value``, in place: continuation lines and comments inside stay.

    A value with whitespace is wrapped in double quotes, which read it back
    as the same text; one that also holds quotes or escapes has no certain
    one-word form and is left alone.
    """
    value = pair.value or ""
    if pair.value_span is None:
        return []
    separator = TextEdit(offset + pair.key_span.end, offset + pair.value_span.start, "=")
    if not any(ch in value for ch in " \t\v\f\r"):
        return [separator]
    if any(ch in value for ch in ('"', "'", escape)):
        return []
    end = offset + pair.value_span.end
    return [TextEdit(separator.start, separator.end, '="'), TextEdit(end, end, '"')]
