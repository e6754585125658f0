"""BuildKit checks BK002-BK011 against BuildKit's own lint tests, their fixes, and the corpus.

Every Dockerfile of frontend/dockerfile/dockerfile_check_test.go (moby/buildkit)
is a case: for each rule here, the (rule, message, line) triples we report
must equal BuildKit's expected warnings of that rule, compared the way
BuildKit's test compares them (sorted by line, then message).  Where a test
gives separate ``UnmarshalWarnings`` (the lint request, which checks every
stage), those are the expected ones: a linter checks every stage too.  The
Unix variant of each test is used.
"""

from __future__ import annotations

from collections import Counter

import pytest

import dockerast
from dockerast.cst.positions import LineIndex
from dockerast.refactor.edits import apply_edits
from dockerast.rules import CheckConfig, FixSafety, run_rules
from dockerast.rules.buildkit.consistent_instruction_casing import ConsistentInstructionCasing
from dockerast.rules.buildkit.duplicate_stage_name import DuplicateStageName
from dockerast.rules.buildkit.from_as_casing import FromAsCasing
from dockerast.rules.buildkit.json_args_recommended import JSONArgsRecommended
from dockerast.rules.buildkit.maintainer_deprecated import MaintainerDeprecated
from dockerast.rules.buildkit.no_empty_continuation import NoEmptyContinuation
from dockerast.rules.buildkit.reserved_stage_name import ReservedStageName
from dockerast.rules.buildkit.undefined_arg_in_from import UndefinedArgInFrom, levenshtein, suggest
from dockerast.rules.buildkit.undefined_var import UndefinedVar, one_typo_apart, repository
from dockerast.rules.buildkit.workdir_relative_path import WorkdirRelativePath, is_absolute

from tests.conftest import corpus_files

RULES = [
    FromAsCasing,
    NoEmptyContinuation,
    ConsistentInstructionCasing,
    DuplicateStageName,
    ReservedStageName,
    JSONArgsRecommended,
    MaintainerDeprecated,
    UndefinedArgInFrom,
    WorkdirRelativePath,
    UndefinedVar,
]

FROM_AS = "'as' and 'FROM' keywords' casing do not match"
CASING = "Command '{}' should match the case of the command majority ({})"
JSON_ARGS = "JSON arguments recommended for {} to prevent unintended behavior related to OS signals"
MAINTAINER = "Maintainer instruction is deprecated in favor of using label"
RELATIVE = "Relative workdir {} can have unexpected results if the base image changes"

