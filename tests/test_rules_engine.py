"""The rules engine: selection, severities, BuildKit's check directives, our pragma, and fix_all.

The per-instruction ``# check=`` semantics follow BuildKit, not intuition: the
parser (frontend/dockerfile/parser/parser.go, ``Parse``) collects the comment
lines above an instruction into ``PrevComment``; blank lines do *not* reset
that list, an empty comment line (``#``) and an instruction do; and
``linter.WithMergedConfigFromComments`` uses the first ``check`` comment of
the list only, ``skip=all`` included.  Tests marked xfail(strict) pin where
the engine still differs, so that fixing it turns them into failures to
un-mark.
"""

from __future__ import annotations

import pytest

import dockerast
from dockerast.cst.positions import LineIndex
from dockerast.refactor.edits import TextEdit
from dockerast.rules import CheckConfig, Fix, FixSafety, Rule, Severity, fix_all, run_rules
from dockerast.rules import engine
from dockerast.rules.crossbuild import RULES as CROSSBUILD_RULES
from tests.conftest import FIXTURES, require

CASE = FIXTURES / "agentcube-pr420"

BAD_NAME = "FROM alpine AS Foo\n"


def read(folder: str, name: str = "Dockerfile") -> str:
    return require(CASE / folder / name).read_text(encoding="utf-8")


# The rules these tests reason about; BuildKit checks registered later must not change them.
KNOWN = {"StageNameCasing", "UnusedSuppression", "FlagFirstInstruction", *(r.name for r in CROSSBUILD_RULES)}


def names(text: str, config: CheckConfig | None = None, **kwargs) -> list[str]:
    return [f.name for f in run_rules(dockerast.parse(text), config, **kwargs) if f.name in KNOWN]


def located(text: str, config: CheckConfig | None = None) -> list[tuple[str, int, Severity]]:
    lines = LineIndex(text)
    found = run_rules(dockerast.parse(text), config)
    return [(f.name, lines.position(f.start).line + 1, f.severity) for f in found if f.name in KNOWN]


# -- rules made for these tests ------------------------------------------------------------------


class FlagFirstInstruction(Rule):
    """
    ## What it does
    Flags the first instruction (a test rule).
    ## Why is this bad
    It is not.
    ## Example
    Any file.
    ## Fix safety
    No fix.
    """

    code = "T900"
    name = "FlagFirstInstruction"
    summary = "test rule"
    experimental = True

    def check(self, ctx):
        if ctx.tree.instructions:
            yield ctx.finding(0, None, "first")


class BreakSyntax(Rule):
    """
    ## What it does
    Offers a "safe" fix that leaves an unterminated heredoc (a test rule).
    ## Why is this bad
    It is not.
    ## Example
    Any file.
    ## Fix safety
    Claims safe, is broken.
    """

    code = "T901"
    name = "BreakSyntax"
    summary = "test rule"

    def check(self, ctx):
        if ctx.tree.instructions and "<<EOF" not in ctx.text:
            end = len(ctx.text)
            yield ctx.finding(0, None, "break", fix=Fix("break", (TextEdit(end, end, "RUN <<EOF\n"),), FixSafety.SAFE))


class NeverStable(Rule):
    """
    ## What it does
    Offers a fix after every fix (a test rule).
    ## Why is this bad
    It is not.
    ## Example
    Any file.
    ## Fix safety
    Safe, endless.
    """

    code = "T902"
    name = "NeverStable"
    summary = "test rule"

    def check(self, ctx):
        yield ctx.finding(None, None, "again", fix=Fix("again", (TextEdit(0, 0, "# again\n"),), FixSafety.SAFE))


# -- CheckConfig: select, ignore, severities, experimental -------------------------------------------


def test_default_runs_every_stable_rule():
    assert names(read("before")) == ["BuilderNotOnBuildPlatform", "PlatformArgDefaultShadows"]
    assert names(BAD_NAME) == ["StageNameCasing"]


@pytest.mark.parametrize("key", ["DA101", "BuilderNotOnBuildPlatform"])
def test_select_by_code_or_name(key):
    assert names(read("before"), CheckConfig(select=frozenset({key}))) == ["BuilderNotOnBuildPlatform"]


def test_select_all_and_mixed_keys():
    text = read("before").replace("AS builder", "AS Builder").replace("--from=builder", "--from=Builder")
    assert names(text, CheckConfig(select=frozenset({"ALL"}))) == names(text)
    assert sorted(names(text, CheckConfig(select=frozenset({"BK001", "PlatformArgDefaultShadows"})))) == [
        "PlatformArgDefaultShadows",
        "StageNameCasing",
    ]


