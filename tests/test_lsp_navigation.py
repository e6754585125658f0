"""Hover, definition, references, highlight, rename, symbols, folding, selection, links, inlay hints."""

from __future__ import annotations

import pytest
from lsprotocol import types

pytest.register_assert_rewrite("lsp_client")
from lsp_client import apply_workspace_edit, find, open_doc, td  # noqa: F401

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

TEXT = """\
# syntax=docker/dockerfile:1
ARG BASE=alpine
ARG VERSION=3.20

# 🐳 the builder
FROM --platform=$BUILDPLATFORM golang:1.22 AS builder
ARG TARGETOS TARGETARCH
ENV CGO_ENABLED=0
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \\
    GOOS=$TARGETOS GOARCH=${TARGETARCH} go build -o /out/app .

FROM ${BASE}:${VERSION} AS final
ARG VERSION
ENV APP_VERSION=$VERSION
COPY --from=builder /out/app /usr/bin/app
RUN <<EOF
echo "$APP_VERSION"
EOF
CMD ["app"]
"""


@pytest.fixture
def uri(client):
    return open_doc(client, TEXT)


def at(client, needle, nth=0, delta=0):
    return find(TEXT, needle, client.encoding, nth, delta)


async def test_hover_keyword(client, uri):
    hover = await client.text_document_hover_async(types.HoverParams(text_document=td(uri), position=at(client, "WORKDIR")))
    assert "WORKDIR <path>" in hover.contents.value


async def test_hover_variable_shows_resolved_value(client, uri):
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=td(uri), position=at(client, "$VERSION", delta=2))
    )
    assert "`VERSION` = `3.20`" in hover.contents.value
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=td(uri), position=at(client, "${TARGETARCH}", delta=3))
    )
    assert "`TARGETARCH` = `amd64`" in hover.contents.value


async def test_hover_from_parts_and_stage(client, uri):
    hover = await client.text_document_hover_async(types.HoverParams(text_document=td(uri), position=at(client, "golang:1.22")))
    assert "repository: `golang`" in hover.contents.value and "tag: `1.22`" in hover.contents.value
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=td(uri), position=at(client, "--from=builder", delta=9))
    )
    assert "**Stage** `builder`" in hover.contents.value


async def test_definition_of_stage_and_variable(client, uri):
    [loc] = await client.text_document_definition_async(
        types.DefinitionParams(text_document=td(uri), position=at(client, "--from=builder", delta=9))
    )
    assert loc.range.start == at(client, "AS builder", delta=3)
    [loc] = await client.text_document_definition_async(
        types.DefinitionParams(text_document=td(uri), position=at(client, "$APP_VERSION", delta=2))
    )
    assert loc.range.start == at(client, "APP_VERSION")


async def test_references_of_a_global_arg(client, uri):
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=td(uri), position=at(client, "VERSION=3.20"), context=types.ReferenceContext(include_declaration=True)
        )
    )
    assert [r.range.start for r in refs] == [
        at(client, "VERSION=3.20"),
        at(client, "${VERSION}", delta=2),
        at(client, "ARG VERSION", nth=1, delta=4),
        at(client, "$VERSION", delta=1),
    ]


async def test_highlight_kinds(client, uri):
    found = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=td(uri), position=at(client, "AS builder", delta=4))
    )
    kinds = sorted(h.kind for h in found)
    assert kinds == [types.DocumentHighlightKind.Read, types.DocumentHighlightKind.Write]


async def test_rename_stage(client, uri):
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=td(uri), position=at(client, "AS builder", delta=5))
    )
    assert prepared.placeholder == "builder"
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=td(uri), position=at(client, "AS builder", delta=5), new_name="compile")
    )
    assert apply_workspace_edit(TEXT, edit, uri, client.encoding) == TEXT.replace("AS builder", "AS compile").replace("--from=builder", "--from=compile")


