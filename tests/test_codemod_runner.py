"""The runner: results per file, never raising, any executor, atomic writes, idempotence on real files."""

from __future__ import annotations

import os
import pickle
import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import CORPUS, corpus_files
from dockerast.cli import main
from dockerast.codemod import files as files_module
from dockerast.codemod.actions import CheckAction, FixAction, RefactorAction
from dockerast.codemod.files import BinaryFile, atomic_write, decode
from dockerast.codemod.results import CHANGED, FAILED, SKIPPED, UNCHANGED
from dockerast.codemod.runner import CHECK, DIFF, WRITE, FileJob, process, run
from dockerast.rules import CheckConfig

BAD = "FROM golang:1.22 AS Builder\nFROM alpine\nCOPY --from=Builder /app /app\n"
FIXED = "FROM golang:1.22 AS builder\nFROM alpine\nCOPY --from=builder /app /app\n"
ONLY_BK001 = CheckConfig(select=frozenset({"BK001"}))


def job(path: Path, action=None, mode=WRITE, config=ONLY_BK001) -> FileJob:
    return FileJob(str(path), str(path), action or FixAction(), mode, config)


def test_results_are_small_and_picklable(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)
    for action, mode in ((CheckAction(), CHECK), (FixAction(), DIFF), (RefactorAction("normalize"), CHECK)):
        result = process(job(path, action, mode))
        assert pickle.loads(pickle.dumps(result)) == result
        assert len(pickle.dumps(result)) < 4000


