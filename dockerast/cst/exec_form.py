"""Exec (JSON) form: the strings of an array, and BuildKit's refusal of other arrays.

The grammar tells the two forms apart: arguments that are a JSON array of
strings are one ``EXEC_FORM`` token; anything else, valid JSON or not, is
shell form.  BuildKit refuses one kind of shell form: a valid JSON array
holding something other than strings.
"""

from __future__ import annotations

import json
import re

NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"

# Inside an array of strings only the strings hold quotes (the grammar has
# checked the array, escapes included): each quoted run is one string.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def exec_strings(array: str) -> list[tuple[str, int, int]]:
    """The decoded strings of ``array``, the text of an ``EXEC_FORM`` token
    without the whitespace before it, with their (start, end) in it."""
    strings = []
    for match in _STRING.finditer(array):
        raw = match.group()
        strings.append((json.loads(raw) if "\\" in raw else raw[1:-1], match.start(), match.end()))
    return strings


def _reject_constant(name: str) -> None:
    # Go's decoder knows no NaN or Infinity: such text is not JSON there.
    raise ValueError(name)


def is_array_of_other_values(arguments: str) -> bool:
    """Are shell-form ``arguments`` a JSON array nonetheless (so of values
    that are not all strings), which BuildKit refuses?"""
    if not arguments.startswith("["):
        return False
    try:
        value = json.loads(arguments, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # Python's decoder gives up ~1,000 levels deep
        return False
    return isinstance(value, list)
