"""Helpers for the language server tests: a pytest-lsp client per editor profile, and edit application.

Positions are converted here independently of the server's own code, so
that the tests check the server's conversions rather than repeat them.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient as _Client, register_lsp_features
from pygls.protocol import default_converter

from tests.conftest import FIXTURES, ROOT, require  # noqa: F401  (require: re-exported for the LSP tests)

AGENTCUBE = FIXTURES / "agentcube-pr420"
PROFILES = ["visual-studio-code", "neovim"]
SERVER_COMMAND = [sys.executable, "-m", "lsp_server"]
SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
TIMEOUT = 20


def make_client() -> LanguageClient:
    """pytest-lsp's client, recording every publishDiagnostics with its version."""
    client = _Client(converter_factory=default_converter)
    features = {k: v for k, v in DEFAULT_CLIENT_FEATURES.items() if k != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}
    register_lsp_features(client, features)
    client.published = []  # type: ignore[attr-defined]

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params: types.PublishDiagnosticsParams):
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params):
        return None

    return client


CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, server_env=SERVER_ENV, client_factory=make_client)


async def start(lsp_client: LanguageClient, profile: str, init_options: Any = None) -> types.InitializeResult:
    capabilities = client_capabilities(profile)
    result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities, initialization_options=init_options, root_uri=ROOT.as_uri())
    )
    lsp_client.profile = profile  # type: ignore[attr-defined]
    lsp_client.result = result  # type: ignore[attr-defined]
    encoding = result.capabilities.position_encoding or "utf-16"
    lsp_client.encoding = str(getattr(encoding, "value", encoding))  # type: ignore[attr-defined]
    lsp_client.pull = capabilities.text_document.diagnostic is not None  # type: ignore[attr-defined, union-attr]
    return result


@pytest_lsp.fixture(config=CONFIG, scope="session")
async def vscode_client(lsp_client: LanguageClient):
    """A server for the whole test session, started by a client with VS Code's capabilities."""
    await start(lsp_client, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG, scope="session")
async def neovim_client(lsp_client: LanguageClient):
    """A server for the whole test session, started by a client with Neovim's capabilities."""
    await start(lsp_client, "neovim")
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(params=PROFILES)
def client(request):
    """Each test runs once per editor profile, against that profile's shared server."""
    return request.getfixturevalue("vscode_client" if request.param == "visual-studio-code" else "neovim_client")


# -- documents ------------------------------------------------------------------------------

_versions = itertools.count(1)


def new_uri(folder: Path | None = None, name: str = "Dockerfile") -> str:
    folder = folder or Path("/nonexistent-dockerast-tests") / uuid.uuid4().hex
    return (folder / name).as_uri()


def open_doc(client: LanguageClient, text: str, uri: str | None = None) -> str:
    uri = uri or new_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="dockerfile", version=next(_versions), text=text)
        )
    )
    return uri


def change_doc(client: LanguageClient, uri: str, changes: list, version: int | None = None) -> int:
    version = version if version is not None else next(_versions)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=changes
        )
    )
    return version


def replace_all(client: LanguageClient, uri: str, text: str) -> int:
    return change_doc(client, uri, [types.TextDocumentContentChangeWholeDocument(text=text)])


async def wait_published(client: LanguageClient, uri: str, version: int | None = None, timeout: float = TIMEOUT):
    """The latest diagnostics pushed for ``uri`` (for ``version`` when given)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for params in reversed(client.published):
            if params.uri == uri and (version is None or params.version == version):
                return params.diagnostics
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no diagnostics published for {uri} version {version}")
        await asyncio.sleep(0.01)


async def diagnostics(client: LanguageClient, uri: str, version: int | None = None) -> list[types.Diagnostic]:
    """Diagnostics the way this client gets them: pulled, or pushed."""
    if client.pull:
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        return list(report.items)
    return list(await wait_published(client, uri, version))


# -- positions and edits, on the client's side --------------------------------------------------


def _width(ch: str, encoding: str) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    return len(ch.encode("utf-8", "surrogatepass"))


def to_offset(text: str, position: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    if position.line >= len(lines):
        return len(text)
    offset = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line]
    if line.endswith("\r") and position.line + 1 < len(lines):  # "\r\n" ends the line; a lone "\r" is text
        line = line[:-1]
    units = 0
    for i, ch in enumerate(line):
        width = _width(ch, encoding)
        if units + width > position.character:  # inside a character: round down
            return offset + i
        units += width
    return offset + len(line)


def to_position(text: str, offset: int, encoding: str) -> types.Position:
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=sum(_width(ch, encoding) for ch in column))


def find(text: str, needle: str, encoding: str, nth: int = 0, delta: int = 0) -> types.Position:
    """The position of the ``nth`` occurrence of ``needle`` (plus ``delta`` characters)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    return to_position(text, at + delta, encoding)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    spans = sorted(
        ((to_offset(text, e.range.start, encoding), to_offset(text, e.range.end, encoding), e.new_text) for e in edits),
        key=lambda s: (s[0], s[1]),
    )
    out, pos = [], 0
    for start, end, new in spans:
        assert start >= pos, "overlapping edits"
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def assert_minimal(text: str, edits: list[types.TextEdit], encoding: str) -> None:
    """No edit rewrites the whole document."""
    for e in edits:
        start, end = to_offset(text, e.range.start, encoding), to_offset(text, e.range.end, encoding)
        assert not (start == 0 and end == len(text) and len(text) > 40), "an edit replaces the whole document"


def workspace_text_edits(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    found: list[types.TextEdit] = []
    if edit.changes:
        found.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        found.extend(change.edits)
    return found


def apply_workspace_edit(text: str, edit: types.WorkspaceEdit, uri: str, encoding: str) -> str:
    edits = workspace_text_edits(edit, uri)
    assert_minimal(text, edits, encoding)
    return apply_text_edits(text, edits, encoding)


async def code_actions(client: LanguageClient, uri: str, rng: types.Range, only: list[str] | None = None,
                       diagnostics_: list[types.Diagnostic] | None = None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics_ or [], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def resolved_edit(client: LanguageClient, action: types.CodeAction) -> types.WorkspaceEdit:
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None
    return action.edit


def point(position: types.Position) -> types.Range:
    return types.Range(start=position, end=position)


def td(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)

