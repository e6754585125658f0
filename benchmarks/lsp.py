"""LSP latency and memory of ``dockerast-lsp`` against ``dockerfile-language-server-nodejs``, in one run of both.

Drives the shared harness ``../shared/tools/lsp_latency.py`` (see
``../shared/tools/README.md``) on the documents of
``../shared/tools/gen_dockerfiles.py`` (about 60, 530, 2,000 and 10,000
lines), running each server twice, interleaved (dockerast, peer, dockerast,
peer), with the same harness options for both:

* ``-n 20`` samples per operation and document;
* ``--op-budget-s 5``: an operation stops repeating once its samples add up
  to 5 s (at least 3 samples), which keeps the peer's quadratic
  semanticTokens/full (about 23 s a call at 10,000 lines) to three calls;
* ``--diag-timeout 60``: a publishDiagnostics that takes longer than the
  harness's default 2 s still counts as a sample instead of "none".

Writes into --out-dir (default: this folder):

* ``lsp-dockerast-run1.json/.md``, ``lsp-dockerast-run2.json/.md``,
  ``lsp-peer-run1.json/.md``, ``lsp-peer-run2.json/.md``: the harness's own
  output for each run;
* ``lsp-compare.md``: the harness's ``--compare`` table (peer run 1 as
  the baseline, then peer run 2, dockerast runs 1 and 2);
* ``lsp-targets.md``: the medians of both runs side by side and, per
  target, whether it is met in both runs, one, or neither.

``--ours-max-lines N`` leaves the documents over N lines out of the
dockerast runs, for a build whose publishDiagnostics takes minutes there
(each harness run would then take hours); on those documents dockerast is
instead run with the user setting ``diagnostics.mode = "pull"`` (it then
publishes nothing) to time the requests and semantic tokens alone
(``lsp-dockerast-pull-runN.*``), and ``--publish-cost`` says what one
publish costs.

``--debounce MS`` adds a dockerast run with the user setting
``diagnostics.debounceMs = MS`` (``lsp-dockerast-debounce.*``): the harness
sends each edit 25 ms after the previous publish, so a debounce longer than
that holds every didChange sample back (the default, 0, holds none).

``--publish-cost`` runs ``benchmarks/lsp_publish_cost.py`` (in process: the
rules, then the conversion of findings to diagnostics, for a first version
and a one-character edit of each document) into ``lsp-publish-cost.md``.

Settings are applied through ``benchmarks/lsp_server_settings.py``, run
with the Python of the dockerast installation measured (--ours-python,
default: the one next to --ours).

The peer is installed outside the project::

    mkdir -p /tmp/dockerast-peers/lsp && (cd /tmp/dockerast-peers/lsp && npm install dockerfile-language-server-nodejs@0.15.0)

Usage::

    python benchmarks/lsp.py [--peer PATH/docker-langserver] [--ours PATH/dockerast-lsp] [--runs 2] [-n 20]
                             [--ours-max-lines 2100] [--debounce MS] [--publish-cost]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("DOCKERAST_SHARED", ROOT.parent / "shared"))
DEFAULT_PEER = Path("/tmp/dockerast-peers/lsp/node_modules/.bin/docker-langserver")

DIAG_OPS = ("didOpen->diagnostics", "didChange(full)->diagnostics", "didChange(incremental)->diagnostics")
REQUEST_OPS = ("codeAction", "formatting", "hover(FROM image)", "hover(ARG ref)", "definition(ARG ref)",
               "documentSymbol", "completion(empty line)")
TOKENS = "semanticTokens/full"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_harness(tools: Path, docs: list[Path], out: Path, name: str, command: list[str], args,
                extra: list[str] = ()) -> Path:
    json_path = out / f"{name}.json"
    md_path = out / f"{name}.md"
    argv = [sys.executable, str(tools / "lsp_latency.py"), "--files", *map(str, docs), "-n", str(args.repeat),
            "--op-budget-s", str(args.op_budget_s), "--diag-timeout", str(args.diag_timeout), *extra,
            "--label", name, "--json", str(json_path), "--markdown", str(md_path), "--", *command]
    log("$ " + " ".join(argv))
    with open(out / f"{name}.stderr.txt", "w") as err:
        code = subprocess.call(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=str(docs[0].parent))
    if code != 0:
        log(f"  exit {code}; see {out / (name + '.stderr.txt')}")
    else:
        (out / f"{name}.stderr.txt").unlink()
    return json_path


def by_lines(path: Path) -> dict[int, dict]:
    data = json.loads(path.read_text())
    return {d["lines"]: d for d in data.get("documents", [])}


def median(path: Path, lines: int, op: str) -> float | None:
    doc = by_lines(path).get(lines) or {}
    r = doc.get("ops", {}).get(op) or {}
    return r.get("median") if r.get("n") else None


def first(path: Path, lines: int, op: str) -> float | None:
    doc = by_lines(path).get(lines) or {}
    samples = (doc.get("ops", {}).get(op) or {}).get("samples_ms") or []
    return samples[0] if samples else None


def peak_mib(path: Path) -> float | None:
    data = json.loads(path.read_text())
    kb = ((data.get("server") or {}).get("memory_end") or {}).get("root_vm_hwm_kb")
    return kb / 1024 if kb else None


def fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def verdict(flags: list[bool | None]) -> str:
    known = [f for f in flags if f is not None]
    if not known:
        return "no data"
    if all(known):
        return "met" + (" (both runs)" if len(known) > 1 else "")
    if any(known):
        return f"met in {sum(known)} of {len(known)} runs"
    return "NOT met"


def targets_markdown(ours: list[Path], peer: list[Path], extra: list[Path], pull: list[Path]) -> str:
    sizes = sorted(set(by_lines(peer[0])) | set(by_lines(ours[0])))

    def median_ours(i: int, lines: int, op: str) -> float | None:
        value = median(ours[i], lines, op)
        if value is None and i < len(pull) and lines not in by_lines(ours[i]):
            value = median(pull[i], lines, op)
        return value

    cols = [f"dockerast run {i + 1}" for i in range(len(ours))] + [f"peer run {i + 1}" for i in range(len(peer))]
    cols += [p.stem for p in extra]
    cols[:len(ours)] = [c + (" (*)" if pull else "") for c in cols[:len(ours)]]
    md = ["Median ms per operation and document size, each run; peak RSS in MiB.", "",
          "| operation | lines | " + " | ".join(cols) + " |", "|---|---:|" + "---:|" * len(cols)]
    for op in (*DIAG_OPS, *REQUEST_OPS, TOKENS):
        for lines in sizes:
            cells = [fmt(median_ours(i, lines, op)) for i in range(len(ours))]
            cells += [fmt(median(p, lines, op)) for p in (*peer, *extra)]
            md.append(f"| {op} | {lines} | " + " | ".join(cells) + " |")
    def peak_ours(i: int) -> float | None:
        values = [v for v in (peak_mib(ours[i]), peak_mib(pull[i]) if i < len(pull) else None) if v is not None]
        return max(values) if values else None

    md.append("| peak RSS (MiB) | all | " + " | ".join([fmt(peak_ours(i)) for i in range(len(ours))]
                                                    + [fmt(peak_mib(p)) for p in (*peer, *extra)]) + " |")
    md += ["", "Targets (each dockerast run is judged on its own median):", "",
           "| target | dockerast | peer | verdict |", "|---|---|---|---|"]

    def near(target: int) -> int:
        return min(sizes, key=lambda n: abs(n - target))

    l2k, l10k = near(2000), near(10000)
    for op in DIAG_OPS[1:]:
        for lines, limit in ((l2k, 10.0), (l10k, 40.0)):
            values = [median_ours(i, lines, op) for i in range(len(ours))]
            md.append(f"| {op} at {lines} lines <= {limit:g} ms | {' / '.join(fmt(v) for v in values)} | "
                      f"{' / '.join(fmt(median(p, lines, op)) for p in peer)} | "
                      f"{verdict([None if v is None else v <= limit for v in values])} |")
    values = [median_ours(i, l2k, TOKENS) for i in range(len(ours))]
    md.append(f"| {TOKENS} at {l2k} lines <= 5 ms | {' / '.join(fmt(v) for v in values)} | "
              f"{' / '.join(fmt(median(p, l2k, TOKENS)) for p in peer)} | "
              f"{verdict([None if v is None else v <= 5.0 for v in values])} |")
    growth = []
    for i in range(len(ours)):
        a, b = median_ours(i, l2k, TOKENS), median_ours(i, l10k, TOKENS)
        growth.append(None if not a or not b else (b / a) / (l10k / l2k))
    md.append(f"| {TOKENS} linear from {l2k} to {l10k} lines (time ratio / size ratio <= 1.5) | "
              f"{' / '.join('-' if g is None else f'{g:.2f}' for g in growth)} | | "
              f"{verdict([None if g is None else g <= 1.5 for g in growth])} |")
    peer_best = {}
    for op in (DIAG_OPS[0], *REQUEST_OPS):
        for lines in sizes:
            peer_values = [v for v in (median(p, lines, op) for p in peer) if v is not None]
            if not peer_values:
                continue
            reference = sum(peer_values) / len(peer_values)
            peer_best[(op, lines)] = reference
            values = [median_ours(i, lines, op) for i in range(len(ours))]
            md.append(f"| {op} at {lines} lines <= peer's | {' / '.join(fmt(v) for v in values)} | "
                      f"{' / '.join(fmt(v) for v in peer_values)} (mean {fmt(reference)}) | "
                      f"{verdict([None if v is None else v <= reference for v in values])} |")
    peer_mem = [m for m in (peak_mib(p) for p in peer) if m is not None]
    if peer_mem:
        reference = sum(peer_mem) / len(peer_mem)
        values = [peak_ours(i) for i in range(len(ours))]
        md.append(f"| peak RSS <= peer's | {' / '.join(fmt(v) for v in values)} MiB | "
                  f"{' / '.join(fmt(v) for v in peer_mem)} MiB | "
                  f"{verdict([None if v is None else v <= reference for v in values])} |")
    md += ["", "First sample of each request, ms (dockerast memoizes a version's tree, model, tokens, formatting and "
           "actions, so its later samples on the unchanged document are served from that cache; the first one "
           "computes them; runs separated by /):", "",
           "| operation | lines | dockerast | peer |", "|---|---:|---:|---:|"]

    def first_ours(i: int, lines: int, op: str) -> float | None:
        value = first(ours[i], lines, op)
        if value is None and i < len(pull) and lines not in by_lines(ours[i]):
            value = first(pull[i], lines, op)
        return value

    for op in (*REQUEST_OPS, TOKENS):
        for lines in sizes:
            a = [first_ours(i, lines, op) for i in range(len(ours))]
            b = [first(p, lines, op) for p in peer]
            if any(v is not None for v in a + b):
                md.append(f"| {op} | {lines} | {' / '.join(fmt(v) for v in a)} | {' / '.join(fmt(v) for v in b)} |")
    if pull:
        md += ["", "(*) on the documents left out of the dockerast runs (--ours-max-lines), the request figures come "
               "from the runs with diagnostics.mode = pull (lsp-dockerast-pull-runN), in which dockerast publishes nothing; "
               "\"-\" for the diagnostics there means not measured. dockerast's peak RSS is the larger of the two runs' "
               "(default settings, pull mode)."]
    md += ["", "A request the peer does not answer (not advertised, or no result) has no row. "
           "\"<= peer's\" compares with the mean of the peer's run medians."]
    return "\n".join(md) + "\n"


def write_reports(args, tools: Path, out: Path, started, ours_runs: list[Path], peer_runs: list[Path],
                  pull_runs: list[Path], extra: list[Path]) -> None:
    runs = [p for p in (*peer_runs, *ours_runs, *pull_runs, *extra) if p.exists()]
    if len(runs) >= 2:
        compare = subprocess.run([sys.executable, str(tools / "lsp_latency.py"), "--compare", *map(str, runs)],
                                 capture_output=True, text=True, check=True).stdout
        header = (f"# LSP latency: dockerast-lsp vs dockerfile-language-server-nodejs 0.15.0\n\n"
                  f"Session started {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
                  f"harness options: -n {args.repeat} --op-budget-s {args.op_budget_s:g} --diag-timeout {args.diag_timeout:g}"
                  f" (pull-mode runs: --diag-timeout 2, requests and semantic tokens only).\n\n")
        (out / "lsp-compare.md").write_text(header + compare)
    if ours_runs and peer_runs:
        (out / "lsp-targets.md").write_text(
            f"# LSP targets, run of {started:%Y-%m-%d %H:%M} UTC\n\n"
            + targets_markdown(ours_runs, peer_runs, extra, pull_runs))
        print((out / "lsp-targets.md").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--docs-dir", type=Path, help="where to generate the documents (default: a temporary folder)")
    parser.add_argument("--tools-dir", type=Path, default=SHARED / "tools")
    parser.add_argument("--peer", default=str(DEFAULT_PEER), help=f"docker-langserver (default {DEFAULT_PEER})")
    parser.add_argument("--ours", help="dockerast-lsp (default: next to this Python, else PATH)")
    parser.add_argument("--sizes", default="50,500,2000,10000", help="gen_dockerfiles.py --sizes (default: its own)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("-n", "--repeat", type=int, default=20)
    parser.add_argument("--op-budget-s", type=float, default=5.0)
    parser.add_argument("--diag-timeout", type=float, default=60.0)
    parser.add_argument("--ours-python", help="the Python of that installation (default: next to --ours)")
    parser.add_argument("--ours-max-lines", type=int, default=0,
                        help="dockerast: leave out documents over this many lines (0: none); time their requests in pull mode")
    parser.add_argument("--debounce", type=int, metavar="MS", help="add a dockerast run with diagnostics.debounceMs = MS")
    parser.add_argument("--publish-cost", action="store_true", help="also time one publish in process (lsp_publish_cost.py)")
    parser.add_argument("--only", choices=("ours", "peer"), help="run one server only")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: rebuild lsp-compare.md and lsp-targets.md from the JSON files in --out-dir")
    args = parser.parse_args(argv)
    if args.report_only:
        out = args.out_dir.resolve()
        found = {kind: sorted(out.glob(f"lsp-{kind}-run*.json")) for kind in ("dockerast", "dockerast-pull", "peer")}
        extra = sorted(out.glob("lsp-dockerast-debounce.json"))
        started = datetime.datetime.fromisoformat(
            json.loads(found["dockerast"][0].read_text())["harness"].get("started", "1970-01-01T00:00:00+00:00"))
        write_reports(args, args.tools_dir.resolve(), out, started, found["dockerast"], found["peer"],
                      found["dockerast-pull"], extra)
        return 0

    tools = args.tools_dir.resolve()
    out = args.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    docs = (args.docs_dir or Path(tempfile.mkdtemp(prefix="dockerast-lsp-docs-"))).resolve()
    subprocess.check_call([sys.executable, str(tools / "gen_dockerfiles.py"), "--sizes", args.sizes, str(docs)], stdout=sys.stderr)

    local = Path(sys.executable).parent / "dockerast-lsp"
    ours = args.ours or (str(local) if local.exists() else shutil.which("dockerast-lsp") or "dockerast-lsp")
    ours_python = args.ours_python or str(Path(ours).parent / "python")
    ours_cmd = [ours]
    peer_path = shutil.which(args.peer) or (args.peer if os.access(args.peer, os.X_OK) else None)
    peer_cmd = ["node", peer_path, "--stdio"] if peer_path else None
    if peer_cmd is None and args.only != "ours":
        log(f"note: the peer {args.peer} is missing: peer runs skipped")

    def settings_cmd(settings: dict) -> list[str]:
        return [ours_python, str(HERE / "lsp_server_settings.py"), json.dumps(settings)]

    all_docs = sorted(docs.glob("*Dockerfile*"))
    lines_of = {p: p.read_text().count("\n") for p in all_docs}
    ours_docs = [p for p in all_docs if not args.ours_max_lines or lines_of[p] <= args.ours_max_lines]
    big_docs = [p for p in all_docs if p not in ours_docs]
    started = datetime.datetime.now(datetime.timezone.utc)
    ours_runs: list[Path] = []
    peer_runs: list[Path] = []
    pull_runs: list[Path] = []
    request_ops = ",".join((*REQUEST_OPS, TOKENS))
    for run in range(1, args.runs + 1):
        if args.only != "peer":
            ours_runs.append(run_harness(tools, ours_docs, out, f"lsp-dockerast-run{run}", ours_cmd, args))
            if big_docs:
                pull_runs.append(run_harness(tools, big_docs, out, f"lsp-dockerast-pull-run{run}",
                                             settings_cmd({"diagnostics": {"mode": "pull"}}),
                                             argparse.Namespace(**{**vars(args), "diag_timeout": 2.0}),
                                             ["--ops", request_ops, "--no-clean-probe"]))
        if peer_cmd and args.only != "ours":
            peer_runs.append(run_harness(tools, all_docs, out, f"lsp-peer-run{run}", peer_cmd, args))
    extra: list[Path] = []
    if args.debounce is not None and args.only != "peer":
        extra.append(run_harness(tools, ours_docs, out, "lsp-dockerast-debounce",
                                 settings_cmd({"diagnostics": {"debounceMs": args.debounce}}), args))
    if args.publish_cost and args.only != "peer":
        log("$ " + f"{ours_python} {HERE / 'lsp_publish_cost.py'} {docs}")
        cost = subprocess.run([ours_python, str(HERE / "lsp_publish_cost.py"), str(docs)], capture_output=True, text=True,
                              cwd=str(docs))
        (out / "lsp-publish-cost.md").write_text(
            f"# One publishDiagnostics of dockerast-lsp, in process ({started:%Y-%m-%d %H:%M} UTC)\n\n"
            f"`{ours_python} benchmarks/lsp_publish_cost.py DOCS`\n\n" + cost.stdout + cost.stderr[-2000:])

    write_reports(args, tools, out, started, ours_runs, peer_runs, pull_runs, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
