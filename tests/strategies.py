"""Hypothesis strategies for Dockerfiles.

:func:`dockerfiles` builds Dockerfiles from the constructs BuildKit's parser
knows, rendered the many ways people write them: parser directives (``#
syntax=``, ``# escape=`` with a backslash or a backtick, and then that
character for continuations and escapes), every instruction in upper, lower
or mixed case, builder flags, exec (JSON) form and the shell-form fallback of
arrays that are not JSON, ARG/ENV/LABEL pairs with quotes and the legacy
``ENV key value``, image references, ONBUILD, HEALTHCHECK, comments and blank
lines, continuation lines (with comment and empty lines inside), heredocs,
CRLF, trailing whitespace and a missing final newline.

Everything generated is ASCII without NUL, so that the PyPI package
``dockerfile`` (BuildKit's parser behind a C string interface) sees exactly
what we see.  Examples stay small.

:func:`dockerish_text` is the other kind of input: arbitrary lines glued
together from Dockerfile fragments (keywords, escapes, quotes, ``<<``, ``#``,
``[``...) and a few non-ASCII spaces, to look for disagreements in the
corners a well-formed generator does not reach.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["dockerfiles", "dockerish_text", "instruction_lines"]

# -- small vocabulary -----------------------------------------------------------

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"
# Characters of an unquoted word that mean nothing special to BuildKit.
_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+%,^~"
# Characters for free text: printable ASCII except the quotes, escapes and $.
_TEXT = "".join(c for c in map(chr, range(0x20, 0x7F)) if c not in "\"'\\`$")

_VAR_NAMES = st.sampled_from(["A", "HOME", "PATH", "TARGETARCH", "BUILDPLATFORM", "v1", "_x", "FOO_BAR"])


def _keyword(word: str) -> st.SearchStrategy[str]:
    """``word`` in upper, lower or a mixed case."""
    mixed = st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(word, flips))
    )
    return st.one_of(st.just(word.upper()), st.just(word.lower()), mixed)


def _plain_word(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[str]:
    return st.text(_PLAIN, min_size=min_size, max_size=max_size)


@st.composite
def _variable(draw) -> str:
    """A variable reference in one of the forms the shell lexer reads."""
    name = draw(_VAR_NAMES)
    word = draw(st.text(_PLAIN, max_size=4))
    return draw(
        st.sampled_from(
            [
                f"${name}",
                f"${{{name}}}",
                f"${{{name}:-{word}}}",
                f"${{{name}-{word}}}",
                f"${{{name}:+{word}}}",
                f"${{{name}+{word}}}",
                f"${{{name}#{word}}}",
                f"${{{name}##*{word}}}",
                f"${{{name}%{word}}}",
                f"${{{name}%%{word}*}}",
                f"${{{name}/{word}/x}}",
                "$$",
                "$1",
            ]
        )
    )


@st.composite
def _shell_word(draw, escape: str) -> str:
    """One unquoted/quoted shell word, possibly with variables and escapes."""
    parts = draw(
        st.lists(
            st.one_of(
                _plain_word(),
                _variable(),
                st.text(_TEXT.replace('"', ""), max_size=6).map(lambda s: f'"{s}"'),
                st.text(_TEXT.replace("'", ""), max_size=6).map(lambda s: f"'{s}'"),
                st.sampled_from([f'"a{escape}"b"', f"{escape}$A", f"{escape} ", f"{escape}{escape}", '"${A} b"']),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return "".join(parts)


def _spaces() -> st.SearchStrategy[str]:
    return st.sampled_from([" ", " ", " ", "  ", "\t", " \t "])


# -- flags ------------------------------------------------------------------------


@st.composite
def _flag(draw, names: list[str]) -> str:
    name = draw(st.sampled_from(names))
    form = draw(st.integers(0, 4))
    if form == 0:
        return f"--{name}"
    value = draw(
        st.one_of(
            _plain_word(0, 10),
            st.sampled_from(
                [
                    "type=cache,target=/root/.cache",
                    "type=secret,id=npm,target=/root/.npmrc",
                    "type=bind,from=build,source=/out,target=/in",
                    "$BUILDPLATFORM",
                    "${TARGETPLATFORM}",
                    "linux/amd64",
                    "1000:1000",
                    "30s",
                ]
            ),
        )
    )
    if form == 1:
        return f"--{name}={value}"
    if form == 2:
        return f'--{name}="{value} x"'
    if form == 3:
        return f"--{name}='{value}'"
    return f'--{name}="{value}"'


def _flags(names: list[str], max_size: int = 2) -> st.SearchStrategy[list[str]]:
    return st.lists(_flag(names), max_size=max_size)


# -- exec form -------------------------------------------------------------------


@st.composite
def _json_string(draw) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.text(_TEXT.replace('"', ""), min_size=1, max_size=6),
                st.sampled_from(['\\"', "\\\\", "\\/", "\\n", "\\t", "\\u0041", "\\u00e9", " ", "'"]),
            ),
            max_size=3,
        )
    )
    return '"' + "".join(parts) + '"'


@st.composite
def _exec_form(draw) -> str:
    """A JSON array of strings, or something that looks like one but is shell form."""
    items = draw(st.lists(_json_string(), max_size=4))
    sep = draw(st.sampled_from([", ", ",", " , ", ",  "]))
    inner = sep.join(items)
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        pad = draw(st.sampled_from(["", " "]))
        return f"[{pad}{inner}{pad}]"
    if kind == 6:  # single quotes: not JSON, shell form
        return "[" + ", ".join(f"'{i[1:-1]}'" for i in items if "'" not in i and "\\" not in i) + "]"
    if kind == 7:  # bare words
        return "[" + ", ".join(draw(st.lists(_plain_word(), min_size=1, max_size=3))) + "]"
    if kind == 8:  # unterminated or a trailing comma
        return draw(st.sampled_from([f"[{inner}", f"[{inner},]", f"[{inner}] && true", f"[{inner}] # note"]))
    # a valid array that is not all strings: BuildKit reports an error
    return draw(st.sampled_from(["[1]", '["a", 2]', "[true]", '["a", null]', "[[]]", "[]"]))


# -- the pieces of one instruction -----------------------------------------------
#
# An instruction is drawn as a list of tokens, joined with separators; a token
# may be split over continuation lines only between tokens or inside a plain
# token.  Heredoc bodies come after its last line.


class Heredoc:
    def __init__(self, opener: str, name: str, chomp: bool, body: list[str]) -> None:
        self.opener = opener
        self.name = name
        self.chomp = chomp
        self.body = body


@st.composite
def _heredoc(draw, used: set[str]) -> Heredoc:
    name = draw(st.sampled_from(["EOF", "END", "FILE1", "script", "EOT", "E_2"]).filter(lambda n: n not in used))
    used.add(name)
    chomp = draw(st.booleans())
    quote = draw(st.sampled_from(["", "", '"', "'"]))
    fd = draw(st.sampled_from(["", "", "", "3"]))
    opener = f"{fd}<<{'-' if chomp else ''}{quote}{name}{quote}"
    lines = draw(
        st.lists(
            st.one_of(
                st.text(_TEXT + "$\\`\"'", max_size=12),
                st.sampled_from(["set -e", "echo $HOME ${A:-b}", "cat <<INNER", "a \\", "", "  indented", "EOF2"]),
            ),
            max_size=4,
        )
    )
    if chomp:
        lines = [draw(st.sampled_from(["", "\t", "\t\t"])) + line for line in lines]
    # A body line equal to the terminator would end the body early.
    lines = [line for line in lines if (line.lstrip("\t") if chomp else line) != name]
    return Heredoc(opener, name, chomp, lines)


@st.composite
def _image(draw) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return "scratch"
    if kind == 1:
        return draw(st.sampled_from(["$BASE", "${BASE}", "${BASE:-alpine}:3.20", "base-stage"]))
    registry = draw(st.sampled_from(["", "", "docker.io/", "ghcr.io/", "registry.example.com:5000/", "localhost/"]))
    path = draw(st.sampled_from(["alpine", "library/debian", "org/team/app", "golang", "node"]))
    tag = draw(st.sampled_from(["", ":latest", ":1.22-alpine", ":3.20", ":${VERSION}"]))
    digest = draw(st.sampled_from(["", "", "@sha256:" + "0123456789abcdef" * 4]))
    return registry + path + tag + digest


@st.composite
def _key_value(draw, escape: str, quoted_key: bool = False) -> str:
    key = draw(st.text(_NAME_START, min_size=1, max_size=1)) + draw(st.text(_NAME_CHARS + ".-", max_size=6))
    if quoted_key and draw(st.booleans()):
        key = f'"{key}"'
    value = draw(
        st.one_of(
            st.just(""),
            _shell_word(escape),
            st.text(_TEXT.replace('"', ""), max_size=8).map(lambda s: f'"{s}"'),
            st.sampled_from(['"a b c"', "'x y'", f"a{escape} b", f'"q{escape}"q"', "$A", "${A:-d}/bin"]),
        )
    )
    return f"{key}={value}"


@st.composite
def _instruction(draw, escape: str, allow_onbuild: bool = True) -> tuple[list[str], list[Heredoc]]:
    """One instruction as (tokens, heredocs); the first token is the keyword."""
    kinds = [
        "FROM", "RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "ENV", "ARG", "LABEL",
        "EXPOSE", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL", "MAINTAINER", "HEALTHCHECK",
    ]  # fmt: skip
    kinds += ["RUN", "RUN", "COPY"]  # the instructions with the most syntax, more often
    if allow_onbuild:
        kinds.append("ONBUILD")
    kind = draw(st.sampled_from(kinds))
    keyword = draw(_keyword(kind))
    heredocs: list[Heredoc] = []
    word = _shell_word(escape)

    def shell_args() -> list[str]:
        return draw(st.lists(st.one_of(word, _plain_word()), min_size=1, max_size=4))

    if kind == "FROM":
        tokens = draw(_flags(["platform"], 1)) + [draw(_image())]
        if draw(st.booleans()):
            tokens += [draw(_keyword("AS")), draw(st.sampled_from(["build", "base-stage", "Stage_2", "final"]))]
    elif kind in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
        names = {"RUN": ["mount", "network", "security"], "HEALTHCHECK": []}.get(kind, ["unknown"])
        tokens = draw(_flags(names, 2 if kind == "RUN" else 1)) if kind == "RUN" or draw(st.integers(0, 9)) == 0 else []
        if draw(st.booleans()):
            tokens.append(draw(_exec_form()))
        else:
            args = shell_args()
            if kind == "RUN" and draw(st.booleans()):
                used: set[str] = set()
                heredocs = draw(st.lists(_heredoc(used), min_size=1, max_size=2))
                opens = [h.opener for h in heredocs]
                args = draw(st.sampled_from([opens, ["cat", *opens], [*opens, "&&", "echo", "done"], ["python3", opens[0]]]))
                if len(heredocs) == 2 and len(opens) == 2:
                    args = list(dict.fromkeys(args + opens))
            tokens += args
    elif kind in ("COPY", "ADD"):
        names = ["from", "chown", "chmod", "link", "exclude", "parents"] + (["checksum", "keep-git-dir"] if kind == "ADD" else [])
        tokens = draw(_flags(names, 3))
        form = draw(st.integers(0, 4))
        if form == 0:
            tokens.append(draw(_exec_form()))
        elif form == 1:
            used = set()
            heredocs = draw(st.lists(_heredoc(used), min_size=1, max_size=2))
            tokens += [h.opener for h in heredocs] + [draw(st.sampled_from(["/dest/", "/etc/app.ini", "."]))]
        else:
            sources = draw(st.lists(st.one_of(_plain_word(), _variable(), st.just("https://example.com/a.tar.gz")), min_size=1, max_size=3))
            tokens += sources + [draw(st.sampled_from(["/dest/", ".", "$DEST", "/a b/"]))]
    elif kind == "ENV":
        tokens = []
        if draw(st.integers(0, 3)) == 0:  # legacy ENV key value with spaces
            tokens = [draw(st.text(_NAME_START, min_size=1, max_size=4))] + shell_args()
        else:
            tokens = draw(st.lists(_key_value(escape), min_size=1, max_size=3))
    elif kind == "LABEL":
        tokens = draw(st.lists(_key_value(escape, quoted_key=True), min_size=1, max_size=3))
    elif kind == "ARG":
        tokens = draw(
            st.lists(
                st.one_of(st.text(_NAME_START, min_size=1, max_size=5), _key_value(escape)),
                min_size=1,
                max_size=2,
            )
        )
    elif kind == "EXPOSE":
        tokens = draw(st.lists(st.sampled_from(["80", "80/tcp", "53/udp", "8080-8090", "$PORT", "443/TCP"]), min_size=1, max_size=3))
    elif kind == "USER":
        tokens = [draw(st.sampled_from(["app", "1000", "1000:1000", "app:app", "${UID}:${GID}", "ContainerUser"]))]
    elif kind == "WORKDIR":
        tokens = [draw(st.sampled_from(["/app", "/src/$NAME", "relative/dir", "/a b", "C:\\\\app", "${HOME}/x"]))]
    elif kind == "VOLUME":
        tokens = [draw(_exec_form())] if draw(st.booleans()) else draw(st.lists(_plain_word(), min_size=1, max_size=3))
    elif kind == "STOPSIGNAL":
        tokens = [draw(st.sampled_from(["SIGTERM", "9", "SIGRTMIN+3", "$SIG"]))]
    elif kind == "MAINTAINER":
        tokens = shell_args()
    elif kind == "HEALTHCHECK":
        if draw(st.booleans()):
            tokens = [draw(_keyword("NONE"))]
        else:
            tokens = draw(_flags(["interval", "timeout", "start-period", "start-interval", "retries"], 3))
            tokens.append(draw(_keyword("CMD")))
            tokens += [draw(_exec_form())] if draw(st.booleans()) else shell_args()
    else:  # ONBUILD
        inner, heredocs = draw(_instruction(escape, allow_onbuild=False))
        tokens = inner
    return [keyword, *tokens], heredocs


# -- rendering ----------------------------------------------------------------------


@st.composite
def _render_instruction(draw, escape: str, eol: st.SearchStrategy[str], trailing: st.SearchStrategy[str]) -> str:
    tokens, heredocs = draw(_instruction(escape))
    # Join the tokens, deciding at each gap whether to continue on a new line.
    lines: list[str] = []
    current = draw(st.sampled_from(["", "", "", " ", "\t", "  "]))  # indentation
    for i, token in enumerate(tokens):
        if i:
            sep = draw(_spaces())
            if draw(st.integers(0, 5)) == 0 and not current.endswith(escape):
                # Break the line at this gap, the separator on either side.
                before = draw(st.booleans())
                lines.append(current + (sep if before else "") + escape)
                lines.extend(draw(_inside_continuation()))
                current = draw(st.sampled_from(["", "  ", "\t"])) + ("" if before else sep)
            else:
                current += sep
        # Sometimes break inside a plain token: BuildKit joins the pieces as they are.
        if (
            len(token) > 2
            and draw(st.integers(0, 12)) == 0
            and all(c in _PLAIN for c in token)
        ):
            cut = draw(st.integers(1, len(token) - 1))
            lines.append(current + token[:cut] + escape)
            lines.extend(draw(_inside_continuation()))
            current = token[cut:]
        else:
            current += token
    lines.append(current)
    rendered = [line + draw(trailing) + draw(eol) for line in lines]
    for heredoc in heredocs:
        for line in heredoc.body:
            rendered.append(line + draw(eol))
        terminator = (draw(st.sampled_from(["", "\t"])) if heredoc.chomp else "") + heredoc.name
        rendered.append(terminator + draw(eol))
    return "".join(rendered)


@st.composite
def _inside_continuation(draw) -> list[str]:
    """Comment and empty lines BuildKit skips inside a continuation (usually none)."""
    if draw(st.integers(0, 3)):
        return []
    return draw(st.lists(st.sampled_from(["", "   ", "# a comment", "  # indented comment", "#", "\t"]), min_size=1, max_size=2))


def instruction_lines(escape: str = "\\") -> st.SearchStrategy[str]:
    """One rendered instruction (with its newline), for the escape character given."""
    return _render_instruction(escape, st.just("\n"), st.just(""))


@st.composite
def dockerfiles(draw) -> str:
    """A small Dockerfile that BuildKit's parser reads (rarely one it rejects, on purpose)."""
    escape = draw(st.sampled_from(["\\", "\\", "`"]))
    crlf = draw(st.integers(0, 5))
    if crlf == 0:
        eol = st.just("\r\n")
    elif crlf == 1:
        eol = st.sampled_from(["\n", "\r\n"])
    else:
        eol = st.just("\n")
    trailing = st.sampled_from(["", "", "", "", " ", "\t", "  "])
    out: list[str] = []

    # Parser directives, contiguous at the top.
    directives = []
    if draw(st.booleans()):
        directives.append(draw(st.sampled_from(["# syntax=docker/dockerfile:1", "#syntax = docker/dockerfile:1.7", "# syntax=docker/dockerfile:1-labs"])))
    if escape != "\\" or draw(st.integers(0, 4)) == 0:
        directives.append(draw(st.sampled_from(["# escape={}", "#escape={}", "# escape = {}", "#  ESCAPE={}"])).format(escape))
    if draw(st.booleans()):
        directives.reverse()
    for d in directives:
        out.append(d + draw(trailing) + draw(eol))

    for i in range(draw(st.integers(1, 5))):
        trivia = ["", "# comment", "  # indented", "#", "   "]
        if i:  # below an instruction, a directive-like line is only a comment
            trivia += ["# escape=\\", "# syntax=x"]
        for _ in range(draw(st.integers(0, 2))):
            out.append(draw(st.sampled_from(trivia)) + draw(eol))
        out.append(draw(_render_instruction(escape, eol, trailing)))
    text = "".join(out)
    if draw(st.integers(0, 4)) == 0:  # no final newline
        text = text.rstrip("\r\n")
    return text


