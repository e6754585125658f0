"""Run the rules over a tree: selection, suppression, severities, and fix-all.

Suppression, from the widest to the narrowest:

* configuration (:class:`CheckConfig`): ``select`` / ``ignore`` by code or
  name, per-rule ``severities``, ``experimental`` rules to enable;
* BuildKit's ``# check=skip=A,B;error=true;experimental=C`` directive at the
  top of the file (``skip=all`` too);
* BuildKit's per-instruction form: a ``# check=skip=A`` comment among the
  comments above an instruction (BuildKit's ``PrevComment``: all comment lines
  since the previous instruction, blank lines included, collection starting
  over at an empty ``#`` line; the first ``check`` comment counts);
* our pragma, for the next instruction, with an optional reason:
  ``# dockerast: ignore[A, B] -- why``; a pragma that suppresses nothing is
  itself reported (``UnusedSuppression``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from dockerast.cst.nodes import Dockerfile
from dockerast.cst.parser import parse
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.rules.base import CheckContext, Finding, FixSafety, Rule, Severity
from dockerast.rules.registry import ALL_RULES, rule_by_key

_CHECK_COMMENT = re.compile(r"^[ \t]*#[ \t]*check[ \t]*=[ \t]*(\S+)", re.I | re.M)
_PRAGMA = re.compile(r"^[ \t]*#[ \t]*dockerast:[ \t]*ignore\[([^\]]*)\](.*)$", re.M)
MAX_FIX_PASSES = 10


@dataclass(frozen=True)
class CheckConfig:
    """Which rules run and how loud they are; names and codes both work."""

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(default_factory=dict)
    experimental: frozenset[str] = frozenset()
    context_dir: str | None = None
    image_platforms: Mapping[str, list[str]] | None = None
    # Which rules' fixes ``fix_all`` may apply: all but ``unfixable``, or only ``fixable``.
    fixable: frozenset[str] | None = None
    unfixable: frozenset[str] = frozenset()

    def enabled(self, rule: type[Rule]) -> bool:
        keys = {rule.code.lower(), rule.name.lower()}
        if self.select is not None and not (keys & _lower(self.select) or "all" in _lower(self.select)):
            return False
        if keys & _lower(self.ignore):
            return False
        if rule.experimental and not (keys & _lower(self.experimental) or "all" in _lower(self.experimental)):
            return False
        return True

    def may_fix(self, code: str, name: str) -> bool:
        keys = {code.lower(), name.lower()}
        if keys & _lower(self.unfixable):
            return False
        return self.fixable is None or bool(keys & _lower(self.fixable)) or "all" in _lower(self.fixable)

    def severity_override(self, rule: type[Rule]) -> Severity | None:
        """The configured severity of a rule (by name, then code), if any; otherwise findings keep their own."""
        levels = {key.lower(): level for key, level in self.severities.items()}
        return levels.get(rule.name.lower(), levels.get(rule.code.lower()))


def _lower(names) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


@dataclass(frozen=True)
class _CheckDirective:
    skip: frozenset[str]
    skip_all: bool
    error: bool
    experimental: frozenset[str]


def _parse_check_value(value: str) -> _CheckDirective:
    skip: set[str] = set()
    experimental: set[str] = set()
    error = False
    for part in value.split(";"):
        key, _, val = part.partition("=")
        key = key.strip().lower()
        names = {v.strip() for v in val.split(",") if v.strip()}
        if key == "skip":
            skip |= names
        elif key == "error":
            error = val.strip().lower() == "true"
        elif key == "experimental":
            experimental |= names
    # BuildKit skips everything only for exactly ``skip=all``.
    return _CheckDirective(frozenset(skip), skip == {"all"}, error, frozenset(experimental))


def file_check_directive(tree: Dockerfile) -> _CheckDirective | None:
    """BuildKit's ``# check=`` parser directive, if the file has one."""
    directive = tree.directive("check")
    return _parse_check_value(directive.value.split(" ", 1)[0]) if directive else None


@dataclass(frozen=True, slots=True)
class Pragma:
    """A ``# dockerast: ignore[...]`` comment and the instruction it covers."""

    rules: frozenset[str]
    reason: str
    start: int
    end: int
    instruction_index: int


def _pragmas(tree: Dockerfile, offsets: list[int]) -> list[Pragma]:
    found = []
    for index, ins in enumerate(tree.instructions):
        if "dockerast:" not in ins.leading:
            continue
        base = offsets[index] - len(ins.leading)
        for match in _PRAGMA.finditer(ins.leading):
            rules = frozenset(r.strip() for r in match.group(1).split(",") if r.strip())
            reason = match.group(2).strip().lstrip("-").strip()
            found.append(Pragma(rules, reason, base + match.start(), base + match.end(), index))
    return found


def _instruction_skips(tree: Dockerfile) -> dict[int, _CheckDirective]:
    """BuildKit's per-instruction ``# check=`` comments, read as its parser collects ``PrevComment``."""
    skips = {}
    for index, ins in enumerate(tree.instructions):
        if "check" not in ins.leading:
            continue
        comments: list[str] = []
        for line in ins.leading.split("\n"):
            stripped = line.strip(" \t\r")
            if not stripped.startswith("#"):
                continue  # blank lines do not end the block
            if stripped[1:].strip() == "":
                comments = []  # an empty comment line starts it over
            else:
                comments.append(stripped)
        for comment in comments:
            match = _CHECK_COMMENT.match(comment)
            if match:
                skips[index] = _parse_check_value(match.group(1))
                break  # the first check comment is the one BuildKit merges
    return skips


