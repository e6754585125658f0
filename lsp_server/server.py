"""The dockerast language server: LSP in, library calls, LSP out.

The handlers only find the document, convert positions, call the library
(through the small modules beside this one) and convert the results back.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException, JsonRpcInternalError, JsonRpcMethodNotFound
from pygls.feature_manager import is_thread_function
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCRequestMessage
from pygls.protocol.language_server import lsp_method

from dockerast.rules import CheckConfig, Finding

from lsp_server import actions as code_actions
from lsp_server import completion, formatting, navigation, tokens, transport, wire
from lsp_server.collector import IdleCollector
from lsp_server.diagnostics import SOURCE, document_diagnostics, run_checks
from lsp_server.documents import DocumentStore, Snapshot
from lsp_server.settings import ProjectConfigs, Settings

log = logging.getLogger("dockerast.lsp")

VERSION = "0.1.0"
CONFIG_FILES = (".dockerast.toml", "pyproject.toml")


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed: the request was valid but the server could not do it; the message says why."""

    CODE = -32803
    MESSAGE = "Request failed"


_UINTEGER_MAX = 2**31 - 1


def _position(data: Any) -> types.Position | None:
    if type(data) is dict:
        line, character = data.get("line"), data.get("character")
        if type(line) is int and type(character) is int and 0 <= line <= _UINTEGER_MAX and 0 <= character <= _UINTEGER_MAX:
            return types.Position(line=line, character=character)
    return None


@dataclass(frozen=True)
class CodeActionQuery:
    """What a ``textDocument/codeAction`` request asks, as its handler reads it.

    The client sends back the diagnostics at the range, each with all its
    fields and our ``data``; lsprotocol's converter would build every one of
    them, where the handler reads only which findings their data names
    (:func:`lsp_server.actions.finding_keys`).  So the request is read from
    its JSON directly (:meth:`read`), and only a request that does not
    plainly have the expected shape is left to the converter (:meth:`of`).
    """

    uri: str
    range: types.Range
    findings: tuple[tuple, ...]
    only: list[str] | None

    @classmethod
    def read(cls, params: Any) -> CodeActionQuery | None:
        """From the params' JSON data, or None unless the document, the range and the context are well formed
        (the diagnostics of the context must be objects with a range and a message; the rest of them is not read)."""
        if type(params) is not dict:
            return None
        document, where, context = params.get("textDocument"), params.get("range"), params.get("context")
        if type(document) is not dict or type(where) is not dict or type(context) is not dict:
            return None
        uri, diagnostics, only = document.get("uri"), context.get("diagnostics"), context.get("only")
        start, end = _position(where.get("start")), _position(where.get("end"))
        if type(uri) is not str or start is None or end is None or type(diagnostics) is not list:
            return None
        if only is not None and (type(only) is not list or not all(type(kind) is str for kind in only)):
            return None
        if context.get("triggerKind") not in (None, 1, 2):
            return None
        for diagnostic in diagnostics:
            if type(diagnostic) is not dict or type(diagnostic.get("range")) is not dict or type(diagnostic.get("message")) is not str:
                return None
        return cls(uri, types.Range(start=start, end=end), code_actions.finding_keys(diagnostics), only or None)

    @classmethod
    def of(cls, params: types.CodeActionParams) -> CodeActionQuery:
        """From the params as the converter reads them."""
        context = params.context
        only = [str(getattr(kind, "value", kind)) for kind in context.only or ()]
        return cls(params.text_document.uri, params.range, code_actions.finding_keys(context.diagnostics), only or None)


