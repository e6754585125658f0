"""Character classes and line helpers that match BuildKit's Go definitions.

Python's ``str.isspace`` and Go's ``unicode.IsSpace`` disagree (Python also
counts U+001C..U+001F), and Go's ``bytes.TrimRight(s, "\\r\\n")`` is not
``str.rstrip()``; using these keeps our reading of a line identical to
BuildKit's.
"""

from __future__ import annotations

# unicode.IsSpace: the Latin-1 spaces plus the White_Space property.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trim_newline(line: str) -> str:
    """The content of a physical line: without its trailing CR and LF characters."""
    return line.rstrip("\r\n")


def lstrip_space(text: str) -> str:
    return text.lstrip(GO_SPACE)


def is_comment(line: str) -> bool:
    """True for a line whose first non-space character is ``#``."""
    return lstrip_space(line).startswith("#")
