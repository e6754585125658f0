"""What one publishDiagnostics costs ``dockerast-lsp``, in process, without the server loop or the debounce.

For each generated document: a first version (as on didOpen) and a one-character
edit of a comment line in its second half (as on didChange: the new version
re-read from the previous version's tree, model and check run, as the server
does; that previous version is parsed and checked beforehand, untimed), each
split into parsing plus ``run_checks`` (the model and the rules) and
``document_diagnostics`` (turning findings into LSP diagnostics).
Repeats a measurement until 3 samples or --budget-s seconds (at least one).

    python benchmarks/lsp_publish_cost.py DOCS_DIR [--budget-s 10]

Run it with the Python of the dockerast installation to measure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from dockerast.rules import CheckConfig
from lsp_server.diagnostics import document_diagnostics, run_checks
from lsp_server.documents import Snapshot


def edited(text: str) -> str:
    lines = text.split("\n")
    index = next((k for k, line in enumerate(lines) if line.startswith("#") and k >= len(lines) // 2), len(lines) - 1)
    lines[index] += "x"
    return "\n".join(lines)


KEY = ("check", 0)


def checked(snap: Snapshot):
    """The check run of a version, from the newest earlier one's, as the server computes it."""
    return snap.memo(KEY, lambda: run_checks(snap.tree, CheckConfig(), snap.model, snap.earlier(KEY)))


def sample(text: str, previous: Snapshot | None, version: int) -> tuple[float, float, int, Snapshot]:
    clock = time.perf_counter
    t0 = clock()
    snap = Snapshot("file:///bench/Dockerfile", text, version, previous=previous)
    findings = list(checked(snap).findings)
    t1 = clock()
    diagnostics = document_diagnostics(snap, findings)
    t2 = clock()
    return 1000 * (t1 - t0), 1000 * (t2 - t1), len(diagnostics), snap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", type=Path)
    parser.add_argument("--budget-s", type=float, default=10.0)
    parser.add_argument("--glob", default="*Dockerfile*")
    args = parser.parse_args(argv)
    print("| document | lines | version | n | checks ms (median) | diagnostics ms (median) | total ms | diagnostics |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for path in sorted(args.docs.glob(args.glob)):
        text = path.read_text()
        lines = text.count("\n") + (not text.endswith("\n"))
        base = None
        for label in ("open", "one-character edit"):
            checks, diags, count, spent = [], [], 0, 0.0
            while len(checks) < 3 and (not checks or spent < args.budget_s):
                if label == "open":
                    c, d, count, _ = sample(text, None, 1)
                else:
                    if base is None:  # the version before the edit, parsed and checked (untimed)
                        base = Snapshot("file:///bench/Dockerfile", text, 1)
                        checked(base)
                    c, d, count, _ = sample(edited(text), base, 2)
                checks.append(c)
                diags.append(d)
                spent += (c + d) / 1000
            mc, md = statistics.median(checks), statistics.median(diags)
            print(f"| {path.name} | {lines} | {label} | {len(checks)} | {mc:.1f} | {md:.1f} | {mc + md:.1f} | {count} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
