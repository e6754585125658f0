"""Completion: instructions, flags, stage names, variables, automatic platform ARGs, platforms."""

from __future__ import annotations

import re

from lsprotocol import types

from dockerast.cst.nodes import ArgInstruction, CopyInstruction, FromInstruction, OnbuildInstruction, RunInstruction
from dockerast.refactor.references import PLATFORM_ARGS

from lsp_server import keywords
from lsp_server.documents import Snapshot

TRIGGER_CHARACTERS = ["-", "$", "{", "=", " "]
_VARIABLE_PREFIX = re.compile(r"\$(\{?)([A-Za-z_][A-Za-z0-9_]*)?\Z")
_FROM_FLAG = re.compile(r"--from=([^\s]*)\Z")
_MOUNT_FROM = re.compile(r"--mount=\S*\bfrom=([^\s,]*)\Z")
_PLATFORM_FLAG = re.compile(r"--platform=([^\s]*)\Z")
PLATFORMS = ["$BUILDPLATFORM", "$TARGETPLATFORM", "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x", "windows/amd64"]


class _Builder:
    def __init__(self, snapshot: Snapshot, offset: int, prefix_len: int, markdown: bool) -> None:
        self.snapshot = snapshot
        self.range = snapshot.range(offset - prefix_len, offset)
        self.markdown = markdown
        self.items: list[types.CompletionItem] = []
        self.seen: set[str] = set()

    def add(self, label: str, kind: types.CompletionItemKind, new_text: str | None = None, detail: str | None = None,
            doc: str | None = None, sort: str | None = None) -> None:
        if label in self.seen:
            return
        self.seen.add(label)
        documentation = None
        if doc:
            documentation = types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc) if self.markdown else doc
        self.items.append(
            types.CompletionItem(
                label=label,
                kind=kind,
                detail=detail,
                documentation=documentation,
                sort_text=sort,
                text_edit=types.TextEdit(range=self.range, new_text=label if new_text is None else new_text),
                insert_text_format=types.InsertTextFormat.PlainText,
            )
        )


def _variables(snapshot: Snapshot, index: int | None) -> dict[str, str]:
    """Names visible at an instruction, with what they are."""
    model = snapshot.model
    if model is None:
        return {}
    out: dict[str, str] = {}
    if index is None or isinstance(snapshot.instruction(index), FromInstruction) or model.stage_of(index) is None:
        scope = model.scope_at(index) if index is not None else model.global_scope
        for name in model.platform_args:
            out[name] = "automatic platform ARG"
        for name in scope.args:
            out.setdefault(name, "global ARG")
        return out
    scope = model.scope_at(index)
    for name in scope.env:
        out[name] = "ENV"
    for name in scope.args:
        out.setdefault(name, "ARG")
    return out


def complete(snapshot: Snapshot, offset: int, markdown: bool) -> list[types.CompletionItem]:
    text = snapshot.text
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    index = snapshot.instruction_at(offset)
    ins = snapshot.instruction(index) if index is not None else None
    base = snapshot.offsets[index] if index is not None else 0
    in_body = ins is not None and offset > base + ins.body_start and bool(getattr(ins, "heredocs", ()))

    variable = _VARIABLE_PREFIX.search(before)
    if variable is not None:
        name = variable.group(2) or ""
        builder = _Builder(snapshot, offset, len(name), markdown)
        closing = "}" if variable.group(1) and not text.startswith("}", offset) else ""
        for var, what in sorted(_variables(snapshot, index).items()):
            builder.add(var, types.CompletionItemKind.Variable, var + closing, what)
        return builder.items
    if in_body:
        return []

    continuation = ins is not None and base < line_start and snapshot.content_end(index) >= line_start
    word = re.search(r"\S*\Z", before).group()
    head = before[: len(before) - len(word)]
    if not continuation and not head.strip():
        return _keywords(snapshot, offset, word, markdown)
    if ins is None:
        return []
    command = ins.command
    if isinstance(ins, OnbuildInstruction):
        trigger = ins.trigger
        rel = offset - base
        if trigger is None or rel <= trigger.keyword_span.end:
            return _keywords(snapshot, offset, word, markdown, onbuild=True)
        ins, command = trigger, trigger.command

    builder = _Builder(snapshot, offset, len(word), markdown)
    model = snapshot.model
    stage = model.stage_of(index) if model is not None else None

    match = _FROM_FLAG.search(before) if isinstance(ins, CopyInstruction) else None
    match = match or (_MOUNT_FROM.search(before) if isinstance(ins, RunInstruction) else None)
    if match is not None:
        builder = _Builder(snapshot, offset, len(match.group(1)), markdown)
        if model is not None:
            for other in model.stages:
                if stage is not None and other.index >= stage.index:
                    break
                if other.name:
                    builder.add(other.name, types.CompletionItemKind.Class, detail=f"stage #{other.index}: FROM {other.base_name}")
        return builder.items
    match = _PLATFORM_FLAG.search(before) if isinstance(ins, FromInstruction) else None
    if match is not None:
        builder = _Builder(snapshot, offset, len(match.group(1)), markdown)
        for n, platform in enumerate(PLATFORMS):
            builder.add(platform, types.CompletionItemKind.Value, sort=f"{n:02d}")
        return builder.items

    words_before = head.split()
    in_flags = all(w.startswith("--") for w in words_before[1:]) if words_before else False
    if word.startswith("-") or (in_flags and not word and command in keywords.FLAGS and not isinstance(ins, ArgInstruction)):
        if in_flags:
            for name, (placeholder, doc) in keywords.FLAGS.get(command, {}).items():
                new = f"--{name}" if placeholder is None else f"--{name}="
                builder.add(f"--{name}", types.CompletionItemKind.Property, new, doc=doc)
            if command == "FROM":
                builder.add(
                    "--platform=$BUILDPLATFORM",
                    types.CompletionItemKind.Snippet,
                    "--platform=$BUILDPLATFORM ",
                    doc="Run this stage on the build machine's platform (for stages that cross-compile).",
                )
        if word.startswith("-"):
            return builder.items

    if isinstance(ins, ArgInstruction):
        declared = set(model.scope_at(index).args) if model is not None and index is not None else set()
        for name in sorted(PLATFORM_ARGS):
            if name not in declared or stage is None:
                builder.add(name, types.CompletionItemKind.Variable, detail="automatic platform ARG")
        if model is not None and stage is not None:
            for meta in model.meta_args:
                builder.add(meta.name, types.CompletionItemKind.Variable, detail="global ARG")
        return builder.items
    if isinstance(ins, FromInstruction) and model is not None:
        non_flags = [w for w in words_before[1:] if not w.startswith("--")]
        if not non_flags:
            for other in model.stages:
                if stage is not None and other.index >= stage.index:
                    break
                if other.name:
                    builder.add(other.name, types.CompletionItemKind.Class, detail=f"stage #{other.index}")
        elif len(non_flags) == 1:
            builder.add("AS", types.CompletionItemKind.Keyword, "AS ")
    return builder.items


def _keywords(snapshot: Snapshot, offset: int, word: str, markdown: bool, onbuild: bool = False) -> list[types.CompletionItem]:
    if word and not word.isalpha():
        return []
    builder = _Builder(snapshot, offset, len(word), markdown)
    upper = not word or word[0].isupper() or not word.islower()
    for name, (syntax, description) in keywords.INSTRUCTIONS.items():
        if onbuild and name in ("ONBUILD", "FROM", "MAINTAINER"):
            continue
        label = name if upper else name.lower()
        builder.add(label, types.CompletionItemKind.Keyword, label + " ", detail=syntax, doc=description)
    return builder.items