# (test function / index, Dockerfile, expected warnings of the rules above as (rule, message, line)).
BUILDKIT_CASES = [
    # -- testDefinitionDescription
    (
        "DefinitionDescription/0",
        "# check=skip=all;experimental=InvalidDefinitionDescription\n# foo this is the foo\nARG foo=bar\n\n"
        "# base this is the base image\nFROM scratch AS base\n\n# version this is the version number\n"
        "ARG version=latest\n\n# baz this is the baz\nARG foo=baz bar=qux baz=quux\n#\nARG bit=bat\n\n"
        "# comment for something other than ARG or FROM\nCOPY Dockerfile .\n",
        [],
    ),
    (
        "DefinitionDescription/1",
        "# check=experimental=InvalidDefinitionDescription\n# bar this is the bar\nARG foo=bar\n"
        "# BasE this is the BasE image\nFROM scratch AS base\n# definitely a bad comment\nARG version=latest\n"
        "# definitely a bad comment\nARG foo=baz bar=qux baz=quux\n",
        [],
    ),
    # -- testCopyIgnoredFiles / testCopyIgnoredFileContextRoot
    ("CopyIgnoredFiles/0", "\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n", []),
    ("CopyIgnoredFiles/2", "# check=skip=CopyIgnoredFile\n\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n", []),
    (
        "CopyIgnoredFiles/3",
        "\nFROM scratch AS base\nCOPY Dockerfile /foobar\nADD Dockerfile /windy\n\nFROM base\n"
        "COPY --from=base /foobar /Dockerfile\n",
        [],
    ),
    ("CopyIgnoredFiles/4", "\nFROM scratch\nCOPY ./Dockerfile .\n", []),
    ("CopyIgnoredFiles/5", "\nFROM scratch\nCOPY . .\n\t", []),
    ("CopyIgnoredFileContextRoot", "\nFROM scratch\nCOPY . .\n", []),
    # -- testSecretsUsedInArgOrEnv
    (
        "SecretsUsedInArgOrEnv",
        "# check=skip=InvalidDefinitionDescription\n\nFROM scratch\nARG SECRET_PASSPHRASE\nENV SUPER_Secret=foo\n"
        "ENV password=bar secret=baz\nARG super_duper_secret_token=foo auth=bar\nENV apikey=bar sunflower=foo\n"
        "ENV git_key=\nENV PUBLIC_KEY=\nARG public_token\nARG SECRET_PASSPHRASE_FILE\n"
        "ENV password_file=bar secret_File=baz\nARG AUTH_MODULE_VERSION\n"
        "# check=skip=SecretsUsedInArgOrEnv // allow secret in environment\nENV password=bar\n"
        "# check=skip=SecretsUsedInArgOrEnv // allow secret in arg\nARG password\n"
        "# check=skip=all // is local to only this instruction\nENV alternate_password=bar\n"
        "# check=skip=all // is local to only this instruction\nARG alternate_password\n",
        [],
    ),
    # -- testAllTargetUnmarshal (the lint request checks every stage)
    (
        "AllTargetUnmarshal",
        "\nFROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n",
        [
            ("UndefinedVar", "Usage of undefined variable '$foo'", 3),
            ("UndefinedVar", "Usage of undefined variable '$bar'", 6),
        ],
    ),
    # -- testRuleCheckOption (the two cases overriding the file through the
    # BUILDKIT_DOCKERFILE_CHECK build argument are not reproducible here)
    ("RuleCheckOption/0", "#check=skip=all\nFROM scratch as base\ncopy Dockerfile .\n", []),
    ("RuleCheckOption/1", "#check=skip=all;error=true\nFROM scratch as base\ncopy Dockerfile .\n", []),
    (
        "RuleCheckOption/2",
        "#check=skip=ConsistentInstructionCasing,FromAsCasing\nFROM scratch as base\ncopy Dockerfile .\n",
        [],
    ),
    (
        "RuleCheckOption/3",
        "#check=skip=ConsistentInstructionCasing,FromAsCasing;error=true\nFROM scratch as base\ncopy Dockerfile .\n",
        [],
    ),
    (
        "RuleCheckOption/4",
        "#check=skip=ConsistentInstructionCasing\nFROM scratch as base\ncopy Dockerfile .\n",
        [("FromAsCasing", FROM_AS, 2)],
    ),
    (
        "RuleCheckOption/5",
        "#check=skip=ConsistentInstructionCasing;error=true\nFROM scratch as base\ncopy Dockerfile .\n",
        [("FromAsCasing", FROM_AS, 2)],
    ),
    # -- testStageName
    (
        "StageName/0",
        "\n# warning: stage name should be lowercase\n#\nFROM scratch AS BadStageName\n\n"
        "# warning: 'as' should match 'FROM' cmd casing.\n#\nFROM scratch as base2\n\nFROM scratch AS base3\n",
        [("FromAsCasing", FROM_AS, 8)],
    ),
    (
        "StageName/1",
        "\n# warning: 'AS' should match 'from' cmd casing.\n#\nfrom scratch AS base\n\nfrom scratch as base2\n",
        [("FromAsCasing", "'AS' and 'from' keywords' casing do not match", 4)],
    ),
    # -- testNoEmptyContinuation
    (
        "NoEmptyContinuation",
        "\nFROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\nCOPY Dockerfile \\\n.\n",
        [("NoEmptyContinuation", "Empty continuation line", 6)],
    ),
    # -- testConsistentInstructionCasing
    (
        "ConsistentInstructionCasing/0",
        "\n# warning: 'FROM' should be either lowercased or uppercased\n#\nFrom scratch as base\nFROM scratch AS base2\n",
        [("ConsistentInstructionCasing", CASING.format("From", "uppercase"), 4)],
    ),
    (
        "ConsistentInstructionCasing/1",
        "\nFROM scratch\n# warning: 'copy' should match command majority's casing (uppercase)\ncopy Dockerfile /foo\n"
        "COPY Dockerfile /bar\n",
        [("ConsistentInstructionCasing", CASING.format("copy", "uppercase"), 4)],
    ),
    (
        "ConsistentInstructionCasing/2",
        "\n# warning: 'frOM' should be either lowercased or uppercased\n#\nfrOM scratch as base\nfrom scratch as base2\n",
        [("ConsistentInstructionCasing", CASING.format("frOM", "lowercase"), 4)],
    ),
    (
        "ConsistentInstructionCasing/3",
        "\nfrom scratch\n# warning: 'COPY' should match command majority's casing (lowercase)\nCOPY Dockerfile /foo\n"
        "copy Dockerfile /bar\n",
        [("ConsistentInstructionCasing", CASING.format("COPY", "lowercase"), 4)],
    ),
    (
        "ConsistentInstructionCasing/4",
        "\n# warning: 'from' should match command majority's casing (uppercase)\n#\nfrom scratch\n"
        "COPY Dockerfile /foo\nCOPY Dockerfile /bar\nCOPY Dockerfile /baz\n",
        [("ConsistentInstructionCasing", CASING.format("from", "uppercase"), 4)],
    ),
    (
        "ConsistentInstructionCasing/5",
        "\n# warning: 'FROM' should match command majority's casing (lowercase)\n#\nFROM scratch\n"
        "copy Dockerfile /foo\ncopy Dockerfile /bar\ncopy Dockerfile /baz\n",
        [("ConsistentInstructionCasing", CASING.format("FROM", "lowercase"), 4)],
    ),
    ("ConsistentInstructionCasing/6", "\nfrom scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\n", []),
    ("ConsistentInstructionCasing/7", "\nFROM scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\n", []),
    ("ConsistentInstructionCasing/8", "\nFROM alpine\nRUN <<'EOT'\nenv\nEOT\n", []),
    # -- testDuplicateStageName
    (
        "DuplicateStageName/0",
        "\nFROM scratch AS b\nFROM scratch AS b\n",
        [("DuplicateStageName", 'Duplicate stage name "b", stage names should be unique', 3)],
    ),
    ("DuplicateStageName/1", "\nFROM scratch AS b1\nFROM scratch AS b2\n", []),
    # -- testReservedStageName
    (
        "ReservedStageName/0",
        "\nFROM scratch AS scratch\nFROM scratch AS context\n",
        [
            ("ReservedStageName", 'Stage name should not use the same name as reserved stage "scratch"', 2),
            ("ReservedStageName", 'Stage name should not use the same name as reserved stage "context"', 3),
        ],
    ),
    ("ReservedStageName/1", "\nFROM scratch\nFROM scratch AS a\n", []),
    # -- testJSONArgsRecommended
    ("JSONArgsRecommended/0", "\nFROM scratch\nCMD mycommand\n", [("JSONArgsRecommended", JSON_ARGS.format("CMD"), 3)]),
    (
        "JSONArgsRecommended/1",
        "\nFROM scratch\nENTRYPOINT mycommand\n",
        [("JSONArgsRecommended", JSON_ARGS.format("ENTRYPOINT"), 3)],
    ),
    ("JSONArgsRecommended/2", '\nFROM scratch\nSHELL ["/usr/bin/customshell"]\nCMD mycommand\n', []),
    ("JSONArgsRecommended/3", '\nFROM scratch\nSHELL ["/usr/bin/customshell"]\nENTRYPOINT mycommand\n', []),
    ("JSONArgsRecommended/4", '\nFROM scratch AS base\nSHELL ["/usr/bin/customshell"]\n\nFROM base\nCMD mycommand\n', []),
    (
        "JSONArgsRecommended/5",
        '\nFROM scratch AS base\nSHELL ["/usr/bin/customshell"]\n\nFROM base\nENTRYPOINT mycommand\n',
        [],
    ),
    # -- testMaintainerDeprecated
    ("MaintainerDeprecated/0", "\nFROM scratch\nMAINTAINER me@example.org\n", [("MaintainerDeprecated", MAINTAINER, 3)]),
    ("MaintainerDeprecated/1", '\nFROM scratch\nLABEL org.opencontainers.image.authors="me@example.org"\n', []),
    ("MaintainerDeprecated/2", "\nFROM scratch\n# check=skip=JSONArgsRecommended\nCMD mycommand\n", []),
    ("MaintainerDeprecated/3", "\nFROM scratch\n# check=skip=JSONArgsRecommended\nENTRYPOINT mycommand\n", []),
    ("MaintainerDeprecated/4", "\nFROM scratch\n# check=skip=MaintainerDeprecated\nMAINTAINER me@example.org\n", []),
    # -- testWarningsBeforeError
    (
        "WarningsBeforeError",
        "\nFROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n",
        [("MaintainerDeprecated", MAINTAINER, 3)],
    ),
    # -- testUndeclaredArg
    ("UndeclaredArg/0", "\nARG base=scratch\nFROM $base\nCOPY Dockerfile .\n", []),
    ("UndeclaredArg/1", "\nARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n", []),
    ("UndeclaredArg/2", "\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n", []),
    ("UndeclaredArg/3", "\nARG DEBUG\nFROM scratch${DEBUG}\nCOPY Dockerfile .\n", []),
    ("UndeclaredArg/4", "\nARG DEBUG\nFROM scra${DEBUG:-tch}\nCOPY Dockerfile .\n", []),
    ("UndeclaredArg/5", '\nARG DEBUG=""\nFROM scratch${DEBUG-@bogus}\nCOPY Dockerfile .\n', []),
    (
        "UndeclaredArg/6",
        "\nFROM --platform=$BULIDPLATFORM scratch\nCOPY Dockerfile .\n",
        [("UndefinedArgInFrom", "FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)", 2)],
    ),
    (
        "UndeclaredArg/7",
        "\nARG MY_OS=linux\nARG MY_ARCH=amd64\nFROM --platform=linux/${MYARCH} busybox\nCOPY Dockerfile .\n\t",
        [("UndefinedArgInFrom", "FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)", 4)],
    ),
    (
        "UndeclaredArg/8",
        "\nARG tag=latest\nFROM busybox:${tag}${version} AS b\nCOPY Dockerfile .\n",
        [("UndefinedArgInFrom", "FROM argument 'version' is not declared", 3)],
    ),
    # -- testWorkdirRelativePath
    ("WorkdirRelativePath/0", "\nFROM scratch\nWORKDIR app/\n", [("WorkdirRelativePath", RELATIVE.format('"app/"'), 3)]),
    ("WorkdirRelativePath/1", "\nFROM scratch AS a\nWORKDIR /app\n\nFROM a AS b\nWORKDIR subdir/\n", []),
    ("WorkdirRelativePath/2", "\nFROM scratch\n# check=skip=WorkdirRelativePath\nWORKDIR app/\n", []),
    # -- testUnmatchedVars
    ("UnmatchedVars/0", "\nFROM scratch\nARG foo\nCOPY Dockerfile${foo} .\n", []),
    ("UnmatchedVars/1", "\nFROM alpine AS base\nARG foo=Dockerfile\n\nFROM base\nCOPY $foo .\n", []),
    ("UnmatchedVars/2", "\nFROM alpine\nRUN echo $PATH\n", []),
    (
        "UnmatchedVars/3",
        "\nFROM alpine\nCOPY $foo .\nARG foo=bar\nRUN echo $foo\n",
        [("UndefinedVar", "Usage of undefined variable '$foo'", 3)],
    ),
    (
        "UnmatchedVars/4",
        "\nFROM alpine\nARG DIR_BINARIES=binaries/\nARG DIR_ASSETS=assets/\nARG DIR_CONFIG=config/\nCOPY $DIR_ASSET .\n\t",
        [("UndefinedVar", "Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)", 6)],
    ),
    (
        "UnmatchedVars/5",
        "\nFROM alpine\nENV PATH=$PAHT:/tmp/bin\n\t\t",
        [("UndefinedVar", "Usage of undefined variable '$PAHT' (did you mean $PATH?)", 3)],
    ),
    # -- testMultipleInstructionsDisallowed
    (
        "MultipleInstructionsDisallowed/0",
        '\nFROM scratch\nENTRYPOINT ["/myapp"]\nENTRYPOINT ["/myotherapp"]\nCMD ["/myapp"]\nCMD ["/myotherapp"]\n'
        'HEALTHCHECK CMD ["/myapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
        [],
    ),
    (
        "MultipleInstructionsDisallowed/1",
        '\nFROM scratch\nENTRYPOINT ["/myapp"]\nCMD ["/myapp"]\nHEALTHCHECK CMD ["/myapp"]\nCOPY <<EOF /a.txt\n'
        'Hello, World!\nEOF\nENTRYPOINT ["/myotherapp"]\nCMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
        [],
    ),
    (
        "MultipleInstructionsDisallowed/2",
        '\nFROM scratch AS a\nENTRYPOINT ["/myapp"]\nCMD ["/myapp"]\nHEALTHCHECK CMD ["/myapp"]\n\nFROM a AS b\n'
        'ENTRYPOINT ["/myotherapp"]\nCMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
        [],
    ),
    # -- testLegacyKeyValueFormat
    ("LegacyKeyValueFormat/0", "\nFROM scratch\nENV testkey value\nLABEL key value\n", []),
    ("LegacyKeyValueFormat/1", "\nFROM scratch\nENV testkey=value\nLABEL key=value\n", []),
    ("LegacyKeyValueFormat/2", "\nFROM scratch AS a\n\nFROM a AS b\nENV testkey value\nLABEL key value\n\nFROM a AS c\n", []),
    (
        "LegacyKeyValueFormat/3",
        "\nFROM scratch\n# check=skip=LegacyKeyValueFormat\nENV testkey value\n"
        "# check=skip=LegacyKeyValueFormat\nLABEL key value\n",
        [],
    ),
    # -- testRedundantTargetPlatform
    ("RedundantTargetPlatform/0", "\nFROM --platform=$TARGETPLATFORM scratch\n", []),
    ("RedundantTargetPlatform/1", "\nFROM --platform=${TARGETPLATFORM} scratch\n", []),
    ("RedundantTargetPlatform/2", "\n# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n", []),
    # -- testInvalidDefaultArgInFrom
    ("InvalidDefaultArgInFrom/0", "\nARG VERSION\nFROM busybox:$VERSION\n", []),
    ("InvalidDefaultArgInFrom/1", "\nARG IMAGE\nFROM $IMAGE\n", []),
    ("InvalidDefaultArgInFrom/2", '\nARG SFX="box:"\nFROM busy${SFX}\n', []),
    ("InvalidDefaultArgInFrom/3", '\nARG VERSION="latest"\nFROM busybox:${VERSION}\n', []),
    ("InvalidDefaultArgInFrom/4", '\nARG BUSYBOX_VARIANT=""\nFROM busybox:stable${BUSYBOX_VARIANT}\n', []),
    ("InvalidDefaultArgInFrom/5", "\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t", []),
    # -- testFromPlatformFlagConstDisallowed
    ("FromPlatformFlagConstDisallowed/0", "\nFROM --platform=linux/amd64 scratch\n", []),
    ("FromPlatformFlagConstDisallowed/1", "\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n", []),
    ("FromPlatformFlagConstDisallowed/2", "\nFROM --platform=linux/amd64 scratch AS linux\n", []),
    # -- testExposeProtoCasing / testExposeInvalidFormat
    ("ExposeProtoCasing", "\nFROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n", []),
    ("ExposeInvalidFormat", "\nFROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n", []),
    # -- testBaseImagePlatformMismatch (the image is pushed to a test registry)
    ("BaseImagePlatformMismatch", "\nFROM localhost:5000/buildkit/testbaseimageplatform:latest\nENV foo=bar\n\t", []),
]


