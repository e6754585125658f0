"""Every refactor on small before/after pairs, byte for byte, and every documented refusal.

The agentcube fixtures (``test_refactor_fixtures.py``) cover the three main
operations on a real case; here each operation gets small pairs that show one
behaviour each.  Every pair in ``CASES`` is also checked for what every result
promises: the edits turn the old text into the new one, the new text parses,
running the operation again changes nothing, and the same file with CRLF line
ends comes out the same with CRLF line ends.

Tests marked ``xfail(strict=True)`` pin down bugs found in ``dockerast``: each
reason says what is expected and what happens instead.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

import dockerast
from dockerast import FromInstruction, RunInstruction, UserInstruction, WorkdirInstruction
from dockerast.refactor import (
    FormatOptions,
    RefactorError,
    Selector,
    SelectorError,
    TextEdit,
    apply_edits,
    format,
    format_dockerfile,
    move_instructions,
    normalize,
    pin_build_platform,
    pin_digests,
    rename_stage,
    set_base_image,
    sink_args,
    to_exec_form,
    transform,
)

parse = dockerast.parse
PLATFORM = "--platform=$BUILDPLATFORM "
DIGEST = "sha256:" + "a" * 64
OTHER_DIGEST = "sha256:" + "b" * 64
BARE_LF = re.compile(r"(?<!\r)\n")


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def comment_lines(text: str) -> Counter[str]:
    return Counter(line.strip() for line in text.splitlines() if line.strip().startswith("#"))


def check(result, before: str, expected: str) -> None:
    """The result is ``expected`` byte for byte, and its edits and tree agree with it."""
    assert result.text == expected
    assert str(result.tree) == expected
    assert apply_edits(before, result.edits) == expected
    assert list(result.edits) == sorted(result.edits)
    assert parse(expected).errors == ()
    assert not comment_lines(before) - comment_lines(expected)
    for edit in result.edits:
        assert not (edit.start == 0 and edit.end == len(before)), "an edit must not replace the whole file"
    assert result.changed == (before != expected)


# -- the table: operation, before, after ---------------------------------------------------------

GO_BUILD = """\
FROM golang:1.22 AS build
ARG TARGETARCH
RUN GOARCH=$TARGETARCH go build -o /app
FROM alpine
COPY --from=build /app /app
"""

RENAME_BEFORE = """\
FROM golang AS build
RUN echo build > /build/build.txt
FROM build AS test
COPY --from=build /build/x /x
COPY --from=0 /a /b
FROM alpine
RUN --mount=type=cache,from=build,target=/c true
COPY --from=build /build /build
"""

RENAME_AFTER = """\
FROM golang AS compile
RUN echo build > /build/build.txt
FROM compile AS test
COPY --from=compile /build/x /x
COPY --from=0 /a /b
FROM alpine
RUN --mount=type=cache,from=compile,target=/c true
COPY --from=compile /build /build
"""


def rename_build(tree):
    return rename_stage(tree, "build", "compile")


def rename_compile_again(tree):
    return rename_stage(tree, "compile", "compile")


def case(name, fn, before, after, again=None, crlf_xfail=None):
    """One before/after pair; ``crlf_xfail`` says why its CRLF variant is known to fail."""
    return name, fn, before, after, again or fn, crlf_xfail


TABLE = [
    # pin_build_platform
    case("pin-auto", pin_build_platform, GO_BUILD, GO_BUILD.replace("FROM golang", "FROM " + PLATFORM + "golang")),
    case(
        "pin-named",
        lambda t: pin_build_platform(t, ["build"]),
        GO_BUILD,
        GO_BUILD.replace("FROM golang", "FROM " + PLATFORM + "golang"),
    ),
    case(
        "pin-before-other-flags",
        pin_build_platform,
        "FROM --foo=bar golang AS build\nRUN xx-go build\nFROM alpine\nCOPY --from=build /a /a\n",
        "FROM --platform=$BUILDPLATFORM --foo=bar golang AS build\nRUN xx-go build\nFROM alpine\nCOPY --from=build /a /a\n",
    ),
    case(
        "pin-lowercase-keywords",
        pin_build_platform,
        "from golang as build\nrun xx-go build\nfrom alpine\ncopy --from=build /a /a\n",
        "from --platform=$BUILDPLATFORM golang as build\nrun xx-go build\nfrom alpine\ncopy --from=build /a /a\n",
    ),
    case(
        "pin-mount-from-and-xx",
        pin_build_platform,
        "FROM tonistiigi/xx AS xx\nFROM golang AS build\nCOPY --from=xx / /\nRUN xx-go build\n"
        "FROM alpine\nRUN --mount=from=build,target=/b cp /b/a /a\n",
        "FROM tonistiigi/xx AS xx\nFROM --platform=$BUILDPLATFORM golang AS build\nCOPY --from=xx / /\nRUN xx-go build\n"
        "FROM alpine\nRUN --mount=from=build,target=/b cp /b/a /a\n",
    ),
    case(
        "pin-nothing-already-pinned",
        pin_build_platform,
        "FROM --platform=linux/amd64 golang AS build\nRUN xx-go build\nFROM alpine\nCOPY --from=build /a /a\n",
        "FROM --platform=linux/amd64 golang AS build\nRUN xx-go build\nFROM alpine\nCOPY --from=build /a /a\n",
    ),
    case(
        "pin-nothing-stage-used-as-base",
        pin_build_platform,
        "FROM golang AS build\nRUN xx-go build\nFROM build AS t\nFROM alpine\nCOPY --from=t /a /a\n",
        "FROM golang AS build\nRUN xx-go build\nFROM build AS t\nFROM alpine\nCOPY --from=t /a /a\n",
    ),
    # move_instructions
    case(
        "move-after",
        lambda t: move_instructions(t, "env:X", after="run:c"),
        "FROM a\nENV X=1\nRUN c\n",
        "FROM a\nRUN c\nENV X=1\n",
    ),
    case(
        "move-several-keep-order",
        lambda t: move_instructions(t, "env:X,Y", after="run:c"),
        "FROM a\nENV X=1\nENV Y=2\nRUN c\n",
        "FROM a\nRUN c\nENV X=1\nENV Y=2\n",
    ),
    case(
        "move-with-comments-and-continuation",
        lambda t: move_instructions(t, "run:b", after="run:c"),
        "FROM a\n# about b\nRUN b \\\n  # inner\n  --flag\nRUN c\n",
        "FROM a\nRUN c\n# about b\nRUN b \\\n  # inner\n  --flag\n",
    ),
    case(
        "move-before",
        lambda t: move_instructions(t, "env:X", before="run:c"),
        "FROM a\nRUN c\nENV X=1\nRUN d\n",
        "FROM a\nENV X=1\nRUN c\nRUN d\n",
    ),
    case(
        "move-already-in-place",
        lambda t: move_instructions(t, "env:X", before="run:c"),
        "FROM a\nENV X=1\nRUN c\n",
        "FROM a\nENV X=1\nRUN c\n",
    ),
    case(
        "move-stage-prefix",
        lambda t: move_instructions(t, "two/env:X", after="two/run:c"),
        "FROM a AS one\nENV X=1\nRUN c\nFROM b AS two\nENV X=1\nRUN c\n",
        "FROM a AS one\nENV X=1\nRUN c\nFROM b AS two\nRUN c\nENV X=1\n",
    ),
    # sink_args
    case(
        "sink-group-with-comment",
        sink_args,
        "FROM golang\n# platform\nARG TARGETOS\nARG TARGETARCH\nCOPY go.mod .\nRUN go mod download\n"
        "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build\n",
        "FROM golang\nCOPY go.mod .\nRUN go mod download\n# platform\nARG TARGETOS\nARG TARGETARCH\n"
        "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build\n",
    ),
    case(
        "sink-gap-takes-blank-line",
        sink_args,
        "FROM a\n\nARG V=1\nRUN one\nRUN echo $V\n",
        "FROM a\n\nRUN one\n\nARG V=1\nRUN echo $V\n",
    ),
    case(
        "sink-heredoc-reader",
        sink_args,
        "FROM a\nARG V=1\nRUN x\nRUN <<EOF\necho $V\nEOF\n",
        "FROM a\nRUN x\nARG V=1\nRUN <<EOF\necho $V\nEOF\n",
    ),
    case(
        "sink-names-filter",
        lambda t: sink_args(t, names=["B"]),
        "FROM a\nARG A\nARG B\nRUN x\nRUN echo $A $B\n",
        "FROM a\nARG A\nRUN x\nARG B\nRUN echo $A $B\n",
    ),
    case(
        "sink-stage-filter",
        lambda t: sink_args(t, stage=1),
        "FROM a\nARG A\nRUN x\nRUN echo $A\nFROM b\nARG A\nRUN x\nRUN echo $A\n",
        "FROM a\nARG A\nRUN x\nRUN echo $A\nFROM b\nRUN x\nARG A\nRUN echo $A\n",
    ),
    case("sink-meta-arg-stays", sink_args, "ARG V=1\nFROM a\nRUN x\nRUN echo $V\n", "ARG V=1\nFROM a\nRUN x\nRUN echo $V\n"),
    case("sink-unused-arg-stays", sink_args, "FROM a\nARG V=1\nRUN x\n", "FROM a\nARG V=1\nRUN x\n"),
    # rename_stage
    case("rename", rename_build, RENAME_BEFORE, RENAME_AFTER, again=rename_compile_again),
    case(
        "rename-leaves-image-of-same-name",
        rename_build,
        "FROM build AS base\nFROM alpine AS build\nFROM base\nCOPY --from=build /a /b\n",
        "FROM build AS base\nFROM alpine AS compile\nFROM base\nCOPY --from=compile /a /b\n",
        again=rename_compile_again,
    ),
    case(
        "rename-case-insensitive-and-quoted",
        rename_build,
        'FROM a AS Build\nFROM b\nCOPY --from=BUILD /a /b\nCOPY --from="build" /c /d\n',
        "FROM a AS compile\nFROM b\nCOPY --from=compile /a /b\nCOPY --from=compile /c /d\n",
        again=rename_compile_again,
    ),
    # to_exec_form
    case(
        "exec-cmd",
        to_exec_form,
        'FROM a\nCMD node server.js\nENTRYPOINT  ["x"]\n',
        'FROM a\nCMD ["node", "server.js"]\nENTRYPOINT  ["x"]\n',
    ),
    case(
        "exec-quotes-and-unicode",
        to_exec_form,
        "FROM a\nCMD echo 'hello world' \"a b\" 'a\"b' héllo\n",
        'FROM a\nCMD ["echo", "hello world", "a b", "a\\"b", "héllo"]\n',
    ),
    case(
        "exec-continuation",
        to_exec_form,
        "FROM a\nENTRYPOINT node \\\n  server.js\n",
        'FROM a\nENTRYPOINT ["node", "server.js"]\n',
    ),
    case(
        "exec-run-with-mount",
        lambda t: to_exec_form(t, include_run=True),
        "FROM a\nRUN --mount=type=cache,target=/x make install\nCMD x\n",
        'FROM a\nRUN --mount=type=cache,target=/x ["make", "install"]\nCMD ["x"]\n',
    ),
    case(
        "exec-lines-filter",
        lambda t: to_exec_form(t, lines={3}),
        "FROM a\nCMD x\nCMD y\n",
        'FROM a\nCMD x\nCMD ["y"]\n',
    ),
    case(
        "exec-leaves-run-heredoc-healthcheck-onbuild",
        lambda t: to_exec_form(t, include_run=True),
        "FROM a\nRUN <<EOF\necho hi\nEOF\nHEALTHCHECK CMD curl -f http://x/\nONBUILD CMD x y\n",
        "FROM a\nRUN <<EOF\necho hi\nEOF\nHEALTHCHECK CMD curl -f http://x/\nONBUILD CMD x y\n",
    ),
    case(
        "exec-wrap-default-shell",
        lambda t: to_exec_form(t, wrap_in_shell=True),
        "FROM a\nCMD a | b\nFROM b\nENTRYPOINT FOO=1 cmd\n",
        'FROM a\nCMD ["/bin/sh", "-c", "a | b"]\nFROM b\nENTRYPOINT ["/bin/sh", "-c", "FOO=1 cmd"]\n',
    ),
    case(
        "exec-wrap-stage-shell",
        lambda t: to_exec_form(t, wrap_in_shell=True),
        'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD echo $VAR\nFROM b\nCMD echo $VAR\n',
        'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD ["/bin/bash", "-o", "pipefail", "-c", "echo $VAR"]\n'
        'FROM b\nCMD ["/bin/sh", "-c", "echo $VAR"]\n',
    ),
    # set_base_image
    case(
        "base-tag",
        lambda t: set_base_image(t, "build", tag="1.23"),
        GO_BUILD,
        GO_BUILD.replace("golang:1.22", "golang:1.23"),
    ),
    case(
        "base-image",
        lambda t: set_base_image(t, 1, image="debian"),
        GO_BUILD,
        GO_BUILD.replace("FROM alpine", "FROM debian"),
    ),
    case(
        "base-remove-tag",
        lambda t: set_base_image(t, "build", tag=""),
        GO_BUILD,
        GO_BUILD.replace("golang:1.22", "golang"),
    ),
    case(
        "base-digest",
        lambda t: set_base_image(t, "build", digest=DIGEST),
        GO_BUILD,
        GO_BUILD.replace("golang:1.22", "golang:1.22@" + DIGEST),
    ),
    case(
        "base-replace-and-remove-digest",
        lambda t: set_base_image(t, 0, digest=DIGEST),
        f"FROM app:1@{OTHER_DIGEST}\n",
        f"FROM app:1@{DIGEST}\n",
    ),
    case(
        "base-remove-digest",
        lambda t: set_base_image(t, 0, digest=""),
        f"FROM app:1@{OTHER_DIGEST} AS x\n",
        "FROM app:1 AS x\n",
    ),
    case(
        "base-registry-port",
        lambda t: set_base_image(t, 0, tag="2.0"),
        "FROM localhost:5000/app\n",
        "FROM localhost:5000/app:2.0\n",
    ),
    case(
        "base-args-kept",
        lambda t: set_base_image(t, 0, tag="2"),
        "ARG REG=r\nFROM ${REG}/app:${TAG:-1} AS app\n",
        "ARG REG=r\nFROM ${REG}/app:2 AS app\n",
    ),
    case(
        "base-quoted-tag",
        lambda t: set_base_image(t, 0, tag="12"),
        'FROM debian:"${A}-${B}" AS x\n',
        "FROM debian:12 AS x\n",
    ),
    # pin_digests
    case(
        "digests-mapping",
        lambda t: pin_digests(t, {"golang:1.22": DIGEST, "alpine": OTHER_DIGEST}),
        GO_BUILD,
        GO_BUILD.replace("golang:1.22", "golang:1.22@" + DIGEST).replace("FROM alpine", "FROM alpine@" + OTHER_DIGEST),
    ),
    case(
        "digests-callable-expanded-args",
        lambda t: pin_digests(t, lambda ref: DIGEST if ref == "golang:1.22" else None),
        "ARG V=1.22\nFROM golang:${V}\nFROM scratch\n",
        f"ARG V=1.22\nFROM golang:${{V}}@{DIGEST}\nFROM scratch\n",
    ),
    case(
        "digests-skips-digest-stage-and-scratch",
        lambda t: pin_digests(t, lambda ref: DIGEST),
        f"FROM golang@{OTHER_DIGEST} AS b\nFROM b\nFROM scratch\n",
        f"FROM golang@{OTHER_DIGEST} AS b\nFROM b\nFROM scratch\n",
    ),
    # normalize
    case(
        "normalize-all",
        normalize,
        "from alpine as build\nmaintainer John Doe <j@x.org>\nenv A b\nenv B hello world\nlabel x y\n"
        "FROM scratch\ncopy --from=build /a /a\n",
        'FROM alpine AS build\nLABEL org.opencontainers.image.authors="John Doe <j@x.org>"\nENV A=b\n'
        'ENV B="hello world"\nLABEL x=y\nFROM scratch\nCOPY --from=build /a /a\n',
    ),
    case(
        "normalize-maintainer-quoting",
        normalize,
        'FROM a\nMAINTAINER "Jo" $HOME\n',
        'FROM a\nLABEL org.opencontainers.image.authors="\\"Jo\\" \\$HOME"\n',
    ),
    case(
        "normalize-legacy-env-variants",
        normalize,
        "FROM a\nENV A $B c\nENV T\tx\ty\nENV H b #c\nENV Q \"b c\" d\nENV S it's ok\n",
        'FROM a\nENV A="$B c"\nENV T="x\ty"\nENV H="b #c"\nENV Q "b c" d\nENV S it\'s ok\n',
    ),
    case(
        "normalize-as-only-and-options",
        lambda t: normalize(t, keyword_case=False, maintainer=False),
        "from a As b\nMAINTAINER x\n",
        "from a AS b\nMAINTAINER x\n",
    ),
    case(
        "normalize-onbuild-keyword",
        normalize,
        "FROM a\nonbuild RUN make\n",
        "FROM a\nONBUILD RUN make\n",
    ),
    # format
    case(
        "format-layout",
        format_dockerfile,
        "from  alpine   as   build\n\n\n\nrun   echo  'a   b'   &&  ls   \nCOPY   --chown=1:1   a    b\n"
        'ENV A=1    B="x   y"\nCMD   [ "a" ,"b" ]',
        "FROM alpine AS build\n\nRUN echo  'a   b'   &&  ls\nCOPY --chown=1:1 a b\nENV A=1 B=\"x   y\"\nCMD [\"a\", \"b\"]\n",
    ),
    case(
        "format-continuations",
        format_dockerfile,
        "FROM a\nRUN a \\\n  && b \\\n      c \\\n  && d\nLABEL a=b   \\\n      c=d\n",
        "FROM a\nRUN a \\\n    && b \\\n        c \\\n    && d\nLABEL a=b \\\n    c=d\n",
    ),
    case(
        "format-comments-in-continuation",
        format_dockerfile,
        "FROM a\nRUN apt-get update &&\\\n\t\tapt-get install x \\\n  # comment  \n      y\n",
        "FROM a\nRUN apt-get update &&\\\n      apt-get install x \\\n  # comment  \n    y\n",
    ),
    case(
        "format-heredoc-bodies-untouched",
        format_dockerfile,
        "FROM a\nRUN   <<EOF   \n  echo   hi   \n\n\n\nEOF\ncopy   <<X   /y\n   z  \nX\nRUN <<A cat  <<B\na  \nA\nb  \nB\n",
        "FROM a\nRUN <<EOF\n  echo   hi   \n\n\n\nEOF\nCOPY <<X /y\n   z  \nX\nRUN <<A cat  <<B\na  \nA\nb  \nB\n",
    ),
    case(
        "format-quoted-text-untouched",
        format_dockerfile,
        "FROM a\nLABEL a=\"x    y\"   b='p   q'\nENV A=\"x \\\n   y\"   B=1\nRUN echo \"x   y\"  'a   b'\n",
        "FROM a\nLABEL a=\"x    y\" b='p   q'\nENV A=\"x \\\n   y\" B=1\nRUN echo \"x   y\"  'a   b'\n",
    ),
    case(
        "format-legacy-env-value-verbatim",
        format_dockerfile,
        "FROM a\nENV  A   b   c\n",
        "FROM a\nENV A   b   c\n",
    ),
    case(
        "format-word-split-by-continuation-kept",
        format_dockerfile,
        "FROM a\nRUN ec\\\nho hi\n",
        "FROM a\nRUN ec\\\nho hi\n",
    ),
    case(
        "format-directives-bom-blank-lines",
        format_dockerfile,
        "\ufeff# syntax=docker/dockerfile:1\n\n\n\nfrom  a\nCMD x\n# end   \n\n\n",
        "\ufeff# syntax=docker/dockerfile:1\n\nFROM a\nCMD x\n# end   \n\n",
    ),
    case(
        "format-options",
        lambda t: format_dockerfile(t, FormatOptions(indent=2, uppercase_keywords=False, max_blank_lines=2)),
        "from  a\n\n\n\nrun a \\\n        b\n",
        "from a\n\n\nrun a \\\n  b\n",
    ),
    case(
        "format-misc-instructions",
        format_dockerfile,
        "FROM a\nHEALTHCHECK   --interval=5s   CMD   curl  x\nEXPOSE   80   443/tcp\n"
        'SHELL   [ "/bin/bash","-c" ]\nUSER  a  \nVOLUME   /a   /b\nONBUILD   COPY   a   b\nCMD ["a\\/b"]\n',
        'FROM a\nHEALTHCHECK --interval=5s CMD curl  x\nEXPOSE 80 443/tcp\nSHELL ["/bin/bash", "-c"]\nUSER a\n'
        'VOLUME /a /b\nONBUILD COPY a b\nCMD ["a/b"]\n',
    ),
]


CASES = [pytest.param(*row[1:5], id=row[0]) for row in TABLE]
CRLF_CASES = [
    pytest.param(*row[1:5], id=row[0], marks=[pytest.mark.xfail(strict=True, reason=row[5])] if row[5] else [])
    for row in TABLE
]


@pytest.mark.parametrize("fn, before, expected, again", CASES)
def test_before_after(fn, before, expected, again):
    result = fn(parse(before))
    check(result, before, expected)
    assert again(result.tree).edits == ()


@pytest.mark.parametrize("fn, before, expected, again", CRLF_CASES)
def test_crlf_stays_crlf(fn, before, expected, again):
    before, expected = crlf(before), crlf(expected)
    result = fn(parse(before))
    check(result, before, expected)
    assert not BARE_LF.search(result.text)
    assert again(result.tree).edits == ()


# -- refusals ----------------------------------------------------------------------------------------

BROKEN = "FROM a\nENV PATH\nCMD x\n"

EVERY_OPERATION = {
    "format": format_dockerfile,
    "normalize": normalize,
    "pin_build_platform": pin_build_platform,
    "sink_args": sink_args,
    "move_instructions": lambda t: move_instructions(t, "cmd", after="env"),
    "rename_stage": lambda t: rename_stage(t, "a", "b"),
    "to_exec_form": to_exec_form,
    "set_base_image": lambda t: set_base_image(t, 0, tag="1"),
    "pin_digests": lambda t: pin_digests(t, {}),
    "custom refactor": lambda t: transform(t, lambda ins, ctx: None),
}


@pytest.mark.parametrize("name", EVERY_OPERATION)
def test_syntax_errors_are_refused(name):
    with pytest.raises(RefactorError, match=rf"^{name}: the file has syntax errors, nothing was changed \(line 2, column"):
        EVERY_OPERATION[name](parse(BROKEN))


SELECTOR_FILE = "FROM golang AS build\nARG TARGETARCH\nRUN go mod download\nRUN GOARCH=$TARGETARCH go build\nFROM alpine\nCOPY --from=build /a /a\n"


@pytest.mark.parametrize(
    "select, after, message",
    [
        ("run:cargo", "run:go mod", r"selector 'run:cargo' matches no instruction"),
        ("arg:NOPE", "run:go mod", r"selector 'arg:NOPE' matches no instruction"),
        ("arg:TARGETARCH", "run:go", r"selector 'run:go' is ambiguous: it matches 2 instructions"),
        ("foo:bar", "run:go mod", r"selector 'foo:bar': unknown kind 'foo'; use line:N"),
        ("line:x", "run:go mod", r"selector 'line:x': line: needs a number"),
        ("index:-1", "run:go mod", r"selector 'index:-1': index: needs a number"),
        ("stage:", "run:go mod", r"selector 'stage:': stage: needs a name or a number"),
        ("nope/run:go", "run:go mod", r"selector 'nope/run:go': no stage 'nope' \(stages: build, 1\)"),
        ("build/layer:9", "run:go mod", r"selector 'build/layer:9' matches no instruction"),
        ("stage:nope", "run:go mod", r"selector 'stage:nope': no stage 'nope'"),
    ],
)
def test_selector_refusals_name_what_was_looked_for(select, after, message):
    with pytest.raises(SelectorError, match=message):
        move_instructions(parse(SELECTOR_FILE), select, after=after)


def test_selector_error_is_a_refactor_error():
    assert issubclass(SelectorError, RefactorError)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("builder/run:go mod download", Selector("run", "go mod download", "builder")),
        (" RUN:x ", Selector("run", "x")),
        ("0/index:2", Selector("index", "2", "0")),
        ("layer:1", Selector("layer", "1")),
        ("arg:A,B", Selector("arg", "A,B")),
        ("copy", Selector("copy")),
        ("stage:build", Selector("stage", "build")),
    ],
)
def test_selector_parse_and_print(text, expected):
    assert Selector.parse(text) == expected
    assert Selector.parse(str(expected)) == expected


@pytest.mark.parametrize(
    "selector, indices",
    [
        ("line:3", (2,)),
        ("line:1", (0,)),
        ("index:1", (1, 5)),
        ("build/index:2", (2,)),
        ("1/index:1", (5,)),
        ("layer:2", (3,)),
        ("arg:TARGETARCH,NOPE", (1,)),
        ("run", (2, 3)),
        ("run:go build", (3,)),
        ("copy:--from=build", (5,)),
        ("stage:build", (0,)),
        ("stage:1", (4,)),
    ],
)
def test_selector_resolve(selector, indices):
    assert Selector.parse(selector).resolve(parse(SELECTOR_FILE)) == indices


def test_selector_line_inside_a_continuation():
    tree = parse("FROM a\nRUN a \\\n  # note\n  b\nCMD c\n")
    assert Selector.parse("line:3").resolve(tree) == (1,)
    assert Selector.parse("line:4").resolve(tree) == (1,)
    assert Selector.parse("line:5").resolve(tree) == (2,)


MOVE_FILE = """\
FROM golang AS build
ARG TARGETARCH
# download
RUN go mod download
RUN GOARCH=$TARGETARCH go build \\
  # flags
  -o /app
