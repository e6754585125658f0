"""Run one action over many files, in a pool of processes (or any executor), never raising.

Modelled on LibCST's codemod runner: each file is a :class:`FileJob`; a
worker reads it, parses it, applies the action and writes the result
atomically (or computes a diff), and sends back a small :class:`FileResult`.
A file that cannot be read, does not parse, is refused by the action, or
trips a bug becomes a result saying so; the other files go on.

``run`` takes any :class:`concurrent.futures.Executor` (a process pool by
default, a Dask ``Client.get_executor()``...); with one worker, or one file,
it runs in this process.
"""

from __future__ import annotations

import difflib
import os
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable, Sequence

from dockerast.codemod.actions import Action, CodemodFailure, syntax_records
from dockerast.codemod.files import BinaryFile, ChangedOnDisk, atomic_write, decode
from dockerast.codemod.results import (
    CHANGED,
    CONFIG,
    FAILED,
    INTERNAL,
    IO,
    SKIPPED,
    SYNTAX,
    UNCHANGED,
    FileResult,
)
from dockerast.cst.parser import parse
from dockerast.rules import CheckConfig

WRITE = "write"  # write changed files in place
DIFF = "diff"  # write nothing, return a unified diff
CHECK = "check"  # write nothing, only say what would change


@dataclass(frozen=True)
class FileJob:
    """One file and what to do with it; everything in it pickles."""

    path: str  # as shown to the user
    real_path: str  # where the bytes are read and written
    action: Action
    mode: str = WRITE
    config: CheckConfig | None = None
    config_error: str = ""


def default_workers() -> int:
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        return counter() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover  (not Linux)
        return os.cpu_count() or 1


def _safe(text: str) -> str:
    """Text fit to print: bytes that were not UTF-8 shown as escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def unified_diff(path: str, old: str, new: str) -> str:
    """A ``git diff``-style unified diff of one file."""
    lines = []
    for line in difflib.unified_diff(
        _safe(old).splitlines(keepends=True), _safe(new).splitlines(keepends=True), f"a/{path}", f"b/{path}"
    ):
        if line.endswith("\n"):
            lines.append(line)
        else:
            lines.append(line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def process(job: FileJob) -> FileResult:
    """Do ``job``; never raises (Ctrl-C excepted): every problem becomes a result."""
    started = time.perf_counter()
    try:
        result = _process(job)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001  (the runner's promise: never raise)
        result = FileResult(
            job.path,
            FAILED,
            f"internal error: {type(error).__name__}: {error}",
            INTERNAL,
            detail=traceback.format_exc(),
        )
    return _timed(result, time.perf_counter() - started)


def _timed(result: FileResult, seconds: float) -> FileResult:
    from dataclasses import replace  # noqa: PLC0415

    return replace(result, seconds=round(seconds, 6))


def _process(job: FileJob) -> FileResult:
    from dockerast.refactor import RefactorError  # noqa: PLC0415

    if job.config_error:
        return FileResult(job.path, FAILED, job.config_error, CONFIG)
    try:
        with open(job.real_path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return FileResult(job.path, FAILED, f"cannot read: {error.strerror or error}", IO)
    try:
        source = decode(data)
    except BinaryFile as error:
        return FileResult(job.path, SKIPPED, str(error))
    tree = parse(source.text)
    if tree.errors:
        errors = syntax_records(tree)
        findings = job.action.on_broken(tree, job.config)
        first = errors[0]
        return FileResult(
            job.path,
            FAILED,
            f"{first.region.line}:{first.region.column}: {first.message}",
            SYNTAX,
            findings=findings,
            syntax_errors=errors,
        )
    try:
        applied = job.action.apply(tree, job.config)
    except RefactorError as error:
        return FileResult(job.path, SKIPPED, str(error))
    except CodemodFailure as error:
        return FileResult(job.path, FAILED, str(error), "codemod")
    if not job.action.writes or applied.text is None or applied.text == source.text:
        return FileResult(job.path, UNCHANGED, findings=applied.findings)
    new_data = source.encode(applied.text)
    if new_data == data:
        return FileResult(job.path, UNCHANGED)
    diff = unified_diff(job.path, source.text, applied.text) if job.mode == DIFF else None
    written = False
    if job.mode == WRITE:
        try:
            atomic_write(job.real_path, new_data, expected=data)
        except ChangedOnDisk as error:
            return FileResult(job.path, FAILED, str(error), IO)
        except OSError as error:
            return FileResult(job.path, FAILED, f"cannot write: {error.strerror or error}", IO)
        written = True
    return FileResult(
        job.path, CHANGED, labels=applied.labels, description=applied.description, diff=diff, written=written
    )


def _lost(job: FileJob, error: BaseException) -> FileResult:
    return FileResult(job.path, FAILED, f"internal error: the worker failed: {type(error).__name__}: {error}", INTERNAL)


def run(
    jobs: Sequence[FileJob],
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Process every job and return the results sorted by path.

    With ``executor`` the jobs go there (it is not shut down here);
    otherwise a process pool of ``workers`` (default: every core) is
    created, unless one worker or one file makes it pointless.
    """
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    workers = workers or default_workers()
    if executor is None and (workers <= 1 or len(jobs) <= 1):
        for job in jobs:
            done(process(job))
        return sorted(results, key=lambda r: r.path)

    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))))
    futures = {}
    try:
        for job in jobs:
            try:
                futures[pool.submit(process, job)] = job
            except Exception as error:  # noqa: BLE001  (a broken pool, an unpicklable job)
                done(_lost(job, error))
        for future in as_completed(futures):
            try:
                result = future.result()
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # noqa: BLE001
                result = _lost(futures[future], error)
            done(result)
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return sorted(results, key=lambda r: r.path)