@pytest.mark.parametrize("key", ["DA104", "PlatformArgDefaultShadows"])
def test_ignore_by_code_or_name(key):
    assert names(read("before"), CheckConfig(ignore=frozenset({key}))) == ["BuilderNotOnBuildPlatform"]


def test_ignore_wins_over_select():
    config = CheckConfig(select=frozenset({"DA101", "DA104"}), ignore=frozenset({"BuilderNotOnBuildPlatform"}))
    assert names(read("before"), config) == ["PlatformArgDefaultShadows"]


def test_severities_by_name_or_code():
    text = read("before")
    assert [s for *_, s in located(text)] == [Severity.WARNING, Severity.WARNING]
    config = CheckConfig(severities={"DA101": Severity.ERROR, "PlatformArgDefaultShadows": Severity.HINT})
    assert located(text, config) == [
        ("BuilderNotOnBuildPlatform", 2, Severity.ERROR),
        ("PlatformArgDefaultShadows", 5, Severity.HINT),
    ]
    # The name is looked up first.
    both = CheckConfig(severities={"DA101": Severity.ERROR, "BuilderNotOnBuildPlatform": Severity.INFO})
    assert located(text, both)[0][2] is Severity.INFO


def test_experimental_rules_need_opting_in():
    rules = [FlagFirstInstruction]
    assert names(BAD_NAME, rules=rules) == []
    assert names(BAD_NAME, CheckConfig(experimental=frozenset({"FlagFirstInstruction"})), rules=rules) == [
        "FlagFirstInstruction"
    ]
    assert names(BAD_NAME, CheckConfig(experimental=frozenset({"T900"})), rules=rules) == ["FlagFirstInstruction"]
    assert names(BAD_NAME, CheckConfig(experimental=frozenset({"all"})), rules=rules) == ["FlagFirstInstruction"]
    # Opting in does not bypass select.
    config = CheckConfig(select=frozenset({"DA101"}), experimental=frozenset({"all"}))
    assert names(BAD_NAME, config, rules=rules) == []


def test_experimental_opt_in_by_directive_and_not_skipped_by_skip():
    rules = [FlagFirstInstruction]
    assert names("# check=experimental=FlagFirstInstruction\n" + BAD_NAME, rules=rules) == ["FlagFirstInstruction"]
    # BuildKit's linter: skip never applies to experimental rules (linter.go, Linter.Run).
    text = "# check=skip=all;experimental=FlagFirstInstruction\n" + BAD_NAME
    assert names(text, rules=rules) == ["FlagFirstInstruction"]


# -- BuildKit's # check= directive ----------------------------------------------------------------


def test_directive_skip_names():
    text = "# check=skip=StageNameCasing,BuilderNotOnBuildPlatform\n" + read("before").replace("AS builder", "AS Builder")
    assert names(text) == ["PlatformArgDefaultShadows"]


def test_directive_skip_all():
    text = "# check=skip=all\n" + read("before").replace("AS builder", "AS Builder")
    assert names(text) == []


def test_directive_error_true_raises_every_finding_to_error():
    text = "# check=error=true\n" + read("after")
    found = located(text)
    assert {s for *_, s in found} == {Severity.ERROR}
    assert [n for n, *_ in found] == [
        "PlatformArgBeforeDependencyStep",
        "PlatformArgDefaultShadows",
        "PlatformArgBeforeDependencyStep",
    ]


def test_directive_with_all_three_options():
    text = "# syntax=docker/dockerfile:1\n# check=skip=StageNameCasing;error=true;experimental=FlagFirstInstruction\n"
    text += BAD_NAME + "ARG TARGETARCH=amd64\n"
    rules = [*engine.ALL_RULES, FlagFirstInstruction]
    found = [(f.name, f.severity) for f in run_rules(dockerast.parse(text), rules=rules) if f.name in KNOWN]
    assert found == [("FlagFirstInstruction", Severity.ERROR), ("PlatformArgDefaultShadows", Severity.ERROR)]


def test_directive_only_in_the_leading_block():
    # After another comment it is no directive, only a per-instruction comment for the FROM below.
    text = "# a comment\n# check=skip=StageNameCasing\nFROM alpine AS Foo\nFROM alpine AS Bar\n"
    assert dockerast.parse(text).directives == ()
    assert located(text) == [("StageNameCasing", 4, Severity.WARNING)]


# -- BuildKit's per-instruction # check=skip= ----------------------------------------------------

PER_INSTRUCTION = "FROM alpine AS base\n{comments}FROM alpine AS Foo\nFROM alpine AS Bar\n"


