"""Code actions end to end: quick fixes, fix-all, suppressions and refactors, lazily resolved, as minimal edits."""

from __future__ import annotations

import pytest
from lsprotocol import types

import dockerast
from dockerast.rules import fix_all
pytest.register_assert_rewrite("lsp_client")
from lsp_client import (  # noqa: F401
    AGENTCUBE,
    apply_workspace_edit,
    code_actions,
    diagnostics,
    find,
    open_doc,
    point,
    require,
    resolved_edit,
    workspace_text_edits,
)

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD_STAGE = "FROM alpine AS Builder\nFROM scratch\nCOPY --from=Builder /app /app\n"


async def _apply(client, uri, text, action):
    if client.lazy_edits_expected:
        assert action.edit is None, "the edit should come from codeAction/resolve"
    edit = await resolved_edit(client, action)
    return apply_workspace_edit(text, edit, uri, client.encoding)


@pytest.fixture(autouse=True)
def _lazy(client):
    props = client.capabilities.text_document.code_action.resolve_support.properties
    client.lazy_edits_expected = "edit" in props


async def _action(client, uri, text, needle, title, nth=0, only=None):
    actions = await code_actions(client, uri, point(find(text, needle, client.encoding, nth)), only=only)
    matching = [a for a in actions if a.title.startswith(title)]
    assert matching, [a.title for a in actions]
    return matching[0]


async def test_agentcube_pin_builder_stages(client):
    before = require(AGENTCUBE / "before" / "Dockerfile").read_text()
    after = (AGENTCUBE / "after" / "Dockerfile").read_text()
    uri = open_doc(client, before)
    action = await _action(client, uri, before, "FROM golang", "Pin builder stages to $BUILDPLATFORM")
    assert action.kind == types.CodeActionKind.RefactorRewrite
    edit = await resolved_edit(client, action)
    [only_edit] = workspace_text_edits(edit, uri)
    assert only_edit.new_text == "--platform=$BUILDPLATFORM " and only_edit.range.start == only_edit.range.end
    assert apply_workspace_edit(before, edit, uri, client.encoding) == after


async def test_agentcube_pin_is_offered_inside_the_builder_stage_only(client):
    before = require(AGENTCUBE / "before" / "Dockerfile").read_text()
    uri = open_doc(client, before)
    inside = await code_actions(client, uri, point(find(before, "go mod download", client.encoding)))
    assert any(a.title.startswith("Pin builder stages") for a in inside)
    final = await code_actions(client, uri, point(find(before, "USER apiserver", client.encoding)))
    assert not any(a.title.startswith("Pin builder stages") for a in final)


async def test_move_platform_args_after_the_dependency_step(client):
    text = require(AGENTCUBE / "after" / "Dockerfile").read_text()
    expected = (AGENTCUBE / "args-after-download" / "Dockerfile").read_text()
    uri = open_doc(client, text)
    action = await _action(client, uri, text, "ARG TARGETOS", "Move platform ARGs after the dependency step")
    assert await _apply(client, uri, text, action) == expected


async def test_move_args_to_first_use(client):
    text = require(AGENTCUBE / "after" / "Dockerfile").read_text()
    expected = (AGENTCUBE / "args-at-first-use" / "Dockerfile").read_text()
    uri = open_doc(client, text)
    action = await _action(client, uri, text, "FROM --platform", "Move this stage's ARGs to their first use")
    assert await _apply(client, uri, text, action) == expected


async def test_quick_fix_from_the_rule(client):
    uri = open_doc(client, BAD_STAGE)
    [diag] = [d for d in await diagnostics(client, uri) if d.data and d.data["name"] == "StageNameCasing"]
    actions = await code_actions(client, uri, diag.range, diagnostics_=[diag])
    fixes = [
        a for a in actions
        if a.kind == types.CodeActionKind.QuickFix and a.is_preferred and a.diagnostics[0].code == diag.code
    ]
    assert len(fixes) == 1
    fix = fixes[0]
    assert fix.diagnostics and fix.diagnostics[0].code == diag.code
    fixed = await _apply(client, uri, BAD_STAGE, fix)
    assert fixed == "FROM alpine AS builder\nFROM scratch\nCOPY --from=builder /app /app\n"


async def test_quick_fix_positions_with_wide_characters(client):
    text = "# 🐳 base ✓\nFROM alpine AS Builder\nFROM scratch\nLABEL x=\"🐳🐳\" y=\"é\"\nCOPY --from=Builder /app /app\n"
    uri = open_doc(client, text)
    [diag] = [d for d in await diagnostics(client, uri) if d.data and d.data["name"] == "StageNameCasing"]
    actions = await code_actions(client, uri, diag.range, diagnostics_=[diag])
    fix = next(a for a in actions if a.is_preferred)
    assert await _apply(client, uri, text, fix) == text.replace("Builder", "builder")


