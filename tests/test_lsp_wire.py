"""What the server writes without lsprotocol's converter is what the converter would write.

Diagnostics are built as JSON data and some results are sent as JSON text
encoded once per version (``lsp_server.wire``); the stdio transport cuts the
client's bytes into messages itself (``lsp_server.transport``); project
configuration is looked up once per folder (``lsp_server.settings``).  Each is
checked here against the plain way, in process.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.json_rpc import JsonRPCRequestMessage, JsonRPCResponseMessage

from dockerast.config import find_config
from lsp_server import actions as code_actions
from lsp_server import navigation, wire
from lsp_server.diagnostics import SOURCE, document_diagnostics, finding_diagnostic
from lsp_server.documents import Snapshot
from lsp_server.server import CodeActionQuery, DockerastServer, RequestFailed, server
from lsp_server.settings import ProjectConfigs
from lsp_server.transport import MessageReader, content_length
from tests.conftest import FIXTURES, corpus_files

CONVERTER = default_converter()
GENERATED = [
    # Syntax errors, a build error (a stage that copies from itself), findings with and without fixes,
    # wide characters before positions (UTF-16 columns), CRLF line ends and a heredoc.
    "# syntax=docker/dockerfile:1\nARG TARGETARCH\nfrom alpine AS Build\nRUN echo 🐳 $UNDEFINED\nCOPY --from=Build /a /b\n",
    "FROM alpine\r\nRUN apt-get install -y curl\r\nMAINTAINER é <x@y>\r\nCMD echo hi\r\n",
    "FROM golang:1.22 AS build\nARG TARGETOS TARGETARCH\nWORKDIR /src\nCOPY go.mod .\nRUN go mod download\n"
    "RUN <<EOF\necho é🐳\nEOF\nFROM scratch\nCOPY --from=build /out /\nENTRYPOINT /app\n",
    "FROM\nRUN [\"unterminated\nEXPOSE 80/TCP\nHEALTHCHECK CMD\n",
]


def documents() -> list[tuple[str, str]]:
    docs = [(f"generated-{n}", text) for n, text in enumerate(GENERATED)]
    files = corpus_files()[::7] + sorted((FIXTURES / "agentcube-pr420").rglob("*Dockerfile*"))
    docs += [(str(path), path.read_text(encoding="utf-8", errors="replace")) for path in files if path.is_file()]
    return docs


def converted(snapshot: Snapshot, findings) -> list[dict]:
    """The diagnostics as ``types.Diagnostic``, through the converter: what the server sent before."""
    out = []
    for issue in snapshot.tree.errors:
        out.append(types.Diagnostic(range=snapshot.range(issue.start, issue.end), message=issue.message,
                                    severity=types.DiagnosticSeverity.Error, source=SOURCE))
    for problem in snapshot.model.problems if snapshot.model is not None else ():
        if problem.instruction_index >= len(snapshot.offsets):
            continue
        base = snapshot.offsets[problem.instruction_index]
        span = problem.span or snapshot.instruction(problem.instruction_index).content_span
        out.append(types.Diagnostic(range=snapshot.range(base + span.start, base + span.end), message=problem.message,
                                    severity=types.DiagnosticSeverity.Error, source=SOURCE))
    out.extend(finding_diagnostic(snapshot, finding) for finding in findings)
    return CONVERTER.unstructure(out)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_diagnostics_are_the_json_of_the_lsp_types(encoding):
    seen = 0
    for name, text in documents():
        snapshot = Snapshot(f"file:///work/{abs(hash(name))}/Dockerfile", text, 3, encoding)
        findings = server.findings(snapshot)
        ours = document_diagnostics(snapshot, findings)
        assert json.dumps(ours) == json.dumps(converted(snapshot, findings)), name
        seen += len(ours)
    assert seen > 50


def test_encoded_results_are_the_json_of_the_lsp_types():
    text = GENERATED[2]
    snapshot = Snapshot("file:///work/x/Dockerfile", text, 7)
    for value in (navigation.document_symbols(snapshot), navigation.flat_symbols(snapshot), []):
        encoded = wire.encode(CONVERTER, value)
        response = types.DocumentSymbolResponse(id=12, result=encoded)
        plain = types.DocumentSymbolResponse(id=12, result=value)
        assert wire.message_text(CONVERTER, response) == json.dumps(CONVERTER.unstructure(plain))
    params = {"uri": snapshot.uri, "diagnostics": document_diagnostics(snapshot, server.findings(snapshot)), "version": 7}
    notification = types.PublishDiagnosticsNotification(
        params=types.PublishDiagnosticsParams(uri=snapshot.uri, diagnostics=[], version=7)
    )
    expected = CONVERTER.unstructure(notification)
    expected["params"]["diagnostics"] = params["diagnostics"]
    assert wire.message_text(CONVERTER, wire.notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params)) == json.dumps(expected)


@pytest.mark.parametrize("lazy", [True, False])
def test_encoded_code_actions_are_the_json_of_the_lsp_types(lazy):
    text = GENERATED[0] + GENERATED[2]
    snapshot = Snapshot("file:///work/y/Dockerfile", text, 2)
    actions = code_actions.Actions(snapshot, server.findings(snapshot), server.check_config(snapshot))
    candidates = actions.candidates(0, len(text), [], None, verify_all=not lazy)
    assert len(candidates) > 5
    for candidate in candidates:
        for document_changes in (True, False):
            encoded = code_actions.encoded_code_action(
                snapshot, actions, candidate, server.encode, lazy=lazy, document_changes=document_changes
            )
            plain = code_actions.to_code_action(snapshot, actions, candidate, lazy=lazy, document_changes=document_changes)
            assert encoded == json.dumps(CONVERTER.unstructure(plain))
            # Asked again: the same text, from the snapshot.
            assert encoded is code_actions.encoded_code_action(
                snapshot, actions, candidate, server.encode, lazy=lazy, document_changes=document_changes
            )


def test_responses_with_an_encoded_result_are_the_json_of_the_converter():
    value = [types.CodeAction(title="Do it", kind=types.CodeActionKind.QuickFix, data={"key": ["fix", 1]})]
    for msg_id in (3, "request-é", 2**40):
        for result in (value, []):
            encoded = JsonRPCResponseMessage(id=msg_id, jsonrpc="2.0", result=wire.encode(CONVERTER, result))
            plain = JsonRPCResponseMessage(id=msg_id, jsonrpc="2.0", result=result)
            assert wire.message_text(CONVERTER, encoded) == json.dumps(CONVERTER.unstructure(plain))


# -- code action requests, read without the converter ---------------------------------------------------


def _code_action_params(**changes) -> dict:
    diagnostic = {
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 12}},
        "message": "ARG TARGETOS is declared above the dependency step",
        "severity": 3,
        "code": "DA102",
        "codeDescription": {"href": "https://example.com/DA102"},
        "source": "dockerast",
        "tags": [1],
        "relatedInformation": [
            {
                "location": {"uri": "file:///w/Dockerfile", "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}},
                "message": "here",
            }
        ],
        "data": {"code": "DA102", "name": "PlatformArgBeforeDependencyStep", "start": 310, "end": 322, "version": 1},
    }
    params = {
        "textDocument": {"uri": "file:///w/Dockerfile"},
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 12}},
        "context": {"diagnostics": [diagnostic, {"range": diagnostic["range"], "message": "another server's"}], "triggerKind": 1},
    }
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = params
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return params


VALID_CODE_ACTION_PARAMS = [
    _code_action_params(),
    _code_action_params(**{"context.only": ["quickfix", "refactor.move"]}),
    _code_action_params(**{"context.only": []}),
    _code_action_params(**{"context.diagnostics": []}),
    _code_action_params(**{"context.triggerKind": KeyError}),
    _code_action_params(**{"range.end": {"line": 0, "character": 3}}),  # reversed: the handler orders them
    _code_action_params(**{"range.end": {"line": 2**31 - 1, "character": 2**31 - 1}}),
    _code_action_params(**{"context.diagnostics.0.data": "not ours"}),
    # Not plainly as expected but read by the converter: then the handler reads what the converter made of it.
    _code_action_params(**{"range.start.line": 2.0}),
    _code_action_params(**{"textDocument.uri": 7}),
    _code_action_params(**{"textDocument.version": 4, "workDoneToken": "t", "partialResultToken": 9}),
]
INVALID_CODE_ACTION_PARAMS = [
    None,
    [],
    _code_action_params(textDocument=KeyError),
    _code_action_params(**{"range.start.line": -1}),
    _code_action_params(**{"range.start.character": 2**31}),
    _code_action_params(**{"range.end": KeyError}),
    _code_action_params(context=KeyError),
    _code_action_params(**{"context.diagnostics": KeyError}),
    _code_action_params(**{"context.diagnostics": {"range": None}}),
    _code_action_params(**{"context.diagnostics.1.message": KeyError}),
    _code_action_params(**{"context.diagnostics.1.range": "line 1"}),
    _code_action_params(**{"context.triggerKind": 3}),
]


@pytest.mark.parametrize("params", VALID_CODE_ACTION_PARAMS)
def test_code_action_requests_are_read_as_the_converter_reads_them(params):
    converted = CodeActionQuery.of(server.protocol._converter.structure(params, types.CodeActionParams))
    message = server.protocol.structure_message({"jsonrpc": "2.0", "id": 5, "method": types.TEXT_DOCUMENT_CODE_ACTION, "params": params})
    assert isinstance(message, JsonRPCRequestMessage) and (message.id, message.method) == (5, types.TEXT_DOCUMENT_CODE_ACTION)
    assert message.params == converted
    read = CodeActionQuery.read(params)
    assert read is None or read == converted
    expected_keys = () if params["context"]["diagnostics"] == [] or params["context"]["diagnostics"][0]["data"] == "not ours" else (("DA102", 310, 322),)
    assert converted.findings == expected_keys


@pytest.mark.parametrize("params", INVALID_CODE_ACTION_PARAMS)
def test_code_action_requests_the_converter_refuses_are_refused(params):
    assert CodeActionQuery.read(params) is None
    with pytest.raises(Exception):  # noqa: B017  (pygls' JsonRpcInvalidParams, or its internal error)
        server.protocol.structure_message({"jsonrpc": "2.0", "id": 5, "method": types.TEXT_DOCUMENT_CODE_ACTION, "params": params})


# -- requests answered without pygls' futures ------------------------------------------------------------


class _Capture:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    def write(self, data: bytes) -> None:
        self.messages.append(json.loads(data.split(b"\r\n\r\n", 1)[1]))


def test_plain_handlers_are_answered_as_pygls_answers_them():
    ls = DockerastServer()

    @ls.feature("dockerast/answer")
    def answer(params):
        return {"echo": params}

    @ls.feature("dockerast/refuse")
    def refuse(params):
        raise RequestFailed("no, because")

    @ls.feature("dockerast/fail")
    def fail(params):
        raise ValueError("a bug")

    @ls.feature("dockerast/later")
    async def later(params):
        return "later"

    def run(handle_request) -> list[dict]:
        capture = _Capture()
        ls.protocol.set_writer(capture)

        async def requests() -> None:
            for n, method in enumerate(["dockerast/answer", "dockerast/refuse", "dockerast/fail", "dockerast/unknown", "dockerast/later"]):
                handle_request(ls.protocol, n, method, {"n": n})
            await asyncio.sleep(0.01)  # (the coroutine's answer)

        asyncio.run(requests())
        return capture.messages

    ours = run(type(ls.protocol)._handle_request)
    theirs = run(LanguageServerProtocol._handle_request)
    assert [m["id"] for m in ours] == [0, 1, 2, 3, 4]
    assert ours[0] == theirs[0] == {"id": 0, "jsonrpc": "2.0", "result": {"echo": {"n": 0}}}
    assert ours[1] == theirs[1] and ours[1]["error"] == {"code": -32803, "message": "no, because"}
    assert ours[3] == theirs[3] and ours[4] == theirs[4] == {"id": 4, "jsonrpc": "2.0", "result": "later"}
    # An internal error: the same code and message (the traceback in its data differs by a frame or two).
    assert {k: ours[2]["error"][k] for k in ("code", "message")} == {k: theirs[2]["error"][k] for k in ("code", "message")}
    assert ours[2]["error"]["code"] == -32603 and "a bug" in ours[2]["error"]["message"]


# -- the stdio transport ------------------------------------------------------------------------------


def frame(payload: dict, headers: str = "") -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n{headers}\r\n".encode() + body


def test_content_length():
    assert content_length(b"Content-Length: 12") == 12
    assert content_length(b"content-length:7\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8") == 7
    assert content_length(b"Content-Type: x") is None
    assert content_length(b"Content-Length: many") is None


def test_messages_are_cut_and_handled_one_per_turn_in_order():
    async def run() -> list:
        loop = asyncio.get_running_loop()
        events: list = []
        closed = loop.create_future()

        def handle(body: bytes) -> None:
            n = json.loads(body)["n"]
            events.append(("message", n))
            loop.call_soon(events.append, ("scheduled by", n))  # e.g. a publish, or a coroutine's first step

        reader = MessageReader(handle, closed)
        stream = b"".join(frame({"n": n}, "Content-Type: application/vscode-jsonrpc\r\n" if n % 2 else "") for n in range(5))
        stream += b"Content-Type: no length\r\n\r\n" + frame({"n": 5})
        # Two messages and a half in the first chunk, the rest byte by byte.
        cut = len(frame({"n": 0})) + len(frame({"n": 1}, "Content-Type: application/vscode-jsonrpc\r\n")) + 10
        reader.data_received(stream[:cut])
        for k in range(cut, len(stream)):
            reader.data_received(stream[k : k + 1])
        reader.eof_received()
        await asyncio.wait_for(closed, 5)
        return events

    events = asyncio.run(run())
    assert events == [item for n in range(6) for item in (("message", n), ("scheduled by", n))]


def test_what_a_message_schedules_runs_before_the_next_message_read_from_a_pipe():
    async def run() -> list:
        loop = asyncio.get_running_loop()
        events: list = []
        closed = loop.create_future()
        read_fd, write_fd = os.pipe()

        def handle(body: bytes) -> None:
            n = json.loads(body)["n"]
            events.append(("message", n))
            loop.call_soon(events.append, ("scheduled by", n))
            if n < 3:
                os.write(write_fd, frame({"n": n + 1}))  # the next message is there at once
            else:
                os.close(write_fd)

        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            transport, _ = await loop.connect_read_pipe(lambda: MessageReader(handle, closed), pipe)
            os.write(write_fd, frame({"n": 0}))
            await asyncio.wait_for(closed, 5)
            transport.close()
        return events

    assert asyncio.run(run()) == [item for n in range(4) for item in (("message", n), ("scheduled by", n))]


def test_the_end_of_input_waits_for_the_messages_already_read():
    async def run() -> list:
        loop = asyncio.get_running_loop()
        handled: list = []
        closed = loop.create_future()
        reader = MessageReader(lambda body: handled.append(json.loads(body)["n"]), closed)
        reader.data_received(frame({"n": 1}) + frame({"n": 2}) + frame({"n": 3}))
        reader.connection_lost(None)
        assert not closed.done()
        await asyncio.wait_for(closed, 5)
        return handled

    assert asyncio.run(run()) == [1, 2, 3]


# -- project configuration per folder --------------------------------------------------------------------


def settle(path: Path) -> None:
    """Date ``path`` back, as a file written a while ago (a fresh one is never trusted from its signature)."""
    old = time.time() - 60
    os.utime(path, (old, old))


def test_project_configuration_is_found_again_until_a_file_changes(tmp_path):
    project = tmp_path / "project"
    (project / "docker").mkdir(parents=True)
    document = str(project / "docker" / "Dockerfile")
    configs = ProjectConfigs()
    assert configs.find(document) == find_config(Path(document))

    config = project / ".dockerast.toml"
    config.write_text('ignore = ["StageNameCasing"]\n')
    assert configs.find(document).ignore == frozenset({"StageNameCasing"})  # a new file is seen
    settle(config)
    assert configs.find(document).ignore == frozenset({"StageNameCasing"})
    assert str(project / "docker") in configs._folders  # kept, with the file's signature

    config.write_text('ignore = ["JSONArgsRecommended", "X"]\n')
    settle(config)
    assert configs.find(document).ignore == frozenset({"JSONArgsRecommended", "X"})  # a changed file is seen

    nearer = project / "docker" / "pyproject.toml"
    nearer.write_text("[tool.dockerast]\nselect = ['BK001']\n")
    settle(nearer)
    assert configs.find(document).path == nearer  # a file nearer the document is seen

    nearer.unlink()
    assert configs.find(document).path == config  # and a removed one

    config.write_text("ignore = [\n")
    settle(config)
    for _ in range(2):
        with pytest.raises(Exception, match="invalid TOML"):
            configs.find(document)
    configs.clear()
    assert not configs._folders
