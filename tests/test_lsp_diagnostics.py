"""Diagnostics end to end: pushed (VS Code profile) or pulled (Neovim profile), with code, link, severity and data."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from dockerast.rules import rule_by_key
pytest.register_assert_rewrite("lsp_client")
from lsp_client import change_doc, diagnostics, open_doc, replace_all, td, wait_published  # noqa: F401

# The shared servers (fixtures ``client``, ``vscode_client``, ``neovim_client``) live in lsp_client.
pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD_STAGE = "FROM alpine AS Builder\nFROM scratch\nCOPY --from=Builder /app /app\n"


async def test_rule_finding_carries_code_link_severity_and_data(client):
    uri = open_doc(client, BAD_STAGE)
    found = await diagnostics(client, uri)
    rule = rule_by_key("StageNameCasing")
    [diag] = [d for d in found if d.code == rule.code]
    assert diag.source == "dockerast"
    assert diag.severity == types.DiagnosticSeverity.Warning  # the rule's default severity
    assert diag.code_description is not None and diag.code_description.href == rule.url
    assert diag.range == types.Range(start=types.Position(line=0, character=15), end=types.Position(line=0, character=22))
    assert diag.data["code"] == rule.code and diag.data["name"] == "StageNameCasing"
    assert diag.data["fix"] and diag.data["safety"] == "safe"


async def test_syntax_errors_are_errors(client):
    uri = open_doc(client, "FROM alpine\nENV onlyname\nRUN echo hi\n")
    found = await diagnostics(client, uri)
    errors = [d for d in found if d.severity == types.DiagnosticSeverity.Error]
    assert errors and errors[0].range.start.line == 1
    assert "ENV" in errors[0].message


async def test_one_broken_instruction_leaves_every_other_diagnostic(client):
    broken = "FROM alpine AS Builder\nENV onlyname\nFROM scratch\nCOPY --from=Builder /app /app\nWORKDIR relative\n"
    whole = broken.replace("ENV onlyname\n", "")
    found = await diagnostics(client, open_doc(client, broken))
    codes = sorted(str(d.code) for d in found if d.severity != types.DiagnosticSeverity.Error)
    assert any("ENV" in d.message for d in found if d.severity == types.DiagnosticSeverity.Error)
    assert codes == sorted(str(d.code) for d in await diagnostics(client, open_doc(client, whole))) != []


async def test_build_errors_are_reported(client):
    uri = open_doc(client, "FROM alpine\nCOPY --from=later /a /b\nFROM busybox AS later\n")
    found = await diagnostics(client, uri)
    assert any("needs to be defined before" in d.message for d in found)


async def test_clean_file_has_no_diagnostics(client):
    uri = open_doc(client, "FROM alpine:3.20 AS base\nRUN echo hi\n")
    found = await diagnostics(client, uri)
    assert not [d for d in found if d.severity == types.DiagnosticSeverity.Error or (d.data or {}).get("name") == "StageNameCasing"]


async def test_diagnostics_follow_changes(client):
    uri = open_doc(client, "FROM alpine AS base\n")
    assert "StageNameCasing" not in [d.data["name"] for d in await diagnostics(client, uri) if d.data]
    version = replace_all(client, uri, BAD_STAGE)
    found = await diagnostics(client, uri, version)
    assert "StageNameCasing" in [d.data["name"] for d in found if d.data]


async def test_pull_answers_unchanged_for_the_same_version(client):
    uri = open_doc(client, BAD_STAGE)
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=td(uri)))
    assert first.items and first.result_id
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=td(uri), previous_result_id=first.result_id)
    )
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)


async def test_unknown_document_gives_an_empty_report(client):
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=td("file:///never/opened/Dockerfile"))
    )
    assert list(report.items) == []


async def test_lone_edit_published_at_once_and_burst_coalesced(client):
    if client.pull:
        pytest.skip("this client pulls diagnostics; the server pushes only to clients that cannot pull")
    # A long debounce, so that "not delayed" is unmistakable even on a slow machine.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockerast": {"diagnostics": {"debounceMs": 1500}}})
    )
    uri = open_doc(client, "FROM alpine AS base\n")
    await wait_published(client, uri)
    await asyncio.sleep(1.6)  # idle
    loop = asyncio.get_running_loop()
    before = len(client.published)
    start = loop.time()
    version = replace_all(client, uri, BAD_STAGE)
    found = await wait_published(client, uri, version)
    assert found and loop.time() - start < 1.0  # not held back by the debounce
    await asyncio.sleep(1.6)
    burst_start = len(client.published)
    last = None
    for n in range(30):
        last = change_doc(
            client,
            uri,
            [types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=2, character=0), end=types.Position(line=2, character=0)),
                text=f"# {n}\n",
            )],
        )
    found = await wait_published(client, uri, last, timeout=5)
    burst = [p for p in client.published[burst_start:] if p.uri == uri]
    assert 1 <= len(burst) <= 2, [p.version for p in burst]
    assert burst[-1].version == last
    assert before < burst_start
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockerast": {"diagnostics": {"debounceMs": 150}}})
    )


async def test_closing_clears_pushed_diagnostics(client):
    if client.pull:
        pytest.skip("pull clients drop diagnostics of closed documents themselves")
    uri = open_doc(client, BAD_STAGE)
    assert await wait_published(client, uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=td(uri)))
    for _ in range(200):
        if client.published[-1].uri == uri and list(client.published[-1].diagnostics) == []:
            break
        await asyncio.sleep(0.01)
    assert list(client.published[-1].diagnostics) == []
