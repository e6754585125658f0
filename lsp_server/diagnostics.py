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


# -- diagnostics as the client reads them ---------------------------------------------------------
#
# A document's diagnostics are built as plain JSON data, the very objects lsprotocol's converter
# writes for ``types.Diagnostic`` (same keys, same order, the same fields left out): publishing a
# version's diagnostics then costs one ``json.dumps``, not an object per range, position and link
# and their conversion.


def _position(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


def diagnostic_json(
    start: dict[str, int],
    end: dict[str, int],
    message: str,
    severity: int,
    code: str | None = None,
    url: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A diagnostic as JSON data: ``start``/``end`` are positions as JSON data."""
    out: dict[str, Any] = {"range": {"start": start, "end": end}, "message": message, "severity": severity}
    if code is not None:
        out["code"] = code
    if url:
        out["codeDescription"] = {"href": url}
    out["source"] = SOURCE
    if data is not None:
        out["data"] = data
    return out


def syntax_diagnostics(snapshot: Snapshot) -> list[dict[str, Any]]:
    errors = snapshot.tree.errors
    position = snapshot.positions.position_map((o for issue in errors for o in (issue.start, issue.end)), _position)
    error = types.DiagnosticSeverity.Error.value
    out = []
    for issue in errors:
        start, end = sorted((issue.start, issue.end))
        out.append(diagnostic_json(position[start], position[end], issue.message, error))
    return out


def build_diagnostics(snapshot: Snapshot) -> list[dict[str, Any]]:
    """What BuildKit would refuse although the syntax is fine (semantic problems)."""
    model = snapshot.model
    if model is None:
        return []
    spans = []
    for problem in model.problems:
        if problem.instruction_index >= len(snapshot.offsets):
            continue
        base = snapshot.offsets[problem.instruction_index]
        span = problem.span or snapshot.instruction(problem.instruction_index).content_span
        start, end = sorted((base + span.start, base + span.end))
        spans.append((start, end, problem.message))
    position = snapshot.positions.position_map((o for start, end, _ in spans for o in (start, end)), _position)
    error = types.DiagnosticSeverity.Error.value
    return [diagnostic_json(position[start], position[end], message, error) for start, end, message in spans]


def document_diagnostics(snapshot: Snapshot, findings: list[Finding]) -> list[dict[str, Any]]:
    """Syntax errors, build errors and findings, as JSON data (what ``converter.unstructure`` gives for
    the ``types.Diagnostic`` of each: :func:`finding_diagnostic` for a finding)."""
    out = syntax_diagnostics(snapshot)
    out.extend(build_diagnostics(snapshot))
    # All positions in one sorted sweep of the text.
    position = snapshot.positions.position_map((offset for f in findings for offset in (f.start, f.end)), _position)
    for finding in findings:
        start, end = sorted((finding.start, finding.end))
        out.append(
            diagnostic_json(
                position[start],
                position[end],
                finding.message,
                lsp_severity(finding.severity).value,
                finding.code,
                finding.url,
                finding_data(snapshot, finding),
            )
        )
    return out
