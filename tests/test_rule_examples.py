"""Every rule's own examples are its tests: bad triggers exactly it, good does not, fixed is the fix."""

from __future__ import annotations

import pytest

import dockerast
from dockerast.rules import ALL_RULES, CheckConfig, Severity, fix_all, run_rules

RULES = [r for r in ALL_RULES if r.bad_example]


def _config(rule) -> CheckConfig:
    return CheckConfig(experimental=frozenset({rule.name}))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_bad_example_triggers_exactly_this_rule(rule):
    findings = run_rules(dockerast.parse(rule.bad_example), _config(rule))
    assert findings, f"{rule.name}: the bad example triggers nothing"
    assert {f.name for f in findings} == {rule.name}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_good_example_is_clean(rule):
    findings = run_rules(dockerast.parse(rule.good_example), _config(rule))
    assert [f for f in findings if f.name == rule.name] == []


@pytest.mark.parametrize("rule", [r for r in RULES if r.fixed_example is not None], ids=lambda r: r.name)
def test_fixed_example(rule):
    fixed, applied = fix_all(dockerast.parse(rule.bad_example), _config(rule), unsafe=True)
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
