"""BuildKit checks BK012-BK022: BuildKit's own lint test cases, fixes, examples, the corpus.

The cases marked "buildkit" reproduce frontend/dockerfile/dockerfile_check_test.go
(moby/buildkit) case for case: the same Dockerfile, and the (rule, message,
line) list BuildKit expects for the rule under test.  BuildKit's test sorts
its warnings by line, then message; so do these.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

import dockerast
import dockerast.rules.engine as engine
from dockerast.cst.positions import LineIndex
from dockerast.refactor.edits import apply_edits
from dockerast.rules import CheckConfig, fix_all, run_rules
from dockerast.rules.buildkit.copy_ignored_file import (
    BadPattern,
    CopyIgnoredFile,
    PatternMatcher,
    Pattern,
    go_clean,
    read_ignore_file,
)
from dockerast.rules.buildkit.expose_invalid_format import ExposeInvalidFormat
from dockerast.rules.buildkit.expose_proto_casing import ExposeProtoCasing
from dockerast.rules.buildkit.from_platform_flag_const_disallowed import FromPlatformFlagConstDisallowed
from dockerast.rules.buildkit.invalid_base_image_platform import InvalidBaseImagePlatform
from dockerast.rules.buildkit.invalid_default_arg_in_from import InvalidDefaultArgInFrom, parse_normalized_named
from dockerast.rules.buildkit.invalid_definition_description import InvalidDefinitionDescription
from dockerast.rules.buildkit.legacy_key_value_format import LegacyKeyValueFormat
from dockerast.rules.buildkit.multiple_instructions_disallowed import MultipleInstructionsDisallowed
from dockerast.rules.buildkit.redundant_target_platform import RedundantTargetPlatform
from dockerast.rules.buildkit.secrets_used_in_arg_or_env import SecretsUsedInArgOrEnv, looks_secret
from tests.conftest import CORPUS, corpus_files

MY_RULES = (
    MultipleInstructionsDisallowed,
    LegacyKeyValueFormat,
    InvalidBaseImagePlatform,
    RedundantTargetPlatform,
    SecretsUsedInArgOrEnv,
    InvalidDefaultArgInFrom,
    FromPlatformFlagConstDisallowed,
    CopyIgnoredFile,
    InvalidDefinitionDescription,
    ExposeProtoCasing,
    ExposeInvalidFormat,
)


def _config(rules, **options) -> CheckConfig:
    return CheckConfig(experimental=frozenset(r.name for r in rules), **options)


def warnings(rule, dockerfile: str, **options) -> list[tuple[str, str, int]]:
    """(rule name, message, 1-based line) of ``rule`` on ``dockerfile``, in BuildKit's test order."""
    tree = dockerast.parse(dockerfile)
    findings = run_rules(tree, CheckConfig(**options), rules=[rule])
    index = LineIndex(str(tree))
    found = [(f.name, f.message, index.position(f.start).line + 1) for f in findings]
    return sorted(found, key=lambda w: (w[2], w[1]))


def expected(rule, *pairs: tuple[str, int]) -> list[tuple[str, str, int]]:
    return sorted(((rule.name, message, line) for message, line in pairs), key=lambda w: (w[2], w[1]))


def fix(rules, text: str, **options) -> str:
    """``fix_all`` with only ``rules`` registered (they are not in the registry yet)."""
    saved = engine.ALL_RULES
    engine.ALL_RULES = tuple(rules)
    try:
        fixed, _ = fix_all(dockerast.parse(text), _config(rules, **options), unsafe=False)
    finally:
        engine.ALL_RULES = saved
    return str(fixed)


def single_fix_edits(rule, text: str, **options):
    tree = dockerast.parse(text)
    return [f.fix for f in run_rules(tree, _config([rule], **options), rules=[rule])]


# -- MultipleInstructionsDisallowed (testMultipleInstructionsDisallowed) -------------------------


def _multiple(name: str, line: int) -> tuple[str, int]:
    return (
        f"Multiple {name} instructions should not be used in the same stage because only the last one will be used",
        line,
    )


def test_buildkit_multiple_instructions_disallowed():
    rule = MultipleInstructionsDisallowed
    dockerfile = """
FROM scratch
ENTRYPOINT ["/myapp"]
ENTRYPOINT ["/myotherapp"]
CMD ["/myapp"]
CMD ["/myotherapp"]
HEALTHCHECK CMD ["/myapp"]
HEALTHCHECK CMD ["/myotherapp"]
"""
    assert warnings(rule, dockerfile) == expected(
        rule, _multiple("ENTRYPOINT", 3), _multiple("CMD", 5), _multiple("HEALTHCHECK", 7)
    )

    dockerfile = """
FROM scratch
ENTRYPOINT ["/myapp"]
CMD ["/myapp"]
HEALTHCHECK CMD ["/myapp"]
COPY <<EOF /a.txt
Hello, World!
EOF
ENTRYPOINT ["/myotherapp"]
CMD ["/myotherapp"]
HEALTHCHECK CMD ["/myotherapp"]
"""
    assert warnings(rule, dockerfile) == expected(
        rule, _multiple("ENTRYPOINT", 3), _multiple("CMD", 4), _multiple("HEALTHCHECK", 5)
    )

    dockerfile = """
FROM scratch AS a
ENTRYPOINT ["/myapp"]
CMD ["/myapp"]
HEALTHCHECK CMD ["/myapp"]

FROM a AS b
ENTRYPOINT ["/myotherapp"]
CMD ["/myotherapp"]
HEALTHCHECK CMD ["/myotherapp"]
"""
    assert warnings(rule, dockerfile) == []


