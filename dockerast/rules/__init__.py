"""Checks: BuildKit's build checks and our cross-build rules, each with its docs and fix."""

from dockerast.rules.base import CheckContext, Finding, Fix, FixSafety, Rule, Severity
from dockerast.rules.engine import CheckConfig, fix_all, run_rules
from dockerast.rules.registry import ALL_RULES, rule_by_key

__all__ = [
    "ALL_RULES",
    "CheckConfig",
    "CheckContext",
    "Finding",
    "Fix",
    "FixSafety",
    "Rule",
    "Severity",
    "fix_all",
    "rule_by_key",
    "run_rules",
]
