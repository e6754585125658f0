"""Hover, definition, references, highlight, rename, symbols, folding, selection, links, inlay hints.

Every answer is read from the library's nodes and semantic model; this
module picks what is under the cursor and converts spans to ranges.
"""

from __future__ import annotations

import re

from lsprotocol import types

from dockerast.cst.nodes import (
    ArgInstruction,
    CmdInstruction,
    EntrypointInstruction,
    EnvInstruction,
    FromInstruction,
    OnbuildInstruction,
    RunInstruction,
)
from dockerast.cst.parser import parse
from dockerast.refactor import ImageReference, RefactorError, TextEdit, apply_edits, rename_stage, set_base_image
from dockerast.semantic.shell import ExpansionError

from lsp_server import keywords
from lsp_server.documents import Snapshot
from lsp_server.occurrences import Occurrence, occurrence_at, occurrences, same_key

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class RenameRefused(Exception):
    """A rename the server will not do; the message says why, for a person."""


def _line(snapshot: Snapshot, offset: int) -> int:
    return snapshot.positions.line_of(offset) + 1


# -- what stands at a position ------------------------------------------------------------


def _image_parts(text: str) -> tuple[str | None, str]:
    """Registry (None for Docker Hub) and repository of an image name."""
    first, sep, rest = text.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, text


def hub_url(name: str) -> str | None:
    """The Docker Hub page of an image name, or None for another registry."""
    registry, repo = _image_parts(name)
    if registry is not None:
        if registry not in ("docker.io", "index.docker.io", "registry-1.docker.io"):
            return None
    if not repo or not re.fullmatch(r"[a-z0-9._/-]+", repo):
        return None
    if repo.startswith("library/"):
        repo = repo[len("library/") :]
    return f"https://hub.docker.com/_/{repo}" if "/" not in repo else f"https://hub.docker.com/r/{repo}"


def _value_text(value: str | None) -> str:
    if value is None:
        return "*unset*"
    return f"`{value}`" if value and "`" not in value else repr(value)


def _declared_value(snapshot: Snapshot, occ: Occurrence) -> str | None:
    """The value an ARG/ENV declaration gives its name."""
    model = snapshot.model
    ins = snapshot.instruction(occ.index)
    try:
        words = model.effective_words(occ.index)
    except ExpansionError:
        return None
    pairs = list(ins.pairs)
    for n, pair in enumerate(pairs):
        if snapshot.offsets[occ.index] + pair.key_span.start == occ.start and n < len(words):
            word = words[n]
            name, eq, value = word.partition("=")
            return value if eq else None
    return None


def _variable_hover(snapshot: Snapshot, occ: Occurrence) -> str:
    model = snapshot.model
    key = occ.key
    if occ.declaration:
        ins = snapshot.instruction(occ.index)
        kind = "ARG" if isinstance(ins, ArgInstruction) else "ENV"
        if kind == "ARG" and occ.index < (model.stages[0].from_index if model.stages else len(snapshot.offsets)):
            kind = "global ARG"
        value = _declared_value(snapshot, occ)
        return f"**{kind}** `{occ.name}` = {_value_text(value)}"
    scope = model.scope_at(occ.index)
    value = scope.get(occ.name)
    lines = [f"`{occ.name}` = {_value_text(value)}"]
    if key[0] == "auto":
        lines.append(f"Automatic platform ARG (for a build of {model.target_platform.format()} here).")
        if not isinstance(snapshot.instruction(occ.index), FromInstruction) and occ.name not in scope.args:
            lines.append(f"Not declared in this stage: add `ARG {occ.name}` to use it.")
    else:
        decl = _definition(snapshot, occ)
        if decl is not None:
            ins = snapshot.instruction(decl.index)
            kind = "ARG" if isinstance(ins, ArgInstruction) else "ENV"
            lines.append(f"Set by {kind} on line {_line(snapshot, decl.start)}.")
        elif key[0] == "free":
            lines.append("Not declared by an ARG or ENV of this Dockerfile.")
    return "\n\n".join(lines)


def _stage_hover(snapshot: Snapshot, stage_index: int) -> str:
    stage = snapshot.model.stages[stage_index]
    line = _line(snapshot, snapshot.offsets[stage.from_index])
    text = f"**Stage** `{stage.display_name}` (#{stage.index}, line {line})\n\nFROM `{stage.base_name}`"
    if stage.platform:
        text += f" for platform `{stage.platform}`"
    return text