def test_multiple_instructions_message_names_the_later_spelling_and_skips_onbuild():
    rule = MultipleInstructionsDisallowed
    dockerfile = 'FROM scratch\ncmd ["a"]\nONBUILD CMD ["b"]\nHEALTHCHECK NONE\nCmd ["c"]\nhealthcheck CMD ["d"]\n'
    assert warnings(rule, dockerfile) == expected(rule, _multiple("Cmd", 2), _multiple("healthcheck", 4))


# -- LegacyKeyValueFormat (testLegacyKeyValueFormat) ----------------------------------------------

_ENV_LEGACY = '"ENV key=value" should be used instead of legacy "ENV key value" format'
_LABEL_LEGACY = '"LABEL key=value" should be used instead of legacy "LABEL key value" format'


def test_buildkit_legacy_key_value_format():
    rule = LegacyKeyValueFormat
    dockerfile = """
FROM scratch
ENV testkey value
LABEL key value
"""
    assert warnings(rule, dockerfile) == expected(rule, (_ENV_LEGACY, 3), (_LABEL_LEGACY, 4))

    dockerfile = """
FROM scratch
ENV testkey=value
LABEL key=value
"""
    assert warnings(rule, dockerfile) == []

    # BuildKit reports these only from the lint request, which checks every
    # stage, not only those a build reaches.  Its test expects lines 3 and 4
    # there, but that check of the lint request does not compare lines: the
    # instructions are on lines 5 and 6.
    dockerfile = """
FROM scratch AS a

FROM a AS b
ENV testkey value
LABEL key value

FROM a AS c
"""
    assert warnings(rule, dockerfile) == expected(rule, (_ENV_LEGACY, 5), (_LABEL_LEGACY, 6))

    dockerfile = """
FROM scratch
# check=skip=LegacyKeyValueFormat
ENV testkey value
# check=skip=LegacyKeyValueFormat
LABEL key value
"""
    assert warnings(rule, dockerfile) == []


def test_legacy_key_value_message_keeps_the_written_keyword_and_skips_non_stage_instructions():
    rule = LegacyKeyValueFormat
    dockerfile = "FROM scratch\nenv a b\nONBUILD ENV c d\n"
    message = '"env key=value" should be used instead of legacy "env key value" format'
    assert warnings(rule, dockerfile) == expected(rule, (message, 2))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("FROM scratch\nENV testkey value\nLABEL key value\n", "FROM scratch\nENV testkey=value\nLABEL key=value\n"),
        ("FROM scratch\nENV A hello  world $X\n", 'FROM scratch\nENV A="hello  world $X"\n'),
        ('FROM scratch\nENV A "quoted"\n', 'FROM scratch\nENV A="quoted"\n'),
        ("FROM scratch\nLABEL a b=c\n", "FROM scratch\nLABEL a=b=c\n"),
        ("# escape=`\nFROM scratch\nENV DIR C:\\tools x\n", '# escape=`\nFROM scratch\nENV DIR="C:\\tools x"\n'),
        ("FROM scratch\nENV DEPS \\\n    curl \\\n    git\n", 'FROM scratch\nENV DEPS="curl \\\n    git"\n'),
        # No fix: a value with whitespace and quotes or escapes has no certain one-word form.
        ('FROM scratch\nENV A "a b" c\n', 'FROM scratch\nENV A "a b" c\n'),
        ("FROM scratch\nENV A a\\ b c\n", "FROM scratch\nENV A a\\ b c\n"),
        # The quotes go around the value in place: the comment inside the continuation stays.
        ("FROM scratch\nENV A a \\\n# note\n  b\n", 'FROM scratch\nENV A="a \\\n# note\n  b"\n'),
    ],
)
def test_legacy_key_value_fix(before, after):
    assert fix([LegacyKeyValueFormat], before) == after


def test_legacy_key_value_fix_touches_only_its_instruction():
    text = "FROM scratch\n# keep\nenv A b\nRUN echo  x\nENV B c\n"
    fixes = single_fix_edits(LegacyKeyValueFormat, text)
    first, second = text.index("A b") + 1, text.index("B c") + 1
    assert [[(e.start, e.end, e.new_text) for e in f.edits] for f in fixes] == [
        [(first, first + 1, "=")],
        [(second, second + 1, "=")],
    ]


# -- InvalidBaseImagePlatform (testBaseImagePlatformMismatch) -------------------------------------


def test_buildkit_invalid_base_image_platform():
    rule = InvalidBaseImagePlatform
    target = "localhost:5000/buildkit/testbaseimageplatform:latest"
    dockerfile = f"\nFROM {target}\nENV foo=bar\n\t"
    # The image was pushed for linux/arm64; the build is for linux/amd64.
    message = f'Base image {target} was pulled with platform "linux/arm64", expected "linux/amd64" for current build'
    assert warnings(rule, dockerfile, image_platforms={target: ["linux/arm64"]}) == expected(rule, (message, 2))


def test_invalid_base_image_platform_is_skipped_without_platform_metadata():
    assert warnings(InvalidBaseImagePlatform, "FROM alpine\n") == []