def _report(text: str, rule) -> list[tuple[str, str, int]]:
    tree = dockerast.parse(text)
    lines = LineIndex(str(tree))
    findings = run_rules(tree, CheckConfig(), rules=[rule])
    return sorted(((f.name, f.message, lines.position(f.start).line + 1) for f in findings), key=lambda w: (w[2], w[1]))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in BUILDKIT_CASES], ids=[c[0] for c in BUILDKIT_CASES])
def test_buildkit_lint_case(rule, text, expected):
    wanted = sorted((w for w in expected if w[0] == rule.name), key=lambda w: (w[2], w[1]))
    assert _report(text, rule) == wanted


def test_every_rule_has_a_buildkit_case_that_triggers_it():
    triggered = {w[0] for _, _, expected in BUILDKIT_CASES for w in expected}
    assert triggered == {r.name for r in RULES}


# -- fixes --------------------------------------------------------------------


def _fix(text: str, rules, *, unsafe: bool = True) -> str:
    """``fix_all`` restricted to ``rules``: non-overlapping fixes, re-parse, repeat."""
    tree = dockerast.parse(text)
    for _ in range(10):
        edits, taken = [], []
        for finding in run_rules(tree, CheckConfig(), rules=rules):
            fix = finding.fix
            if fix is None or not fix.edits or (fix.safety is FixSafety.UNSAFE and not unsafe):
                continue
            ranges = [(e.start, e.end) for e in fix.edits]
            if any(a < d and c < b or a == c for a, b in ranges for c, d in taken):
                continue
            taken.extend(ranges)
            edits.extend(fix.edits)
        if not edits:
            break
        new = dockerast.parse(apply_edits(str(tree), edits))
        assert not new.errors
        tree = new
    return str(tree)


