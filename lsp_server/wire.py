"""Messages to the client as JSON text, and results encoded once.

pygls converts each message with lsprotocol's cattrs converter, then to
JSON.  :class:`Encoded` is JSON text written as it is: a result a document
version computed once (its outline, its code actions) is not converted again
on each request, and a message built as JSON data (publishDiagnostics, from
:mod:`lsp_server.diagnostics`) is not converted at all.  Both give the text
the converter would give (``tests/test_lsp_wire.py``); it does the rest.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
from pygls.protocol.json_rpc import JsonRPCResponseMessage


class Encoded:
    """A value's JSON text, written as is in place of the value."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Encoded({self.text[:60]!r}...)" if len(self.text) > 60 else f"Encoded({self.text!r})"


def encode(converter: Any, value: Any) -> Encoded:
    """``value`` (lsprotocol types) as :class:`Encoded` JSON text."""
    return Encoded(json.dumps(converter.unstructure(value)))


def notification(method: str, params: Any) -> Encoded:
    """A whole notification message, ``params`` being JSON data (as the converter writes the message)."""
    return Encoded(json.dumps({"params": params, "method": method, "jsonrpc": "2.0"}))


def message_text(converter: Any, message: Any) -> str:
    """The JSON text of a message: a pygls/lsprotocol message object, or an :class:`Encoded` one."""
    if isinstance(message, Encoded):
        return message.text
    result = getattr(message, "result", None)
    if isinstance(result, Encoded):
        if type(message) is JsonRPCResponseMessage:
            # The answer to a client's request, as the converter writes it (its fields in this order).
            return '{"id": ' + json.dumps(message.id) + ', "jsonrpc": ' + json.dumps(message.jsonrpc) + ', "result": ' + result.text + "}"
        # Another response: the rest of it converted as usual, the result written as it was encoded.
        fields = converter.unstructure(attrs.evolve(message, result=None))
        fields["result"] = None  # (in its place, or last)
        return "{" + ", ".join(
            f"{json.dumps(key)}: {result.text if key == 'result' else json.dumps(value)}" for key, value in fields.items()
        ) + "}"
    return json.dumps(converter.unstructure(message))
