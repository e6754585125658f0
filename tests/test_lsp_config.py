"""Configuration: initializationOptions, didChangeConfiguration, and the project's .dockerast.toml / pyproject.toml."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

pytest.register_assert_rewrite("lsp_client")
from lsp_client import CONFIG, PROFILES, diagnostics, new_uri, open_doc, start, td

pytest_plugins = ["lsp_client"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD_STAGE = "FROM alpine AS Builder\nFROM scratch\nCOPY --from=Builder /app /app\n"


OPTIONS = {"dockerast": {"severity": {"StageNameCasing": "error"}}}


@pytest_lsp.fixture(config=CONFIG, scope="session")
async def configured_vscode(lsp_client: LanguageClient):
    await start(lsp_client, "visual-studio-code", init_options=OPTIONS)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG, scope="session")
async def configured_neovim(lsp_client: LanguageClient):
    await start(lsp_client, "neovim", init_options=OPTIONS)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(params=PROFILES)
def client(request):
    """Servers of their own: these tests change settings."""
    return request.getfixturevalue("configured_vscode" if request.param == "visual-studio-code" else "configured_neovim")


def casing(found):
    return [d for d in found if d.data and d.data["name"] == "StageNameCasing"]


async def fresh(client, text, folder=None):
    """Diagnostics of a newly opened document (a new version, so a pull is never 'unchanged')."""
    uri = open_doc(client, text, new_uri(folder) if folder else None)
    return uri, await diagnostics(client, uri)


async def test_initialization_options_set_severity(client):
    _, found = await fresh(client, BAD_STAGE)
    [diag] = casing(found)
    assert diag.severity == types.DiagnosticSeverity.Error


async def test_project_configuration_file(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    (folder / ".dockerast.toml").write_text('ignore = ["StageNameCasing"]\n')
    _, found = await fresh(client, BAD_STAGE, folder)
    assert casing(found) == []
    other = tmp_path_factory.mktemp("pyproject")
    (other / "pyproject.toml").write_text('[tool.dockerast.severity]\nStageNameCasing = "hint"\n')
    sub = other / "docker"
    sub.mkdir()
    _, found = await fresh(client, BAD_STAGE, sub)
    # The editor's severity wins over the project's.
    assert [d.severity for d in casing(found)] == [types.DiagnosticSeverity.Error]


async def test_a_broken_project_file_is_reported_and_defaults_apply(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    (folder / ".dockerast.toml").write_text("ignore = [\n")
    _, found = await fresh(client, BAD_STAGE, folder)
    assert casing(found)
    for _ in range(100):
        if any("invalid TOML" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.02)
    assert any("invalid TOML" in m.message for m in client.messages)


async def test_did_change_configuration(client):
    uri, found = await fresh(client, BAD_STAGE)
    assert casing(found)
    published = len(getattr(client, "published", []))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockerast": {"ignore": ["StageNameCasing"]}})
    )
    if not client.pull:
        for _ in range(200):
            if any(p.uri == uri for p in client.published[published:]):
                break
            await asyncio.sleep(0.01)
        assert casing([p for p in client.published[published:] if p.uri == uri][-1].diagnostics) == []
    _, found = await fresh(client, BAD_STAGE)
    assert casing(found) == []
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockerast": {"ignore": [], "severity": {"StageNameCasing": "info"}}})
    )
    _, found = await fresh(client, BAD_STAGE)
    assert [d.severity for d in casing(found)] == [types.DiagnosticSeverity.Information]


async def test_bad_settings_are_reported_not_fatal(client):
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"dockerast": {"select": 3, "severity": {"StageNameCasing": "loud"}}})
    )
    _, found = await fresh(client, BAD_STAGE)
    assert casing(found)
    for _ in range(100):
        if any("unknown severity" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.02)
    assert any("unknown severity" in m.message for m in client.messages)


async def test_watched_config_file_changes_apply(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("watched")
    uri, found = await fresh(client, BAD_STAGE, folder)
    assert casing(found)
    (folder / ".dockerast.toml").write_text('ignore = ["StageNameCasing"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(folder / ".dockerast.toml").as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await asyncio.sleep(0.1)
    if client.pull:
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=td(uri)))
        found = report.items
    else:
        found = [p for p in client.published if p.uri == uri][-1].diagnostics
    assert casing(found) == []


async def test_project_configuration_of_new_folders_under_known_ones(tmp_path):  # (the module is asyncio-marked)
    from dockerast.config import find_config
    from lsp_server.settings import ProjectConfigs

    project = tmp_path / "project"
    (project / "a" / "deep").mkdir(parents=True)
    (project / ".dockerast.toml").write_text('ignore = ["StageNameCasing"]\n')
    (project / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no dockerast section: look above
    configs = ProjectConfigs()
    for folder in ("a/deep", "a", "b/new", "a/deep/newer"):
        document = project / folder / "Dockerfile"
        assert configs.find(str(document)) == find_config(document)
        assert configs.find(str(document)).path == project / ".dockerast.toml"
    (project / "a" / "pyproject.toml").write_text("[tool.dockerast]\nselect = ['BK001']\n")
    assert configs.find(str(project / "a" / "deep" / "Dockerfile")).path == project / "a" / "pyproject.toml"
