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


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote``: printable characters as they are, the rest escaped."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch in _GO_SHORT_ESCAPES:
            out.append(_GO_SHORT_ESCAPES[ch])
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")  # an undecodable byte reads as U+FFFD in Go
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
