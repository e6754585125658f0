"""Completion: instructions, flags, stage names, variables, platform ARGs and platforms."""

from __future__ import annotations

import pytest
from lsprotocol import types

pytest.register_assert_rewrite("lsp_client")
from lsp_client import find, open_doc, td  # noqa: F401

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

TEXT = """\
ARG VERSION=1
FROM golang:1.22 AS builder
ARG TARGETARCH
ENV GOFLAGS=-mod=mod
RUN echo ${T}
RUN --
FROM alpine
COPY --from= /out /out
FR
ARG 
FROM --platform= alpine
"""


@pytest.fixture
def uri(client):
    return open_doc(client, TEXT)


async def labels(client, uri, needle, delta=0, nth=0):
    pos = find(TEXT, needle, client.encoding, nth, delta)
    result = await client.text_document_completion_async(types.CompletionParams(text_document=td(uri), position=pos))
    items = result.items if isinstance(result, types.CompletionList) else result
    return [i.label for i in items]


async def test_instructions_at_line_start(client, uri):
    found = await labels(client, uri, "FR\n", delta=2)
    assert "FROM" in found and "RUN" in found


async def test_flags_of_the_instruction(client, uri):
    found = await labels(client, uri, "RUN --", delta=6)
    assert found == ["--mount", "--network", "--security"]


async def test_stage_names_after_from(client, uri):
    assert await labels(client, uri, "--from=", delta=7) == ["builder"]


async def test_variables_after_dollar_brace(client, uri):
    found = await labels(client, uri, "${T}", delta=3)
    assert "TARGETARCH" in found and "GOFLAGS" in found and "VERSION" not in found


async def test_platform_args_after_arg(client, uri):
    found = await labels(client, uri, "ARG \n", delta=4)
    assert "TARGETOS" in found and "BUILDPLATFORM" in found and "VERSION" in found


async def test_platform_values(client, uri):
    found = await labels(client, uri, "--platform=", delta=11)
    assert found[0] == "$BUILDPLATFORM"


async def test_from_flag_suggests_buildplatform(client, uri):
    found = await labels(client, uri, "FROM alpine", delta=5)
    assert "--platform=$BUILDPLATFORM" in found
