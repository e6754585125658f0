"""Semantic tokens: keywords, flags, variables, stage names, images, comments, directives.

Linear in the document: each instruction's tokens are computed from its
nodes once and cached by its text, so an edit re-reads only the
instructions it changed; assembling the document is one pass.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict

from lsprotocol import types

from dockerast.cst.nodes import ArgInstruction, EnvInstruction, FromInstruction, Instruction, OnbuildInstruction
from dockerast.cst.positions import line_starts
from dockerast.refactor.references import PLATFORM_ARGS

from lsp_server.documents import Snapshot
from lsp_server.occurrences import variable_refs
from lsp_server.positions import units

TOKEN_TYPES = ["keyword", "comment", "variable", "parameter", "class", "type", "macro", "string"]
TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)

KEYWORD, COMMENT, VARIABLE, PARAMETER, CLASS, TYPE, MACRO, STRING = range(8)
DECLARATION, READONLY, DEFAULT_LIBRARY = 1, 2, 4

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 20000


def _cached(key, compute):
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = compute()
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


def _comment_spans(text: str, first_line_too: bool, limit: int | None = None) -> list[tuple[int, int, int, int]]:
    out = []
    pos = 0
    end_all = len(text) if limit is None else limit
    first = True
    while pos < end_all:
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        if first_line_too or not first:
            line = text[pos:end]
            stripped = line.lstrip(" \t")
            if stripped.startswith("#"):
                start = pos + len(line) - len(stripped)
                stop = end - 1 if end > start and text[end - 1] == "\r" else end
                out.append((start, stop, COMMENT, 0))
        first = False
        if nl < 0:
            break
        pos = nl + 1
    return out


def _instruction_spans(ins: Instruction) -> list[tuple[int, int, int, int]]:
    spans: list[tuple[int, int, int, int]] = []
    kw = ins.keyword_span
    spans.append((kw.start, kw.end, KEYWORD, 0))
    if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
        trigger = ins.trigger
        span = trigger.keyword_span
        spans.append((span.start, span.end, KEYWORD, 0))
        for flag in trigger.flags:
            spans.append((flag.span.start, flag.name_span.end, PARAMETER, 0))
    for flag in ins.flags:
        spans.append((flag.span.start, flag.name_span.end, PARAMETER, 0))
    if isinstance(ins, FromInstruction):
        if ins.image_span is not None:
            spans.append((ins.image_span.start, ins.image_span.end, TYPE, 0))
        as_word = ins.as_keyword
        if as_word is not None:
            spans.append((as_word.span.start, as_word.span.end, KEYWORD, 0))
        if ins.stage_name_span is not None:
            spans.append((ins.stage_name_span.start, ins.stage_name_span.end, CLASS, DECLARATION))
    if isinstance(ins, (ArgInstruction, EnvInstruction)):
        for pair in ins.pairs:
            mods = DECLARATION | (DEFAULT_LIBRARY if pair.key in PLATFORM_ARGS else 0)
            spans.append((pair.key_span.start, pair.key_span.end, VARIABLE, mods))
    for ref in variable_refs(ins):
        end = ref.span.end if ref.span.end == ref.name_span.end + 1 else ref.name_span.end
        spans.append((ref.span.start, end, VARIABLE, DEFAULT_LIBRARY if ref.name in PLATFORM_ARGS else 0))
    for heredoc in getattr(ins, "heredocs", ()) or ():
        spans.append((heredoc.word_span.start, heredoc.word_span.end, STRING, 0))
        if heredoc.terminator_span.end > heredoc.terminator_span.start:
            spans.append((heredoc.terminator_span.start, heredoc.terminator_span.end, STRING, 0))
    spans.extend(_comment_spans(ins.text, False, ins.body_start))
    return spans


def _relative(text: str, spans, encoding: str) -> tuple[tuple[int, int, int, int, int], ...]:
    """Spans of ``text`` as (line, column, length, type, modifiers), one line each, sorted, no overlap."""
    starts = line_starts(text)
    out = []
    last_end = -1
    for start, end, kind, mods in sorted(spans):
        if start < last_end or end <= start:
            continue
        line = bisect_right(starts, start) - 1
        line_end = starts[line + 1] - 1 if line + 1 < len(starts) else len(text)
        end = min(end, line_end)
        if end <= start:
            continue
        line_start = starts[line]
        prefix = text[line_start:start]
        column = units(prefix, encoding)
        length = units(text[start:end], encoding)
        out.append((line, column, length, kind, mods))
        last_end = end
    return tuple(out)


def instruction_tokens(ins: Instruction, encoding: str):
    key = ("ins", type(ins).__name__, ins.text, ins.segments, ins.body_start, ins.escape, encoding)
    return _cached(key, lambda: _relative(ins.text, _instruction_spans(ins), encoding))


def comment_tokens(text: str, encoding: str):
    if "#" not in text:
        return ()
    return _cached(("comments", text, encoding), lambda: _relative(text, _comment_spans(text, True), encoding))


def directive_tokens(text: str, encoding: str):
    stripped = text.rstrip("\r\n")
    start = len(stripped) - len(stripped.lstrip(" \t"))
    return _relative(text, [(start, len(stripped), MACRO, 0)], encoding) if stripped.strip() else ()


def absolute_tokens(snapshot: Snapshot) -> list[tuple[int, int, int, int, int]]:
    """Every token as (line, column, length, type, modifiers), in document order."""

    def compute():
        tree = snapshot.tree
        enc = snapshot.encoding
        out: list[tuple[int, int, int, int, int]] = []
        line = 0
        first_column = units(tree.bom, enc) if tree.bom else 0

        def add(tokens, chunk_text):
            nonlocal line, first_column
            for tl, tc, tlen, kind, mods in tokens:
                out.append((line + tl, tc + (first_column if tl == 0 else 0), tlen, kind, mods))
            newlines = chunk_text.count("\n")
            if newlines:
                line += newlines
                first_column = 0
            else:
                first_column += units(chunk_text, enc)

        for directive in tree.directives:
            add(directive_tokens(directive.text, enc), directive.text)
        for ins in tree.instructions:
            if ins.leading:
                add(comment_tokens(ins.leading, enc), ins.leading)
            add(instruction_tokens(ins, enc), ins.text)
        if tree.trailing:
            add(comment_tokens(tree.trailing, enc), tree.trailing)
        return out

    return snapshot.memo("tokens", compute)


def encode(tokens) -> list[int]:
    data: list[int] = []
    prev_line = prev_col = 0
    append = data.extend
    for line, col, length, kind, mods in tokens:
        delta_line = line - prev_line
        append((delta_line, col - prev_col if delta_line == 0 else col, length, kind, mods))
        prev_line, prev_col = line, col
    return data


def full(snapshot: Snapshot) -> list[int]:
    return snapshot.memo("tokens-data", lambda: encode(absolute_tokens(snapshot)))


def in_range(snapshot: Snapshot, rng: types.Range) -> list[int]:
    """The tokens on the lines of the range."""
    first, last = rng.start.line, rng.end.line
    return encode([t for t in absolute_tokens(snapshot) if first <= t[0] <= last])


def delta(old: list[int], new: list[int]) -> list[types.SemanticTokensEdit]:
    if old == new:
        return []
    n, m = len(old), len(new)
    prefix = 0
    limit = min(n, m)
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    prefix -= prefix % 5
    suffix = 0
    while suffix < limit - prefix and old[n - 1 - suffix] == new[m - 1 - suffix]:
        suffix += 1
    suffix -= suffix % 5
    return [types.SemanticTokensEdit(start=prefix, delete_count=n - prefix - suffix, data=new[prefix : m - suffix])]
