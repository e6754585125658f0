"""Parse throughput and memory on the real-world corpus, against BuildKit's Go parser.

Measures, on every file of the corpus (default /work/shared/corpus/real, all
files loaded as bytes before timing, decoded as UTF-8 with surrogateescape):

  (a) ``dockerast.parse``: the split into instructions only (lazy internals);
  (b) the full dockerast tree: (a) + ``ins.syntax`` for every instruction and
      every ONBUILD trigger (the Lark grammar runs once per instruction);
  (b') the same tree read with ``read_instructions`` (one grammar pass per
      file, what ``tree.errors`` and the semantic model use), when available;
  (c) (b') + the semantic model ``dockerast.semantic.model.analyze(tree)``;
  (c') the semantic model from text, ``analyze(dockerast.parse(text))``: the
      model reads the syntax of the instructions it looks into (FROM, ARG,
      ENV, ONBUILD, flags that may name a stage), the others stay unread;
  (d) ``dockerfile.parse_string`` (PyPI ``dockerfile``: BuildKit's Go parser
      v0.12 through cgo);
  (e) ``dockerfile_parse.DockerfileParser(fileobj=...).structure``.

Throughput is the best of N repeats of one pass over the whole corpus (MB =
10^6 bytes of source); the parsers take turns within each repeat, so that a
busy machine slows them alike.  Memory is measured in a fresh subprocess per parser,
holding the results of the whole corpus at once:

* "peak heap" / "held heap": tracemalloc's peak and final traced size during
  that pass, per MB of source.  tracemalloc sees Python allocations only: for
  the Go parser it counts the returned Python tuples, not the Go heap;
* "RSS growth": peak resident set (VmHWM, reset through /proc/self/clear_refs
  after warm-up) minus the resident set before the pass, per MB of source,
  in a separate subprocess without tracemalloc.  It is the only figure that
  includes the Go heap; it is coarse (allocator arenas, Go's GC pacing).

Usage:

    PYTHONPATH=. python benchmarks/parse.py [--repeat 5] [--corpus DIR] [--no-memory]
    PYTHONPATH=. python benchmarks/parse.py --profile [--profile-top 30]

``--lark python`` forces the pure-Python Lark backend (``DOCKERAST_LARK=python``);
by default dockerast uses lark-cython when it is installed.  The backend in use
is printed in the header.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = Path(os.environ.get("DOCKERAST_SHARED", ROOT.parent / "shared")) / "corpus" / "real"
MB = 1_000_000


# -- the corpus -------------------------------------------------------------------


def load_corpus(directory: Path) -> list[tuple[str, bytes]]:
    """Every file under ``directory`` (dot files included), sorted, as (text, bytes)."""
    paths = sorted(p for p in directory.rglob("*") if p.is_file())
    blobs = [p.read_bytes() for p in paths]
    return [(b.decode("utf-8", "surrogateescape"), b) for b in blobs]


# -- the parsers ------------------------------------------------------------------


def _semantic_analyze() -> tuple[Callable | None, str]:
    try:
        from dockerast.semantic.model import analyze  # noqa: PLC0415
    except ImportError as error:
        return None, f"skipped: dockerast.semantic.model.analyze is not importable ({error})"
    return analyze, ""


def force_syntax(tree) -> None:
    """Run the grammar on every instruction and on every (nested) ONBUILD trigger."""
    for ins in tree.instructions:
        syntax = ins.syntax
        while syntax.trigger is not None:
            syntax = syntax.trigger.syntax


def make_parsers() -> dict[str, tuple[str, Callable[[str, bytes], object] | None, str]]:
    """key -> (label, function(text, data) -> result, note); function None when unavailable."""
    import dockerast  # noqa: PLC0415

    parsers: dict[str, tuple[str, Callable | None, str]] = {}

    def split_only(text: str, data: bytes):
        return dockerast.parse(text)

    def full(text: str, data: bytes):
        tree = dockerast.parse(text)
        force_syntax(tree)
        return tree

    parsers["a"] = ("(a) dockerast.parse (split, lazy)", split_only, "")
    parsers["b"] = ("(b) dockerast full tree (+ins.syntax)", full, "")
    try:
        from dockerast.cst.parser import read_instructions  # noqa: PLC0415
    except ImportError:
        parsers["B"] = ("(b') full tree, one grammar pass", None, "skipped: no dockerast.cst.parser.read_instructions")
    else:

        def full_batch(text: str, data: bytes):
            tree = dockerast.parse(text)
            read_instructions(tree.instructions)  # what tree.errors and the semantic model use
            force_syntax(tree)  # ONBUILD triggers; everything else is cached by now
            return tree

        parsers["B"] = ("(b') full tree, one grammar pass", full_batch, "")

    analyze, note = _semantic_analyze()
    if analyze is not None:

        def semantic(text: str, data: bytes):
            tree = dockerast.parse(text)
            read_instructions(tree.instructions)  # the full tree as (b') reads it
            force_syntax(tree)
            return tree, analyze(tree)

        def model_only(text: str, data: bytes):
            return analyze(dockerast.parse(text))

        parsers["c"] = ("(c) (b') + semantic analyze(tree)", semantic, "")
        parsers["C"] = ("(c') analyze(dockerast.parse(text))", model_only, "")
    else:
        parsers["c"] = ("(c) (b') + semantic analyze(tree)", None, note)
        parsers["C"] = ("(c') analyze(dockerast.parse(text))", None, note)

    try:
        import dockerfile  # noqa: PLC0415
    except ImportError as error:
        parsers["d"] = ("(d) dockerfile.parse_string (Go)", None, f"skipped: {error}")
    else:

        def go(text: str, data: bytes):
            return dockerfile.parse_string(text)

        parsers["d"] = ("(d) dockerfile.parse_string (Go)", go, "")

    try:
        from dockerfile_parse import DockerfileParser  # noqa: PLC0415
    except ImportError as error:
        parsers["e"] = ("(e) dockerfile_parse .structure", None, f"skipped: {error}")
    else:

        def dfp(text: str, data: bytes):
            return DockerfileParser(fileobj=io.BytesIO(data)).structure

        parsers["e"] = ("(e) dockerfile_parse .structure", dfp, "")
    return parsers


# -- measurements -------------------------------------------------------------------


def run_all(fn: Callable, corpus: list[tuple[str, bytes]]) -> None:
    for text, data in corpus:
        fn(text, data)


def best_times(fns: dict[str, Callable], corpus: list[tuple[str, bytes]], repeat: int) -> dict[str, float]:
    """Best pass of each parser; the parsers take turns in every round, so that
    load from other processes on the machine falls on all of them alike."""
    for fn in fns.values():
        run_all(fn, corpus)  # warm-up: imports, grammar construction, Go runtime start
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for key, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            run_all(fn, corpus)
            best[key] = min(best[key], time.perf_counter() - start)
    return best


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def child_memory(key: str, mode: str, corpus_dir: Path) -> dict:
    """In a fresh process: memory while holding the results for the whole corpus."""
    corpus = load_corpus(corpus_dir)
    label, fn, note = make_parsers()[key]
    if fn is None:
        return {"error": note}
    for text, data in corpus[:50]:  # warm-up on a few files only, so that arenas stay small
        fn(text, data)
    gc.collect()
    if mode == "tracemalloc":
        tracemalloc.start()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        held = [fn(text, data) for text, data in corpus]
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del held
        return {"peak": peak - base, "held": current - base}
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        base = _status_kib("VmRSS")
    except OSError as error:
        return {"error": f"cannot reset the peak RSS: {error}"}
    held = [fn(text, data) for text, data in corpus]
    peak = _status_kib("VmHWM")
    del held
    return {"rss_growth": (peak - base) * 1024}


def measure_memory(key: str, corpus_dir: Path) -> dict:
    out: dict = {}
    for mode in ("tracemalloc", "rss"):
        cmd = [sys.executable, __file__, "--corpus", str(corpus_dir), "--_child", key, mode]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if proc.returncode != 0:
            out.setdefault("error", proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "child failed")
            continue
        out.update(json.loads(proc.stdout))
    return out


# -- output -----------------------------------------------------------------------


def _short_paths(line: str) -> str:
    """A pstats line with paths relative to the project or to site-packages."""
    line = line.replace(str(ROOT) + "/", "")
    cut = line.find("site-packages/")
    if cut >= 0:
        line = line[: line.rfind(" ", 0, cut) + 1] + line[cut + len("site-packages/") :]
    return line


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="directory of Dockerfiles (recursive)")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per parser; the best one counts (default 5)")
    ap.add_argument("--only", default="abBcCde", help="which parsers to run, e.g. 'abd' (default: abBcCde; B is (b'), C (c'))")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    ap.add_argument("--profile", action="store_true", help="cProfile one pass of (b) and print the top functions")
    ap.add_argument("--profile-top", type=int, default=30)
    ap.add_argument("--lark", choices=("default", "python"), default="default", help="Lark backend for dockerast")
    ap.add_argument("--_child", nargs=2, metavar=("KEY", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.lark == "python":
        os.environ["DOCKERAST_LARK"] = "python"  # read when dockerast is imported; children inherit it

    if args._child:
        print(json.dumps(child_memory(args._child[0], args._child[1], args.corpus)))
        return 0

    corpus = load_corpus(args.corpus)
    if not corpus:
        print(f"no files under {args.corpus}", file=sys.stderr)
        return 2
    size = sum(len(data) for _, data in corpus)
    parsers = make_parsers()
    from dockerast.cst import grammar  # noqa: PLC0415

    backend = getattr(grammar, "BACKEND", "python")
    command = f"PYTHONPATH={ROOT} {Path(sys.executable).name} benchmarks/parse.py --repeat {args.repeat}"
    if args.lark != "default":
        command += f" --lark {args.lark}"
    if args.corpus != DEFAULT_CORPUS:
        command += f" --corpus {args.corpus}"

    if args.profile:
        _, fn, _ = parsers["b"]
        run_all(fn, corpus)
        profiler = cProfile.Profile()
        profiler.enable()
        run_all(fn, corpus)
        profiler.disable()
        print(f"cProfile of one pass of (b) over {len(corpus)} files, {size / MB:.2f} MB")
        print(f"lark backend: {backend}")
        for order in ("tottime", "cumulative"):
            print(f"\n-- top {args.profile_top} by {order} --")
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats(order).print_stats(args.profile_top)
            for line in buf.getvalue().splitlines():
                if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced")):
                    print(_short_paths(line))
        return 0

    print(f"corpus: {args.corpus}: {len(corpus)} files, {size:,} bytes ({size / MB:.2f} MB); best of {args.repeat}")
    print(f"python {platform.python_version()} ({sys.executable}) on {platform.machine()}, {os.cpu_count()} CPUs; dockerast lark backend: {backend}")
    results = {}
    runnable = {}
    for key in args.only:
        label, fn, note = parsers[key]
        results[key] = {"label": label, "note": note}
        if fn is not None:
            runnable[key] = fn
    for key, seconds in best_times(runnable, corpus, args.repeat).items():
        results[key].update(seconds=seconds, mbps=size / MB / seconds)
        if not args.no_memory:
            results[key].update(measure_memory(key, args.corpus))

    go = results.get("d", {}).get("mbps")
    header = f"{'parser':<40} {'MB/s':>7} {'vs Go':>6} {'s/pass':>7} {'peak heap':>10} {'held heap':>10} {'RSS growth':>11}"
    print()
    print(header)
    print(f"{'':<40} {'':>7} {'(x)':>6} {'':>7} {'MB/MB src':>10} {'MB/MB src':>10} {'MB/MB src':>11}")
    print("-" * len(header))
    for key, r in results.items():
        if "mbps" not in r:
            print(f"{r['label']:<40} {r['note']}")
            continue
        ratio = r["mbps"] / go if go else None
        peak = r.get("peak")
        held = r.get("held")
        rss = r.get("rss_growth")
        if key == "d":  # tracemalloc cannot see the Go heap
            peak_s = "n/a (Go)"
            held_s = "n/a (Go)"
        else:
            peak_s = "-" if peak is None else f"{peak / size:.1f}"
            held_s = "-" if held is None else f"{held / size:.1f}"
        rss_s = "-" if rss is None else f"{rss / size:.1f}"
        print(
            f"{r['label']:<40} {r['mbps']:>7.2f} {_fmt_ratio(ratio):>6} {r['seconds']:>7.3f} {peak_s:>10} {held_s:>10} {rss_s:>11}"
        )
        if "error" in r:
            print(f"{'':<40} memory: {r['error']}")
    print()
    print("vs Go: throughput divided by the Go parser's (>1 is faster than BuildKit's parser via cgo).")
    print("peak/held heap: tracemalloc, Python allocations while holding every result of the corpus")
    print("  (for (d) that would be only the returned tuples, so it is not shown: the Go heap is invisible to it).")
    print("RSS growth: VmHWM - VmRSS before the pass, fresh subprocess, no tracemalloc; includes the Go heap.")
    print(f"reproduce: cd {ROOT} && {command}")
    print(f"profile (b): cd {ROOT} && PYTHONPATH={ROOT} python benchmarks/parse.py --profile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
