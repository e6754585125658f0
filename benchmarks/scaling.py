"""Does parse time grow linearly with the input?  Full syntax forced everywhere.

Every case is generated deterministically at 1/4, 1/2 and full size and parsed
with ``dockerast.parse`` + ``ins.syntax`` on every instruction and on every
(nested) ONBUILD trigger + ``tree.errors``.  The table gives the best of
``--repeat`` runs for each size and ``ratio = time(full) / time(quarter)``,
which is about 4 for linear growth and 16 for quadratic growth; ``exp`` is
the fitted exponent ``log(ratio) / log(4)``.  Cases whose ratio exceeds
``--superlinear`` (default 6) are profiled with cProfile at half size and
their top functions printed.

The "size" cases are the ones asked for: a ~10 MB and a 100,000-line
realistic Dockerfile (from /work/shared/tools/gen_dockerfiles.py), single
1 MB lines (a RUN argument, garbage without spaces, ENV pairs, a JSON array,
flags) and 1 MB heredoc bodies.  The "hunt" cases probe the shapes where a
per-word or per-line cost may depend on the size of the instruction (many
continuation lines in one instruction, a long directive line, ONBUILD
chains, many heredocs); each was quadratic at some point (see git history),
and for a flagged case with a nominal size the time at that size is
extrapolated from the fitted exponent.

Ratios between 4 and 6 with the garbage collector on are its full
collections (their cost grows with the number of live nodes): ``--no-gc``
brings them back to about 4.  BuildKit's parser reads lines with a 64 KiB
limit, so its time on the 1 MB-line cases is the time to fail (marked *).

BuildKit's Go parser (PyPI ``dockerfile``) is timed on the same inputs at
quarter and full size for reference (``--no-go`` to skip).

Usage:

    PYTHONPATH=. python benchmarks/scaling.py [--repeat 3] [--only NAME,...] [--no-go]
    PYTHONPATH=. python benchmarks/scaling.py --profile NAME   # cProfile one case at full size

``--lark python`` forces dockerast's pure-Python Lark backend; ``--no-gc``
disables the cyclic garbage collector during the timed runs (its full
collections grow with the number of live objects and add a super-linear
term to the largest inputs).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import io
import math
import os
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _wants_python_lark(argv: list[str]) -> bool:
    if "--lark=python" in argv:
        return True
    return any(a == "--lark" and b == "python" for a, b in zip(argv, argv[1:]))


if _wants_python_lark(sys.argv):
    os.environ["DOCKERAST_LARK"] = "python"  # read when dockerast is imported

import dockerast  # noqa: E402
from dockerast.cst import grammar as _grammar  # noqa: E402

SHARED = Path(os.environ.get("DOCKERAST_SHARED", ROOT.parent / "shared"))
GENERATOR = SHARED / "tools" / "gen_dockerfiles.py"
MB = 1_000_000
FRACTIONS = (0.25, 0.5, 1.0)


# -- deterministic inputs ---------------------------------------------------------


def _load_generator():
    if not GENERATOR.exists():
        return None
    spec = importlib.util.spec_from_file_location("gen_dockerfiles", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_GEN = _load_generator()
_GEN_BYTES_PER_LINE = 35.05  # measured: generate(100000) is 3,505,491 bytes


def _generated_lines(lines: int) -> str:
    if _GEN is not None:
        return _GEN.generate(lines)
    # Fallback when the shared tool is absent: a repeated realistic stage.
    stage = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "ARG TARGETOS TARGETARCH\n"
        "ENV CGO_ENABLED=0 \\\n    GOFLAGS=-trimpath\n"
        "RUN --mount=type=cache,target=/go/pkg/mod \\\n    go build -o /out/app ./cmd/app\n"
        'COPY <<EOF /etc/app.ini\n[server]\nport = 8080\nEOF\nCMD ["app", "--listen", ":8080"]\n\n'
    )
    return stage * max(1, lines // stage.count("\n"))


def _lcg_text(n: int, alphabet: str, seed: int = 12345) -> str:
    """``n`` characters of ``alphabet`` from a fixed linear congruential generator."""
    out = []
    x = seed
    k = len(alphabet)
    for _ in range(n):
        x = (1103515245 * x + 12345) & 0x7FFFFFFF
        out.append(alphabet[(x >> 16) % k])
    return "".join(out)


# Printable ASCII without whitespace: quotes, escapes, $, <<, #, [ ... all included.
_GARBAGE = "".join(chr(c) for c in range(0x21, 0x7F))
_GARBAGE_1MB = None


def _garbage(n: int) -> str:
    global _GARBAGE_1MB
    if _GARBAGE_1MB is None or len(_GARBAGE_1MB) < n:
        _GARBAGE_1MB = _lcg_text(max(n, MB), _GARBAGE)
    return _GARBAGE_1MB[:n]


def _words(n_bytes: int, word: Callable[[int], str], sep: str = " ") -> str:
    """Words ``word(0), word(1)...`` joined by ``sep`` up to about ``n_bytes``."""
    parts = []
    size = 0
    i = 0
    while size < n_bytes:
        w = word(i)
        parts.append(w)
        size += len(w) + len(sep)
        i += 1
    return sep.join(parts)


@dataclass
class Case:
    name: str
    kind: str  # "size" or "hunt"
    description: str
    make: Callable[[float], str]  # fraction of full size -> text
    nominal: str = ""  # for hunt cases: the nominal full size, for extrapolation
    nominal_factor: float = 1.0  # nominal size / full size of the case


def cases() -> list[Case]:
    ten_mb_lines = int(10 * MB / _GEN_BYTES_PER_LINE)
    out = [
        Case(
            "gen-10MB",
            "size",
            "gen_dockerfiles.generate(~285k lines): realistic multi-stage file, ~10 MB",
            lambda f: _generated_lines(int(ten_mb_lines * f)),
        ),
        Case(
            "gen-100k-lines",
            "size",
            "gen_dockerfiles.generate(100000): 100,000 lines, ~3.5 MB",
            lambda f: _generated_lines(int(100_000 * f)),
        ),
        Case(
            "run-100k-lines",
            "size",
            "one RUN continued over 100,000 lines (shell form)",
            lambda f: "FROM alpine\nRUN set -e \\\n" + "    && echo step \\\n" * int(100_000 * f) + "    && true\n",
        ),
        Case(
            "short-instr-100k",
            "size",
            "100,000 one-line instructions (RUN/ENV/COPY/CMD cycled)",
            lambda f: "FROM alpine\n"
            + "".join(
                ("RUN echo {i}\n", "ENV K{i}=v{i}\n", "COPY a{i} /b/\n", 'CMD ["x", "{i}"]\n')[i % 4].format(i=i)
                for i in range(int(100_000 * f))
            ),
        ),
        Case(
            "run-1MB-line",
            "size",
            "RUN with one 1 MB shell argument on one line",
            lambda f: "FROM alpine\nRUN " + _words(int(MB * f), lambda i: f"echo-{i % 997}") + "\n",
        ),
        Case(
            "garbage-1MB-line",
            "size",
            "one 1 MB line of printable ASCII without spaces (an unknown instruction)",
            lambda f: _garbage(int(MB * f)) + "\n",
        ),
        Case(
            "run-garbage-1MB",
            "size",
            "RUN followed by 1 MB of printable ASCII without spaces",
            lambda f: "FROM alpine\nRUN " + _garbage(int(MB * f)) + "\n",
        ),
        Case(
            "heredoc-1MB-lines",
            "size",
            "RUN <<EOF with a 1 MB body of short lines",
            lambda f: "FROM alpine\nRUN <<EOF\n" + _words(int(MB * f), lambda i: f"echo {i}", "\n") + "\nEOF\n",
        ),
        Case(
            "heredoc-1MB-1line",
            "size",
            "RUN <<-EOF whose body is one 1 MB line",
            lambda f: "FROM alpine\nRUN <<-EOF\n\t" + "x" * int(MB * f) + "\n\tEOF\n",
        ),
        Case(
            "env-1MB-line",
            "size",
            "ENV with 1 MB of key=value pairs on one line (quotes included)",
            lambda f: "FROM alpine\nENV " + _words(int(MB * f), lambda i: f'K{i}="v {i}"') + "\n",
        ),
        Case(
            "json-1MB-line",
            "size",
            "CMD exec form: a 1 MB JSON array on one line",
            lambda f: "FROM alpine\nCMD [" + _words(int(MB * f), lambda i: f'"a\\"{i}"', ", ") + "]\n",
        ),
        Case(
            "flags-1MB-line",
            "size",
            "RUN with 1 MB of --mount flags on one line",
            lambda f: "FROM alpine\nRUN " + _words(int(MB * f), lambda i: f"--mount=type=cache,id={i}") + " true\n",
        ),
        # -- hunting for super-linear shapes (kept small; see the docstring) --
        Case(
            "env-cont-lines",
            "hunt",
            "one ENV continued over N lines, one key=value per line (N = 40,000 at full)",
            lambda f: "FROM alpine\nENV " + "".join(f"K{i}=v{i} \\\n    " for i in range(int(40_000 * f))) + "Z=1\n",
            nominal="100,000 lines",
            nominal_factor=100_000 / 40_000,
        ),
        Case(
            "copy-cont-lines",
            "hunt",
            "one COPY continued over N lines, one source per line (N = 40,000 at full)",
            lambda f: "FROM alpine\nCOPY " + "".join(f"src/{i} \\\n     " for i in range(int(40_000 * f))) + "/dst/\n",
            nominal="100,000 lines",
            nominal_factor=100_000 / 40_000,
        ),
        Case(
            "json-cont-lines",
            "hunt",
            "an exec-form CMD array continued over N lines (N = 40,000 at full)",
            lambda f: "FROM alpine\nCMD [" + ", \\\n     ".join(f'"a{i}"' for i in range(int(40_000 * f))) + "]\n",
            nominal="100,000 lines",
            nominal_factor=100_000 / 40_000,
        ),
        Case(
            "directive-spaces",
            "hunt",
            "first line '# syntax=x' + N spaces + 'y' (N = 1,000,000 at full)",
            lambda f: "# syntax=x" + " " * int(MB * f) + "y\nFROM alpine\n",
        ),
        Case(
            "onbuild-chain",
            "hunt",
            "'ONBUILD ' repeated N times, then RUN x (N = 200 at full; triggers forced)",
            lambda f: "FROM alpine\n" + "ONBUILD " * int(200 * f) + "RUN x\n",
            nominal="1 MB line (131,000 levels)",
            nominal_factor=MB / (200 * 8),
        ),
        Case(
            "onbuild-deep",
            "hunt",
            "'ONBUILD ' repeated N times, then RUN x (N = 125,000 at full, a 1 MB line): recursion depth",
            lambda f: "FROM alpine\n" + "ONBUILD " * int(125_000 * f) + "RUN x\n",
        ),
        Case(
            "many-heredocs",
            "hunt",
            "one RUN opening N heredocs, with their bodies (N = 20,000 at full)",
            lambda f: "FROM alpine\nRUN cat "
            + " ".join(f"<<E{i}" for i in range(int(20_000 * f)))
            + "\n"
            + "".join(f"body {i}\nE{i}\n" for i in range(int(20_000 * f))),
            nominal="",
        ),
    ]
    return out


# -- measuring ----------------------------------------------------------------------


def full_parse(text: str):
    tree = dockerast.parse(text)
    for ins in tree.instructions:
        syntax = ins.syntax
        while syntax.trigger is not None:
            syntax = syntax.trigger.syntax
    tree.errors  # noqa: B018  (line index + problems)
    return tree


NO_GC = False


def timed(fn: Callable[[str], object], text: str, repeat: int) -> float:
    """Best of ``repeat`` runs; quick inputs run more often (up to 0.5 s in all) to steady the minimum."""
    best = float("inf")
    total = 0.0
    runs = 0
    while runs < repeat or (total < 0.5 and runs < 50):
        runs += 1
        gc.collect()
        if NO_GC:
            gc.disable()
        try:
            start = time.perf_counter()
            fn(text)
            elapsed = time.perf_counter() - start
        finally:
            gc.enable()
        best = min(best, elapsed)
        total += elapsed
        if elapsed > 5:  # one run is enough for slow sizes
            break
    return best


def _go_parser() -> Callable[[str], object] | None:
    try:
        import dockerfile  # noqa: PLC0415
    except ImportError:
        return None

    def go(text: str):
        try:
            return dockerfile.parse_string(text)
        except dockerfile.GoParseError as error:
            go.errors.add(str(error))
            return None

    go.errors = set()
    return go


def profile_text(text: str, top: int, stream=sys.stdout) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    full_parse(text)
    profiler.disable()
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    lines = buf.getvalue().splitlines()
    # Keep the table, shorten paths to the project / site-packages.
    for line in lines:
        if not line.strip() or line.lstrip().startswith(("Ordered by", "List reduced")):
            continue
        line = line.replace(str(ROOT) + "/", "")
        cut = line.find("site-packages/")
        if cut >= 0:
            line = line[: line.rfind(" ", 0, cut) + 1] + line[cut + len("site-packages/") :]
        print("    " + line, file=stream)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs per size (default 3)")
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--no-go", action="store_true", help="do not time BuildKit's Go parser")
    ap.add_argument("--superlinear", type=float, default=6.0, help="ratio above which a case is profiled")
    ap.add_argument("--profile", metavar="NAME", help="cProfile case NAME at full size and exit")
    ap.add_argument("--top", type=int, default=12, help="functions shown per profile")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--lark", choices=("default", "python"), default="default", help="dockerast's Lark backend")
    ap.add_argument("--no-gc", action="store_true", help="disable the garbage collector while timing")
    args = ap.parse_args(argv)

    global NO_GC
    NO_GC = args.no_gc
    all_cases = cases()
    if args.list:
        for c in all_cases:
            print(f"{c.name:<20} {c.kind:<5} {c.description}")
        return 0
    selected = [c for c in all_cases if not args.only or c.name in args.only.split(",")]
    full_parse("FROM a\nRUN x\n")  # build the grammar once

    if args.profile:
        case = next((c for c in all_cases if c.name == args.profile), None)
        if case is None:
            print(f"unknown case {args.profile}; see --list", file=sys.stderr)
            return 2
        text = case.make(1.0)
        print(f"cProfile of {case.name} at full size ({len(text):,} chars): {case.description}")
        profile_text(text, args.top)
        return 0

    go = None if args.no_go else _go_parser()
    print(f"dockerast.parse + ins.syntax (+ONBUILD triggers) + tree.errors; best of {args.repeat}; ratio = t(1)/t(1/4)")
    print(f"lark backend: {getattr(_grammar, 'BACKEND', 'python')}; garbage collector {'off' if NO_GC else 'on'} while timing")
    print(f"generator: {GENERATOR if _GEN is not None else 'built-in fallback (shared tool not found)'}")
    header = f"{'case':<19} {'chars (full)':>13} {'t(1/4) s':>9} {'t(1/2) s':>9} {'t(1) s':>8} {'ratio':>6} {'exp':>5}"
    if go is not None:
        header += f" | {'Go t(1/4)':>9} {'Go t(1)':>8} {'Go ratio':>8}"
    print(header)
    print("-" * len(header))
    flagged = []
    failed = []
    go_errors: set[str] = set()
    for case in selected:
        times = []
        texts = [case.make(f) for f in FRACTIONS]
        try:
            for text in texts:
                times.append(timed(full_parse, text, args.repeat))
        except Exception as error:  # noqa: BLE001  (a parser bug: report it, go on)
            size = len(texts[len(times)])
            message = f"{type(error).__name__}: {str(error)[:120]}"
            print(f"{case.name:<19} {len(texts[2]):>13,} raised at {size:,} chars: {message}", flush=True)
            failed.append((case, size, message))
            continue
        ratio = times[2] / times[0] if times[0] > 0 else float("nan")
        exponent = math.log(ratio) / math.log(4) if ratio > 0 else float("nan")
        line = (
            f"{case.name:<19} {len(texts[2]):>13,} {times[0]:>9.4f} {times[1]:>9.4f} {times[2]:>8.4f} "
            f"{ratio:>6.1f} {exponent:>5.2f}"
        )
        if go is not None:
            go.errors.clear()
            gq = timed(go, texts[0], args.repeat)
            q_failed = bool(go.errors)
            go_errors.update(go.errors)
            go.errors.clear()
            gf = timed(go, texts[2], args.repeat)
            f_failed = bool(go.errors)
            mark_q = "*" if q_failed else " "
            mark_f = "*" if f_failed else " "
            ratio_go = "n/a" if (q_failed or f_failed) else f"{gf / gq if gq > 0 else float('nan'):.1f}"
            line += f" | {gq:>8.4f}{mark_q} {gf:>7.4f}{mark_f} {ratio_go:>8}"
            go_errors.update(go.errors)
        print(line, flush=True)
        if ratio > args.superlinear:
            flagged.append((case, times, exponent, texts[1]))

    if go_errors:
        print("\n* BuildKit's parser rejected that input (its time is the time to fail): " + "; ".join(sorted(go_errors)))
    if failed:
        print()
        print("raised (dockerast.parse + syntax + errors must never raise):")
        for case, size, message in failed:
            print(f"  {case.name}: {case.description}: at {size:,} chars: {message}")
    if flagged:
        print()
        print(f"super-linear (ratio > {args.superlinear}):")
        for case, times, exponent, half in flagged:
            print(f"\n  {case.name}: {case.description}")
            if case.nominal:
                estimate = times[2] * case.nominal_factor**exponent
                print(f"  extrapolated to {case.nominal}: ~{estimate:,.0f} s (exponent {exponent:.2f})")
            print(f"  cProfile at half size ({len(half):,} chars), top {args.top} by own time:")
            profile_text(half, args.top)
    else:
        print("\nno case above the super-linear threshold")
    extra = (" --lark python" if args.lark == "python" else "") + (" --no-gc" if args.no_gc else "")
    print(f"\nreproduce: cd {ROOT} && PYTHONPATH={ROOT} python benchmarks/scaling.py --repeat {args.repeat}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