FIX_CASES = [
    ("from-as-upper", [FromAsCasing], "FROM alpine as build\n", "FROM alpine AS build\n"),
    ("from-as-lower", [FromAsCasing], "from alpine AS build\n", "from alpine as build\n"),
    ("from-as-mixed-from", [FromAsCasing], "From alpine as build\n", "From alpine as build\n"),
    (
        "empty-continuation",
        [NoEmptyContinuation],
        "FROM alpine\nRUN apk add \\\n\n  \t\n    curl \\\n    # a comment\n\n    jq\n",
        "FROM alpine\nRUN apk add \\\n    curl \\\n    # a comment\n    jq\n",
    ),
    (
        "empty-continuation-at-end",
        [NoEmptyContinuation],
        "FROM alpine\nRUN true \\\n\n",
        "FROM alpine\nRUN true \\\n",
    ),
    (
        "casing-upper",
        [ConsistentInstructionCasing],
        "From alpine\ncopy . /src\nRUN make\nRUN make install\n",
        "FROM alpine\nCOPY . /src\nRUN make\nRUN make install\n",
    ),
    (
        "casing-lower",
        [ConsistentInstructionCasing],
        "ARG V=1\nfrom alpine\nCopy . /src\nRUN make\nrun make install\n",
        "ARG V=1\nfrom alpine\ncopy . /src\nrun make\nrun make install\n",
    ),
    (
        "casing-then-as",
        [ConsistentInstructionCasing, FromAsCasing],
        "From alpine as build\nRUN make\n",
        "FROM alpine AS build\nRUN make\n",
    ),
    (
        "json-args",
        [JSONArgsRecommended],
        "FROM alpine\nCMD node server.js --port 80\nENTRYPOINT  'my prog'  start # not a comment\n",
        'FROM alpine\nCMD ["node", "server.js", "--port", "80"]\nENTRYPOINT  \'my prog\'  start # not a comment\n',
    ),
    (
        "json-args-quotes",
        [JSONArgsRecommended],
        "FROM alpine\nENTRYPOINT \"my prog\" 'start it'\n",
        'FROM alpine\nENTRYPOINT ["my prog", "start it"]\n',
    ),
    (
        "json-args-shell-features",
        [JSONArgsRecommended],
        "FROM alpine\nCMD echo $HOME && sleep 1\n",
        "FROM alpine\nCMD echo $HOME && sleep 1\n",
    ),
    (
        "maintainer",
        [MaintainerDeprecated],
        'FROM alpine\n# who\nMAINTAINER Jane "J" Doe <jane@example.org>\nRUN true\n',
        'FROM alpine\n# who\nLABEL org.opencontainers.image.authors="Jane \\"J\\" Doe <jane@example.org>"\nRUN true\n',
    ),
]