def run_rules(
    tree: Dockerfile,
    config: CheckConfig | None = None,
    rules: Iterable[type[Rule]] | None = None,
) -> list[Finding]:
    """Every finding of the enabled rules, suppressions applied, in source order."""
    config = config or CheckConfig()
    directive = file_check_directive(tree)
    experimental = set(config.experimental)
    if directive:
        experimental |= directive.experimental
    config = replace(config, experimental=frozenset(experimental))
    ctx = CheckContext(tree, context_dir=config.context_dir, image_platforms=dict(config.image_platforms or {}) or None)
    per_instruction = _instruction_skips(tree)
    pragmas = _pragmas(tree, ctx.offsets)
    used: set[int] = set()
    ran: set[str] = set()
    findings = []
    for rule in rules if rules is not None else ALL_RULES:
        if not config.enabled(rule) or rule.name == "UnusedSuppression":
            continue
        # BuildKit never applies skip settings to experimental rules.
        if directive and (directive.skip_all or rule.name in directive.skip) and not rule.experimental:
            continue
        ran.update((rule.name, rule.code))
        override = config.severity_override(rule)
        ctx._rule = rule
        for finding in rule().check(ctx):
            index = finding.instruction_index
            local = per_instruction.get(index) if index is not None else None
            if local is not None and not rule.experimental and (local.skip_all or rule.name in local.skip):
                continue
            suppressed = False
            for number, pragma in enumerate(pragmas):
                if pragma.instruction_index == index and (rule.name in pragma.rules or rule.code in pragma.rules):
                    used.add(number)
                    suppressed = True
            if suppressed:
                continue
            severity = override if override is not None else finding.severity
            if directive and directive.error:
                severity = max(severity, Severity.ERROR)
            findings.append(replace(finding, severity=severity) if severity != finding.severity else finding)
    unused_rule = rule_by_key("UnusedSuppression")
    if unused_rule is not None and config.enabled(unused_rule) and rules is None:
        for number, pragma in enumerate(pragmas):
            # A pragma for rules that did not run here suppresses nothing, but is not stale.
            if number not in used and pragma.rules & ran:
                findings.append(
                    Finding(
                        unused_rule.code,
                        unused_rule.name,
                        f"this suppression of {', '.join(sorted(pragma.rules))} matches no finding",
                        pragma.start,
                        pragma.end,
                        config.severity_override(unused_rule) or unused_rule.severity,
                        unused_rule.url,
                        None,
                        pragma.instruction_index,
                    )
                )
    findings.sort(key=lambda f: (f.start, f.code))
    return findings


def fix_all(
    tree: Dockerfile,
    config: CheckConfig | None = None,
    *,
    unsafe: bool = False,
) -> tuple[Dockerfile, list[Finding]]:
    """Apply non-overlapping fixes, re-parse, and repeat until nothing changes (at most 10 passes).

    Returns the fixed tree and the findings whose fixes were applied.  A file
    with syntax errors is returned unchanged, and a pass whose result would
    not parse is dropped.
    """
    applied: list[Finding] = []
    config = config or CheckConfig()
    if tree.errors:
        return tree, applied
    for _ in range(MAX_FIX_PASSES):
        findings = run_rules(tree, config)
        chosen: list[Finding] = []
        edits: list[TextEdit] = []
        taken: list[tuple[int, int]] = []
        for finding in findings:
            if not config.may_fix(finding.code, finding.name):
                continue
            fix = finding.fix
            if fix is None or not fix.edits or (fix.safety is FixSafety.UNSAFE and not unsafe):
                continue
            ranges = [(e.start, e.end) for e in fix.edits]
            if any(_overlaps(r, t) for r in ranges for t in taken):
                continue
            taken.extend(ranges)
            edits.extend(fix.edits)
            chosen.append(finding)
        if not edits:
            break
        new_tree = parse(apply_edits(str(tree), edits))
        if new_tree.errors:
            # Keep the fixes that leave the file parsing, one at a time.
            chosen, new_tree = _parsing_subset(tree, chosen)
            if not chosen:
                break
        tree = new_tree
        applied.extend(chosen)
    return tree, applied


def _parsing_subset(tree: Dockerfile, findings: list[Finding]) -> tuple[list[Finding], Dockerfile]:
    kept: list[Finding] = []
    edits: list[TextEdit] = []
    result = tree
    for finding in findings:
        candidate = parse(apply_edits(str(tree), [*edits, *finding.fix.edits]))
        if not candidate.errors:
            kept.append(finding)
            edits.extend(finding.fix.edits)
            result = candidate
    return kept, result


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # Two insertions at one point, or an insertion inside a replacement, conflict too.
    return a[0] < b[1] and b[0] < a[1] or a[0] == b[0] or (a[0] == a[1] and b[0] < a[0] < b[1])