def test_invalid_base_image_platform_resolution():
    rule = InvalidBaseImagePlatform
    dockerfile = (
        "ARG VERSION=3.20\n"
        "FROM alpine:${VERSION} AS a\n"  # several platforms, one fits
        "FROM docker.io/library/busybox AS b\n"  # references compared normalized
        "FROM i386only AS c\n"  # amd64 falls back to 386
        "FROM --platform=linux/arm64 armonly AS d\n"  # fits its own platform
        "FROM --platform=linux/arm64 armv7 AS e\n"  # arm64 falls back to 32-bit arm
        "FROM a AS f\n"  # a stage: not an image
        "FROM scratch AS g\n"
        "FROM unknown AS h\n"  # not in the mapping
        "FROM multi AS i\n"  # several platforms, none fits: the build fails, no warning
        "FROM winonly AS j\n"
    )
    platforms = {
        "alpine:3.20": ["linux/arm64", "linux/amd64"],
        "busybox:latest": ["linux/s390x"],
        "i386only": ["linux/386"],
        "armonly": ["linux/arm64/v8"],
        "armv7": ["linux/arm/v7"],
        "multi": ["linux/arm64", "linux/s390x"],
        "winonly": ["windows/amd64"],
    }
    assert warnings(rule, dockerfile, image_platforms=platforms) == expected(
        rule,
        ('Base image docker.io/library/busybox was pulled with platform "linux/s390x", expected "linux/amd64" '
         "for current build", 3),
        ('Base image i386only was pulled with platform "linux/386", expected "linux/amd64" for current build', 4),
        ('Base image armv7 was pulled with platform "linux/arm/v7", expected "linux/arm64" for current build', 6),
        ('Base image winonly was pulled with platform "windows/amd64", expected "linux/amd64" for current build', 11),
    )


# -- RedundantTargetPlatform (testRedundantTargetPlatform) ----------------------------------------


def _redundant(variable: str) -> str:
    return f"Setting platform to predefined {variable} in FROM is redundant as this is the default behavior"


def test_buildkit_redundant_target_platform():
    rule = RedundantTargetPlatform
    assert warnings(rule, "\nFROM --platform=$TARGETPLATFORM scratch\n") == expected(
        rule, (_redundant("$TARGETPLATFORM"), 2)
    )
    assert warnings(rule, "\nFROM --platform=${TARGETPLATFORM} scratch\n") == expected(
        rule, (_redundant("${TARGETPLATFORM}"), 2)
    )
    assert warnings(rule, "\n# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n") == []


def test_redundant_target_platform_needs_exactly_that_variable():
    rule = RedundantTargetPlatform
    dockerfile = (
        "ARG OTHER\n"
        'FROM --platform="$TARGETPLATFORM" alpine AS a\n'  # quotes are removed first, as BuildKit does
        "FROM --platform=$TARGETPLATFORM$OTHER alpine AS b\n"  # another variable was looked up
        "FROM --platform=$BUILDPLATFORM alpine AS c\n"
        "FROM --platform=${TARGETPLATFORM:-linux/amd64} alpine AS d\n"
    )
    assert warnings(rule, dockerfile) == expected(
        rule, (_redundant("$TARGETPLATFORM"), 2), (_redundant("${TARGETPLATFORM:-linux/amd64}"), 5)
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("FROM --platform=$TARGETPLATFORM alpine AS b\n", "FROM alpine AS b\n"),
        ("FROM  --platform=${TARGETPLATFORM}\talpine\n", "FROM  alpine\n"),
        ("FROM --platform=$TARGETPLATFORM \\\n  alpine\n", "FROM \\\n  alpine\n"),
        # A meta ARG gives TARGETPLATFORM another value: the flag means something, no fix.
        ("ARG TARGETPLATFORM=linux/arm64\nFROM --platform=$TARGETPLATFORM alpine\n",
         "ARG TARGETPLATFORM=linux/arm64\nFROM --platform=$TARGETPLATFORM alpine\n"),
    ],
)
def test_redundant_target_platform_fix(before, after):
    assert fix([RedundantTargetPlatform], before) == after


# -- SecretsUsedInArgOrEnv (testSecretsUsedInArgOrEnv) --------------------------------------------

_SECRETS_DOCKERFILE = """# check=skip=InvalidDefinitionDescription

FROM scratch
ARG SECRET_PASSPHRASE
ENV SUPER_Secret=foo
ENV password=bar secret=baz
ARG super_duper_secret_token=foo auth=bar
ENV apikey=bar sunflower=foo
ENV git_key=
ENV PUBLIC_KEY=
ARG public_token
ARG SECRET_PASSPHRASE_FILE
ENV password_file=bar secret_File=baz
ARG AUTH_MODULE_VERSION
# check=skip=SecretsUsedInArgOrEnv // allow secret in environment
ENV password=bar
# check=skip=SecretsUsedInArgOrEnv // allow secret in arg
ARG password
# check=skip=all // is local to only this instruction
ENV alternate_password=bar
# check=skip=all // is local to only this instruction
ARG alternate_password
"""


def _secret(kind: str, name: str) -> str:
    return f'Do not use ARG or ENV instructions for sensitive data ({kind} "{name}")'


_SECRETS_EXPECTED = [
    (_secret("ARG", "SECRET_PASSPHRASE"), 4),
    (_secret("ENV", "SUPER_Secret"), 5),
    (_secret("ENV", "password"), 6),
    (_secret("ENV", "secret"), 6),
    (_secret("ARG", "auth"), 7),
    (_secret("ARG", "super_duper_secret_token"), 7),
    (_secret("ENV", "apikey"), 8),
    (_secret("ENV", "git_key"), 9),
]


def test_buildkit_secrets_used_in_arg_or_env():
    rule = SecretsUsedInArgOrEnv
    assert warnings(rule, _SECRETS_DOCKERFILE) == expected(rule, *_SECRETS_EXPECTED)