async def test_fix_all_is_a_source_action_with_minimal_edits(client):
    text = "# top\nFROM alpine AS Builder\nFROM busybox AS Other\nCOPY --from=Builder /a /b\n"
    uri = open_doc(client, text)
    actions = await code_actions(client, uri, point(find(text, "# top", client.encoding)), only=["source.fixAll"])
    assert [a.kind for a in actions] == ["source.fixAll.dockerast"]
    result = await _apply(client, uri, text, actions[0])
    assert result == str(fix_all(dockerast.parse(text))[0])
    edit = await resolved_edit(client, actions[0])
    assert all(len(e.new_text) < 20 for e in workspace_text_edits(edit, uri))


async def test_only_filters_kinds(client):
    text = "FROM alpine AS Builder\nCMD node server.js\nFROM scratch\nCOPY --from=Builder /app /app\n"
    uri = open_doc(client, text)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=3, character=0))
    refactors = await code_actions(client, uri, whole, only=["refactor"])
    assert refactors and all(a.kind.startswith("refactor") for a in refactors)
    fixes = await code_actions(client, uri, whole, only=["quickfix"])
    assert fixes and all(a.kind == "quickfix" for a in fixes)


async def test_suppress_with_pragma_and_check_skip(client):
    text = "FROM busybox AS base\n\n# the builder\nFROM alpine AS Builder\nFROM scratch\nCOPY --from=Builder /a /b\n"
    uri = open_doc(client, text)
    [diag] = [d for d in await diagnostics(client, uri) if d.data and d.data["name"] == "StageNameCasing"]
    actions = await code_actions(client, uri, diag.range, diagnostics_=[diag])
    titles = [a.title for a in actions]
    pragma = next(a for a in actions if "dockerast: ignore" in a.title)
    skip = next(a for a in actions if "check=skip" in a.title and "instruction" in a.title)
    whole = next(a for a in actions if "in this file" in a.title)
    assert len({pragma.title, skip.title, whole.title}) == 3, titles
    for action, expected in (
        (pragma, text.replace("FROM alpine", "# dockerast: ignore[StageNameCasing]\nFROM alpine")),
        (skip, text.replace("# the builder\n", "# the builder\n# check=skip=StageNameCasing\n")),
        (whole, "# check=skip=StageNameCasing\n" + text),
    ):
        result = await _apply(client, uri, text, action)
        assert result == expected
        check = open_doc(client, result)
        assert [d for d in await diagnostics(client, check) if d.data and d.data["name"] == "StageNameCasing"] == []


async def test_check_skip_is_not_offered_where_it_would_become_a_directive(client):
    uri = open_doc(client, BAD_STAGE)
    [diag] = [d for d in await diagnostics(client, uri) if d.data and d.data["name"] == "StageNameCasing"]
    actions = await code_actions(client, uri, diag.range, diagnostics_=[diag])
    assert not any("check=skip" in a.title and "instruction" in a.title for a in actions)
    assert any("dockerast: ignore" in a.title for a in actions)


async def test_convert_to_exec_form(client):
    text = "FROM node:20\nCMD node server.js --port 80\n"
    uri = open_doc(client, text)
    action = await _action(client, uri, text, "CMD", "Convert CMD to exec form")
    assert await _apply(client, uri, text, action) == 'FROM node:20\nCMD ["node", "server.js", "--port", "80"]\n'


async def test_convert_to_exec_form_keeping_the_shell(client):
    text = "FROM node:20\nENTRYPOINT node server.js && echo done\n"
    uri = open_doc(client, text)
    actions = await code_actions(client, uri, point(find(text, "ENTRYPOINT", client.encoding)))
    titles = [a.title for a in actions]
    assert "Convert ENTRYPOINT to exec form" not in titles
    action = next(a for a in actions if a.title == "Convert ENTRYPOINT to exec form (keep the shell)")
    assert await _apply(client, uri, text, action) == (
        'FROM node:20\nENTRYPOINT ["/bin/sh", "-c", "node server.js && echo done"]\n'
    )


async def test_set_base_image_tag(client):
    text = "FROM golang:1.22 AS build\nRUN go build\nFROM golang:1.21-alpine AS test\nFROM alpine\n"
    uri = open_doc(client, text)
    action = await _action(client, uri, text, "golang:1.21", "Set base image tag to '1.22'")
    assert await _apply(client, uri, text, action) == text.replace("1.21-alpine", "1.22")


async def test_no_refactors_on_a_broken_file(client):
    text = "FROM alpine AS Builder\nENV broken\nCMD node server.js\n"
    uri = open_doc(client, text)
    actions = await code_actions(client, uri, point(find(text, "CMD", client.encoding)))
    assert not any(a.kind.startswith("refactor") for a in actions)


async def test_resolving_for_a_closed_document_is_an_lsp_error(client):
    action = types.CodeAction(title="x", data={"uri": "file:///never/opened", "key": ["pin"]})
    with pytest.raises(Exception) as info:
        await client.code_action_resolve_async(action)
    assert "not open" in str(info.value)