def test_statuses(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text(BAD)
    clean = tmp_path / "clean"
    clean.write_text(FIXED)
    broken = tmp_path / "broken"
    broken.write_text("FROM alpine\nRUN <<EOF\n")
    binary = tmp_path / "binary"
    binary.write_bytes(b"\0\1\2")
    missing = tmp_path / "missing"
    assert process(job(bad, mode=CHECK)).status == CHANGED
    assert process(job(clean)).status == UNCHANGED
    result = process(job(broken))
    assert (result.status, result.error_kind) == (FAILED, "syntax") and "unterminated heredoc" in result.reason
    assert process(job(binary)).status == SKIPPED
    result = process(job(missing))
    assert (result.status, result.error_kind) == (FAILED, "io")
    result = process(job(clean, RefactorAction("rename-stage", (("new", "x"), ("old", "nope")))))
    assert result.status == SKIPPED and "no stage named 'nope'" in result.reason
    assert bad.read_text() == BAD  # CHECK mode wrote nothing


class Exploding(FixAction):
    def apply(self, tree, config):
        raise MemoryError("simulated")


def test_process_never_raises(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)
    result = process(job(path, Exploding()))
    assert result.status == FAILED and result.error_kind == "internal"
    assert "MemoryError: simulated" in result.reason and "Traceback" in result.detail
    assert path.read_text() == BAD


def test_any_executor(tmp_path):
    paths = []
    for i in range(5):
        path = tmp_path / f"{i}.Dockerfile"
        path.write_text(BAD)
        paths.append(path)
    seen = []
    with ThreadPoolExecutor(max_workers=3) as executor:
        results = run([job(p) for p in paths], executor=executor, on_result=seen.append)
    assert [r.status for r in results] == [CHANGED] * 5
    assert [r.path for r in results] == sorted(str(p) for p in paths)
    assert len(seen) == 5
    assert all(p.read_text() == FIXED for p in paths)


def test_process_pool(tmp_path):
    paths = []
    for i in range(4):
        path = tmp_path / f"{i}.Dockerfile"
        path.write_text(BAD if i % 2 else "FROM alpine\nRUN <<EOF\n")
        paths.append(path)
    results = run([job(p, mode=DIFF) for p in paths], workers=2)
    assert sorted(r.status for r in results) == [CHANGED, CHANGED, FAILED, FAILED]
    assert all(r.diff for r in results if r.status == CHANGED)


def test_a_dead_worker_is_a_failed_result(tmp_path):
    class Broken(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            raise RuntimeError("pool is broken")

    path = tmp_path / "Dockerfile"
    path.write_text(BAD)
    with Broken() as executor:
        (result,) = run([job(path)], executor=executor)
    assert result.status == FAILED and "pool is broken" in result.reason


def test_dask_executor(capsys, tmp_path):
    distributed = pytest.importorskip("distributed")
    for i in range(3):
        (tmp_path / f"{i}.Dockerfile").write_text(BAD)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        code = main(["fix", "--select", "BK001", "--executor", address, str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert all(p.read_text() == FIXED for p in tmp_path.glob("*.Dockerfile"))


def test_executor_option_errors(capsys, tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    assert main(["check", "--executor", "ftp://x", str(tmp_path)]) == 2
    assert "expected 'process' or dask://" in capsys.readouterr().err


# -- atomic writes -------------------------------------------------------------


def test_atomic_write_failure_mid_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)
    real_fsync = os.fsync

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_module.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        atomic_write(str(path), b"half")
    monkeypatch.setattr(files_module.os, "fsync", real_fsync)
    assert path.read_text() == BAD
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def test_ctrl_c_during_the_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(files_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        process(job(path))
    assert path.read_text() == BAD
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def test_a_write_failure_is_reported_and_the_run_goes_on(capsys, tmp_path, monkeypatch):
    for name in ("a.Dockerfile", "b.Dockerfile"):
        (tmp_path / name).write_text(BAD)
    real = files_module.os.replace

    def fail_for_a(src, dst):
        if str(dst).endswith("a.Dockerfile"):
            raise PermissionError(13, "Permission denied")
        return real(src, dst)

    monkeypatch.setattr(files_module.os, "replace", fail_for_a)
    code = main(["fix", "--select", "BK001", "--jobs", "1", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "a.Dockerfile: error: cannot write: Permission denied" in err
    assert (tmp_path / "a.Dockerfile").read_text() == BAD
    assert (tmp_path / "b.Dockerfile").read_text() == FIXED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.Dockerfile", "b.Dockerfile"]


def test_atomic_write_refuses_a_file_changed_meanwhile(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("new content by someone else\n")
    with pytest.raises(files_module.ChangedOnDisk):
        atomic_write(str(path), b"ours", expected=b"what we read")
    assert path.read_text() == "new content by someone else\n"


def test_decode_round_trips():
    for data in (b"FROM a\n", b"\xef\xbb\xbfFROM a\r\n", b"FROM a # \xff\xfe odd\n",
                 b"\xff\xfe" + "FROM a\n".encode("utf-16-le"), b"\xfe\xff" + "FROM a\n".encode("utf-16-be")):
        source = decode(data)
        assert source.encode(source.text) == data
    with pytest.raises(BinaryFile):
        decode(b"FROM a\0")


# -- idempotence on real files -------------------------------------------------


def _sample(tmp_path: Path, count: int) -> list[Path]:
    files = corpus_files()
    if not files:
        if os.environ.get("CI"):
            pytest.fail(f"corpus missing: {CORPUS}")
        pytest.skip("corpus missing")
    chosen = random.Random(20240611).sample(files, min(count, len(files)))
    copies = []
    for i, source in enumerate(chosen):
        target = tmp_path / f"s{i:03d}" / "Dockerfile"
        target.parent.mkdir()
        shutil.copyfile(source, target)
        copies.append(target)
    return copies


def _snapshot(paths: list[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths}


@pytest.mark.parametrize("command", [["fix", "--unsafe-fixes"], ["format"], ["refactor", "normalize"]], ids=" ".join)
def test_second_run_changes_nothing_on_corpus_samples(capsys, tmp_path, command):
    copies = _sample(tmp_path, 60)
    args = [*command, "--jobs", "2", str(tmp_path)]
    first = main(args)
    err = capsys.readouterr().err
    assert first in (0, 1), err  # 1: some corpus files do not parse
    assert "internal error" not in err
    after_first = _snapshot(copies)
    assert main([*command, "--check", "--jobs", "2", str(tmp_path)]) in (0, 1)
    out = capsys.readouterr().out
    assert "would change" not in out, out
    assert main(args) in (0, 1)
    capsys.readouterr()
    assert _snapshot(copies) == after_first
