"""The stdio transport: the event loop reads the client's pipe itself.

pygls reads stdin in a thread pool: every header line and every body is a
round trip to a worker thread and back through the loop's wake-up pipe,
three per message, which costs more than most requests take to answer.
Here stdin is a pipe of the event loop: what arrives is cut into messages,
handled in order, one per turn of the loop as before.  Answers are written
as pygls writes them.

Only for a pipe or a socket that is not also stdout, on POSIX systems;
otherwise (a file, a terminal, Windows) pygls' own transport runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
import threading
from typing import Any, BinaryIO, Callable

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

log = logging.getLogger(__name__)

_HEADER_END = b"\r\n\r\n"


def content_length(headers: bytes) -> int | None:
    """The ``Content-Length`` of a message's header block, or None without a valid one."""
    for line in headers.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
            return length if length >= 0 else None
    return None


class MessageReader(asyncio.Protocol):
    """Cuts the bytes from the client into messages and hands each to ``handle(body)``.

    One message per turn of the event loop, as pygls' own reader does: what a
    message's handler schedules (a coroutine handler's first step, a publish)
    runs before the next message is handled.
    """

    def __init__(self, handle: Callable[[bytes], None], closed: asyncio.Future) -> None:
        self._handle = handle
        self._closed = closed
        self._buffer = bytearray()
        self._length: int | None = None  # of the body being read, once its headers are
        self._scheduled = False
        self._eof = False

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._scheduled:
            self._next()

    def eof_received(self) -> bool | None:
        self._eof = True
        if not self._scheduled:
            self._next()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof_received()

    def _next(self) -> None:
        self._scheduled = False
        body = self._body()
        if body is None:
            if self._eof and not self._closed.done():
                self._closed.set_result(None)
            return
        self._scheduled = True  # (data that arrives meanwhile waits for its turn)
        self._handle(body)
        self._closed.get_loop().call_soon(self._next)

    def _body(self) -> bytes | None:
        """The next complete message's body, taken from the buffer; None if none is complete yet."""
        buffer = self._buffer
        while self._length is None:
            end = buffer.find(_HEADER_END)
            if end < 0:
                return None
            headers = bytes(buffer[:end])
            del buffer[: end + len(_HEADER_END)]
            self._length = content_length(headers)
            if self._length is None:
                log.warning("skipping a message without a valid Content-Length: %r", headers[:200])
        if len(buffer) < self._length:
            return None
        body = bytes(buffer[: self._length])
        del buffer[: self._length]
        self._length = None
        return body


def _is_stream(fd: int) -> bool:
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def can_serve(stdin: BinaryIO, stdout: BinaryIO) -> bool:
    """Whether ``stdin`` can be read by the event loop without changing how ``stdout`` is written.

    The loop makes its pipe non-blocking; a file, a terminal, or one socket
    used both ways (which would share that flag with stdout) are left to pygls,
    and so is every stream off POSIX systems (Windows' event loops read
    anonymous pipes differently).
    """
    if os.name != "posix":
        return False
    try:
        fd_in, fd_out = stdin.fileno(), stdout.fileno()
        if not _is_stream(fd_in) or os.isatty(fd_in):
            return False
        return not os.path.samestat(os.fstat(fd_in), os.fstat(fd_out))
    except (AttributeError, OSError, ValueError):
        return False


def serve(server: Any, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve ``server`` (a pygls server) on ``stdin`` / ``stdout`` until the client closes stdin or exits."""
    protocol = server.protocol
    server._stop_event = threading.Event()
    protocol.set_writer(StdoutWriter(stdout))

    structure = protocol.structure_message

    def handle(body: bytes) -> None:
        try:
            # The message as JSON data, then as pygls' message types.  (pygls hands the converter every
            # object of the message as it is parsed, to structure those that are messages: only the
            # whole message is one.)  LSP is UTF-8.
            message = structure(json.loads(body.decode("utf-8-sig", "surrogatepass")))  # (as json.loads reads bytes)
            protocol.handle_message(message)
        except Exception as error:  # noqa: BLE001  (as pygls: a bad message never stops the server)
            log.exception("Unable to handle message")
            server.report_server_error(error, JsonRpcException)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        closed = loop.create_future()
        transport, _ = await loop.connect_read_pipe(lambda: MessageReader(handle, closed), stdin)
        try:
            await closed
        finally:
            transport.close()

    try:
        asyncio.run(run())
    except BrokenPipeError:
        log.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


def start_io(server: Any, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> bool:
    """Serve over stdio with :func:`serve` when the streams allow it; False (nothing done) otherwise."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    if not can_serve(stdin, stdout):
        return False
    serve(server, stdin, stdout)
    return True
