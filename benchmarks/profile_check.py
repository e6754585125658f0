"""Where the time of ``dockerast check`` and of the server's diagnostics goes.

Three reports:

``phases``  (default) the per-file work of ``dockerast check`` on every file of
    the corpus, in this process, split into phases, each timed on its own
    (everything a later phase reads lazily is computed by an earlier one):

    read+decode, parse (the split into instructions), grammar (``ins.syntax``
    of every instruction and ONBUILD trigger), syntax errors, analyze (the
    semantic model), engine (check directives, pragmas, offsets, text, line
    index), then each rule's ``check`` (its findings) and, apart, its fixes
    (``Finding.fix``, computed on first read: ``check`` reads every fix to
    count the fixable findings and to put them in the report), and the
    report records (``finding_record``).  Prints the phases and the rules
    ranked by their cost over the corpus, with their share of the total.

``cprofile``  cProfile of the same work as ``dockerast check --jobs 1``
    (``runner.process`` on every file), top functions by cumulative time,
    with their share of the whole.

``lsp``  cProfile of the ``dockerast-lsp`` process while the shared harness
    times didChange(full) and didChange(incremental) -> publishDiagnostics on a
    generated document (default the ~2,000-line one), top functions by
    cumulative time with their share of the server's time in ``publish``.
    ``--ops`` times other operations instead (the harness's names, e.g.
    ``didOpen->diagnostics`` or ``codeAction``); the share is then of the
    server's time handling messages and publishing.

Run it with the Python of the dockerast installation to profile (the project's
venv for the working tree), from outside the checkout for another installation.

Usage::

    python benchmarks/profile_check.py phases [--corpus DIR] [--top 10]
    python benchmarks/profile_check.py cprofile [--corpus DIR] [--top 30]
    python benchmarks/profile_check.py lsp [--size 2000] [-n 20] [--top 30] [--ops OPS]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCKERAST_SHARED", ROOT.parent / "shared"))
DEFAULT_CORPUS = SHARED / "corpus" / "real"


def corpus_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


# -- phases ---------------------------------------------------------------------------------


def phases(files: list[Path], top: int) -> str:
    from dataclasses import replace  # noqa: PLC0415

    import dockerast  # noqa: PLC0415
    from dockerast.codemod.actions import finding_record  # noqa: PLC0415
    from dockerast.codemod.files import BinaryFile, decode  # noqa: PLC0415
    from dockerast.cst.positions import LineIndex  # noqa: PLC0415
    from dockerast.rules import CheckConfig  # noqa: PLC0415
    from dockerast.rules.base import CheckContext  # noqa: PLC0415
    from dockerast.rules.engine import _instruction_skips, _pragmas, file_check_directive  # noqa: PLC0415
    from dockerast.rules.registry import ALL_RULES  # noqa: PLC0415
    from dockerast.semantic.model import analyze  # noqa: PLC0415

    cost: dict[str, float] = defaultdict(float)
    fix_cost: dict[str, float] = defaultdict(float)
    worst: dict[str, tuple[float, str]] = {}
    counts: dict[str, int] = defaultdict(int)
    fixes: dict[str, int] = defaultdict(int)
    clock = time.perf_counter
    base_config = CheckConfig()
    rules = [r for r in ALL_RULES if base_config.enabled(r) and r.name != "UnusedSuppression"]
    started = clock()
    for path in files:
        t0 = clock()
        data = path.read_bytes()
        try:
            text = decode(data).text
        except BinaryFile:
            continue
        t1 = clock()
        tree = dockerast.parse(text)
        t2 = clock()
        for ins in tree.instructions:
            syntax = ins.syntax
            while syntax.trigger is not None:
                syntax = syntax.trigger.syntax
        t3 = clock()
        _errors = tree.errors
        t4 = clock()
        model = analyze(tree)
        t5 = clock()
        directive = file_check_directive(tree)
        config = replace(base_config, experimental=frozenset(base_config.experimental | (directive.experimental if directive else frozenset())))
        ctx = CheckContext(tree, model)
        _instruction_skips(tree)
        _pragmas(tree, ctx.offsets)
        _ = ctx.text, ctx.lines
        t6 = clock()
        for phase, seconds in (("read+decode", t1 - t0), ("parse (split)", t2 - t1), ("grammar (ins.syntax)", t3 - t2),
                               ("syntax errors", t4 - t3), ("analyze", t5 - t4), ("engine setup", t6 - t5)):
            cost[phase] += seconds
        found = []
        for rule in rules:
            if not config.enabled(rule):
                continue
            ctx._rule = rule
            r0 = clock()
            try:
                findings = list(rule().check(ctx))
            except Exception:  # noqa: BLE001  (a broken file: check's on_broken swallows it too)
                findings = []
            r1 = clock()
            for finding in findings:
                try:
                    if finding.fix is not None:
                        fixes[rule.name] += 1
                except Exception:  # noqa: BLE001
                    pass
            r2 = clock()
            key = f"{rule.code} {rule.name}"
            cost[key] += r1 - r0
            fix_cost[key] += r2 - r1
            counts[key] += len(findings)
            if r2 - r0 > worst.get(key, (0.0, ""))[0]:
                worst[key] = (r2 - r0, path.name)
            found.extend(findings)
        r3 = clock()
        index = LineIndex(text)
        for finding in found:
            try:
                finding_record(finding, text, index, with_fix=False)  # text output: no fix edits
            except TypeError:  # a build whose records always carry the fix
                finding_record(finding, text, index)
        cost["report records"] += clock() - r3
    total = clock() - started

    rule_keys = [k for k in cost if k in counts]
    phase_keys = [k for k in cost if k not in rule_keys]
    rules_check = sum(cost[k] for k in rule_keys)
    rules_fix = sum(fix_cost[k] for k in rule_keys)
    check_total = total - rules_fix  # what `dockerast check` (text output) does: no fix edits
    out = [f"{len(files)} files; the work of `dockerast check` with text output (no fix edits): {check_total:.2f} s "
           f"({len(files) / check_total:.0f} files/s, one process, no profiler); shares are of that. "
           f"Computing every fix (fix, check --output-format json/sarif, the LSP's diagnostics) adds {rules_fix:.2f} s.", "",
           "| phase | s | share of check | ms/file |", "|---|---:|---:|---:|"]
    for key in phase_keys:
        out.append(f"| {key} | {cost[key]:.3f} | {100 * cost[key] / check_total:.1f}% | {1000 * cost[key] / len(files):.3f} |")
    out.append(f"| rules: check (all rules) | {rules_check:.3f} | {100 * rules_check / check_total:.1f}% | {1000 * rules_check / len(files):.3f} |")
    out.append(f"| (not in check) rules: fixes, Finding.fix | {rules_fix:.3f} | ({100 * rules_fix / check_total:.1f}%) | {1000 * rules_fix / len(files):.3f} |")
    out += ["", f"Top {top} rules by the cost of their check over the corpus (their fixes apart):", "",
            "| # | rule | check s | share of check | findings | worst file (check + fixes, ms) | fixes s |",
            "|---:|---|---:|---:|---:|---|---:|"]
    ranked = sorted(rule_keys, key=lambda k: cost[k], reverse=True)
    for n, key in enumerate(ranked[:top], 1):
        out.append(f"| {n} | {key} | {cost[key]:.3f} | {100 * cost[key] / check_total:.1f}% | "
                   f"{counts[key]} | {worst[key][1]} ({1000 * worst[key][0]:.1f}) | {fix_cost[key]:.3f} |")
    rest = ranked[top:]
    if rest:
        both = sum(cost[k] for k in rest)
        out.append(f"| | the other {len(rest)} rules | {both:.3f} | {100 * both / check_total:.1f}% | | | "
                   f"{sum(fix_cost[k] for k in rest):.3f} |")
    by_fix = sorted((k for k in rule_keys if fix_cost[k] > 0), key=lambda k: fix_cost[k], reverse=True)
    if by_fix:
        out += ["", "Fixes by cost (paid by fix, JSON/SARIF output and the LSP): " + ", ".join(
            f"{k} {fix_cost[k]:.3f} s ({fixes[k.split(' ', 1)[1]]} fixes)" for k in by_fix[:top])]
    return "\n".join(out) + "\n"


# -- cProfile ---------------------------------------------------------------------------------


def top_table(stats: pstats.Stats, total: float, top: int, skip: tuple[str, ...] = ()) -> str:
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():
        where = filename
        if "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        for prefix in (str(ROOT) + "/", str(Path(sys.base_prefix)) + "/lib/"):
            if where.startswith(prefix):
                where = where[len(prefix):]
        if any(s in f"{where}:{name}" for s in skip):
            continue
        rows.append((ct, tt, nc, f"{name}", f"{where}:{line}"))
    rows.sort(reverse=True)
    out = ["| # | function | file:line | calls | own s | cumulative s | cumulative share |", "|---:|---|---|---:|---:|---:|---:|"]
    for n, (ct, tt, nc, name, where) in enumerate(rows[:top], 1):
        out.append(f"| {n} | `{name}` | {where} | {nc} | {tt:.3f} | {ct:.3f} | {100 * ct / total:.1f}% |")
    return "\n".join(out) + "\n"


def cprofile_check(files: list[Path], top: int) -> str:
    from dockerast.codemod.actions import CheckAction  # noqa: PLC0415
    from dockerast.codemod.runner import CHECK, FileJob, process  # noqa: PLC0415
    from dockerast.rules import CheckConfig  # noqa: PLC0415

    try:
        action = CheckAction(with_fixes=False)  # as `dockerast check` with text output
    except TypeError:  # a build whose check always computes the fixes
        action = CheckAction()
    jobs = [FileJob(str(p), str(p), action, CHECK, CheckConfig()) for p in files]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for job in jobs:
        process(job)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    total = max(v[3] for k, v in stats.stats.items() if k[2] == "process")
    head = (f"cProfile of runner.process(CheckAction, text output: no fix edits) on {len(files)} files, as "
            f"`dockerast check --jobs 1` does them: {wall:.2f} s wall under the profiler, {total:.2f} s in "
            f"runner.process; share = cumulative / that\n\n")
    return head + top_table(stats, total, top, skip=("profile_check.py", "builtins.exec"))


LSP_OPS = "didChange(full)->diagnostics,didChange(incremental)->diagnostics"


def cprofile_lsp(size: int, repeat: int, top: int, ops: str = LSP_OPS) -> str:
    tools = SHARED / "tools"
    work = Path(tempfile.mkdtemp(prefix="dockerast-lsp-profile-"))
    docs = work / "docs"
    subprocess.check_call([sys.executable, str(tools / "gen_dockerfiles.py"), str(docs)], stdout=subprocess.DEVNULL)
    candidates = sorted(docs.iterdir(), key=lambda p: abs(len(p.read_text().splitlines()) - size))
    doc = candidates[0]
    prof = work / "server.prof"
    harness = [sys.executable, str(tools / "lsp_latency.py"), "--files", str(doc), "-n", str(repeat), "--diag-timeout", "60",
               "--no-clean-probe", "--ops", ops,
               "--json", str(work / "lsp.json"), "--markdown", str(work / "lsp.md"),
               "--", sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "lsp_server"]
    # cwd: not the checkout, so that ``-m lsp_server`` imports the installation of this Python
    subprocess.check_call(harness, cwd=str(work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stats = pstats.Stats(str(prof))
    def cumulative(path: str, name: str) -> float:
        return sum(v[3] for k, v in stats.stats.items() if k[0].endswith(path) and k[2] == name)

    publish = cumulative("lsp_server/server.py", "publish")
    total = publish if ops == LSP_OPS else publish + cumulative("lsp_server/server.py", "handle_message")
    total = total or stats.total_tt
    import json  # noqa: PLC0415

    data = json.loads((work / "lsp.json").read_text())
    timings = []
    for d in data["documents"]:
        for op, r in d["ops"].items():
            timings.append(f"{op}: median {r.get('median', float('nan')):.1f} ms over n={r.get('n')} (under cProfile)")
    spent = ("time in server.publish (all publishes, the untimed didOpen and restore included)" if ops == LSP_OPS
             else "time in server.publish and DockerastProtocol.handle_message")
    head = (f"cProfile of `dockerast-lsp` while lsp_latency.py times {ops} on {doc.name} "
            f"({len(doc.read_text().splitlines())} lines), -n {repeat}:\n" + "\n".join(f"- {t}" for t in timings) +
            f"\n- {spent}: {total:.2f} s; share = cumulative / that\n\n")
    return head + top_table(stats, total, top, skip=("asyncio/", "runpy", "cProfile", "builtins.exec", "<string>:<module>",
                                                    "pygls/", "lsp_server/__main__", "_contextvars", "of 'list' objects",
                                                    "lsp_server/transport.py", "server.py:start_io", "selectors.py",
                                                    "select.epoll", "importlib", ":<module>", "__import__", "attr/_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", nargs="?", choices=("phases", "cprofile", "lsp"), default="phases")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--top", type=int, default=None)
    parser.add_argument("--size", type=int, default=2000, help="lsp: the generated document nearest this many lines")
    parser.add_argument("-n", "--repeat", type=int, default=20, help="lsp: samples per operation")
    parser.add_argument("--ops", default=LSP_OPS, help="lsp: the harness operations to time (comma-separated)")
    args = parser.parse_args(argv)
    if args.report == "lsp":
        print(cprofile_lsp(args.size, args.repeat, args.top or 30, args.ops))
        return 0
    files = corpus_files(args.corpus)
    if args.report == "phases":
        print(phases(files, args.top or 10))
    else:
        print(cprofile_check(files, args.top or 30))
    return 0


if __name__ == "__main__":
    sys.exit(main())