@pytest.mark.parametrize(("rules", "before", "after"), [c[1:] for c in FIX_CASES], ids=[c[0] for c in FIX_CASES])
def test_fix(rules, before, after):
    assert _fix(before, rules) == after


def test_fix_edits_are_minimal():
    tree = dockerast.parse("FROM alpine\nrun make\nRUN make install\n")
    (finding,) = run_rules(tree, CheckConfig(), rules=[ConsistentInstructionCasing])
    assert [(e.start, e.end, e.new_text) for e in finding.fix.edits] == [(12, 15, "RUN")]
    tree = dockerast.parse("FROM alpine\nCMD node app.js\n")
    (finding,) = run_rules(tree, CheckConfig(), rules=[JSONArgsRecommended])
    assert finding.fix.safety is FixSafety.UNSAFE
    assert [(e.start, e.end, e.new_text) for e in finding.fix.edits] == [(16, 27, '["node", "app.js"]')]


def test_safe_fixes_only_skip_unsafe_ones():
    text = "FROM alpine as build\nMAINTAINER me\nCMD run\n"
    rules = [FromAsCasing, MaintainerDeprecated, JSONArgsRecommended]
    assert _fix(text, rules, unsafe=False) == "FROM alpine AS build\nMAINTAINER me\nCMD run\n"