class DockerastProtocol(LanguageServerProtocol):
    """Keeps document text in :class:`DocumentStore` instead of pygls' workspace.

    The store converts incremental changes with the agreed position encoding
    and ends lines at ``\\n`` only, as the library and BuildKit do.  Garbage
    is collected between messages, never in the middle of one
    (:mod:`lsp_server.collector`).  A result already encoded
    (:class:`lsp_server.wire.Encoded`) is written as is.  A code action
    request is read as a :class:`CodeActionQuery`, and a request whose handler
    is a plain function is answered without pygls' futures.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collector = IdleCollector()
        self._synchronous: dict[Any, bool] = {}  # handler -> whether it is a plain function

    def structure_message(self, data: dict[str, Any]):
        """pygls' ``structure_message``; a code action request's params become a :class:`CodeActionQuery`."""
        if type(data) is dict and data.get("method") == types.TEXT_DOCUMENT_CODE_ACTION and "id" in data and "jsonrpc" in data:
            msg_id = data["id"]
            query = CodeActionQuery.read(data.get("params")) if type(msg_id) in (int, str) else None
            if query is not None:
                return JsonRPCRequestMessage(id=msg_id, method=types.TEXT_DOCUMENT_CODE_ACTION, jsonrpc=data["jsonrpc"], params=query)
            message = super().structure_message(data)  # (raises if the params are not valid)
            return JsonRPCRequestMessage(
                id=message.id, method=message.method, jsonrpc=message.jsonrpc, params=CodeActionQuery.of(message.params)
            )
        return super().structure_message(data)

    def _send_data(self, data: Any) -> None:
        """pygls' ``_send_data``, writing an :class:`~lsp_server.wire.Encoded` result as it is."""
        if not data:
            return
        if self.writer is None:
            log.error("Unable to send data, no available transport!")
            return
        try:
            body = wire.message_text(self._converter, data).encode(self.CHARSET)
            if self._include_headers:
                header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
                body = header.encode("ascii") + body
            written = self.writer.write(body)
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            log.exception("Error sending data. BrokenPipeError")
            raise
        except Exception as error:  # noqa: BLE001
            log.exception("Error sending data")
            self._server._report_server_error(error, JsonRpcException)

    def handle_message(self, message: Any) -> None:
        """pygls' ``handle_message``, telling the kinds of message apart by their fields directly.

        (pygls does it with ``isinstance`` on runtime-checkable protocols, which
        look the same fields up slowly: a good part of answering a small request.)
        """
        self.collector.busy()
        if message.jsonrpc != self.VERSION:
            log.warning('Unknown message "%s"', message)
        elif self._shutdown and getattr(message, "method", "") != types.EXIT:
            log.warning("Server shutting down. No more requests!")
        else:
            if hasattr(message, "method") and hasattr(message, "params"):
                if hasattr(message, "id"):
                    contextvars.copy_context().run(self._handle_request, message.id, message.method, message.params)
                else:
                    contextvars.copy_context().run(self._handle_notification, message.method, message.params)
            elif hasattr(message, "id") and hasattr(message, "result"):
                contextvars.copy_context().run(self._handle_response, message.id, message.result)
            else:
                contextvars.copy_context().run(self._handle_response, message.id, None, message.error)
        self.collector.handled()

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        """pygls' ``_handle_request``, answering at once for a handler that is a plain function.

        (pygls runs every handler through a ``concurrent.futures.Future`` and
        its callbacks, as it must for coroutines and threads; for a plain
        function that is a good part of answering a small request.)  Errors
        are answered as pygls answers them.
        """
        try:
            handler = self._get_handler(method_name)
        except JsonRpcMethodNotFound:
            handler = None
        plain = self._synchronous.get(handler)
        if plain is None and handler is not None:
            plain = self._synchronous[handler] = not (
                asyncio.iscoroutinefunction(handler) or is_thread_function(handler) or inspect.isgeneratorfunction(handler)
            )
        if not plain:
            super()._handle_request(msg_id, method_name, params)
            return
        self._ctx_msg_id.set(msg_id)
        try:
            result = handler(params)
        except JsonRpcException as error:
            log.exception('Exception occurred for message "%s"', msg_id)
            self._send_response(msg_id, error=error.to_response_error())
            self._server._report_server_error(error, FeatureRequestError)
        except Exception:
            error = JsonRpcInternalError.of(sys.exc_info())
            log.exception('Exception occurred for message "%s"', msg_id)
            self._send_response(msg_id, error=error.to_response_error())
            self._server._report_server_error(error, FeatureRequestError)
        else:
            self._send_response(msg_id, result=result)

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class DockerastServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "dockerast-lsp",
            VERSION,
            protocol_cls=DockerastProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.store = DocumentStore()
        self.settings = Settings()
        self.projects = ProjectConfigs()
        self.generation = 0
        self.push = True
        self.pull_refresh = False
        self._timers: dict[str, asyncio.Handle] = {}
        self._last_publish: dict[str, float] = {}
        self._tokens: dict[str, tuple[str, list[int]]] = {}
        self._token_counter = 0
        self._reported: set[str] = set()
        self._client_flags: dict[str, tuple[Any, Any]] = {}

    def start_io(self, stdin=None, stdout=None) -> None:
        """Serve over stdio, reading a pipe in the event loop (:mod:`lsp_server.transport`) when it can."""
        self.protocol.collector.start()
        if not transport.start_io(self, stdin, stdout):
            super().start_io(stdin, stdout)

    def start_tcp(self, host: str, port: int) -> None:
        self.protocol.collector.start()
        super().start_tcp(host, port)

    # -- errors never take the server down ---------------------------------------------

    def report_server_error(self, error: Exception, source) -> None:  # noqa: ARG002
        log.error("server error: %s", error)

    def encode(self, value: Any) -> wire.Encoded:
        """A result in JSON text, to be kept and sent as it is (:mod:`lsp_server.wire`)."""
        return wire.encode(self.protocol._converter, value)

    def notify(self, message: str, level: types.MessageType = types.MessageType.Warning, show: bool = False) -> None:
        """Log a message to the client (once per message when ``show`` pops it up)."""
        try:
            if show and message not in self._reported:
                self._reported.add(message)
                self.window_show_message(types.ShowMessageParams(type=level, message=message))
            self.window_log_message(types.LogMessageParams(type=level, message=message))
        except Exception:  # noqa: BLE001  (not connected yet)
            log.warning("%s", message)

    # -- client capabilities --------------------------------------------------------------

    def capability(self, path: str, default: Any = None) -> Any:
        node: Any = self.client_capabilities
        for part in path.split("."):
            node = getattr(node, part, None)
            if node is None:
                return default
        return node

    def _client_flag(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per client capabilities (they are sent once, with ``initialize``)."""
        capabilities = self.client_capabilities
        cached = self._client_flags.get(name)
        if cached is not None and cached[0] is capabilities:
            return cached[1]
        value = compute()
        self._client_flags[name] = (capabilities, value)
        return value

    @property
    def lazy_edits(self) -> bool:
        def compute() -> bool:
            props = self.capability("text_document.code_action.resolve_support.properties", [])
            return "edit" in (props or [])

        return self._client_flag("lazyEdits", compute)

    @property
    def document_changes(self) -> bool:
        return self._client_flag("documentChanges", lambda: bool(self.capability("workspace.workspace_edit.document_changes", False)))

    @property
    def markdown(self) -> bool:
        formats = self.capability("text_document.hover.content_format", None)
        return formats is None or types.MarkupKind.Markdown in formats

    # -- analysis under the current settings ------------------------------------------------

    def check_config(self, snapshot: Snapshot) -> CheckConfig:
        def compute():
            config, problem = self.settings.check_config(snapshot.path, self.projects.find)
            if problem:
                self.notify(f"dockerast: {problem}; using the default rules", show=True)
            return config

        return snapshot.memo(("config", self.generation), compute)

    def findings(self, snapshot: Snapshot) -> list[Finding]:
        key = ("check", self.generation)
        return snapshot.memo(
            key, lambda: run_checks(snapshot.tree, self.check_config(snapshot), snapshot.model, snapshot.earlier(key))
        ).findings

    def actions(self, snapshot: Snapshot) -> code_actions.Actions:
        """The document's code actions under the current settings (kept with the version: see ``Actions``)."""
        return snapshot.memo(
            ("actions", self.generation),
            lambda: code_actions.Actions(snapshot, self.findings(snapshot), self.check_config(snapshot)),
        )

    def diagnostics(self, snapshot: Snapshot) -> list[dict[str, Any]]:
        """The document's diagnostics as JSON data (:func:`lsp_server.diagnostics.document_diagnostics`)."""
        return snapshot.memo(("diagnostics", self.generation), lambda: document_diagnostics(snapshot, self.findings(snapshot)))

    def configure(self, data: Any) -> None:
        settings, problems = Settings.from_json(data, self.settings)
        for problem in problems:
            self.notify(f"dockerast settings: {problem}", show=True)
        self.settings = settings

    # -- pushing diagnostics, at once for a lone edit, coalesced for a burst -------------------------

    def schedule_publish(self, uri: str) -> None:
        if not self.push:
            return
        if uri in self._timers:
            return  # a publish is already due: it will read the newest text
        now = time.monotonic()
        wait = self._last_publish.get(uri, -1e9) + self.settings.debounce - now
        loop = asyncio.get_event_loop()
        if wait <= 0:
            # Right after the messages already received: edits that arrived
            # together, or while the server was busy, are published once.
            self._timers[uri] = loop.call_soon(self._publish_due, uri)
            return
        self._timers[uri] = loop.call_later(wait, self._publish_due, uri)

    def _publish_due(self, uri: str) -> None:
        self._timers.pop(uri, None)
        self.publish(uri)

    def publish(self, uri: str) -> None:
        snapshot = self.store.get(uri)
        if snapshot is None:
            return
        self._last_publish[uri] = time.monotonic()
        try:
            diagnostics = self.diagnostics(snapshot)
        except Exception:  # noqa: BLE001
            log.exception("diagnostics failed for %s", uri)
            diagnostics = []
        params: dict[str, Any] = {"uri": uri, "diagnostics": diagnostics}
        if snapshot.version is not None:
            params["version"] = snapshot.version
        self.protocol._send_data(wire.notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params))

    def clear(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._last_publish.pop(uri, None)
        self._tokens.pop(uri, None)
        if self.push:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def refresh_all(self) -> None:
        """Settings or project configuration changed: diagnostics again, everywhere."""
        self.generation += 1
        self.projects.clear()
        if self.push:
            for snapshot in self.store:
                self.publish(snapshot.uri)
        if self.pull_refresh:
            try:
                self.workspace_diagnostic_refresh(None)
            except Exception:  # noqa: BLE001
                log.exception("diagnostic refresh failed")


server = DockerastServer()


def guarded(default: Callable[[], Any] | None = None):
    """Answer ``default()`` instead of failing on an unexpected error; LSP errors pass through."""

    def wrap(handler):
        @functools.wraps(handler)
        def run(ls, params):
            try:
                return handler(ls, params)
            except JsonRpcException:
                raise
            except Exception:  # noqa: BLE001
                log.exception("%s failed", handler.__name__)
                return default() if default is not None else None

        return run

    return wrap


def snapshot_of(ls: DockerastServer, document: Any) -> Snapshot | None:
    return ls.store.get(document.uri)


# -- lifecycle and configuration ------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: DockerastServer, params: types.InitializeParams) -> None:
    encoding = ls.workspace.position_encoding or types.PositionEncodingKind.Utf16
    ls.store.encoding = str(getattr(encoding, "value", encoding))
    ls.configure(params.initialization_options)
    pull_client = ls.capability("text_document.diagnostic") is not None
    mode = ls.settings.diagnostics_mode
    ls.push = mode in ("push", "both") or (mode == "auto" and not pull_client)
    ls.pull_refresh = pull_client and bool(ls.capability("workspace.diagnostics.refresh_support", False))


@server.feature(types.INITIALIZED)
async def initialized(ls: DockerastServer, params: types.InitializedParams) -> None:
    if ls.capability("workspace.did_change_watched_files.dynamic_registration", False):
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="dockerast-config-files",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
                            ),
                        )
                    ]
                )
            )
        except Exception:  # noqa: BLE001  (a client that cannot watch files: configuration is read on each version)
            log.info("the client did not register file watchers")
    if ls.capability("workspace.configuration", False):
        await _pull_configuration(ls)


