"""The ``dockerast-lsp`` entry point: --help, and the --tcp transport."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

pytest.register_assert_rewrite("lsp_client")
from lsp_client import SERVER_COMMAND, SERVER_ENV


def _message(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read(sock: socket.socket) -> dict:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    header, _, rest = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in header.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(rest) < length:
        rest += sock.recv(4096)
    return json.loads(rest[:length])


def test_help():
    out = subprocess.run([*SERVER_COMMAND, "--help"], env=SERVER_ENV, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--tcp HOST PORT" in out.stdout


def test_tcp_transport():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*SERVER_COMMAND, "--tcp", "127.0.0.1", str(port)], env=SERVER_ENV, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.05)
        with sock:
            sock.sendall(_message({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}))
            reply = _read(sock)
            assert reply["id"] == 1
            capabilities = reply["result"]["capabilities"]
            assert capabilities["textDocumentSync"]["change"] == 2  # incremental
            assert capabilities["codeActionProvider"]["resolveProvider"] is True
            sock.sendall(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            assert _read(sock)["id"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
