"""Every rule's own examples are its tests: bad triggers exactly it, good does not, fixed is the fix."""

from __future__ import annotations

import pytest

import dockerast
from dockerast.rules import ALL_RULES, CheckConfig, Severity, fix_all, run_rules

RULES = [r for r in ALL_RULES if r.bad_example]


@pytest.fixture
def config_for(tmp_path):
    """The configuration a rule's examples run with, inputs it needs included."""

    def make(rule) -> CheckConfig:
        context_dir = None
        if rule.example_dockerignore is not None:
            (tmp_path / ".dockerignore").write_text(rule.example_dockerignore, encoding="utf-8")
            context_dir = str(tmp_path)
        return CheckConfig(
            experimental=frozenset({rule.name}),
            image_platforms=rule.example_image_platforms,
            context_dir=context_dir,
        )

    return make


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_bad_example_triggers_exactly_this_rule(rule, config_for):
    findings = run_rules(dockerast.parse(rule.bad_example), config_for(rule))
    assert findings, f"{rule.name}: the bad example triggers nothing"
    assert {f.name for f in findings} == {rule.name}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_good_example_is_clean(rule, config_for):
    findings = run_rules(dockerast.parse(rule.good_example), config_for(rule))
    assert [f for f in findings if f.name == rule.name] == []


@pytest.mark.parametrize("rule", [r for r in RULES if r.fixed_example is not None], ids=lambda r: r.name)
def test_fixed_example(rule, config_for):
    fixed, applied = fix_all(dockerast.parse(rule.bad_example), config_for(rule), unsafe=True)
    assert str(fixed) == rule.fixed_example
    assert applied and {f.name for f in applied} == {rule.name}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_rule_metadata(rule):
    assert rule.code and rule.name and rule.summary
    assert isinstance(rule.severity, Severity)
    docs = rule.docs()
    for heading in ("## What it does", "## Why is this bad", "## Example", "## Fix safety"):
        assert heading in docs, f"{rule.name}: docs lack {heading!r}"
    if rule.buildkit:
        assert rule.url.startswith("https://docs.docker.com/go/dockerfile/rule/")


def test_codes_and_names_are_unique():
    assert len({r.code for r in ALL_RULES}) == len(ALL_RULES)
    assert len({r.name for r in ALL_RULES}) == len(ALL_RULES)
