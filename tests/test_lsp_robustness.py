"""The server keeps answering through random incremental edits and requests, and stays in sync."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.exceptions import JsonRpcException

pytest.register_assert_rewrite("lsp_client")
from lsp_client import AGENTCUBE, change_doc, open_doc, td, to_offset, to_position  # noqa: F401

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

SEEDS = [
    "",
    "FROM alpine AS Builder\nRUN echo $HOME\n",
    "# syntax=docker/dockerfile:1\nARG V=1\nFROM golang:${V} AS b\nCOPY --from=b /a /b\nRUN <<EOF\necho hi\nEOF\n",
    "FROM a\r\nRUN x \\\r\n  y\r\n",
    "# escape=`\nFROM windows\nRUN dir `\n  c:\\\n",
]
if (AGENTCUBE / "before" / "Dockerfile").exists():
    SEEDS.append((AGENTCUBE / "before" / "Dockerfile").read_text())

PIECES = st.sampled_from(
    ["FROM ", "RUN ", "ARG ", "ENV ", "COPY ", "CMD ", "ONBUILD ", "AS ", "--from=", "--platform=", "$", "${", "}", "\\",
     "\n", "\r\n", "#", " ", "\t", "<<EOF\n", "EOF\n", '"', "'", "[", "]", "=", "🐳", "é", "x", "TARGETARCH", ":", "/"]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=6).map("".join)


def position(data, text: str, encoding: str) -> types.Position:
    if data.draw(st.integers(0, 9)) == 0:  # now and then, far out of range
        return types.Position(line=data.draw(st.integers(0, 500)), character=data.draw(st.integers(0, 500)))
    return to_position(text, data.draw(st.integers(0, len(text))), encoding)


async def _requests(client, uri, text, data):
    enc = client.encoding
    doc = td(uri)
    pos = position(data, text, enc)
    other = position(data, text, enc)
    first, last = (pos, other) if (pos.line, pos.character) <= (other.line, other.character) else (other, pos)
    rng = types.Range(start=first, end=last)
    calls = [
        lambda: client.text_document_hover_async(types.HoverParams(text_document=doc, position=pos)),
        lambda: client.text_document_completion_async(types.CompletionParams(text_document=doc, position=pos)),
        lambda: client.text_document_definition_async(types.DefinitionParams(text_document=doc, position=pos)),
        lambda: client.text_document_references_async(
            types.ReferenceParams(text_document=doc, position=pos, context=types.ReferenceContext(include_declaration=True))
        ),
        lambda: client.text_document_document_highlight_async(types.DocumentHighlightParams(text_document=doc, position=pos)),
        lambda: client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc)),
        lambda: client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc)),
        lambda: client.text_document_selection_range_async(types.SelectionRangeParams(text_document=doc, positions=[pos])),
        lambda: client.text_document_semantic_tokens_range_async(types.SemanticTokensRangeParams(text_document=doc, range=rng)),
        lambda: client.text_document_code_action_async(
            types.CodeActionParams(text_document=doc, range=rng, context=types.CodeActionContext(diagnostics=[]))
        ),
        lambda: client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=doc, options=types.FormattingOptions(tab_size=4, insert_spaces=True))
        ),
        lambda: client.text_document_inlay_hint_async(types.InlayHintParams(text_document=doc, range=rng)),
        lambda: client.text_document_document_link_async(types.DocumentLinkParams(text_document=doc)),
        lambda: client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=doc)),
    ]
    for call in data.draw(st.lists(st.sampled_from(calls), min_size=1, max_size=4)):
        await call()
    try:
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=doc, position=pos))
    except JsonRpcException as error:
        assert error.code == -32803, error  # RequestFailed, with a reason: fine


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_random_edits_and_requests(client, data):
    enc = client.encoding
    text = data.draw(st.sampled_from(SEEDS))
    uri = open_doc(client, text)
    for _ in range(data.draw(st.integers(1, 12))):
        if data.draw(st.integers(0, 15)) == 0:
            text = data.draw(TEXTS)
            change_doc(client, uri, [types.TextDocumentContentChangeWholeDocument(text=text)])
        else:
            a, b = position(data, text, enc), position(data, text, enc)
            start, end = sorted([a, b], key=lambda p: (p.line, p.character))
            new = data.draw(TEXTS)
            s, e = to_offset(text, start, enc), to_offset(text, end, enc)
            text = text[:s] + new + text[max(s, e):]
            change_doc(client, uri, [types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new)])
        if data.draw(st.booleans()):
            await _requests(client, uri, text, data)
    # The server's text is the client's: the same answers as for a document opened with that text.
    fresh = open_doc(client, text)
    for make in (
        lambda u: client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=td(u))),
        lambda u: client.text_document_folding_range_async(types.FoldingRangeParams(text_document=td(u))),
    ):
        ours, theirs = await make(uri), await make(fresh)
        if isinstance(ours, types.SemanticTokens):
            assert list(ours.data) == list(theirs.data)
        else:
            assert ours == theirs


def _send_raw(client, body: bytes) -> None:
    client._server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def test_malformed_messages_do_not_stop_the_server(client):
    uri = open_doc(client, "FROM alpine\n")
    bad = [
        b'{"jsonrpc": "2.0", "id": 90001, "method": "textDocument/hover", "params": {"textDocument": {"uri": "%s"}, "position": {"line": -1}}}'
        % uri.encode(),
        b'{"jsonrpc": "2.0", "id": 90002, "method": "dockerast/unknownMethod", "params": {}}',
        b'{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": 7}}}',
        b'{"jsonrpc": "2.0", "id": 90003, "method": "textDocument/codeAction", "params": null}',
        b'{not json at all',
    ]
    for body in bad:
        _send_raw(client, body)
    # Changes to a document that is not open are ignored.
    change_doc(client, "file:///not/open/Dockerfile", [types.TextDocumentContentChangeWholeDocument(text="FROM x\n")])
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=td(uri), position=types.Position(line=0, character=1))
    )
    assert hover is not None and "FROM" in hover.contents.value
    assert client._server.returncode is None