# -- rule examples (until the rules are registered and tests/test_rule_examples.py covers them)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_examples(rule):
    bad = run_rules(dockerast.parse(rule.bad_example), CheckConfig(), rules=RULES)
    assert bad and {f.name for f in bad} == {rule.name}
    good = run_rules(dockerast.parse(rule.good_example), CheckConfig(), rules=RULES)
    assert good == []
    if rule.fixed_example is not None:
        assert _fix(rule.bad_example, [rule]) == rule.fixed_example
    docs = rule.docs()
    for heading in ("## What it does", "## Why is this bad", "## Example", "## Fix safety"):
        assert heading in docs
    assert rule.buildkit and rule.url == f"https://docs.docker.com/go/dockerfile/rule/{_slug(rule.name)}/"
    assert (rule.fixed_example is not None) == (rule.fix_safety is not None)


def _slug(name: str) -> str:
    return {
        "FromAsCasing": "from-as-casing",
        "NoEmptyContinuation": "no-empty-continuation",
        "ConsistentInstructionCasing": "consistent-instruction-casing",
        "DuplicateStageName": "duplicate-stage-name",
        "ReservedStageName": "reserved-stage-name",
        "JSONArgsRecommended": "json-args-recommended",
        "MaintainerDeprecated": "maintainer-deprecated",
        "UndefinedArgInFrom": "undefined-arg-in-from",
        "WorkdirRelativePath": "workdir-relative-path",
        "UndefinedVar": "undefined-var",
    }[name]


def test_codes_follow_the_brief():
    assert [r.code for r in RULES] == [f"BK{n:03d}" for n in range(2, 12)]


# -- BuildKit behaviour beyond its lint tests ------------------------------------------


def _messages(text: str, rule) -> list[tuple[str, int]]:
    return [(message, line) for _, message, line in _report(text, rule)]


def test_undefined_var_words_buildkit_expands():
    text = (
        "FROM alpine\n"
        "ENV A=1 B=$A\n"  # every pair sees the variables from before the instruction
        "ARG C=$C D=$C\n"  # a name counts as declared after its own default
        "LABEL $E=$F\n"
        "COPY --chown=$G:$G --from=$H $I /dst/$I$J\n"  # once per word
        "ADD --checksum=$K $L /\n"
        "RUN --mount=type=cache,target=$M,id=\"$N\" echo $O\n"
        "WORKDIR /$P\n"
        "USER $Q\n"
        "VOLUME [\"$R\"]\n"
        "STOPSIGNAL $S\n"
        "EXPOSE $T\n"
        "CMD $U\n"
        "HEALTHCHECK CMD $V\n"
        "ONBUILD COPY $W /\n"
    )
    names = [m.split("'")[1] for m, _ in _messages(text, UndefinedVar)]
    assert names == ["$A", "$C", "$E", "$F", "$G", "$I", "$I", "$J", "$K", "$L", "$M", "$N", "$P", "$Q", "$R", "$S"]