@pytest.mark.parametrize(
    "comments",
    [
        "# check=skip=StageNameCasing\n",
        "# check=skip=StageNameCasing // a reason, as in BuildKit's tests\n",
        "# check=skip=StageNameCasing\n# more words about it\n",
        "# a note\n# check=skip=StageNameCasing\n",
        # Blank lines do not reset PrevComment.
        "# check=skip=StageNameCasing\n\n",
    ],
    ids=["plain", "trailing-text", "comment-after", "comment-before", "blank-after"],
)
def test_per_instruction_skip_covers_the_next_instruction_only(comments):
    text = PER_INSTRUCTION.format(comments=comments)
    assert located(text) == [("StageNameCasing", text.count("\n"), Severity.WARNING)]


def test_per_instruction_skip_does_not_cross_an_instruction():
    text = "FROM alpine AS base\n# check=skip=StageNameCasing\nRUN true\nFROM alpine AS Foo\n"
    assert names(text) == ["StageNameCasing"]


def test_per_instruction_skip_applies_to_our_rules():
    text = "FROM alpine\n# check=skip=PlatformArgDefaultShadows\nARG TARGETARCH=amd64\nARG TARGETOS=linux\n"
    assert located(text) == [("PlatformArgDefaultShadows", 4, Severity.WARNING)]


def test_per_instruction_skip_across_a_blank_line_between_comments():
    text = PER_INSTRUCTION.format(comments="# check=skip=StageNameCasing\n\n# the stage below\n")
    assert names(text) == ["StageNameCasing"]  # only Bar


def test_per_instruction_skip_reset_by_an_empty_comment_line():
    text = PER_INSTRUCTION.format(comments="# check=skip=StageNameCasing\n#\n")
    assert names(text) == ["StageNameCasing", "StageNameCasing"]


def test_per_instruction_skip_all():
    text = PER_INSTRUCTION.format(comments="# check=skip=all\n")
    assert names(text) == ["StageNameCasing"]  # only Bar


def test_per_instruction_first_check_comment_wins():
    text = PER_INSTRUCTION.format(comments="# check=skip=JSONArgsRecommended\n# check=skip=StageNameCasing\n")
    assert names(text) == ["StageNameCasing", "StageNameCasing"]


# -- our pragma and UnusedSuppression ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pragma",
    [
        "# dockerast: ignore[StageNameCasing] -- the registry expects this name\n",
        "# dockerast: ignore[BK001]\n",
        "#dockerast:ignore[DA104, StageNameCasing]\n",
        "# dockerast: ignore[StageNameCasing] -- reason\n\n",
    ],
    ids=["name-and-reason", "code", "several", "blank-after"],
)
def test_pragma_suppresses_the_next_instruction(pragma):
    text = "FROM alpine AS base\n" + pragma + "FROM alpine AS Foo\nFROM alpine AS Bar\n"
    assert located(text) == [("StageNameCasing", text.count("\n"), Severity.WARNING)]


def test_unused_pragma_is_reported_where_it_stands():
    text = "FROM alpine AS base\n# dockerast: ignore[StageNameCasing] -- was Foo\nFROM alpine AS foo\n"
    findings = [f for f in run_rules(dockerast.parse(text)) if f.name in KNOWN]
    assert [(f.code, f.name, f.severity, f.message) for f in findings] == [
        ("DA900", "UnusedSuppression", Severity.INFO, "this suppression of StageNameCasing matches no finding")
    ]
    assert text[findings[0].start : findings[0].end] == "# dockerast: ignore[StageNameCasing] -- was Foo"
    assert findings[0].instruction_index == 1


def test_pragma_for_one_rule_does_not_hide_another():
    text = "FROM alpine\n# dockerast: ignore[StageNameCasing]\nARG TARGETARCH=amd64\n"
    assert names(text) == ["UnusedSuppression", "PlatformArgDefaultShadows"]


def test_unused_suppression_can_be_turned_off():
    text = "FROM alpine AS base\n# dockerast: ignore[StageNameCasing]\nFROM alpine AS foo\n"
    assert names(text, CheckConfig(ignore=frozenset({"UnusedSuppression"}))) == []
    # ...and is not judged when the caller runs a chosen list of rules.
    assert names(text, rules=list(engine.ALL_RULES)) == []


def test_pragma_of_a_rule_that_did_not_run_is_not_unused():
    text = "FROM alpine AS base\n# dockerast: ignore[StageNameCasing] -- legacy name\nFROM alpine AS Foo\n"
    assert names(text, CheckConfig(ignore=frozenset({"StageNameCasing"}))) == []
    assert names("# check=skip=all\n" + text) == []


# -- fix_all --------------------------------------------------------------------------------------------


def test_fix_all_applies_safe_fixes_only_by_default():
    after = read("after")
    fixed, applied = fix_all(dockerast.parse(after))
    assert str(fixed) == read("args-after-download")
    assert [f.code for f in applied] == ["DA102"]  # DA104's fix is unsafe