def _image_hover(snapshot: Snapshot, stage) -> str:
    ref = ImageReference.parse(stage.base_name)
    registry, repo = _image_parts(ref.name)
    lines = [f"**Image** `{stage.base_name}`"]
    if stage.expanded_base_name and stage.expanded_base_name != stage.base_name:
        lines.append(f"Expands to `{stage.expanded_base_name}`")
        ref = ImageReference.parse(stage.expanded_base_name)
        registry, repo = _image_parts(ref.name)
    parts = [f"- registry: `{registry or 'docker.io'}`", f"- repository: `{repo}`"]
    if ref.tag:
        parts.append(f"- tag: `{ref.tag}`")
    if ref.digest:
        parts.append(f"- digest: `{ref.digest}`")
    if not ref.tag and not ref.digest and stage.base_name != "scratch":
        parts.append("- tag: `latest` (implicit)")
    lines.append("\n".join(parts))
    url = hub_url(ref.name)
    if url:
        lines.append(f"[Docker Hub]({url})")
    return "\n\n".join(lines)


def hover(snapshot: Snapshot, offset: int) -> tuple[str, int, int] | None:
    """Markdown for what is at ``offset``, and the absolute span it is about."""
    index = snapshot.instruction_at(offset)
    if index is None or snapshot.model is None:
        return None
    ins = snapshot.instruction(index)
    base = snapshot.offsets[index]
    rel = offset - base
    occ = occurrence_at(snapshot, offset)
    if occ is not None:
        if occ.kind == "variable":
            return _variable_hover(snapshot, occ), occ.start, occ.end
        return _stage_hover(snapshot, occ.key[1]), occ.start, occ.end
    keyword_span = ins.keyword_span
    if keyword_span.start <= rel <= keyword_span.end:
        text = keywords.hover_text(ins.command)
        return (text, base + keyword_span.start, base + keyword_span.end) if text else None
    if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
        span = ins.trigger.keyword_span
        if span.start <= rel <= span.end:
            text = keywords.hover_text(ins.trigger.command)
            return (text, base + span.start, base + span.end) if text else None
    if isinstance(ins, FromInstruction) and ins.image_span is not None:
        span = ins.image_span
        if span.start <= rel <= span.end:
            stage = snapshot.model.stage_of(index)
            if stage is not None:
                return _image_hover(snapshot, stage), base + span.start, base + span.end
    for flag in ins.flags:
        if flag.span.start <= rel <= flag.span.end:
            doc = keywords.FLAGS.get(ins.command, {}).get(flag.name)
            if doc:
                return f"`--{flag.name}`: {doc[1]}", base + flag.span.start, base + flag.span.end
    return None


# -- definition, references, highlight ---------------------------------------------------------


def _definition(snapshot: Snapshot, occ: Occurrence) -> Occurrence | None:
    if occ.kind == "stage":
        decls = [o for o in same_key(snapshot, occ.key) if o.declaration]
        return decls[0] if decls else None
    if occ.declaration:
        return occ
    before = [o for o in same_key(snapshot, occ.key) if o.declaration and o.start < occ.start]
    if before:
        return before[-1]
    return None


def definition(snapshot: Snapshot, offset: int) -> list[types.Location]:
    occ = occurrence_at(snapshot, offset)
    if occ is None:
        return []
    if occ.kind == "stage":
        stage = snapshot.model.stages[occ.key[1]]
        decl = _definition(snapshot, occ)
        if decl is not None:
            return [types.Location(uri=snapshot.uri, range=snapshot.range(decl.start, decl.end))]
        at = snapshot.offsets[stage.from_index]
        ins = snapshot.instruction(stage.from_index)
        span = ins.image_span or ins.keyword_span
        return [types.Location(uri=snapshot.uri, range=snapshot.range(at + span.start, at + span.end))]
    decl = _definition(snapshot, occ)
    if decl is None:
        return []
    return [types.Location(uri=snapshot.uri, range=snapshot.range(decl.start, decl.end))]


def references(snapshot: Snapshot, offset: int, include_declaration: bool) -> list[types.Location]:
    occ = occurrence_at(snapshot, offset)
    if occ is None:
        return []
    return [
        types.Location(uri=snapshot.uri, range=snapshot.range(o.start, o.end))
        for o in same_key(snapshot, occ.key)
        if include_declaration or not o.declaration
    ]


def highlights(snapshot: Snapshot, offset: int) -> list[types.DocumentHighlight]:
    occ = occurrence_at(snapshot, offset)
    if occ is None:
        return []
    return [
        types.DocumentHighlight(
            range=snapshot.range(o.start, o.end),
            kind=types.DocumentHighlightKind.Write if o.declaration else types.DocumentHighlightKind.Read,
        )
        for o in same_key(snapshot, occ.key)
    ]


