"""Findings as text, JSON, SARIF 2.1.0 or GitHub workflow commands; the run summary and report."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from dockerast.codemod.results import CHANGED, FAILED, SKIPPED, UNCHANGED, FileResult, FindingRecord, Region

SYNTAX_CODE = "syntax-error"
SYNTAX_NAME = "SyntaxError"
SEVERITIES = ("hint", "info", "warning", "error")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def severity_rank(name: str) -> int:
    return SEVERITIES.index(name) if name in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True)
class Problem:
    """A finding or a syntax error, with its file: one line of any output format."""

    path: str
    code: str
    name: str
    message: str
    severity: str
    region: Region
    source: str = ""
    url: str = ""
    finding: FindingRecord | None = None


def problems(results: Iterable[FileResult]) -> list[Problem]:
    found = []
    for result in results:
        for error in result.syntax_errors:
            found.append(Problem(result.path, SYNTAX_CODE, SYNTAX_NAME, error.message, "error", error.region, error.source))
        for f in result.findings:
            found.append(Problem(result.path, f.code, f.name, f.message, f.severity, f.region, f.source, f.url, f))
    found.sort(key=lambda p: (p.path, p.region.line, p.region.column, p.code))
    return found


# -- text ---------------------------------------------------------------------


def caret_line(source: str, region: Region) -> str:
    """``^^^`` under the finding's part of its first line (tabs kept so it lines up)."""
    start = region.column - 1
    end = region.end_column - 1 if region.end_line == region.line else len(source)
    prefix = "".join(ch if ch == "\t" else " " for ch in source[:start])
    return prefix + "^" * max(1, end - start)


def format_text(items: list[Problem], *, show_source: bool) -> str:
    out = []
    for p in items:
        where = f"{p.path}:{p.region.line}:{p.region.column}:"
        if p.code == SYNTAX_CODE:
            out.append(f"{where} error: {p.message}")
        else:
            out.append(f"{where} {p.code} {p.name} {p.message}")
        if show_source and p.source:
            out.append(f"  {p.source}")
            out.append(f"  {caret_line(p.source, p.region)}")
    return "\n".join(out) + ("\n" if out else "")


# -- JSON ---------------------------------------------------------------------


def _region_json(region: Region) -> dict:
    return {
        "start": {"line": region.line, "column": region.column},
        "end": {"line": region.end_line, "column": region.end_column},
    }


def format_json(items: list[Problem]) -> str:
    data = []
    for p in items:
        entry = {
            "path": p.path,
            "code": p.code,
            "name": p.name,
            "message": p.message,
            "severity": p.severity,
            "url": p.url or None,
            "location": _region_json(p.region),
            "fix": None,
        }
        fix = p.finding.fix if p.finding else None
        if fix is not None:
            entry["fix"] = {
                "description": fix.description,
                "safety": fix.safety,
                "edits": [{"content": e.new_text, **_region_json(e.region)} for e in fix.edits],
            }
        data.append(entry)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- GitHub workflow commands -------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(items: list[Problem]) -> str:
    out = []
    for p in items:
        level = GITHUB_LEVEL.get(p.severity, "warning")
        r = p.region
        title = f"{p.code} {p.name}"
        out.append(
            f"::{level} file={_gh_property(p.path)},line={r.line},col={r.column},"
            f"endLine={r.end_line},endColumn={r.end_column},title={_gh_property(title)}::{_gh_data(p.message)}"
        )
    return "\n".join(out) + ("\n" if out else "")


# -- SARIF 2.1.0 --------------------------------------------------------------


def _artifact(path: str, root: str) -> dict:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root)
    if relative.startswith(".."):
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(relative.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}


def _sarif_region(region: Region, snippet: str | None = None) -> dict:
    data = {
        "startLine": region.line,
        "startColumn": region.column,
        "endLine": region.end_line,
        "endColumn": region.end_column,
    }
    if snippet:
        data["snippet"] = {"text": snippet}
    return data


def _first_paragraph(docs: str) -> str:
    for block in docs.split("\n\n"):
        block = block.strip()
        if block and not block.startswith("#"):
            return " ".join(line.strip() for line in block.splitlines())
    return ""


def sarif_rules(rules) -> list[dict]:
    descriptors = []
    for rule in rules:
        docs = rule.docs()
        what = docs.split("## What it does", 1)[-1].split("\n## ", 1)[0] if "## What it does" in docs else docs
        descriptor = {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": _first_paragraph(what) or rule.summary},
            "help": {"text": docs or rule.summary, "markdown": docs or rule.summary},
            "defaultConfiguration": {"level": SARIF_LEVEL[str(rule.severity)]},
            "properties": {
                "tags": [t for t in ("buildkit" if rule.buildkit else "dockerast", "experimental" if rule.experimental else "") if t],
                "fixSafety": rule.fix_safety.value if rule.fix_safety else "none",
            },
        }
        if rule.url:
            descriptor["helpUri"] = rule.url
        descriptors.append(descriptor)
    descriptors.append(
        {
            "id": SYNTAX_CODE,
            "name": SYNTAX_NAME,
            "shortDescription": {"text": "The file does not parse"},
            "defaultConfiguration": {"level": "error"},
        }
    )
    return descriptors