def test_buildkit_secrets_used_in_arg_or_env_without_the_skip_all_comments():
    """BuildKit's case less its last four lines, which only test the engine's ``skip=all``."""
    rule = SecretsUsedInArgOrEnv
    dockerfile = _SECRETS_DOCKERFILE.split("# check=skip=all")[0]
    assert warnings(rule, dockerfile) == expected(rule, *_SECRETS_EXPECTED)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GITHUB_TOKEN", True),
        ("token", True),
        ("MY_PWORD", True),
        ("credentials", True),
        ("db_Passwd", True),
        ("_key_", True),
        ("\u212aEY", True),  # Kelvin sign: Go's (?i) folds it onto k
        ("\u017fECRET", True),  # long s folds onto s
        ("TOKENIZER", False),
        ("keyboard", False),
        ("PUBLIC_KEY", False),
        ("KEY_FILE", False),
        ("TOKEN_VERSION", False),
        ("MONKEY", False),
        ("api-key", False),
        ("\u0130KEY", False),
    ],
)
def test_secret_names(name, secret):
    assert looks_secret(name) is secret


def test_secrets_skip_meta_args_and_expand_env_keys():
    rule = SecretsUsedInArgOrEnv
    dockerfile = "ARG GLOBAL_TOKEN\nFROM scratch\nARG K=KEY\nENV ${K}=1\nONBUILD ENV password=x\n"
    assert warnings(rule, dockerfile) == expected(rule, (_secret("ENV", "KEY"), 4))


# -- InvalidDefaultArgInFrom (testInvalidDefaultArgInFrom, the Unix variants) ---------------------


def _invalid_default(base: str) -> str:
    return f"Default value for ARG {base} results in empty or invalid base image name"


def test_buildkit_invalid_default_arg_in_from():
    rule = InvalidDefaultArgInFrom
    # Build arguments in BuildKit's cases play no part: the check uses the defaults alone.
    assert warnings(rule, "\nARG VERSION\nFROM busybox:$VERSION\n") == expected(
        rule, (_invalid_default("busybox:$VERSION"), 3)
    )
    assert warnings(rule, "\nARG IMAGE\nFROM $IMAGE\n") == expected(rule, (_invalid_default("$IMAGE"), 3))
    assert warnings(rule, '\nARG SFX="box:"\nFROM busy${SFX}\n') == expected(
        rule, (_invalid_default("busy${SFX}"), 3)
    )
    assert warnings(rule, '\nARG VERSION="latest"\nFROM busybox:${VERSION}\n') == []
    assert warnings(rule, '\nARG BUSYBOX_VARIANT=""\nFROM busybox:stable${BUSYBOX_VARIANT}\n') == []
    assert warnings(rule, "\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t") == []


def test_invalid_default_arg_in_from_follows_buildkit():
    rule = InvalidDefaultArgInFrom
    dockerfile = (
        "ARG TAG\n"
        "FROM alpine:${TAG:-3.14} AS a\n"
        "FROM Ubuntu AS b\n"  # BuildKit checks every name: uppercase is invalid
        "FROM a AS c\n"
        "FROM localhost:5000/x@sha256:" + "a" * 64 + " AS d\n"
        "FROM x@sha256:abc AS e\n"
    )
    assert warnings(rule, dockerfile) == expected(
        rule, (_invalid_default("Ubuntu"), 3), (_invalid_default("x@sha256:abc"), 6)
    )
    # A meta ARG BuildKit cannot expand makes it abandon the check.
    assert warnings(rule, "ARG A=${B:?unset}\nFROM busybox:$A\n") == []


