"""Exec (JSON) form: BuildKit's test for it and its fallback to shell form.

Arguments that start with ``[`` and are a JSON array of strings are exec
form.  Anything that is not valid JSON, or not an array, silently stays shell
form.  A valid JSON array holding something other than strings is an error.
"""

from __future__ import annotations

import json

from dockerast.cst.grammar import GrammarError, parse_json_array

_JSON_SPACE = " \t\n\r"

NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"


class NotStringArray(ValueError):
    """A valid JSON array with a value that is not a string."""


def _reject_constant(name: str) -> None:
    # Go's decoder knows no NaN or Infinity: such text is not JSON there.
    raise ValueError(name)


def parse_exec_form(arguments: str) -> list[tuple[str, int, int]] | None:
    """The decoded strings of a JSON array with their (start, end) in ``arguments``.

    None when ``arguments`` is shell form; raises :class:`NotStringArray` for
    a JSON array of other values.
    """
    if not arguments.startswith("["):
        return None
    try:
        tree = parse_json_array(arguments)
    except GrammarError:
        try:
            value = json.loads(arguments, parse_constant=_reject_constant)
        except ValueError:
            return None
        if isinstance(value, list):
            raise NotStringArray(NOT_STRING_ARRAY) from None
        return None
    strings = []
    for token in tree.children:
        # The token holds the whitespace around the string, and the comma before it.
        text = token.value
        start = text.find('"')
        raw = text[start:].rstrip(_JSON_SPACE)
        value = json.loads(raw) if "\\" in raw else raw[1:-1]
        start += token.start_pos
        strings.append((value, start, start + len(raw)))
    return strings