def test_undefined_var_heredocs_and_spans():
    text = "FROM alpine\nCOPY <<EOF <<'RAW' /dst/\nhello $NAME\nEOF\n$QUOTED\nRAW\nENV X=a \\\n  Y=$MISSING\n"
    tree = dockerast.parse(text)
    findings = run_rules(tree, CheckConfig(), rules=[UndefinedVar])
    assert [(f.message, text[f.start : f.end]) for f in findings] == [
        ("Usage of undefined variable '$NAME'", "$NAME"),
        ("Usage of undefined variable '$MISSING'", "$MISSING"),
    ]


def test_undefined_var_declared_and_automatic_names():
    text = (
        "ARG TARGETARCH\nARG META_ONLY=1\nFROM scratch AS a\nARG TARGETOS\nARG BUILDKIT_SBOM_SCAN_STAGE\nENV LOCAL=1\n"
        "COPY $TARGETOS $TARGETARCH $META_ONLY $PATH $BUILDKIT_SBOM_SCAN_STAGE $LOCAL /\n"
        "FROM a\nCOPY $TARGETOS $LOCAL /\n"
    )
    assert _messages(text, UndefinedVar) == [
        ("Usage of undefined variable '$META_ONLY'", 7),
        ("Usage of undefined variable '$TARGETARCH'", 7),
    ]


def test_undefined_var_with_an_unknown_base_image():
    # golang's image defines GOPATH; only a one-typo near miss is reported there.
    text = "FROM golang:1.22\nARG VERSION=1\nCOPY $GOPATH $VERSON $VERSIONS /\n"
    assert _messages(text, UndefinedVar) == [
        ("Usage of undefined variable '$VERSIONS' (did you mean $VERSION?)", 3),
        ("Usage of undefined variable '$VERSON' (did you mean $VERSION?)", 3),
    ]
    known = "FROM docker.io/library/alpine:3.20@sha256:0123\nCOPY $GOPATH /\n"
    assert _messages(known, UndefinedVar) == [("Usage of undefined variable '$GOPATH' (did you mean $PATH?)", 2)]


def test_undefined_arg_in_from_spans_and_order():
    text = "ARG DECLARED\nFROM --platform=$TARGETPLATFROM ${IMG:-alpine}:$TAG AS x\n"
    tree = dockerast.parse(text)
    findings = run_rules(tree, CheckConfig(), rules=[UndefinedArgInFrom])
    assert [(f.message, text[f.start : f.end]) for f in findings] == [
        ("FROM argument 'TARGETPLATFROM' is not declared (did you mean TARGETPLATFORM?)", "$TARGETPLATFROM"),
        ("FROM argument 'IMG' is not declared", "${IMG:-alpine}"),
        ("FROM argument 'TAG' is not declared", "$TAG"),
    ]


def test_workdir_relative_path_details():
    text = "FROM scratch AS a\nARG D=src\nWORKDIR $D\nWORKDIR rel\nFROM a\nWORKDIR again\nFROM scratch\nWORKDIR /abs\nWORKDIR rel\n"
    assert _messages(text, WorkdirRelativePath) == [(RELATIVE.format('"src"'), 3)]
    windows = (
        "# escape=`\nFROM --platform=windows/amd64 scratch\nWORKDIR D:\\x\n"
        "FROM mcr.microsoft.com/windows/servercore\nWORKDIR C:\\app\n"
    )
    assert _messages(windows, WorkdirRelativePath) == [(RELATIVE.format('"D:\\\\x"'), 3)]
    # With the default escape character, BuildKit reads C:\app as C:app, a relative path.
    assert _messages("FROM --platform=windows/amd64 scratch\nWORKDIR C:\\app\n", WorkdirRelativePath) == [
        (RELATIVE.format('"C:app"'), 2)
    ]
    # The variable may come from the image: its value is unknown here.
    assert _messages("FROM node\nWORKDIR $APP_HOME\n", WorkdirRelativePath) == []


def test_json_args_and_shell_inheritance():
    text = (
        'FROM alpine AS a\nSHELL []\nCMD x\nFROM a AS b\nSHELL ["/bin/bash", "-c"]\ncmd y\n'
        "FROM b\nENTRYPOINT z\nFROM alpine\nHEALTHCHECK CMD w\nONBUILD CMD v\n"
    )
    assert _messages(text, JSONArgsRecommended) == [(JSON_ARGS.format("CMD"), 3)]


