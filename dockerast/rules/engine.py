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
from types import MappingProxyType
from typing import Iterable, Mapping

from dockerast.cst.nodes import Dockerfile
from dockerast.cst.parser import parse, read_instructions
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.semantic.model import SemanticModel, analyze
from dockerast.rules.base import CheckContext, Finding, Fix, FixSafety, Rule, Severity
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
    return list(_check(tree, config or CheckConfig(), rules, None).findings)


def check(
    tree: Dockerfile,
    config: CheckConfig | None = None,
    *,
    previous: CheckRun | None = None,
    model: SemanticModel | None = None,
) -> CheckRun:
    """:func:`run_rules` for an editor: given the run of an earlier version of the
    same document, the stage-scoped rules look again only at the stages the
    edits changed (see :class:`CheckRun`).  The findings are the same as a
    fresh run's.  ``model`` is ``analyze(tree)`` if the caller has it (built
    with ``previous=`` the earlier version's model)."""
    return _check(tree, config or CheckConfig(), None, previous, model)


@dataclass(frozen=True, eq=False)
class CheckRun:
    """The findings of one version of a document, and what the next version's
    :func:`check` reuses: the semantic model, and the findings of each
    stage-scoped rule per stage, before suppression."""

    tree: Dockerfile
    config: CheckConfig
    findings: tuple[Finding, ...]
    _ctx: CheckContext
    _by_stage: Mapping[str, Mapping[int, tuple[Finding, ...]]]

    @property
    def model(self) -> SemanticModel:
        return self._ctx.model

    @classmethod
    def of(cls, tree: Dockerfile, config: CheckConfig, findings: Iterable[Finding]) -> CheckRun:
        """A run made some other way (rule by rule): nothing of it is reused."""
        return cls(tree, config, tuple(findings), CheckContext(tree), MappingProxyType({}))


def _check(
    tree: Dockerfile,
    config: CheckConfig,
    rules: Iterable[type[Rule]] | None,
    previous: CheckRun | None,
    model: SemanticModel | None = None,
) -> CheckRun:
    # The rules read every instruction's syntax: all of it in one pass of the
    # grammar (the model reads only what it needs, and one instruction at a
    # time costs more).  In an incremental run only the new nodes are unread.
    read_instructions(tree.instructions)
    directive = file_check_directive(tree)
    experimental = set(config.experimental)
    if directive:
        experimental |= directive.experimental
    effective = replace(config, experimental=frozenset(experimental))
    reuse = previous is not None and previous.config == config and rules is None
    if model is None and reuse and previous is not None:
        model = analyze(tree, previous=previous.model)
    ctx = CheckContext(
        tree, model, context_dir=config.context_dir, image_platforms=dict(config.image_platforms or {}) or None
    )
    clean = _clean_stages(previous, ctx) if reuse and previous is not None else {}
    if clean:
        assert previous is not None
        ctx.stage_facts.carry_over(previous._ctx.stage_facts, clean)
    per_instruction = _instruction_skips(tree)
    pragmas = _pragmas(tree, ctx.offsets)
    used: set[int] = set()
    ran: set[str] = set()
    findings = []
    by_stage: dict[str, Mapping[int, tuple[Finding, ...]]] = {}
    for rule in rules if rules is not None else ALL_RULES:
        if not effective.enabled(rule) or rule.name == "UnusedSuppression":
            continue
        # BuildKit never applies skip settings to experimental rules.
        if directive and (directive.skip_all or rule.name in directive.skip) and not rule.experimental:
            continue
        ran.update((rule.name, rule.code))
        override = effective.severity_override(rule)
        if rule.scope == "stage":
            found, by_stage[rule.code] = _stage_scoped(rule, ctx, previous, clean)
        else:
            ctx._rule, ctx._units = rule, None
            found = list(rule().check(ctx))
        for finding in found:
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
    if unused_rule is not None and effective.enabled(unused_rule) and rules is None:
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
                        effective.severity_override(unused_rule) or unused_rule.severity,
                        unused_rule.url,
                        None,
                        pragma.instruction_index,
                    )
                )
    findings.sort(key=lambda f: (f.start, f.code))
    return CheckRun(tree, config, tuple(findings), ctx, MappingProxyType(by_stage))


# -- reusing the findings of an earlier version ---------------------------------------


