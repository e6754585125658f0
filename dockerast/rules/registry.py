"""The explicit list of every rule, and look-ups by code or name."""

from __future__ import annotations

from dockerast.rules.base import Rule
from dockerast.rules.buildkit import RULES as BUILDKIT_RULES
from dockerast.rules.crossbuild import RULES as CROSSBUILD_RULES
from dockerast.rules.unused_suppression import UnusedSuppression

ALL_RULES: tuple[type[Rule], ...] = (*BUILDKIT_RULES, *CROSSBUILD_RULES, UnusedSuppression)


_BY_KEY = {key.lower(): rule for rule in ALL_RULES for key in (rule.code, rule.name)}


def rule_by_key(key: str) -> type[Rule] | None:
    """A rule by its code (``BK001``) or name (``StageNameCasing``), any case."""
    return _BY_KEY.get(key.lower())