@pytest.mark.parametrize(
    ("reference", "canonical"),
    [
        ("alpine", "docker.io/library/alpine:latest"),
        ("alpine:3.20", "docker.io/library/alpine:3.20"),
        ("library/alpine", "docker.io/library/alpine:latest"),
        ("index.docker.io/user/app:1", "docker.io/user/app:1"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/a/b:c", "localhost:5000/a/b:c"),
        ("Example.com/app", "Example.com/app:latest"),
        ("[::1]:5000/app", "[::1]:5000/app:latest"),
        ("app@sha256:" + "0" * 64, "docker.io/library/app@sha256:" + "0" * 64),
        ("a__b/c--d.e", "docker.io/a__b/c--d.e:latest"),
        ("", None),
        ("busybox:", None),
        ("Ubuntu", None),
        ("user/App", None),
        ("a" * 64, None),
        ("app:-tag", None),
        ("app:" + "t" * 129, None),
        ("app@md5:" + "0" * 32, None),
        ("a_/b", None),
        ("a/" + "b" * 254, None),
    ],
)
def test_parse_normalized_named(reference, canonical):
    if canonical is None:
        with pytest.raises(ValueError):
            parse_normalized_named(reference)
    else:
        assert parse_normalized_named(reference).canonical() == canonical


# -- FromPlatformFlagConstDisallowed (testFromPlatformFlagConstDisallowed) ------------------------


def test_buildkit_from_platform_flag_const_disallowed():
    rule = FromPlatformFlagConstDisallowed
    assert warnings(rule, "\nFROM --platform=linux/amd64 scratch\n") == expected(
        rule, ('FROM --platform flag should not use constant value "linux/amd64"', 2)
    )
    assert warnings(rule, "\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n") == []
    assert warnings(rule, "\nFROM --platform=linux/amd64 scratch AS linux\n") == []


def test_from_platform_flag_const_disallowed_details():
    rule = FromPlatformFlagConstDisallowed
    dockerfile = (
        "ARG P=linux/arm64\n"
        "FROM --platform=$P alpine AS a\n"  # a variable: not constant
        'FROM --platform="linux/x86_64" alpine AS b\n'  # quotes removed; the name is checked normalized
        "FROM --platform=linux/x86_64 alpine AS build_amd64\n"
        "FROM --platform=not/a/valid/platform alpine AS c\n"
    )
    assert warnings(rule, dockerfile) == expected(
        rule, ('FROM --platform flag should not use constant value "linux/x86_64"', 3)
    )


# -- CopyIgnoredFile (testCopyIgnoredFiles, testCopyIgnoredFileContextRoot) -----------------------


def _ignored(tmp_path: Path, dockerignore: str, dockerfile: str):
    (tmp_path / ".dockerignore").write_text(dockerignore)
    return warnings(CopyIgnoredFile, dockerfile, context_dir=str(tmp_path))


def test_buildkit_copy_ignored_files(tmp_path):
    rule = CopyIgnoredFile
    dockerignore = "\nDockerfile\n"
    dockerfile = "\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n"
    both = expected(
        rule,
        ('Attempting to Copy file "Dockerfile" that is excluded by .dockerignore', 3),
        ('Attempting to Add file "Dockerfile" that is excluded by .dockerignore', 4),
    )
    assert _ignored(tmp_path, dockerignore, dockerfile) == both
    assert _ignored(tmp_path, dockerignore, dockerfile) == both  # BuildKit runs this case twice
    dockerfile = "# check=skip=CopyIgnoredFile\n\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n"
    assert _ignored(tmp_path, dockerignore, dockerfile) == []

    dockerignore = "\nfoobar\n"
    dockerfile = (
        "\nFROM scratch AS base\nCOPY Dockerfile /foobar\nADD Dockerfile /windy\n"
        "\nFROM base\nCOPY --from=base /foobar /Dockerfile\n"
    )
    assert _ignored(tmp_path, dockerignore, dockerfile) == []

    dockerignore = "\n**\n!Dockerfile\n"
    assert _ignored(tmp_path, dockerignore, "\nFROM scratch\nCOPY ./Dockerfile .\n") == []
    assert _ignored(tmp_path, dockerignore, "\nFROM scratch\nCOPY . .\n\t") == []


def test_buildkit_copy_ignored_file_context_root(tmp_path):
    dockerfile = "\nFROM scratch\nCOPY . .\n"
    assert _ignored(tmp_path, "\n.*\n", dockerfile) == []
    assert _ignored(tmp_path, "\n*\n", dockerfile) == expected(
        CopyIgnoredFile, ('Attempting to Copy file "." that is excluded by .dockerignore', 3)
    )


def test_copy_ignored_file_details(tmp_path):
    rule = CopyIgnoredFile
    dockerignore = "# comment\n/docs\n*.md\nbuild/**\n**/*.log\n"
    dockerfile = (
        "FROM scratch\n"
        "ARG DIR=docs\n"
        "COPY ${DIR}/guide.txt /\n"  # expanded, then inside an excluded directory
        'COPY ["README.md", "/"]\n'
        "COPY ./src/../build/out.bin /\n"  # cleaned first
        "COPY src/app.py logs/x/err.log /\n"
        "COPY /docs /\n"  # an absolute path never matches, as in BuildKit
        "ADD https://example.com/a.md /\n"
        "ADD git@github.com:o/r.md /\n"
        "COPY --from=base docs /\n"
        "COPY <<EOF /x.md\nhi\nEOF\n"
        "ONBUILD COPY docs /\n"
    )
    assert _ignored(tmp_path, dockerignore, dockerfile) == expected(
        rule,
        ('Attempting to Copy file "docs/guide.txt" that is excluded by .dockerignore', 3),
        ('Attempting to Copy file "README.md" that is excluded by .dockerignore', 4),
        ('Attempting to Copy file "build/out.bin" that is excluded by .dockerignore', 5),
        ('Attempting to Copy file "logs/x/err.log" that is excluded by .dockerignore', 6),
    )


def test_copy_ignored_file_is_skipped_without_context_or_patterns(tmp_path):
    dockerfile = "FROM scratch\nCOPY a.md /\n"
    assert warnings(CopyIgnoredFile, dockerfile) == []
    assert warnings(CopyIgnoredFile, dockerfile, context_dir=str(tmp_path)) == []  # no .dockerignore
    assert _ignored(tmp_path, "# only a comment\n\n", dockerfile) == []
    assert _ignored(tmp_path, "*.md\n!keep.md\n", dockerfile) == []  # exclusions: BuildKit does not check
    assert _ignored(tmp_path, "*.md\n[\n", dockerfile) == []  # a malformed pattern fails the build


# The ports of moby/patternmatcher's own tests (patternmatcher_test.go, ignorefile_test.go).

_MATCHES = [
    ("**", "file", True), ("**", "file/", True), ("**/", "file", True), ("**/", "file/", True),
    ("**", "/", True), ("**/", "/", True), ("**", "dir/file", True), ("**/", "dir/file", True),
    ("**", "dir/file/", True), ("**/", "dir/file/", True), ("**/**", "dir/file", True),
    ("**/**", "dir/file/", True), ("dir/**", "dir/file", True), ("dir/**", "dir/file/", True),
    ("dir/**", "dir/dir2/file", True), ("dir/**", "dir/dir2/file/", True), ("**/dir", "dir", True),
    ("**/dir", "dir/file", True), ("**/dir2/*", "dir/dir2/file", True), ("**/dir2/*", "dir/dir2/file/", True),
    ("**/dir2/**", "dir/dir2/dir3/file", True), ("**/dir2/**", "dir/dir2/dir3/file/", True),
    ("**file", "file", True), ("**file", "dir/file", True), ("**/file", "dir/file", True),
    ("**file", "dir/dir/file", True), ("**/file", "dir/dir/file", True), ("**/file*", "dir/dir/file", True),
    ("**/file*", "dir/dir/file.txt", True), ("**/file*txt", "dir/dir/file.txt", True),
    ("**/file*.txt", "dir/dir/file.txt", True), ("**/file*.txt*", "dir/dir/file.txt", True),
    ("**/**/*.txt", "dir/dir/file.txt", True), ("**/**/*.txt2", "dir/dir/file.txt", False),
    ("**/*.txt", "file.txt", True), ("**/**/*.txt", "file.txt", True), ("a**/*.txt", "a/file.txt", True),
    ("a**/*.txt", "a/dir/file.txt", True), ("a**/*.txt", "a/dir/dir/file.txt", True),
    ("a/*.txt", "a/dir/file.txt", False), ("a/*.txt", "a/file.txt", True), ("a/*.txt**", "a/file.txt", True),
    ("a[b-d]e", "ae", False), ("a[b-d]e", "ace", True), ("a[b-d]e", "aae", False), ("a[^b-d]e", "aze", True),
    (".*", ".foo", True), (".*", "foo", False), ("abc.def", "abcdef", False), ("abc.def", "abc.def", True),
    ("abc.def", "abcZdef", False), ("abc?def", "abcZdef", True), ("abc?def", "abcdef", False),
    ("a\\\\", "a\\", True), ("**/foo/bar", "foo/bar", True), ("**/foo/bar", "dir/foo/bar", True),
    ("**/foo/bar", "dir/dir2/foo/bar", True), ("abc/**", "abc", False), ("abc/**", "abc/def", True),
    ("abc/**", "abc/def/ghi", True), ("**/.foo", ".foo", True), ("**/.foo", "bar.foo", False),
    ("a(b)c/def", "a(b)c/def", True), ("a(b)c/def", "a(b)c/xyz", False), ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("a\\*b", "a*b", True),
    # filepath.Match's cases, as patternmatcher's TestMatch runs them.
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
    ("a*", "ab/c", True), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False), ("ab[c]", "abc", True),
    ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False), ("ab[^b-d]", "abc", False),
    ("ab[^e-g]", "abc", True), ("a\\*b", "ab", False), ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True),
    ("a???b", "a☺b", False), ("a[^a][^a][^a]b", "a☺b", False), ("[a-ζ]*", "α", True), ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False), ("a*b", "a/b", False), ("[\\]a]", "]", True), ("[\\-]", "-", True),
    ("[x\\-]", "x", True), ("[x\\-]", "-", True), ("[x\\-]", "z", False), ("[\\-x]", "x", True),
    ("[\\-x]", "-", True), ("[\\-x]", "a", False), ("*x", "xxx", True),
]


