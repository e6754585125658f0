"""CPU instructions per pass over the corpus, counted by callgrind.

Timings on a shared machine move by several percent from run to run; the
number of instructions a pass executes does not, which makes it the measure
for telling whether a change to the parser helps (benchmarks/parse.py then
says what it is worth in MB/s against the other parsers).  Each mode runs
under ``valgrind --tool=callgrind`` twice, with one pass over the files and
with three; the difference, halved, is one pass without the start-up
(imports, grammar loading, reading the files).  String hashing is fixed
(``PYTHONHASHSEED=0``) so that dict lookups probe alike in every run.

Modes, each including the ones before it as benchmarks/parse.py defines them:

  s  ``dockerast.cst.lexer.split`` alone;
  a  ``dockerast.parse``: the split and the nodes;
  B  (b'): (a) and every instruction's syntax, in one grammar pass per file;
  c  (c): (b') and the semantic model.

Usage:

    python benchmarks/instructions.py [--modes s,a,B,c] [--every 4]

``--every N`` takes every Nth file of the corpus (default 4: a run of the
four modes then takes about two minutes).  Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_COLLECTED = re.compile(r"Collected : (\d+)")


def run_passes(mode: str, every: int, passes: int) -> None:
    """The measured work: ``passes`` passes of ``mode`` over every ``every``-th file."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from parse import DEFAULT_CORPUS, force_syntax, load_corpus  # noqa: PLC0415

    import dockerast  # noqa: PLC0415
    from dockerast.cst.lexer import split  # noqa: PLC0415
    from dockerast.cst.parser import read_instructions  # noqa: PLC0415
    from dockerast.semantic.model import analyze  # noqa: PLC0415

    texts = [text for text, _ in load_corpus(DEFAULT_CORPUS)][::every]
    for _ in range(passes):
        for text in texts:
            if mode == "s":
                split(text)
                continue
            tree = dockerast.parse(text)
            if mode in "Bc":
                read_instructions(tree.instructions)
                force_syntax(tree)
            if mode == "c":
                analyze(tree)


def count(mode: str, every: int, passes: int) -> int:
    """Instructions callgrind counts for a whole process running ``passes`` passes."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
         "--child", mode, "--every", str(every), "--passes", str(passes)],
        env=env, capture_output=True, text=True, check=True,
    )
    return int(_COLLECTED.search(done.stderr).group(1))


def per_pass(mode: str, every: int) -> float:
    return (count(mode, every, 3) - count(mode, every, 1)) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="s,a,B,c", help="comma-separated, of s, a, B, c")
    parser.add_argument("--every", type=int, default=4, help="take every Nth file of the corpus")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_passes(args.child, args.every, args.passes)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    modes = args.modes.split(",")
    # (two at a time: each valgrind process is single-threaded)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(modes, pool.map(lambda mode: per_pass(mode, args.every), modes)))
    print(f"instructions per pass over 1 in {args.every} files of the corpus (callgrind, PYTHONHASHSEED=0):")
    for mode, instructions in results.items():
        print(f"  {mode}  {instructions / 1e6:8.1f} M")


if __name__ == "__main__":
    main()