# -- rename --------------------------------------------------------------------------------------


def _tag_at(snapshot: Snapshot, offset: int):
    """(stage, absolute tag start, end, tag) when ``offset`` is on the tag of a simple FROM image."""
    index = snapshot.instruction_at(offset)
    if index is None or snapshot.model is None:
        return None
    ins = snapshot.instruction(index)
    if not isinstance(ins, FromInstruction) or ins.image_span is None:
        return None
    stage = snapshot.model.stage_of(index)
    if stage is None or stage.base_stage is not None or "$" in ins.image:
        return None
    span = ins.image_span
    if len(span) != len(ins.image):
        return None
    ref = ImageReference.parse(ins.image)
    if ref.tag is None:
        return None
    start = snapshot.offsets[index] + span.start + ref.name_end + 1
    end = snapshot.offsets[index] + span.start + ref.tag_end
    if start <= offset <= end:
        return stage, start, end, ref.tag
    return None


def prepare_rename(snapshot: Snapshot, offset: int):
    if snapshot.model is None:
        return None
    occ = occurrence_at(snapshot, offset)
    if occ is not None:
        if occ.kind == "stage":
            stage = snapshot.model.stages[occ.key[1]]
            if stage.name is None or occ.name.lstrip("+-").isdigit():
                raise RenameRefused("a stage referred to by its number has no name to rename")
            return types.PrepareRenamePlaceholder(range=snapshot.range(occ.start, occ.end), placeholder=occ.name)
        if occ.key[0] == "auto":
            raise RenameRefused(f"{occ.name} is an automatic platform ARG: BuildKit sets it by that name")
        if occ.key[0] == "onbuild":
            raise RenameRefused("variables of ONBUILD triggers belong to a later build")
        return types.PrepareRenamePlaceholder(range=snapshot.range(occ.start, occ.end), placeholder=occ.name)
    tag = _tag_at(snapshot, offset)
    if tag is not None:
        _, start, end, text = tag
        return types.PrepareRenamePlaceholder(range=snapshot.range(start, end), placeholder=text)
    return None


def rename(snapshot: Snapshot, offset: int, new_name: str) -> list[TextEdit]:
    """The edits of a rename at ``offset``; raises :class:`RenameRefused` with the reason."""
    if not snapshot.valid:
        raise RenameRefused("the file has syntax errors; fix them before renaming")
    prepare_rename(snapshot, offset)  # refuses what cannot be renamed
    occ = occurrence_at(snapshot, offset)
    try:
        if occ is not None and occ.kind == "stage":
            stage = snapshot.model.stages[occ.key[1]]
            return list(rename_stage(snapshot.tree, stage.name, new_name).edits)
        if occ is None:
            tag = _tag_at(snapshot, offset)
            if tag is None:
                raise RenameRefused("nothing to rename here")
            return list(set_base_image(snapshot.tree, tag[0].index, tag=new_name).edits)
    except RefactorError as error:
        raise RenameRefused(str(error)) from None
    return _rename_variable(snapshot, occ, new_name)


def _rename_variable(snapshot: Snapshot, occ: Occurrence, new_name: str) -> list[TextEdit]:
    if not _VARIABLE_NAME.match(new_name):
        raise RenameRefused(f"{new_name!r} is not a variable name (a letter or _, then letters, digits or _)")
    group = same_key(snapshot, occ.key)
    if new_name == occ.name:
        return []
    stages = {snapshot.model.stage_of(o.index).index if snapshot.model.stage_of(o.index) else -1 for o in group}
    for other in occurrences(snapshot):
        if other.kind == "variable" and other.name == new_name:
            stage = snapshot.model.stage_of(other.index)
            if (stage.index if stage else -1) in stages or other.key[0] in ("global", "auto"):
                raise RenameRefused(f"{new_name} is already used here (line {_line(snapshot, other.start)})")
    edits = [TextEdit(o.start, o.end, new_name) for o in group]
    new_text = apply_edits(snapshot.text, edits)
    if parse(new_text, previous=snapshot.tree).errors:
        raise RenameRefused("the result would not parse; nothing was changed")
    return edits