@pytest.mark.parametrize(("pattern", "path", "match"), _MATCHES)
def test_patternmatcher_matches_or_parent_matches(pattern, path, match):
    assert PatternMatcher([pattern]).matches_or_parent_matches(path) is match


@pytest.mark.parametrize(
    ("patterns", "path", "match"),
    [
        (["**", "!util/docker/web"], "util/docker/web/foo", False),
        (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
        (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
        (["*.go"], "fileutils.go", True),
        (["!fileutils.go", "*.go"], "fileutils.go", True),
        (["docs", "!docs/README.md"], "docs/README.md", False),
        (["docs/", "!docs/README.md"], "docs/README.md", False),
        (["docs/*", "!docs/README.md"], "docs/README.md", False),
        (["*.go", "!fileutils.go"], "fileutils.go", False),
        ([], "/any/path/there", False),
    ],
)
def test_patternmatcher_several_patterns(patterns, path, match):
    assert PatternMatcher(patterns).matches_or_parent_matches(path) is match


@pytest.mark.parametrize(
    "pattern",
    ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "!"],
)
def test_patternmatcher_malformed_patterns(pattern):
    with pytest.raises(BadPattern):
        PatternMatcher([pattern])


def test_patternmatcher_bad_regexp_matches_nothing():
    matcher = PatternMatcher(["[Local-Only]/"])  # valid for filepath.Match, not as a regexp
    assert matcher.matches_or_parent_matches("x") is False
    assert matcher.matches_or_parent_matches("x") is False


@pytest.mark.parametrize(
    ("pattern", "kind", "regexp"),
    [
        ("*", "regexp", "^[^/]*$"), ("file*", "regexp", "^file[^/]*$"), ("*file", "regexp", "^[^/]*file$"),
        ("a*/b", "regexp", "^a[^/]*/b$"), ("**", "suffix", None), ("**/**", "regexp", "^(.*/)?.*$"),
        ("dir/**", "prefix", None), ("**/dir", "suffix", None), ("**/dir2/*", "regexp", "^(.*/)?dir2/[^/]*$"),
        ("**/dir2/**", "regexp", "^(.*/)?dir2/.*$"), ("**file", "suffix", None),
        ("**/file*txt", "regexp", "^(.*/)?file[^/]*txt$"),
        ("**/**/*.txt", "regexp", "^(.*/)?(.*/)?[^/]*\\.txt$"), ("a[b-d]e", "regexp", "^a[b-d]e$"),
        (".*", "regexp", "^\\.[^/]*$"), ("abc.def", "exact", None), ("abc?def", "regexp", "^abc[^/]def$"),
        ("**/foo/bar", "suffix", None), ("a(b)c/def", "exact", None), ("a.|)$(}+{bc", "exact", None),
    ],
)
def test_patternmatcher_compile(pattern, kind, regexp):
    compiled = Pattern(go_clean(pattern), False)
    assert compiled.kind == kind
    if regexp is not None:
        assert compiled.regexp is not None and compiled.regexp.pattern.removesuffix("\\Z") + "$" == regexp


def test_read_ignore_file():
    content = b"\xef\xbb\xbftest1\r\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    assert read_ignore_file(content) == [
        "test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!",
    ]
    assert read_ignore_file(b"") == []
    assert read_ignore_file(b"  # not a comment\n a/../b/ \n") == ["# not a comment", "b"]