def _clean_stages(previous: CheckRun, ctx: CheckContext) -> dict[int, tuple[int, int]]:
    """The stages whose findings ``previous`` already has, each with how far its
    first instruction moved: (offset shift, index shift).

    A stage is clean when the model reused it (its text and inputs are
    unchanged), its comments are unchanged too, and so is every stage it reads;
    and only when the file's header, the instructions before the first FROM and
    the stage names are all unchanged.
    """
    old_tree, tree = previous.tree, ctx.tree
    model, old_model = ctx.model, previous.model
    memo, old_memo = model._memo, old_model._memo
    if memo is None or old_memo is None or memo.names != old_memo.names or len(memo.stages) != len(old_memo.stages):
        return {}
    if (old_tree.bom, old_tree.escape, [d.text for d in old_tree.directives]) != (
        tree.bom,
        tree.escape,
        [d.text for d in tree.directives],
    ):
        return {}
    stages, old_stages = model.stages, old_model.stages
    first = stages[0].from_index if stages else len(tree.instructions)
    old_first = old_stages[0].from_index if old_stages else len(old_tree.instructions)
    if first != old_first or any(
        (a.leading, a.text) != (b.leading, b.text) for a, b in zip(tree.instructions[:first], old_tree.instructions)
    ):
        return {}
    offsets, old_offsets = ctx.offsets, previous._ctx.offsets
    clean: dict[int, tuple[int, int]] = {}
    for position, stage in enumerate(stages):
        old = old_stages[position]
        if memo.stages[position] is not old_memo.stages[position]:
            continue
        if any(a.leading != b.leading for a, b in zip(stage.instructions, old.instructions) if a is not b):
            continue
        if not all(d in clean for d in model.dependencies(position)):
            continue
        clean[position] = (offsets[stage.from_index] - old_offsets[old.from_index], stage.from_index - old.from_index)
    return clean


def _stage_scoped(
    rule: type[Rule], ctx: CheckContext, previous: CheckRun | None, clean: Mapping[int, tuple[int, int]]
) -> tuple[list[Finding], Mapping[int, tuple[Finding, ...]]]:
    """The findings of a stage-scoped rule, and them by stage: found again on the
    stages not clean, taken from ``previous`` (moved into place) on the others."""
    model = ctx.model
    cached = previous._by_stage.get(rule.code) if previous is not None else None
    if cached is None:
        clean = {}
    elif rule.cites_lines:
        # Only a stage with findings can have a message that names a line.
        moved_lines = {s for s in cached if s in clean and _moved_lines(previous, ctx, s, clean[s])}
        clean = {s: move for s, move in clean.items() if s not in moved_lines}
    ctx._rule = rule
    ctx._units = frozenset(s for s in range(len(model.stages)) if s not in clean) if clean else None
    by_stage: dict[int, list[Finding]] = {}
    found: list[Finding] = []
    for finding in rule().check(ctx):
        index = finding.instruction_index
        stage = model.stage_of(index) if index is not None else None
        if stage is not None:
            by_stage.setdefault(stage.index, []).append(finding)
        found.append(finding)
    if cached:
        for position, findings in cached.items():
            move = clean.get(position)
            if move is not None:
                moved = [_moved(f, move[0], move[1], rule, ctx, position) for f in findings]
                by_stage[position] = moved
                found.extend(moved)
    return found, {position: tuple(findings) for position, findings in by_stage.items()}


def _moved_lines(previous: CheckRun, ctx: CheckContext, position: int, move: tuple[int, int]) -> bool:
    old = previous.model.stages[position]
    start, old_start = ctx.offsets[old.from_index + move[1]], previous._ctx.offsets[old.from_index]
    return ctx.lines.position(start).line != previous._ctx.lines.position(old_start).line


def _moved(finding: Finding, shift: int, index_shift: int, rule: type[Rule], ctx: CheckContext, stage: int) -> Finding:
    """``finding`` of an unchanged stage, where that stage now stands.  Its fix is
    computed again when asked for, on this version (a fix computed on the old
    version would keep every older version alive)."""
    index = finding.instruction_index
    assert index is not None
    start, end = finding.start + shift, finding.end + shift
    moved = Finding(
        finding.code, finding.name, finding.message, start, end, finding.severity, finding.url,
        None, index + index_shift,
    )
    if finding.fix_or_factory is None:
        return moved
    # (the factory names the finding by value: a reference to it would be a cycle,
    # which keeps this version alive until a full garbage collection)
    where = (start, end, finding.message)
    object.__setattr__(moved, "fix_or_factory", lambda: _fix_again(where, rule, ctx, stage))
    return moved


def _fix_again(where: tuple[int, int, str], rule: type[Rule], ctx: CheckContext, stage: int) -> Fix | None:
    """The fix of the finding at ``where`` (start, end, message), found again on this version."""
    for candidate in rule().check(ctx.restricted(rule, frozenset({stage}))):
        if (candidate.start, candidate.end, candidate.message) == where:
            return candidate.fix
    return None


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