# -- symbols, folding, selection -------------------------------------------------------------------


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _instruction_entries(snapshot: Snapshot, index: int) -> tuple[int, int, list[tuple]]:
    """The span of an instruction and its symbols as (name, detail, kind, selection start, end), absolute."""
    ins = snapshot.instruction(index)
    base = snapshot.offsets[index]
    if isinstance(ins, (ArgInstruction, EnvInstruction)) and ins.pairs:
        kind = types.SymbolKind.Variable if isinstance(ins, ArgInstruction) else types.SymbolKind.Constant
        command = ins.command
        entries = [
            (
                pair.key or command,
                f"{command} {_short(pair.value or '', 40)}".rstrip(),
                kind,
                base + pair.key_span.start,
                base + pair.key_span.end,
            )
            for pair in ins.pairs
        ]
    else:
        span = ins.keyword_span
        entries = [(ins.command or "?", _short(ins.arguments) or None, types.SymbolKind.Function, base + span.start, base + span.end)]
    return base, snapshot.content_end(index), entries


def document_symbols(snapshot: Snapshot) -> list[types.DocumentSymbol]:
    """The outline: global ARGs, then each stage with its instructions (computed once per version)."""
    return snapshot.memo(("documentSymbol",), lambda: _document_symbols(snapshot))


def _document_symbols(snapshot: Snapshot) -> list[types.DocumentSymbol]:
    model = snapshot.model
    if model is None:
        return []
    first = model.stages[0].from_index if model.stages else len(snapshot.offsets)
    # Spans first, so that every offset is converted in one sweep.
    top = [_instruction_entries(snapshot, i) for i in range(first)]
    stages = []
    for stage in model.stages:
        at = snapshot.offsets[stage.from_index]
        ins = snapshot.instruction(stage.from_index)
        select = stage.name_span or ins.image_span or ins.keyword_span
        head = (
            ins.stage_name or stage.display_name,
            _short(f"FROM {stage.base_name}"),
            types.SymbolKind.Class,
            at + select.start,
            at + select.end,
        )
        children = [_instruction_entries(snapshot, i) for i in stage.instruction_indices[1:]]
        stages.append((at, snapshot.content_end(stage.instruction_indices[-1]), head, children))

    def offsets_of(instructions):
        for start, end, entries in instructions:
            yield start
            yield end
            for entry in entries:
                yield entry[3]
                yield entry[4]

    offsets = list(offsets_of(top))
    for start, end, head, children in stages:
        offsets += (start, end, head[3], head[4])
        offsets += offsets_of(children)
    position = snapshot.positions.position_map(offsets)
    Range, DocumentSymbol = types.Range, types.DocumentSymbol

    def range_(start: int, end: int) -> types.Range:
        return Range(position[start], position[end]) if start <= end else Range(position[end], position[start])

    def symbols(instructions) -> list[types.DocumentSymbol]:
        out = []
        for start, end, entries in instructions:
            full = range_(start, end)
            for name, detail, kind, select_start, select_end in entries:
                out.append(
                    DocumentSymbol(name=name, detail=detail, kind=kind, range=full, selection_range=range_(select_start, select_end))
                )
        return out

    out = symbols(top)
    for start, end, head, children in stages:
        name, detail, kind, select_start, select_end = head
        out.append(
            DocumentSymbol(
                name=name,
                detail=detail,
                kind=kind,
                range=range_(start, end),
                selection_range=range_(select_start, select_end),
                children=symbols(children),
            )
        )
    return out


def flat_symbols(snapshot: Snapshot) -> list[types.SymbolInformation]:
    """The outline as a list, for a client without hierarchical symbols (computed once per version)."""
    return snapshot.memo(("flatSymbol",), lambda: _flat_symbols(snapshot))


def _flat_symbols(snapshot: Snapshot) -> list[types.SymbolInformation]:
    out = []

    def walk(symbols, container):
        for s in symbols:
            out.append(
                types.SymbolInformation(
                    name=s.name, kind=s.kind, location=types.Location(uri=snapshot.uri, range=s.range), container_name=container
                )
            )
            walk(s.children or [], s.name)

    walk(document_symbols(snapshot), None)
    return out


def folding_ranges(snapshot: Snapshot) -> list[types.FoldingRange]:
    pos = snapshot.positions
    found: dict[tuple[int, int], types.FoldingRangeKind | None] = {}
    model = snapshot.model
    if model is not None:
        for stage in model.stages:
            start = pos.line_of(snapshot.offsets[stage.from_index])
            end = pos.line_of(snapshot.content_end(stage.instruction_indices[-1]))
            if end > start:
                found[(start, end)] = types.FoldingRangeKind.Region
    for i in range(len(snapshot.offsets)):
        start = pos.line_of(snapshot.offsets[i])
        end = pos.line_of(snapshot.content_end(i))
        if end > start:
            found.setdefault((start, end), None)
    run_start = None
    lines = snapshot.text.split("\n")
    for n, line in enumerate([*lines, ""]):
        if line.lstrip(" \t").startswith("#"):
            if run_start is None:
                run_start = n
            continue
        if run_start is not None and n - 1 > run_start:
            found.setdefault((run_start, n - 1), types.FoldingRangeKind.Comment)
        run_start = None
    return [types.FoldingRange(start_line=s, end_line=e, kind=k) for (s, e), k in sorted(found.items())]