def test_dockerfile_dockerignore_takes_precedence(tmp_path, monkeypatch):
    (tmp_path / ".dockerignore").write_text("a.md\n")
    (tmp_path / "app.Dockerfile.dockerignore").write_text("b.md\n")
    tree = dockerast.parse("FROM scratch\nCOPY a.md b.md /\n")
    from dockerast.rules.base import CheckContext

    ctx = CheckContext(tree, context_dir=str(tmp_path))
    ctx._rule = CopyIgnoredFile
    assert [f.message for f in CopyIgnoredFile().check(ctx)] == [
        'Attempting to Copy file "a.md" that is excluded by .dockerignore'
    ]
    ctx.dockerfile_path = str(tmp_path / "app.Dockerfile")
    assert [f.message for f in CopyIgnoredFile().check(ctx)] == [
        'Attempting to Copy file "b.md" that is excluded by .dockerignore'
    ]


# -- InvalidDefinitionDescription (testDefinitionDescription) -------------------------------------


def test_buildkit_invalid_definition_description():
    rule = InvalidDefinitionDescription
    dockerfile = """# check=skip=all;experimental=InvalidDefinitionDescription
# foo this is the foo
ARG foo=bar

# base this is the base image
FROM scratch AS base

# version this is the version number
ARG version=latest

# baz this is the baz
ARG foo=baz bar=qux baz=quux
#
ARG bit=bat

# comment for something other than ARG or FROM
COPY Dockerfile .
"""
    assert warnings(rule, dockerfile) == []

    dockerfile = """# check=experimental=InvalidDefinitionDescription
# bar this is the bar
ARG foo=bar
# BasE this is the BasE image
FROM scratch AS base
# definitely a bad comment
ARG version=latest
# definitely a bad comment
ARG foo=baz bar=qux baz=quux
"""
    assert warnings(rule, dockerfile) == expected(
        rule,
        ("Comment for ARG should follow the format: `# foo <description>`", 3),
        ("Comment for FROM should follow the format: `# base <description>`", 5),
        ("Comment for ARG should follow the format: `# version <description>`", 7),
        ("Comment for ARG should follow the format: `# <arg_key> <description>`", 9),
    )


def test_invalid_definition_description_is_experimental_and_reads_comments_as_buildkit():
    rule = InvalidDefinitionDescription
    dockerfile = "# not a description\nFROM scratch AS base\n"
    assert warnings(rule, dockerfile) == []  # off by default
    dockerfile = (
        "# the comment\n\nARG a\n"  # a blank line does not end the comments (BuildKit's parser)
        "  # b indented, so its first character is a space\nARG b\n"
        "# c\n#\nARG c\n"  # "#" alone clears them
        "# D the stage\nFROM scratch AS D\n"  # the name is lowercased
        "# x\tdesc\nARG x\n"  # only a space separates the name
    )
    assert warnings(rule, dockerfile, experimental=frozenset({rule.name})) == expected(
        rule,
        ("Comment for ARG should follow the format: `# a <description>`", 3),
        ("Comment for ARG should follow the format: `# b <description>`", 5),
        ("Comment for FROM should follow the format: `# d <description>`", 10),
        ("Comment for ARG should follow the format: `# x <description>`", 12),
    )


# -- ExposeProtoCasing, ExposeInvalidFormat (testExposeProtoCasing, testExposeInvalidFormat) ------


def test_buildkit_expose_proto_casing():
    rule = ExposeProtoCasing
    assert warnings(rule, "\nFROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n") == expected(
        rule,
        ("Defined protocol '80/TcP' in EXPOSE instruction should be lowercase", 3),
        ("Defined protocol '8080/TCP' in EXPOSE instruction should be lowercase", 3),
    )


def test_buildkit_expose_invalid_format():
    rule = ExposeInvalidFormat
    dockerfile = "\nFROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n"
    found = "EXPOSE instruction should not define an IP address or host-port mapping, found '{}'"
    assert warnings(rule, dockerfile) == expected(
        rule,
        (found.format("127.0.0.1:80:80"), 3),
        (found.format("[::1]:8080:8080"), 3),
        (found.format("5000:5000"), 3),
    )


def test_expose_ports_are_expanded_sorted_and_stop_at_the_first_bad_one():
    proto = "Defined protocol '{}' in EXPOSE instruction should be lowercase"
    mapping = "EXPOSE instruction should not define an IP address or host-port mapping, found '{}'"
    dockerfile = 'FROM scratch\nENV P="1:2/UDP 3/TCP"\nEXPOSE $P\n'
    assert warnings(ExposeProtoCasing, dockerfile) == expected(
        ExposeProtoCasing, (proto.format("1:2/UDP"), 3), (proto.format("3/TCP"), 3)
    )
    assert warnings(ExposeInvalidFormat, dockerfile) == expected(ExposeInvalidFormat, (mapping.format("1:2/UDP"), 3))
    # Sorted, "7/TCP" comes first; "8/bogus" has an invalid protocol and fails the build.
    dockerfile = "FROM scratch\nEXPOSE 9/TCP 8/bogus 7/TCP\n"
    assert warnings(ExposeProtoCasing, dockerfile) == expected(ExposeProtoCasing, (proto.format("7/TCP"), 2))
    # "1.2.3:4:5" sorts first: it is reported, then its invalid address fails the build.
    dockerfile = "FROM scratch\nEXPOSE 5:6/TCP 1.2.3:4:5\n"
    assert warnings(ExposeProtoCasing, dockerfile) == []
    assert warnings(ExposeInvalidFormat, dockerfile) == expected(ExposeInvalidFormat, (mapping.format("1.2.3:4:5"), 2))
    # Port ranges, IPv6 and host ranges as parsePort accepts or refuses them.
    dockerfile = "FROM scratch\nEXPOSE [::1]:1-2:3-4/UDP 0.0.0.0:8000-8010:80/TCP 1:2-3/SCTP\n"
    assert warnings(ExposeProtoCasing, dockerfile) == expected(
        ExposeProtoCasing, (proto.format("0.0.0.0:8000-8010:80/TCP"), 2), (proto.format("1:2-3/SCTP"), 2)
    )