def test_from_as_casing_and_casing_ignore_meta_args_and_triggers():
    text = "arg V=1\nFROM alpine AS a\nONBUILD run make\nRUN make\n"
    assert _messages(text, ConsistentInstructionCasing) == []
    assert _messages("FROM alpine as\n", FromAsCasing) == []


def test_no_empty_continuation_reports_the_last_line():
    text = "FROM alpine\nRUN a \\\n\n  b \\\n  # c\n  d\nRUN <<EOF \\\n\n  x\nbody\nEOF\n"
    assert _messages(text, NoEmptyContinuation) == [("Empty continuation line", 6), ("Empty continuation line", 9)]


@pytest.mark.parametrize(
    "text",
    [
        "RUN a \\\n\n  b\n",
        "RUN a \\\r\n \t\r\n  b\r\n",
        "RUN a \\\n\u3000\n  b\n",
        "RUN a \\\n  # c\n  b\n",
        "RUN a \\\n  b\n\n",
        "RUN a \\\n\n",
        "RUN a \\\n \t",
        "RUN <<EOF \\\n\n  x\nbody\n\nEOF\n",
        "RUN <<EOF\n\nEOF\n",
        "# escape=`\nRUN a `\n\n  b\n",
    ],
)
def test_no_empty_continuation_searches_as_continuation_lines_reads(text):
    _assert_blank_line_search_agrees(dockerast.parse("FROM alpine\n" + text))


def test_no_empty_continuation_searches_as_continuation_lines_reads_on_the_corpus():
    for path in CORPUS_FILES:
        _assert_blank_line_search_agrees(dockerast.parse_bytes(path.read_bytes()))


def _assert_blank_line_search_agrees(tree: dockerast.Dockerfile) -> None:
    """The rule's one search finds an empty continuation line where reading the lines one by one does."""
    from dockerast.cst.text import lstrip_space, trim_newline  # noqa: PLC0415
    from dockerast.rules.buildkit.no_empty_continuation import _has_blank_line, continuation_lines  # noqa: PLC0415

    for ins in tree.instructions:
        empty = any(not lstrip_space(trim_newline(ins.text[s:e])) for s, e in continuation_lines(ins))
        assert _has_blank_line(ins) == empty, ins.text


def test_helpers():
    assert levenshtein("BULIDPLATFORM", "BUILDPLATFORM") == 2
    assert levenshtein("", "abc") == 3 and levenshtein("kitten", "sitting") == 3
    assert suggest("PAHT", ["PATH", "PA"]) == "PATH"  # the first at the smallest distance
    assert suggest("PAHT", ["PA", "PAT"]) == "PAT"
    assert suggest("X", ["X", "Y"]) == ""
    assert suggest("version", ["tag", "TARGETVARIANT"]) == ""
    assert one_typo_apart("PAHT", "PATH") and one_typo_apart("file3", "file2") and one_typo_apart("ab", "abc")
    assert not one_typo_apart("GOPATH", "PATH") and not one_typo_apart("HOME", "ROLE")
    assert repository("docker.io/library/alpine:3.20@sha256:00") == "alpine"
    assert repository("localhost:5000/ubuntu") == "localhost:5000/ubuntu"
    assert is_absolute("/x", "linux") and not is_absolute("x", "linux")
    assert is_absolute("C:\\x", "windows") and is_absolute("c:/x", "windows") and is_absolute("\\x", "windows")
    assert not is_absolute("C:", "windows") and not is_absolute("D:\\x", "windows") and not is_absolute("//srv/x", "windows")


# -- the corpus ---------------------------------------------------------------------------

CORPUS_FILES = corpus_files()


def test_corpus_runs_without_crashes():
    if not CORPUS_FILES:
        pytest.skip("corpus missing")
    counts: Counter[str] = Counter()
    crashes = []
    for path in CORPUS_FILES:
        try:
            tree = dockerast.parse_bytes(path.read_bytes())
            counts.update(f.name for f in run_rules(tree, CheckConfig(), rules=RULES))
        except Exception as error:  # noqa: BLE001  (collect them all)
            crashes.append(f"{path}: {error!r}")
    print("\n".join(f"{r.code} {r.name}: {counts[r.name]}" for r in RULES))
    assert crashes == []


def test_corpus_fixes_parse_and_settle():
    if not CORPUS_FILES:
        pytest.skip("corpus missing")
    for path in CORPUS_FILES:
        tree = dockerast.parse_bytes(path.read_bytes())
        if tree.errors:
            continue
        fixed = _fix(str(tree), RULES)
        left = [f for f in run_rules(dockerast.parse(fixed), CheckConfig(), rules=RULES) if f.fix is not None]
        assert left == [], path
