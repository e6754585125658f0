"""Semantic tokens: full, range and delta, and their speed."""

from __future__ import annotations

import time

import pytest
from lsprotocol import types

pytest.register_assert_rewrite("lsp_client")
from lsp_client import AGENTCUBE, change_doc, open_doc, require, td  # noqa: F401
from lsp_server.documents import Snapshot
from lsp_server.tokens import absolute_tokens

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

TEXT = "# syntax=docker/dockerfile:1\n# 🐳 comment\nFROM --platform=$BUILDPLATFORM golang:1.22 AS builder\nARG TARGETOS\nRUN GOOS=$TARGETOS go build \\\n    # inside\n    -o /out\n"


def decode(data, legend):
    out, line, col = [], 0, 0
    for i in range(0, len(data), 5):
        dl, dc, length, kind, mods = data[i : i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        out.append((line, col, length, legend.token_types[kind], mods))
    return out


def _text_of(text, line, col, length, encoding):
    raw = text.split("\n")[line]
    units = raw.encode("utf-16-le" if encoding == "utf-16" else "utf-8", "surrogatepass")
    width = 2 if encoding == "utf-16" else 1
    return units[col * width : (col + length) * width].decode("utf-16-le" if encoding == "utf-16" else "utf-8")


async def test_full_tokens(client):
    uri = open_doc(client, TEXT)
    result = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=td(uri)))
    legend = client.result.capabilities.semantic_tokens_provider.legend
    tokens = decode(result.data, legend)
    seen = {(_text_of(TEXT, line, col, length, client.encoding), kind) for line, col, length, kind, _ in tokens}
    assert ("FROM", "keyword") in seen and ("AS", "keyword") in seen
    assert ("builder", "class") in seen and ("golang:1.22", "type") in seen
    assert ("--platform", "parameter") in seen and ("$BUILDPLATFORM", "variable") in seen
    assert ("TARGETOS", "variable") in seen and ("$TARGETOS", "variable") in seen
    assert ("# 🐳 comment", "comment") in seen and ("# inside", "comment") in seen
    assert ("# syntax=docker/dockerfile:1", "macro") in seen
    positions = [(t[0], t[1]) for t in tokens]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


async def test_range_and_delta(client):
    uri = open_doc(client, TEXT)
    full = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=td(uri)))
    legend = client.result.capabilities.semantic_tokens_provider.legend
    rng = types.Range(start=types.Position(line=3, character=0), end=types.Position(line=3, character=20))
    ranged = await client.text_document_semantic_tokens_range_async(types.SemanticTokensRangeParams(text_document=td(uri), range=rng))
    assert {t[0] for t in decode(ranged.data, legend)} == {3}
    change_doc(
        client,
        uri,
        [types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=3, character=0), end=types.Position(line=3, character=0)),
            text="ENV A=1\n",
        )],
    )
    delta = await client.text_document_semantic_tokens_full_delta_async(
        types.SemanticTokensDeltaParams(text_document=td(uri), previous_result_id=full.result_id)
    )
    assert isinstance(delta, types.SemanticTokensDelta)
    data = list(full.data)
    for edit in delta.edits:
        data[edit.start : edit.start + edit.delete_count] = list(edit.data or [])
    fresh = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=td(uri)))
    assert data == list(fresh.data)
    assert sum(len(e.data or []) for e in delta.edits) < len(fresh.data)


async def test_tokens_are_fast_on_2000_lines():
    text = require(AGENTCUBE / "before" / "Dockerfile").read_text()
    big = text * (2000 // text.count("\n") + 1)
    assert big.count("\n") >= 2000
    for encoding in ("utf-16", "utf-8"):
        warm = Snapshot("file:///big", big, 1, encoding)
        absolute_tokens(warm)  # parse and per-instruction caches warm, as after the first request
        best = float("inf")
        for n in range(5):
            snap = Snapshot("file:///big", big.replace("golang", f"golang{n}", 1), n + 2, encoding)
            snap.tree.instructions and [i.syntax for i in snap.tree.instructions]  # the parse is not the tokens' cost
            start = time.perf_counter()
            tokens = absolute_tokens(snap)
            best = min(best, time.perf_counter() - start)
        assert len(tokens) > 1500
        assert best < 0.02, f"{best * 1000:.1f} ms for {big.count(chr(10))} lines"
