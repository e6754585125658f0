"""Formatting end to end: the library's layout as minimal edits, for the document, a range, and on type."""

from __future__ import annotations

import pytest
from lsprotocol import types

import dockerast
from dockerast.refactor import format_dockerfile
pytest.register_assert_rewrite("lsp_client")
from lsp_client import apply_text_edits, assert_minimal, open_doc, td  # noqa: F401

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

UGLY = "from   alpine   as   base\nrun  echo   a &&\\\n  echo b   \n\n\n\ncopy  a   b\nLABEL x=1\n"
OPTIONS = types.FormattingOptions(tab_size=8, insert_spaces=True)


async def test_document_formatting_is_minimal_and_matches_the_library(client):
    uri = open_doc(client, UGLY)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=td(uri), options=OPTIONS))
    assert edits
    assert_minimal(UGLY, edits, client.encoding)
    assert apply_text_edits(UGLY, edits, client.encoding) == format_dockerfile(dockerast.parse(UGLY)).text
    assert len(edits) > 3  # one per changed place, not one big replacement


async def test_range_formatting_touches_only_the_range(client):
    uri = open_doc(client, UGLY)
    rng = types.Range(start=types.Position(line=6, character=0), end=types.Position(line=6, character=5))
    edits = await client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(text_document=td(uri), range=rng, options=OPTIONS)
    )
    assert edits and all(e.range.start.line >= 3 and e.range.end.line <= 7 for e in edits)
    result = apply_text_edits(UGLY, edits, client.encoding)
    assert "COPY a b\n" in result and result.startswith("from   alpine")


async def test_formatting_a_broken_file_changes_nothing(client):
    text = "FROM alpine\nENV broken\n"
    uri = open_doc(client, text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=td(uri), options=OPTIONS))
    assert not edits


async def test_formatted_file_gives_no_edits(client):
    text = format_dockerfile(dockerast.parse(UGLY)).text
    uri = open_doc(client, text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(text_document=td(uri), options=OPTIONS))
    assert not edits


async def test_on_type_formatting_indents_a_continuation(client):
    if client.result.capabilities.document_on_type_formatting_provider is None:
        pytest.skip("no on-type formatting")
    text = "FROM alpine\nRUN apk add \\\n\n"
    uri = open_doc(client, text)
    edits = await client.text_document_on_type_formatting_async(
        types.DocumentOnTypeFormattingParams(
            text_document=td(uri), position=types.Position(line=2, character=0), ch="\n", options=OPTIONS
        )
    )
    assert apply_text_edits(text, edits, client.encoding) == "FROM alpine\nRUN apk add \\\n    \n"