async def test_rename_arg(client, uri):
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=td(uri), position=at(client, "VERSION=3.20"), new_name="ALPINE")
    )
    result = apply_workspace_edit(TEXT, edit, uri, client.encoding)
    assert result == TEXT.replace("VERSION=3.20", "ALPINE=3.20").replace("${VERSION}", "${ALPINE}").replace(
        "ARG VERSION", "ARG ALPINE").replace("=$VERSION", "=$ALPINE")


async def test_rename_refusals_are_lsp_errors(client, uri):
    with pytest.raises(Exception, match="automatic platform ARG"):
        await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=td(uri), position=at(client, "$TARGETOS", delta=2))
        )
    with pytest.raises(Exception, match="not a valid stage name"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=td(uri), position=at(client, "AS builder", delta=5), new_name="9 bad")
        )


async def test_rename_image_tag(client, uri):
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=td(uri), position=at(client, "1.22"), new_name="1.23")
    )
    assert apply_workspace_edit(TEXT, edit, uri, client.encoding) == TEXT.replace("golang:1.22", "golang:1.23")


async def test_document_symbols_nest_by_stage(client, uri):
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=td(uri)))
    assert [s.name for s in symbols] == ["BASE", "VERSION", "builder", "final"]
    builder = symbols[2]
    assert [c.name for c in builder.children][:3] == ["TARGETOS", "TARGETARCH", "CGO_ENABLED"]



async def test_document_symbol_ranges_count_wide_characters(client):
    text = 'FROM alpine AS 🐳base\nENV GREETING="héllo 🐳" NAME=x\nLABEL a="€" \\\n  b=🐳\nARG LAST\n'
    uri = open_doc(client, text)
    [stage] = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=td(uri)))
    assert stage.name == "🐳base"
    assert stage.selection_range.start == find(text, "🐳base", client.encoding)
    assert stage.range.end == find(text, "\nARG LAST", client.encoding, delta=len("\nARG LAST"))
    greeting, name, label, last = stage.children
    assert (greeting.name, name.name, label.name, last.name) == ("GREETING", "NAME", "LABEL", "LAST")
    assert name.selection_range.start == find(text, "NAME", client.encoding)
    assert name.range == greeting.range  # one ENV instruction
    assert name.range.end == find(text, "=x", client.encoding, delta=2)
    assert label.range.end == find(text, "b=🐳", client.encoding, delta=3)

async def test_folding_ranges(client, uri):
    ranges = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=td(uri)))
    spans = {(r.start_line, r.end_line) for r in ranges}
    assert (5, 10) in spans  # the builder stage
    assert (9, 10) in spans  # a continuation
    assert (16, 18) in spans  # a heredoc
    assert (12, 19) in spans  # the final stage


async def test_selection_ranges_grow(client, uri):
    [sel] = await client.text_document_selection_range_async(
        types.SelectionRangeParams(text_document=td(uri), positions=[at(client, "go build", delta=3)])
    )
    sizes = []
    while sel is not None:
        sizes.append((sel.range.start.line, sel.range.start.character, sel.range.end.line, sel.range.end.character))
        sel = sel.parent
    assert len(sizes) >= 3 and sizes[-1][:2] == (0, 0)


async def test_document_links_to_docker_hub(client, uri):
    links = await client.text_document_document_link_async(types.DocumentLinkParams(text_document=td(uri)))
    assert [link.target for link in links] == ["https://hub.docker.com/_/golang"]


async def test_inlay_hints_show_values(client, uri):
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=td(uri), range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=30, character=0))
        )
    )
    labels = {(h.position.line, h.label) for h in hints}
    assert (12, "= alpine") in labels and (12, "= 3.20") in labels
    assert (10, "= amd64") in labels


async def test_unknown_document_and_wild_positions(client, uri):
    nowhere = td("file:///never/opened/Dockerfile")
    far = types.Position(line=10_000, character=10_000)
    assert await client.text_document_hover_async(types.HoverParams(text_document=nowhere, position=far)) is None
    assert not await client.text_document_definition_async(types.DefinitionParams(text_document=td(uri), position=far))
    assert await client.text_document_hover_async(types.HoverParams(text_document=td(uri), position=far)) is None