FROM alpine
COPY --from=build /app /app
"""


@pytest.mark.parametrize(
    "select, where, message",
    [
        ("arg:TARGETARCH", {"after": "copy"}, r"instructions can only move within their stage; 'arg:TARGETARCH' is not in the anchor's stage"),
        ("arg:TARGETARCH", {"after": "run:go build"}, r"^move_instructions: TARGETARCH would be declared after 'RUN GOARCH=\$TARGETARCH go build"),
        ("run:go build", {"before": "arg:TARGETARCH"}, r"^move_instructions: TARGETARCH would be declared after 'RUN GOARCH=\$TARGETARCH go build"),
        ("arg:TARGETARCH", {"after": "line:6"}, r"TARGETARCH would be declared after"),
        ("stage:build", {"after": "run:go build"}, r"a stage's FROM cannot move"),
        ("run:go mod", {"before": "stage:build"}, r"nothing can move above the stage's FROM"),
        ("arg:TARGETARCH", {"after": "arg:TARGETARCH"}, r"the anchor 'arg:TARGETARCH' is one of the instructions to move"),
        ("arg:TARGETARCH", {}, r"give exactly one of after= or before="),
        ("arg:TARGETARCH", {"after": "run:go mod", "before": "run:go mod"}, r"give exactly one of after= or before="),
    ],
)
def test_move_refusals(select, where, message):
    with pytest.raises(RefactorError, match=message):
        move_instructions(parse(MOVE_FILE), select, **where)


def test_move_refuses_an_env_below_its_reader():
    with pytest.raises(RefactorError, match=r"X would be declared after 'RUN echo \$X', which reads it"):
        move_instructions(parse("FROM a\nENV X=1\nRUN echo $X\nRUN b\n"), "env:X", after="run:b")


def test_move_keeps_the_comment_inside_a_continuation():
    result = move_instructions(parse(MOVE_FILE), "arg:TARGETARCH", after="run:go mod download")
    assert "RUN GOARCH=$TARGETARCH go build \\\n  # flags\n  -o /app\n" in result.text
    assert comment_lines(result.text) == comment_lines(MOVE_FILE)
    # Whole lines move: one removal, one insertion.
    assert [(e.end - e.start, e.new_text) for e in result.edits] == [(15, ""), (0, "ARG TARGETARCH\n")]


def test_move_in_a_backtick_file():
    before = "# escape=`\nFROM a\nENV X=1\nRUN c `\n  d\n"
    result = move_instructions(parse(before), "env:X", after="run:c")
    check(result, before, "# escape=`\nFROM a\nRUN c `\n  d\nENV X=1\n")


@pytest.mark.parametrize(
    "select, after",
    [("index:1", "index:2"), ("line:2", "line:3")],
)
def test_move_with_positional_selectors(select, after):
    result = move_instructions(parse("FROM a\nENV A=1\nRUN b\n"), select, after=after)
    assert result.text == "FROM a\nRUN b\nENV A=1\n"


def test_move_a_non_reader_above_an_arg():
    before = "FROM a\nARG V=1\nRUN b\nRUN echo $V\n"
    result = move_instructions(parse(before), "run:b", before="arg:V")
    check(result, before, "FROM a\nRUN b\nARG V=1\nRUN echo $V\n")


def test_move_the_arg_instead_gives_the_same_text():
    before = "FROM a\nARG V=1\nRUN b\nRUN echo $V\n"
    result = move_instructions(parse(before), "arg:V", after="run:b")
    check(result, before, "FROM a\nRUN b\nARG V=1\nRUN echo $V\n")


# -- sink_args -----------------------------------------------------------------------------------------


def test_sink_args_unknown_stage():
    with pytest.raises(RefactorError, match=r"^sink_args: no stage 'nope' \(stages: build, #1\)"):
        sink_args(parse(GO_BUILD), stage="nope")


def test_sink_args_descriptions():
    assert sink_args(parse("FROM a\nARG V\nRUN x\nRUN echo $V\n")).description == "moved 1 ARG instruction(s) to their first use"
    assert sink_args(parse(GO_BUILD)).description == "every ARG is at its first use: nothing to change"


def test_sink_args_in_a_backtick_file():
    before = "# escape=`\nFROM golang AS build\nARG TARGETARCH\nRUN go mod download\nRUN GOARCH=$TARGETARCH go build `\n  -o /app\n"
    expected = "# escape=`\nFROM golang AS build\nRUN go mod download\nARG TARGETARCH\nRUN GOARCH=$TARGETARCH go build `\n  -o /app\n"
    result = sink_args(parse(before))
    check(result, before, expected)
    assert sink_args(result.tree).edits == ()


def test_sink_args_chained_args():
    before = "FROM alpine\nARG A=1\nARG B=${A}\nRUN echo hi\nRUN echo $B\n"
    result = sink_args(parse(before))
    check(result, before, "FROM alpine\nRUN echo hi\nARG A=1\nARG B=${A}\nRUN echo $B\n")


def test_sink_args_past_an_env():
    before = "FROM alpine\nARG V=1\nENV X=2\nRUN echo $V\n"
    result = sink_args(parse(before))
    check(result, before, "FROM alpine\nENV X=2\nARG V=1\nRUN echo $V\n")


def test_sink_args_keeps_an_arg_above_a_quoted_run_heredoc_reading_it():
    before = "FROM alpine\nARG V=1\nRUN <<'EOF'\necho $V\nEOF\nRUN echo $V\n"
    assert sink_args(parse(before)).edits == ()


# -- pin_build_platform ---------------------------------------------------------------------------------


def test_pin_inserts_only_the_flag():
    result = pin_build_platform(parse(GO_BUILD))
    assert result.edits == (TextEdit(5, 5, PLATFORM),)
    assert result.description == "pinned 'build' to $BUILDPLATFORM"


def test_pin_after_a_continuation():
    before = "FROM \\\n  golang AS build\nRUN xx-go build\nFROM alpine\nCOPY --from=build /a /a\n"
    result = pin_build_platform(parse(before))
    check(result, before, before.replace("  golang", "  " + PLATFORM + "golang"))
    assert result.edits == (TextEdit(9, 9, PLATFORM),)


def test_pin_in_a_backtick_file():
    before = "# escape=`\nFROM golang AS build\nRUN xx-go build `\n  -o /app\nFROM alpine\nCOPY --from=build /app /app\n"
    result = pin_build_platform(parse(before))
    check(result, before, before.replace("FROM golang", "FROM " + PLATFORM + "golang"))


@pytest.mark.parametrize("stage", ["build", 0, "0"])
def test_pin_by_name_or_index(stage):
    assert pin_build_platform(parse(GO_BUILD), [stage]).text.startswith("FROM " + PLATFORM + "golang")


@pytest.mark.parametrize("stage, label", [(1, "#1"), ("1", "#1")])
def test_pin_refuses_the_final_stage(stage, label):
    with pytest.raises(RefactorError, match=rf"^pin_build_platform: stage {label} is the final image; pinning it would ship"):
        pin_build_platform(parse(GO_BUILD), [stage])


def test_pin_refuses_the_final_stage_even_when_platform_independent():
    text = "FROM node AS assets\nRUN npm ci\nFROM nginx AS web\nCOPY --from=assets /dist /srv\n"
    with pytest.raises(RefactorError, match=r"stage 'web' is the final image"):
        pin_build_platform(parse(text), ["web"], platform_independent=True)


def test_pin_refuses_a_stage_without_cross_compiling_by_index():
    text = "FROM node AS assets\nRUN npm ci\nFROM nginx\nCOPY --from=assets /dist /srv\n"
    with pytest.raises(RefactorError, match=r"stage 'assets' shows no sign of cross-compiling .*platform_independent=True"):
        pin_build_platform(parse(text), [0])


def test_pin_unknown_stage():
    with pytest.raises(RefactorError, match=r"^pin_build_platform: no stage 'nope' \(stages: build, #1\)"):
        pin_build_platform(parse(GO_BUILD), ["nope"])


# -- rename_stage -----------------------------------------------------------------------------------------


def test_rename_edits_only_the_names():
    result = rename_build(parse(RENAME_BEFORE))
    assert len(result.edits) == 5
    for edit in result.edits:
        assert RENAME_BEFORE[edit.start : edit.end] == "build"
        assert edit.new_text == "compile"
    # The RUN text, the paths and the index reference are untouched.
    assert "RUN echo build > /build/build.txt\n" in result.text
    assert "/build/x /x" in result.text and "COPY --from=0 /a /b\n" in result.text


def test_rename_to_the_same_name_changes_nothing():
    assert rename_stage(parse(RENAME_BEFORE), "build", "build").edits == ()


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("nope", "x", r"^rename_stage: no stage named 'nope' \(named stages: build, test\)"),
        ("build", "test", r"^rename_stage: a stage named 'test' already exists \(stage #1\)"),
        ("build", "TEST", r"^rename_stage: a stage named 'TEST' already exists \(stage #1\)"),
        ("build", "9x", r"^rename_stage: '9x' is not a valid stage name"),
        ("build", "a b", r"^rename_stage: 'a b' is not a valid stage name"),
        ("build", "", r"^rename_stage: '' is not a valid stage name"),
        ("build", "x/y", r"^rename_stage: 'x/y' is not a valid stage name"),
    ],
)
def test_rename_refusals(old, new, message):
    with pytest.raises(RefactorError, match=message):
        rename_stage(parse(RENAME_BEFORE), old, new)


def test_rename_with_no_named_stage():
    with pytest.raises(RefactorError, match=r"no stage named 'a' \(named stages: none\)"):
        rename_stage(parse("FROM alpine\n"), "a", "b")


@pytest.mark.parametrize(
    "text",
    [
        "FROM alpine AS build\nFROM golang\nCOPY --from=build /a /b\n",
        "FROM alpine AS build\nFROM debian\nCOPY --from=build /a /b\nCOPY --from=golang /a /b\n",
    ],
)
def test_rename_refuses_a_name_an_image_reference_would_then_resolve_to(text):
    with pytest.raises(RefactorError, match=r"a reference would resolve differently"):
        rename_stage(parse(text), "build", "golang")


def test_rename_in_a_backtick_file():
    before = "# escape=`\nFROM golang AS build\nRUN go build `\n  -o /app\nFROM alpine\nCOPY --from=build `\n  /app /app\n"
    result = rename_build(parse(before))
    check(result, before, before.replace("AS build", "AS compile").replace("--from=build", "--from=compile"))


@pytest.mark.parametrize(
    "before, expected",
    [
        ("ARG BASE=build\nFROM alpine AS build\nFROM $BASE\n", "ARG BASE=compile\nFROM alpine AS compile\nFROM $BASE\n"),
        ("FROM alpine AS build\nFROM ${B:-build}\n", "FROM alpine AS compile\nFROM ${B:-compile}\n"),
    ],
)
def test_rename_keeps_a_base_named_through_an_arg(before, expected):
    try:
        result = rename_build(parse(before))
    except RefactorError:
        return  # a refusal is an acceptable answer too
    assert result.text == expected


# -- to_exec_form -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, shown",
    [
        ("a | b", "CMD 'a | b'"),
        ("FOO=1 cmd", "CMD 'FOO=1 cmd'"),
        ("echo $VAR", "CMD 'echo \\$VAR'"),
        ("exec foo", "CMD 'exec foo'"),
        ("echo *.txt", r"CMD 'echo \*\.txt'"),
        ('["a", b]', r"CMD '\[\"a\", b\]'"),
    ],
)
def test_exec_form_refuses_shell_features(command, shown):
    tree = parse(f"FROM a\nCMD {command}\n")
    with pytest.raises(RefactorError, match=rf"^to_exec_form: {shown} uses shell features .*pass wrap_in_shell=True"):
        to_exec_form(tree)
    wrapped = to_exec_form(tree, wrap_in_shell=True)
    assert wrapped.text == "FROM a\nCMD " + json.dumps(["/bin/sh", "-c", command]) + "\n"


def test_exec_form_edits_only_the_arguments():
    before = "FROM a\nCMD node server.js\n"
    result = to_exec_form(parse(before))
    assert result.edits == (TextEdit(11, 25, '["node", "server.js"]'),)
    assert result.description == "converted 1 instruction(s) to exec form"


def test_exec_form_uses_the_stage_shell_for_every_kind():
    before = 'FROM a\nSHELL ["pwsh", "-Command"]\nRUN Get-Item *\nENTRYPOINT x | y\n'
    result = to_exec_form(parse(before), include_run=True, wrap_in_shell=True)
    assert result.text == (
        'FROM a\nSHELL ["pwsh", "-Command"]\nRUN ["pwsh", "-Command", "Get-Item *"]\nENTRYPOINT ["pwsh", "-Command", "x | y"]\n'
    )


def test_exec_form_shell_applies_only_below_it():
    before = 'FROM a\nCMD echo $A\nSHELL ["/bin/bash", "-c"]\nCMD echo $B\n'
    result = to_exec_form(parse(before), wrap_in_shell=True)
    assert result.text == 'FROM a\nCMD ["/bin/sh", "-c", "echo $A"]\nSHELL ["/bin/bash", "-c"]\nCMD ["/bin/bash", "-c", "echo $B"]\n'


def test_exec_form_refuses_an_entrypoint_beside_a_cmd():
    # Shell form ignores CMD; exec form would receive it as arguments.
    with pytest.raises(RefactorError, match=r"^to_exec_form: ENTRYPOINT 'node server\.js' ignores CMD"):
        to_exec_form(parse("FROM a\nENTRYPOINT node server.js\nCMD --port=80\n"))


def test_exec_form_wraps_in_cmd_on_windows():
    before = "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCMD dir | more\n"
    result = to_exec_form(parse(before), wrap_in_shell=True)
    assert result.text.endswith('CMD ["cmd", "/S", "/C", "dir | more"]\n')


def test_exec_form_refuses_to_drop_a_comment_inside_a_continuation():
    tree = parse("FROM a\nCMD node \\\n# the entry point\n  server.js\n")
    with pytest.raises(RefactorError, match=r"^to_exec_form: the result would lose comments \['# the entry point'\]"):
        to_exec_form(tree)


def test_exec_form_in_a_backtick_file():
    before = "# escape=`\nFROM a\nCMD node `\n  server.js\nFROM b\nENTRYPOINT C:\\app\\x.exe -v\n"
    with pytest.raises(RefactorError, match=r"ENTRYPOINT 'C:\\\\app\\\\x\.exe -v' uses shell features"):
        to_exec_form(parse(before))
    result = to_exec_form(parse(before), wrap_in_shell=True)
    # A backtick escape means a Windows file: the shell to keep is cmd.
    check(
        result,
        before,
        '# escape=`\nFROM a\nCMD ["node", "server.js"]\nFROM b\nENTRYPOINT ["cmd", "/S", "/C", "C:\\\\app\\\\x.exe -v"]\n',
    )


def test_exec_form_uses_the_shell_inherited_from_a_base_stage():
    before = 'FROM alpine AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nCMD echo $X\n'
    result = to_exec_form(parse(before), wrap_in_shell=True)
    assert result.text == 'FROM alpine AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nCMD ["/bin/bash", "-c", "echo $X"]\n'


# -- set_base_image and pin_digests ----------------------------------------------------------------------


def test_set_base_image_edits_only_the_part():
    result = set_base_image(parse(GO_BUILD), "build", tag="1.23")
    assert result.edits == (TextEdit(11, 16, ":1.23"),)
    assert set_base_image(parse(GO_BUILD), "build", digest=DIGEST).edits == (TextEdit(16, 16, "@" + DIGEST),)


@pytest.mark.parametrize(
    "where, changes, message",
    [
        ("build", {"tag": "a b"}, r"^set_base_image: 'a b' is not a valid tag"),
        ("build", {"tag": "-x"}, r"^set_base_image: '-x' is not a valid tag"),
        ("build", {"tag": "x" * 129}, r"is not a valid tag"),
        ("build", {"digest": "sha256:xyz"}, r"^set_base_image: 'sha256:xyz' is not a digest \(algorithm:hex"),
        ("build", {"digest": "a" * 64}, r"is not a digest"),
        ("build", {}, r"^set_base_image: give at least one of image=, tag=, digest="),
        ("nope", {"tag": "1"}, r"^set_base_image: no stage 'nope' \(stages: build, #1\)"),
        (7, {"tag": "1"}, r"^set_base_image: no stage 7"),
    ],
)
def test_set_base_image_refusals(where, changes, message):
    with pytest.raises(RefactorError, match=message):
        set_base_image(parse(GO_BUILD), where, **changes)


def test_set_base_image_refuses_a_reference_split_across_lines():
    with pytest.raises(RefactorError, match=r"split across lines; rewrite it by hand"):
        set_base_image(parse("FROM a\\\n:1\n"), 0, tag="2")


@pytest.mark.parametrize("image", ["debian:12", "Bad Image"])
def test_set_base_image_refuses_an_invalid_image_naming_it(image):
    try:
        result = set_base_image(parse(GO_BUILD), 1, image=image)
    except RefactorError as error:
        assert repr(image) in str(error)
    else:
        assert image == "debian:12" and "FROM debian:12\n" in result.text


@pytest.mark.parametrize("quote", ['"', "'"])
def test_set_base_image_refuses_quotes_that_span_the_parts(quote):
    with pytest.raises(RefactorError, match="quotes of the image reference .* span its parts"):
        set_base_image(parse(f"FROM {quote}a:1{quote}\n"), 0, tag="2")


def test_pin_digests_refuses_a_bad_digest_from_the_resolver():
    with pytest.raises(RefactorError, match=r"^pin_digests: the resolver gave 'latest' for 'golang:1\.22', which is not a digest"):
        pin_digests(parse(GO_BUILD), {"golang:1.22": "latest"})
    with pytest.raises(RefactorError, match=r"gave 'sha256:123' for 'alpine'"):
        pin_digests(parse(GO_BUILD), lambda ref: "sha256:123" if ref == "alpine" else None)


def test_pin_digests_asks_with_the_expanded_reference_and_inserts_only_the_digest():
    asked = []

    def resolver(ref):
        asked.append(ref)
        return DIGEST

    before = "ARG V=1.22\nFROM golang:${V} AS build\nFROM build\nFROM scratch\nFROM alpine@" + OTHER_DIGEST + "\n"
    result = pin_digests(parse(before), resolver)
    assert asked == ["golang:1.22"]
    assert result.edits == (TextEdit(27, 27, "@" + DIGEST),)


# -- normalize ----------------------------------------------------------------------------------------------


def test_normalize_edits_are_small():
    before = "from alpine as build\nenv A b\nRUN x\n"
    result = normalize(parse(before))
    assert result.edits == (TextEdit(0, 4, "FROM"), TextEdit(12, 14, "AS"), TextEdit(21, 24, "ENV"), TextEdit(26, 27, "="))


def test_normalize_maintainer_in_a_backtick_file():
    before = "# escape=`\nFROM a\nMAINTAINER Jo `x` $y\n"
    result = normalize(parse(before))
    check(result, before, '# escape=`\nFROM a\nLABEL org.opencontainers.image.authors="Jo ``x`` `$y"\n')
    assert normalize(result.tree).edits == ()


def test_normalize_quotes_a_legacy_env_over_several_lines_in_place():
    before = "FROM a\nENV A b \\\n    # why c\n    c\n"
    result = normalize(parse(before))
    check(result, before, 'FROM a\nENV A="b \\\n    # why c\n    c"\n')


def test_normalize_onbuild_trigger_keyword():
    before = "FROM a\nONBUILD run make\n"
    check(normalize(parse(before)), before, "FROM a\nONBUILD RUN make\n")


def test_normalize_legacy_env_with_a_comment_inside_the_continuation():
    before = "from a\nENV A b \\\n# note\n    c\n"
    result = normalize(parse(before))
    assert result.text.startswith("FROM a\n")
    assert comment_lines(result.text) == comment_lines(before)


# -- format -------------------------------------------------------------------------------------------------


def test_format_alias():
    assert format is format_dockerfile


MESSY = [
    "from  alpine   as   build\n\n\n\nrun   echo  'a   b'   &&  ls   \nCOPY   a    b\nCMD   [ \"a\" ,\"b\" ]",
    "FROM a\nRUN a \\\n   \n  b\n",
    "FROM a\r\nrun  x  \\\r\n y\r\n\r\n\r\n\r\nCMD x",
    "# escape=`\nfrom a\nrun  x  `\n y\nRUN a  `\n\t\tb `\n  c\n",
    "FROM a\nCMD [\"a\", \\\n  \"b\"]\nRUN echo \"x \\\n   y\"  &&  \\\n\t z\n",
    "FROM a\nRUN a \\\n# last\n\nRUN b\n",
    "   FROM a\n  RUN x\nEXPOSE\t80  \t 81\nARG  A=1\nARG   B  C=2\n",
    "FROM a\ncopy   <<EOF   /x\n  hi  \nEOF\nRUN <<EOF  \r\n  hi  \r\nEOF\r\n",
]


@pytest.mark.parametrize("text", MESSY)
def test_format_is_idempotent_and_keeps_heredocs_and_comments(text):
    tree = parse(text)
    result = format_dockerfile(tree)
    assert apply_edits(text, result.edits) == result.text
    assert parse(result.text).errors == ()
    assert format_dockerfile(result.tree).edits == ()
    assert format_dockerfile(parse(result.text)).text == result.text
    assert comment_lines(result.text) == comment_lines(text)
    bodies = [h.content for ins in tree.instructions for h in getattr(ins, "heredocs", ())]
    assert [h.content for ins in result.tree.instructions for h in getattr(ins, "heredocs", ())] == bodies
    assert len(result.tree.instructions) == len(tree.instructions)


def test_format_in_a_backtick_file():
    before = "# escape=`\nfrom a\nrun  x  `\n y\n"
    check(format_dockerfile(parse(before)), before, "# escape=`\nFROM a\nRUN x `\n    y\n")


def test_format_adds_a_final_crlf_in_a_crlf_file():
    assert format_dockerfile(parse("FROM a\r\nCMD x")).text == "FROM a\r\nCMD x\r\n"


def test_format_refuses_a_file_without_instructions():
    with pytest.raises(RefactorError, match=r"^format: the file has syntax errors.*file with no instructions"):
        format_dockerfile(parse("# just a comment\n"))


@pytest.mark.parametrize("line", ["MAINTAINER John  Doe", "WORKDIR /my   dir", "USER a   b"])
def test_format_leaves_verbatim_values_alone(line):
    before = f"from x\n{line}\n"
    check(format_dockerfile(parse(before)), before, f"FROM x\n{line}\n")


def test_format_onbuild_run_trigger():
    before = "FROM a\nONBUILD  RUN  make  x\n"
    check(format_dockerfile(parse(before)), before, "FROM a\nONBUILD RUN make  x\n")


# -- transform ------------------------------------------------------------------------------------------------

TRANSFORM_FILE = "FROM alpine\n# deps\nRUN apk add curl\nRUN apk add --no-cache git\nUSER root\n"


def apk_no_cache(ins, ctx):
    if isinstance(ins, RunInstruction) and "apk add " in ins.arguments and "--no-cache" not in ins.arguments:
        return ctx.replace_text("apk add ", "apk add --no-cache ")


def add_workdir(ins, ctx):
    if isinstance(ins, FromInstruction) and not any(isinstance(i, WorkdirInstruction) for i in ctx.tree.instructions):
        return ctx.insert_after("WORKDIR /app")


def test_transform_readme_example():
    result = transform(parse(TRANSFORM_FILE), apk_no_cache, description="apk add --no-cache")
    check(result, TRANSFORM_FILE, TRANSFORM_FILE.replace("RUN apk add curl", "RUN apk add --no-cache curl"))
    assert result.edits == (TextEdit(23, 31, "apk add --no-cache "),)
    assert result.description == "apk add --no-cache"
    assert transform(result.tree, apk_no_cache).edits == ()


def test_transform_insert_after():
    result = transform(parse(TRANSFORM_FILE), add_workdir)
    check(result, TRANSFORM_FILE, TRANSFORM_FILE.replace("FROM alpine\n", "FROM alpine\nWORKDIR /app\n"))
    assert result.edits == (TextEdit(12, 12, "WORKDIR /app\n"),)


def test_transform_insert_after_without_final_newline():
    result = transform(parse("FROM a"), add_workdir)
    assert result.text == "FROM a\nWORKDIR /app\n"


def test_transform_insert_before_goes_below_the_comments():
    def fn(ins, ctx):
        if isinstance(ins, RunInstruction) and "curl" in ins.arguments:
            return ctx.insert_before("ENV A=1") if "ENV A=1" not in str(ctx.tree) else None

    result = transform(parse(TRANSFORM_FILE), fn)
    check(result, TRANSFORM_FILE, TRANSFORM_FILE.replace("# deps\n", "# deps\nENV A=1\n"))


def test_transform_remove_keeps_the_comments_above():
    def fn(ins, ctx):
        if isinstance(ins, RunInstruction) and "curl" in ins.arguments:
            return ctx.remove()

    result = transform(parse(TRANSFORM_FILE), fn)
    check(result, TRANSFORM_FILE, "FROM alpine\n# deps\nRUN apk add --no-cache git\nUSER root\n")
    assert result.edits == (TextEdit(19, 36, ""),)


def test_transform_replace_span_and_several_edits():
    def fn(ins, ctx):
        if isinstance(ins, FromInstruction):
            return [ctx.replace(ins.image_span, "alpine:3.20")]
        if isinstance(ins, UserInstruction):
            return (ctx.replace_instruction("USER app"), None)

    result = transform(parse(TRANSFORM_FILE), fn)
    check(result, TRANSFORM_FILE, "FROM alpine:3.20\n# deps\nRUN apk add curl\nRUN apk add --no-cache git\nUSER app\n")


def test_transform_refuses_overlapping_edits():
    def fn(ins, ctx):
        if isinstance(ins, FromInstruction):
            return [ctx.replace(ins.image_span, "x"), ctx.replace(ins.image_span, "y")]

    with pytest.raises(RefactorError, match=r"^custom refactor: edit at 5 overlaps an earlier one ending at 11"):
        transform(parse(TRANSFORM_FILE), fn)


def test_transform_refuses_a_result_that_does_not_parse():
    def fn(ins, ctx):
        if isinstance(ins, UserInstruction):
            return ctx.replace_instruction("ENV PATH")

    with pytest.raises(RefactorError, match=r"^mine: the result would not parse \(5:5: ENV must have two arguments\)"):
        transform(parse(TRANSFORM_FILE), fn, description="mine")


def test_transform_refuses_to_lose_a_comment():
    def fn(ins, ctx):
        if isinstance(ins, RunInstruction) and "curl" in ins.arguments:
            return TextEdit(ctx.offset - len(ins.leading), ctx.offset, "")

    with pytest.raises(RefactorError, match=r"would lose comments \['# deps'\]"):
        transform(parse(TRANSFORM_FILE), fn)


def test_transform_refuses_a_transform_that_is_not_idempotent():
    def fn(ins, ctx):
        if isinstance(ins, FromInstruction):
            return ctx.insert_after("WORKDIR /app")

    with pytest.raises(RefactorError, match=r"running it again would change the result"):
        transform(parse(TRANSFORM_FILE), fn)


def test_transform_insert_after_in_a_crlf_file():
    before = crlf(TRANSFORM_FILE)
    result = transform(parse(before), add_workdir)
    assert result.text == crlf(TRANSFORM_FILE.replace("FROM alpine\n", "FROM alpine\nWORKDIR /app\n"))