@pytest.mark.parametrize(
    ("rules", "before", "after"),
    [
        ([ExposeProtoCasing], "FROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n",
         "FROM scratch\nEXPOSE 80/tcp 8080/tcp 8080/udp\n"),
        ([ExposeInvalidFormat], "FROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000/udp 8000\n",
         "FROM scratch\nEXPOSE 80 8080 5000/udp 8000\n"),
        ([ExposeProtoCasing, ExposeInvalidFormat], "FROM scratch\nEXPOSE 0.0.0.0:8000-8001:80-81/SCTP\n",
         "FROM scratch\nEXPOSE 80-81/sctp\n"),
        # A port from a variable or in quotes is not edited.
        ([ExposeProtoCasing, ExposeInvalidFormat], 'FROM scratch\nARG P=1:2/TCP\nEXPOSE $P "3:4/UDP"\n',
         'FROM scratch\nARG P=1:2/TCP\nEXPOSE $P "3:4/UDP"\n'),
    ],
)
def test_expose_fixes(rules, before, after):
    assert fix(rules, before) == after


# -- Every rule: its own examples, its metadata ---------------------------------------------------


def _example_options(rule, tmp_path: Path) -> dict:
    options = {}
    if "image_platforms" in rule.needs:
        options["image_platforms"] = rule.example_image_platforms
    if "context_dir" in rule.needs:
        (tmp_path / ".dockerignore").write_text(rule.example_dockerignore)
        options["context_dir"] = str(tmp_path)
    return options


@pytest.mark.parametrize("rule", MY_RULES, ids=lambda r: r.name)
def test_examples(rule, tmp_path):
    options = _example_options(rule, tmp_path)
    bad = run_rules(dockerast.parse(rule.bad_example), _config(MY_RULES, **options), rules=MY_RULES)
    assert bad and {f.name for f in bad} == {rule.name}
    good = run_rules(dockerast.parse(rule.good_example), _config(MY_RULES, **options), rules=MY_RULES)
    assert good == []
    if rule.fixed_example is not None:
        assert fix([rule], rule.bad_example, **options) == rule.fixed_example
        assert run_rules(dockerast.parse(rule.fixed_example), _config([rule], **options), rules=[rule]) == []


@pytest.mark.parametrize("rule", MY_RULES, ids=lambda r: r.name)
def test_metadata(rule):
    assert rule.code.startswith("BK") and rule.buildkit
    assert rule.url.startswith("https://docs.docker.com/go/dockerfile/rule/")
    docs = rule.docs()
    for heading in ("## What it does", "## Why is this bad", "## Example", "## Fix safety"):
        assert heading in docs
    assert (rule.fixed_example is not None) == (rule.fix_safety is not None)
    assert rule.experimental is (rule is InvalidDefinitionDescription)


def test_codes_follow_the_brief():
    assert [r.code for r in MY_RULES] == [f"BK{n:03}" for n in range(12, 23)]


def test_fix_edits_are_small_and_inside_their_instruction():
    text = (
        "ARG X=1\n"
        "FROM --platform=$TARGETPLATFORM alpine AS a\n"
        "ENV A b c\n"
        "EXPOSE 127.0.0.1:80:80/TCP\n"
    )
    tree = dockerast.parse(text)
    findings = run_rules(tree, _config(MY_RULES), rules=MY_RULES)
    offsets = tree.instruction_offsets()
    assert {f.name for f in findings if f.fix} == {
        "RedundantTargetPlatform", "LegacyKeyValueFormat", "ExposeProtoCasing", "ExposeInvalidFormat"
    }
    for finding in findings:
        if finding.fix is None:
            continue
        ins = finding.instruction_index
        start, end = offsets[ins], offsets[ins] + len(tree.instructions[ins].text)
        for edit in finding.fix.edits:
            assert start <= edit.start <= edit.end <= end
            assert edit.end - edit.start <= 30
        assert dockerast.parse(apply_edits(text, finding.fix.edits)).errors == ()


# -- The corpus -------------------------------------------------------------------------------------

CORPUS_DOCKERIGNORE = "*.md\n.git\n**/*.log\nnode_modules\ndocs/\n*.txt\nbin\n"


def test_corpus_runs_without_crashing(tmp_path):
    files = corpus_files()
    if not files:
        pytest.skip("corpus missing")
    (tmp_path / ".dockerignore").write_text(CORPUS_DOCKERIGNORE)
    crashes = []
    for path in files:
        tree = dockerast.parse_bytes(path.read_bytes())
        # Every base image claims a platform no build uses, so that BK014 has work to do.
        images = {}
        for ins in tree.instructions:
            image = getattr(ins, "image", None) if ins.command == "FROM" else None
            if image:
                images[image] = ["linux/s390x"]
        for options in ({}, {"context_dir": str(tmp_path), "image_platforms": images or None}):
            try:
                findings = run_rules(tree, _config(MY_RULES, **options), rules=MY_RULES)
                for finding in findings:
                    if finding.fix is not None:
                        apply_edits(str(tree), finding.fix.edits)
            except Exception:  # noqa: BLE001
                crashes.append(f"{path.relative_to(CORPUS / 'real')}: {traceback.format_exc(limit=3)}")
    assert crashes == []