async def _pull_configuration(ls: DockerastServer) -> None:
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="dockerast")])
        )
    except Exception:  # noqa: BLE001
        log.info("the client did not answer workspace/configuration")
        return
    if result and isinstance(result[0], dict):
        ls.configure(result[0])
        ls.refresh_all()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: DockerastServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and settings:
        ls.configure(settings)
        ls.refresh_all()
    elif ls.capability("workspace.configuration", False):
        await _pull_configuration(ls)
    else:
        ls.refresh_all()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: DockerastServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.rsplit("/", 1)[-1] in CONFIG_FILES for change in params.changes):
        ls.refresh_all()


# -- documents ----------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DockerastServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.store.open(params.text_document)
    ls._last_publish.pop(params.text_document.uri, None)
    ls.schedule_publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DockerastServer, params: types.DidChangeTextDocumentParams) -> None:
    snapshot = ls.store.change(params.text_document.uri, params.text_document.version, params.content_changes)
    if snapshot is not None:
        ls.schedule_publish(snapshot.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DockerastServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.store.close(params.text_document.uri)
    ls.clear(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: DockerastServer, params: types.DidSaveTextDocumentParams) -> None:
    pass


# -- diagnostics (pull) ----------------------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False),
)
@guarded(lambda: types.RelatedFullDocumentDiagnosticReport(items=[]))
def pull_diagnostics(ls: DockerastServer, params: types.DocumentDiagnosticParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    result_id = f"{snapshot.version}:{ls.generation}:{id(snapshot)}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    # (the JSON of ``types.RelatedFullDocumentDiagnosticReport(items=..., result_id=result_id)``)
    return wire.Encoded(json.dumps({"items": ls.diagnostics(snapshot), "kind": "full", "resultId": result_id}))


# -- code actions ------------------------------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=code_actions.KINDS, resolve_provider=True),
)
@guarded(list)
def code_action(ls: DockerastServer, query: CodeActionQuery):
    """``query``: the request's params, read by :meth:`DockerastProtocol.structure_message`."""
    snapshot = ls.store.get(query.uri)
    if snapshot is None:
        return []
    start, end = snapshot.positions.offsets(query.range)
    actions = ls.actions(snapshot)
    lazy, document_changes = ls.lazy_edits, ls.document_changes
    candidates = actions.candidates(start, end, query.findings, query.only, verify_all=not lazy)
    parts = [
        code_actions.encoded_code_action(snapshot, actions, c, ls.encode, lazy=lazy, document_changes=document_changes)
        for c in candidates
    ]
    return wire.Encoded("[" + ", ".join(parts) + "]")