def test_fix_all_unsafe_and_overlapping_fixes_wait_for_the_next_pass():
    # DA102's move covers the ARG whose default DA104 removes: DA104 waits a pass.
    fixed, applied = fix_all(dockerast.parse(read("after")), unsafe=True)
    assert str(fixed) == read("args-after-download").replace("ARG TARGETOS=linux\n", "ARG TARGETOS\n")
    assert [f.code for f in applied] == ["DA102", "DA104"]


def test_fix_all_repeats_until_stable():
    fixed, applied = fix_all(dockerast.parse(read("before")))
    assert str(fixed) == read("args-after-download")
    assert [f.code for f in applied] == ["DA101", "DA102"]
    assert fix_all(fixed) == (fixed, [])


def test_fix_all_honours_config_directive_and_pragma():
    before = read("before")
    assert fix_all(dockerast.parse(before), CheckConfig(ignore=frozenset({"DA101"})))[1] == []
    assert fix_all(dockerast.parse("# check=skip=BuilderNotOnBuildPlatform\n" + before))[1] == []
    pragma = before.replace("FROM golang", "# dockerast: ignore[DA101] -- QEMU is fine\nFROM golang")
    assert fix_all(dockerast.parse(pragma))[1] == []


def test_fix_all_leaves_a_file_with_syntax_errors_untouched():
    tree = dockerast.parse("FROM alpine AS Foo\nENV PATH\n")
    assert tree.errors
    assert "StageNameCasing" in [f.name for f in run_rules(tree)]
    fixed, applied = fix_all(tree, unsafe=True)
    assert fixed is tree and applied == []


def test_fix_all_never_returns_a_tree_that_does_not_parse(monkeypatch):
    monkeypatch.setattr(engine, "ALL_RULES", (BreakSyntax,))
    tree = dockerast.parse(BAD_NAME)
    fixed, applied = fix_all(tree)
    assert str(fixed) == BAD_NAME and not fixed.errors and applied == []


def test_fix_all_with_a_broken_fix_in_the_pass_still_parses(monkeypatch):
    from dockerast.rules.buildkit import StageNameCasing  # noqa: PLC0415

    # StageNameCasing's rename and the broken fix do not overlap; one pass holds both,
    # so neither is applied, but the result always parses.
    monkeypatch.setattr(engine, "ALL_RULES", (StageNameCasing, BreakSyntax))
    fixed, applied = fix_all(dockerast.parse(BAD_NAME))
    assert not fixed.errors


def test_fix_all_drops_only_the_fix_that_breaks_the_syntax(monkeypatch):
    from dockerast.rules.buildkit import StageNameCasing  # noqa: PLC0415

    monkeypatch.setattr(engine, "ALL_RULES", (StageNameCasing, BreakSyntax))
    fixed, applied = fix_all(dockerast.parse(BAD_NAME))
    assert str(fixed) == "FROM alpine AS foo\n"
    assert [f.name for f in applied] == ["StageNameCasing"]


def test_fix_all_stops_after_a_bounded_number_of_passes(monkeypatch):
    monkeypatch.setattr(engine, "ALL_RULES", (NeverStable,))
    fixed, applied = fix_all(dockerast.parse(BAD_NAME))
    assert len(applied) == engine.MAX_FIX_PASSES
    assert str(fixed) == "# again\n" * engine.MAX_FIX_PASSES + BAD_NAME


def test_fix_all_applies_non_overlapping_fixes_of_one_rule_in_one_pass():
    text = "FROM alpine AS Foo\nFROM alpine AS Bar\nCOPY --from=Foo /a /a\n"
    fixed, applied = fix_all(dockerast.parse(text), CheckConfig(select=frozenset({"StageNameCasing"})))
    assert str(fixed) == "FROM alpine AS foo\nFROM alpine AS bar\nCOPY --from=foo /a /a\n"
    assert [f.name for f in applied] == ["StageNameCasing", "StageNameCasing"]


def test_fix_all_applies_only_fixable_rules(tmp_path):
    from dockerast.config import load_config

    text = "FROM alpine AS Foo\nfrom alpine as Bar\n"
    assert "AS foo" in str(fix_all(dockerast.parse(text), CheckConfig())[0])
    kept, applied = fix_all(dockerast.parse(text), CheckConfig(unfixable=frozenset({"StageNameCasing"})))
    assert "AS Foo" in str(kept) and "StageNameCasing" not in {f.name for f in applied}
    only, applied = fix_all(dockerast.parse(text), CheckConfig(fixable=frozenset({"bk001"})))
    assert {f.name for f in applied} == {"StageNameCasing"}
    config_file = tmp_path / ".dockerast.toml"
    config_file.write_text('unfixable = ["StageNameCasing"]\n', encoding="utf-8")
    project = load_config(config_file)
    assert project.check_config().unfixable == frozenset({"StageNameCasing"})