def format_sarif(items: list[Problem], results: list[FileResult], rules, *, root: str | None = None, version: str = "") -> str:
    root = os.path.abspath(root or os.getcwd())
    descriptors = sarif_rules(rules)
    index_of = {d["id"]: i for i, d in enumerate(descriptors)}
    sarif_results = []
    for p in items:
        location = {"physicalLocation": {"artifactLocation": _artifact(p.path, root), "region": _sarif_region(p.region, p.source)}}
        result = {
            "ruleId": p.code,
            "level": SARIF_LEVEL.get(p.severity, "warning"),
            "message": {"text": p.message},
            "locations": [location],
        }
        if p.code in index_of:
            result["ruleIndex"] = index_of[p.code]
        fix = p.finding.fix if p.finding else None
        if fix is not None:
            replacements = []
            for edit in fix.edits:
                replacement = {"deletedRegion": _sarif_region(edit.region)}
                if edit.new_text:
                    replacement["insertedContent"] = {"text": edit.new_text}
                replacements.append(replacement)
            result["fixes"] = [
                {
                    "description": {"text": f"{fix.description} ({fix.safety} fix)"},
                    "artifactChanges": [{"artifactLocation": _artifact(p.path, root), "replacements": replacements}],
                }
            ]
        sarif_results.append(result)
    notifications = []
    for r in results:
        if r.status == SKIPPED or (r.status == FAILED and r.error_kind != "syntax"):
            notifications.append(
                {
                    "level": "error" if r.status == FAILED else "note",
                    "message": {"text": f"{r.status}: {r.reason}"},
                    "locations": [{"physicalLocation": {"artifactLocation": _artifact(r.path, root)}}],
                }
            )
    driver = {"name": "dockerast", "rules": descriptors}
    if version:
        driver["version"] = version
        driver["semanticVersion"] = version
    invocation = {"executionSuccessful": not any(r.status == FAILED and r.error_kind != "syntax" for r in results)}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [invocation],
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# -- summary and report -------------------------------------------------------


@dataclass
class Summary:
    """Counts of a run, for people (``text``) and for ``--report``."""

    command: str
    started: float = field(default_factory=time.perf_counter)
    results: list[FileResult] = field(default_factory=list)
    notes: list = field(default_factory=list)  # discovery notes (skipped before reading)
    commits: list = field(default_factory=list)
    seconds: float = 0.0

    def finish(self, results: list[FileResult]) -> None:
        self.results = results
        self.seconds = time.perf_counter() - self.started

    def counts(self) -> dict[str, int]:
        status = Counter(r.status for r in self.results)
        return {
            "seen": len(self.results) + len(self.notes),
            CHANGED: status[CHANGED],
            UNCHANGED: status[UNCHANGED],
            SKIPPED: status[SKIPPED] + len(self.notes),
            FAILED: status[FAILED],
        }

    def per_label(self) -> dict[str, int]:
        if self.command == "check":
            counter = Counter(f"{f.code} {f.name}" for r in self.results for f in r.findings)
            counter.update(SYNTAX_NAME for r in self.results for _ in r.syntax_errors[:1])
        else:
            counter = Counter(label for r in self.results for label in r.labels)
        return dict(sorted(counter.items()))

    def text(self, *, changed_word: str = "changed") -> str:
        c = self.counts()
        seen = f"{c['seen']} file{'s' if c['seen'] != 1 else ''} seen"
        if self.command == "check":
            flagged = sum(1 for r in self.results if r.status == UNCHANGED and r.findings)
            parts = [seen, f"{flagged} with problems", f"{c[UNCHANGED] - flagged} clean"]
        else:
            parts = [seen, f"{c[CHANGED]} {changed_word}", f"{c[UNCHANGED]} unchanged"]
        parts += [f"{c[SKIPPED]} skipped", f"{c[FAILED]} failed"]
        lines = [", ".join(parts) + f" in {self.seconds:.2f}s"]
        for label, count in self.per_label().items():
            lines.append(f"  {count:>5}  {label}")
        return "\n".join(lines)

    def report(self, extra: dict | None = None) -> dict:
        return {
            "command": self.command,
            "seconds": round(self.seconds, 3),
            "summary": self.counts(),
            "per_rule_or_operation": self.per_label(),
            "files": [r.to_json() for r in self.results]
            + [{"path": n.path, "status": SKIPPED, "reason": n.reason} for n in self.notes],
            "commits": [c if isinstance(c, dict) else c.__dict__ for c in self.commits],
            **(extra or {}),
        }