@server.feature(types.CODE_ACTION_RESOLVE)
def resolve_code_action(ls: DockerastServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    uri, key = data.get("uri"), data.get("key")
    snapshot = ls.store.get(uri) if isinstance(uri, str) else None
    if snapshot is None or not isinstance(key, list) or not key:
        raise RequestFailed("this code action is for a document that is not open")
    try:
        actions = ls.actions(snapshot)
        edits = actions.edits(tuple(key))
    except Exception as error:  # noqa: BLE001
        log.exception("resolving %s failed", key)
        raise RequestFailed(f"could not compute this code action: {error}") from None
    if not edits:
        reason = actions.why_not(tuple(key)) or "the document changed: ask for code actions again"
        raise RequestFailed(f"this code action does not apply: {reason}")
    action.edit = code_actions.workspace_edit(snapshot, edits, ls.document_changes)
    return action


# -- formatting ----------------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
@guarded(list)
def format_document(ls: DockerastServer, params: types.DocumentFormattingParams):
    snapshot = snapshot_of(ls, params.text_document)
    return formatting.document(snapshot, ls.settings.format_indent) if snapshot else []


@server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
@guarded(list)
def format_range(ls: DockerastServer, params: types.DocumentRangeFormattingParams):
    snapshot = snapshot_of(ls, params.text_document)
    return formatting.range_(snapshot, params.range, ls.settings.format_indent) if snapshot else []


@server.feature(
    types.TEXT_DOCUMENT_ON_TYPE_FORMATTING,
    types.DocumentOnTypeFormattingOptions(first_trigger_character="\n"),
)
@guarded(list)
def format_on_type(ls: DockerastServer, params: types.DocumentOnTypeFormattingParams):
    snapshot = snapshot_of(ls, params.text_document)
    return formatting.on_type(snapshot, params.position, params.ch, ls.settings.format_indent) if snapshot else []


# -- navigation -------------------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded()
def hover(ls: DockerastServer, params: types.HoverParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return None
    found = navigation.hover(snapshot, snapshot.offset(params.position))
    if found is None:
        return None
    text, start, end = found
    kind = types.MarkupKind.Markdown if ls.markdown else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value=text), range=snapshot.range(start, end))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@guarded(list)