def _spans_at(snapshot: Snapshot, offset: int) -> list[tuple[int, int]]:
    spans = [(0, len(snapshot.text))]
    index = snapshot.instruction_at(offset)
    if index is None:
        return spans
    ins = snapshot.instruction(index)
    base = snapshot.offsets[index]
    model = snapshot.model
    if model is not None:
        stage = model.stage_of(index)
        if stage is not None:
            spans.append((snapshot.offsets[stage.from_index], snapshot.content_end(stage.instruction_indices[-1])))
    spans.append((base, snapshot.content_end(index)))
    content = ins.content_span
    spans.append((base + content.start, base + content.end))
    rel = offset - base
    candidates = [ins.keyword_span]
    if ins.arguments_span is not None:
        candidates.append(ins.arguments_span)
    for flag in ins.flags:
        candidates.extend([flag.span, flag.name_span] + ([flag.value_span] if flag.value_span else []))
    for word in ins.syntax.words:
        candidates.append(word.span)
    for pair in getattr(ins, "pairs", ()) or ():
        candidates.append(pair.key_span)
        if pair.value_span is not None:
            candidates.extend([pair.value_span, type(pair.key_span)(pair.key_span.start, pair.value_span.end)])
    for span in candidates:
        if span.start <= rel <= span.end:
            spans.append((base + span.start, base + span.end))
    occ = occurrence_at(snapshot, offset)
    if occ is not None:
        spans.append((occ.start, occ.end))
        if occ.ref_start >= 0:
            spans.append((occ.ref_start, occ.ref_end))
    return spans


def selection_range(snapshot: Snapshot, offset: int) -> types.SelectionRange:
    spans = sorted({s for s in _spans_at(snapshot, offset) if s[0] <= offset <= s[1]}, key=lambda s: (s[0] - s[1], s[0]))
    # Keep a chain where each span holds the next one.
    chain: list[tuple[int, int]] = []
    for span in spans:
        if not chain or (span[0] >= chain[-1][0] and span[1] <= chain[-1][1] and span != chain[-1]):
            chain.append(span)
    result = None
    for start, end in chain:
        result = types.SelectionRange(range=snapshot.range(start, end), parent=result)
    return result


# -- links, inlay hints -----------------------------------------------------------------------------


def document_links(snapshot: Snapshot, tooltip: bool) -> list[types.DocumentLink]:
    model = snapshot.model
    if model is None:
        return []
    out = []
    for stage in model.stages:
        name = stage.base_name
        if stage.base_stage is not None or not name or "$" in name or name == "scratch":
            continue
        ins = snapshot.instruction(stage.from_index)
        span = ins.image_span
        if span is None or len(span) != len(name):
            continue
        ref = ImageReference.parse(name)
        url = hub_url(ref.name)
        if url is None:
            continue
        at = snapshot.offsets[stage.from_index] + span.start
        out.append(
            types.DocumentLink(
                range=snapshot.range(at, at + ref.name_end),
                target=url,
                tooltip=f"Open {ref.name} on Docker Hub" if tooltip else None,
            )
        )
    return out


def _expands(ins) -> bool:
    if isinstance(ins, OnbuildInstruction):
        return False
    if isinstance(ins, (RunInstruction, CmdInstruction, EntrypointInstruction)) and ins.is_exec_form:
        return False
    return True


def inlay_hints(snapshot: Snapshot, start: int, end: int) -> list[types.InlayHint]:
    model = snapshot.model
    if model is None:
        return []
    out = []
    for occ in occurrences(snapshot):
        if occ.start > end:
            break
        if occ.kind != "variable" or occ.declaration or occ.end < start or occ.ref_end < 0:
            continue
        ins = snapshot.instruction(occ.index)
        if not _expands(ins):
            continue
        if occ.name not in model.scope_at(occ.index).values:
            continue
        try:
            value = model.expand(occ.index, snapshot.text[occ.ref_start : occ.ref_end])
        except (ExpansionError, Exception):  # noqa: BLE001
            continue
        label = value if len(value) <= 40 else value[:39] + "…"
        out.append(
            types.InlayHint(
                position=snapshot.positions.position(occ.ref_end),
                label=f"= {label}",
                padding_left=True,
            )
        )
    return out