# -- loose text for differential hunting -----------------------------------------------

_FRAGMENTS = [
    # keywords in a few cases
    "FROM", "from", "RUN", "run", "Run", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "add",
    "ENV", "env", "ARG", "LABEL", "EXPOSE", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL",
    "MAINTAINER", "HEALTHCHECK", "NONE", "ONBUILD", "onbuild", "AS", "as",
    # escapes, quotes, heredocs, comments, JSON
    "\\", "\\", "`", "`", '"', "'", "<<", "<<-", "<<EOF", "EOF", "'EOF'", "\"EOF\"", "3<<",
    "#", "# ", "# escape=`", "# escape=\\", "# syntax=x", "#check=skip=all", "#escape=",
    "[", "]", "[\"a\"]", "[ ]", ",", "\"a\"", "\\\"", "\\u0041", "null", "1",
    # words and flags
    "a", "b", "x y", "=", "a=b", "--", "--mount=type=cache", "--from=a", "--link", "--x=\"a b\"",
    "$", "${", "}", "$A", "${A:-b}", "-", "/", ":", "@",
    # whitespace and line ends
    " ", " ", " ", "  ", "\t", "\n", "\n", "\n", "\r\n", "\r", "\v", "\f",
    # some non-ASCII: spaces Go and Python disagree on, a BOM, a letter
    "\u00a0", "\u2028", "\x85", "\x1c", "\ufeff", "\u00e9",
]  # fmt: skip


_KEYWORDS = [f for f in _FRAGMENTS if f.isalpha() and f.upper() not in ("NONE", "AS", "EOF", "NULL")]
_LINE_ENDS = ["\n", "\n", "\n", "\r\n", "\\\n", "`\n", "\\ \n"]


@st.composite
def _dockerish_line(draw) -> str:
    """A keyword (usually), fragments, and a line end (possibly a continuation)."""
    head = draw(st.sampled_from(_KEYWORDS)) + " " if draw(st.integers(0, 4)) else ""
    body = "".join(draw(st.lists(st.sampled_from(_FRAGMENTS), max_size=8)))
    return head + body + draw(st.sampled_from(_LINE_ENDS))


def dockerish_text(max_fragments: int = 30) -> st.SearchStrategy[str]:
    """Arbitrary NUL-free text glued from Dockerfile fragments: loose, or line by line."""
    loose = st.lists(st.sampled_from(_FRAGMENTS), max_size=max_fragments).map("".join)
    lines = st.lists(_dockerish_line(), min_size=1, max_size=max(1, max_fragments // 6)).map("".join)
    return st.one_of(loose, lines)