def definition(ls: DockerastServer, params: types.DefinitionParams):
    snapshot = snapshot_of(ls, params.text_document)
    return navigation.definition(snapshot, snapshot.offset(params.position)) if snapshot else []


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
@guarded(list)
def references(ls: DockerastServer, params: types.ReferenceParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return []
    return navigation.references(snapshot, snapshot.offset(params.position), params.context.include_declaration)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
@guarded(list)
def document_highlight(ls: DockerastServer, params: types.DocumentHighlightParams):
    snapshot = snapshot_of(ls, params.text_document)
    return navigation.highlights(snapshot, snapshot.offset(params.position)) if snapshot else []


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
@guarded()
def prepare_rename(ls: DockerastServer, params: types.PrepareRenameParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return None
    try:
        return navigation.prepare_rename(snapshot, snapshot.offset(params.position))
    except navigation.RenameRefused as error:
        raise RequestFailed(str(error)) from None


@server.feature(types.TEXT_DOCUMENT_RENAME)
@guarded()
def rename(ls: DockerastServer, params: types.RenameParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return None
    try:
        edits = navigation.rename(snapshot, snapshot.offset(params.position), params.new_name)
    except navigation.RenameRefused as error:
        raise RequestFailed(str(error)) from None
    return code_actions.workspace_edit(snapshot, edits, ls.document_changes)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@guarded(list)
def document_symbol(ls: DockerastServer, params: types.DocumentSymbolParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return []
    # The outline of a version is asked for again and again (outline view, breadcrumbs...): encoded once.
    if ls.capability("text_document.document_symbol.hierarchical_document_symbol_support", False):
        return snapshot.memo(("encoded", "documentSymbol"), lambda: ls.encode(navigation.document_symbols(snapshot)))
    return snapshot.memo(("encoded", "flatSymbol"), lambda: ls.encode(navigation.flat_symbols(snapshot)))


@server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
@guarded(list)
def folding_range(ls: DockerastServer, params: types.FoldingRangeParams):
    snapshot = snapshot_of(ls, params.text_document)
    return navigation.folding_ranges(snapshot) if snapshot else []


@server.feature(types.TEXT_DOCUMENT_SELECTION_RANGE)
@guarded(list)
def selection_range(ls: DockerastServer, params: types.SelectionRangeParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return []
    return [navigation.selection_range(snapshot, snapshot.offset(p)) for p in params.positions]


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False))
@guarded(list)
def document_link(ls: DockerastServer, params: types.DocumentLinkParams):
    snapshot = snapshot_of(ls, params.text_document)
    tooltip = bool(ls.capability("text_document.document_link.tooltip_support", False))
    return navigation.document_links(snapshot, tooltip) if snapshot else []


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
@guarded(list)
def inlay_hint(ls: DockerastServer, params: types.InlayHintParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None or not ls.settings.inlay_hints:
        return []
    start, end = snapshot.positions.offsets(params.range)
    return navigation.inlay_hints(snapshot, start, end)


# -- semantic tokens ----------------------------------------------------------------------------------------

_TOKEN_OPTIONS = types.SemanticTokensRegistrationOptions(
    legend=tokens.LEGEND,
    full=types.SemanticTokensFullDelta(delta=True),
    range=True,
    document_selector=None,
)


def _remember_tokens(ls: DockerastServer, snapshot: Snapshot, data: list[int]) -> str:
    ls._token_counter += 1
    result_id = f"{snapshot.version}.{ls._token_counter}"
    ls._tokens[snapshot.uri] = (result_id, data)
    return result_id


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, _TOKEN_OPTIONS)
@guarded(lambda: types.SemanticTokens(data=[]))
def semantic_tokens_full(ls: DockerastServer, params: types.SemanticTokensParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return types.SemanticTokens(data=[])
    data = tokens.full(snapshot)
    return types.SemanticTokens(data=data, result_id=_remember_tokens(ls, snapshot, data))


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL_DELTA)
@guarded(lambda: types.SemanticTokens(data=[]))
def semantic_tokens_delta(ls: DockerastServer, params: types.SemanticTokensDeltaParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return types.SemanticTokens(data=[])
    data = tokens.full(snapshot)
    previous = ls._tokens.get(snapshot.uri)
    result_id = _remember_tokens(ls, snapshot, data)
    if previous is None or previous[0] != params.previous_result_id:
        return types.SemanticTokens(data=data, result_id=result_id)
    return types.SemanticTokensDelta(edits=tokens.delta(previous[1], data), result_id=result_id)


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE)
@guarded(lambda: types.SemanticTokens(data=[]))
def semantic_tokens_range(ls: DockerastServer, params: types.SemanticTokensRangeParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return types.SemanticTokens(data=[])
    return types.SemanticTokens(data=tokens.in_range(snapshot, params.range))


# -- completion --------------------------------------------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=completion.TRIGGER_CHARACTERS, resolve_provider=False),
)
@guarded(list)
def complete(ls: DockerastServer, params: types.CompletionParams):
    snapshot = snapshot_of(ls, params.text_document)
    if snapshot is None:
        return []
    formats = ls.capability("text_document.completion.completion_item.documentation_format", []) or []
    markdown = types.MarkupKind.Markdown in formats
    items = completion.complete(snapshot, snapshot.offset(params.position), markdown)
    return types.CompletionList(is_incomplete=False, items=items)
