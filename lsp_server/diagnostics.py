"""Syntax errors, build errors and rule findings as LSP diagnostics.

Severity, code, docs link and fix all come from the rule's finding; the
server adds nothing of its own but the conversion.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from dockerast.rules import ALL_RULES, CheckConfig, Finding, Severity, run_rules
from dockerast.rules.engine import CheckRun, check

from lsp_server.documents import Snapshot

log = logging.getLogger(__name__)

SOURCE = "dockerast"

_SEVERITY = {
    "ERROR": types.DiagnosticSeverity.Error,
    "WARNING": types.DiagnosticSeverity.Warning,
    "INFO": types.DiagnosticSeverity.Information,
    "HINT": types.DiagnosticSeverity.Hint,
}


def lsp_severity(severity: Severity) -> types.DiagnosticSeverity:
    return _SEVERITY.get(getattr(severity, "name", str(severity)).upper(), types.DiagnosticSeverity.Warning)


def run_checks(tree, config: CheckConfig, model=None, previous: CheckRun | None = None) -> CheckRun:
    """``check``, isolating a rule that raises so that the others still report."""
    try:
        return check(tree, config, model=model, previous=previous)
    except Exception:  # noqa: BLE001
        log.exception("a rule failed; running the rules one by one")
    findings: list[Finding] = []
    for rule in ALL_RULES:
        try:
            findings.extend(run_rules(tree, config, rules=[rule]))
        except Exception:  # noqa: BLE001
            log.exception("rule %s failed", getattr(rule, "name", rule))
    findings.sort(key=lambda f: (f.start, f.code))
    return CheckRun.of(tree, config, findings)


def finding_data(snapshot: Snapshot, finding: Finding) -> dict[str, Any]:
    """What a quick fix needs to find this finding again: its code and place, and the version."""
    # A pending fix is not computed here: publishing would pay for every fix;
    # the quick fix computes its own when it is resolved.
    pending = finding.fix_or_factory
    safety = finding.offered_fix_safety()
    if callable(pending):
        description = "fix available"
    else:
        description = pending.description if pending is not None and pending.edits else None
    return {
        "code": finding.code,
        "name": finding.name,
        "start": finding.start,
        "end": finding.end,
        "version": snapshot.version,
        "fix": description,
        "safety": safety,
        "instruction": finding.instruction_index,
    }


def finding_diagnostic(snapshot: Snapshot, finding: Finding, where: types.Range | None = None) -> types.Diagnostic:
    return types.Diagnostic(
        range=where or snapshot.range(finding.start, finding.end),
        message=finding.message,
        severity=lsp_severity(finding.severity),
        code=finding.code,
        code_description=types.CodeDescription(href=finding.url) if finding.url else None,
        source=SOURCE,
        data=finding_data(snapshot, finding),
    )


def syntax_diagnostics(snapshot: Snapshot) -> list[types.Diagnostic]:
    out = []
    for issue in snapshot.tree.errors:
        out.append(
            types.Diagnostic(
                range=snapshot.range(issue.start, issue.end),
                message=issue.message,
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            )
        )
    return out


def build_diagnostics(snapshot: Snapshot) -> list[types.Diagnostic]:
    """What BuildKit would refuse although the syntax is fine (semantic problems)."""
    model = snapshot.model
    if model is None:
        return []
    out = []
    for problem in model.problems:
        if problem.instruction_index >= len(snapshot.offsets):
            continue
        base = snapshot.offsets[problem.instruction_index]
        ins = snapshot.instruction(problem.instruction_index)
        span = problem.span or ins.content_span
        out.append(
            types.Diagnostic(
                range=snapshot.range(base + span.start, base + span.end),
                message=problem.message,
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            )
        )
    return out


def document_diagnostics(snapshot: Snapshot, findings: list[Finding]) -> list[types.Diagnostic]:
    out = syntax_diagnostics(snapshot)
    out.extend(build_diagnostics(snapshot))
    # All positions in one sorted sweep of the text.
    positions = snapshot.positions.position_map(offset for f in findings for offset in (f.start, f.end))
    for finding in findings:
        start, end = sorted((finding.start, finding.end))
        out.append(finding_diagnostic(snapshot, finding, types.Range(positions[start], positions[end])))
    return out
