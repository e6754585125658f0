"""The hooks of .pre-commit-hooks.yaml, run by pre-commit itself (``pre-commit try-repo``).

pre-commit installs this project into a fresh virtualenv the first time, which
takes a while; the test runs only where pre-commit is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = "FROM golang:1.22 AS Builder\nFROM alpine\nCOPY --from=Builder /app /app\n"
FIXED = "FROM golang:1.22 AS builder\nFROM alpine\nCOPY --from=builder /app /app\n"


def _pre_commit() -> list[str]:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return [sys.executable, "-m", "pre_commit"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_hooks_file_names_the_commands():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"dockerast-check", "dockerast-fix", "dockerast-format"}
    import re

    for hook_id, hook in hooks.items():
        assert hook["entry"].split()[:2] == ["dockerast", hook_id.split("-")[1]]
        pattern = re.compile(hook["files"])
        for name in ("Dockerfile", "a/Containerfile", "x/Dockerfile.prod", "svc/api.dockerfile", "B.Dockerfile"):
            assert pattern.search(name), name
        for name in ("README.md", "dockerfiles/x.txt"):
            assert not pattern.search(name), name


def test_pre_commit_try_repo(tmp_path):
    command = _pre_commit()
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(tmp_path / "cache"),
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid",
        GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"), GIT_CONFIG_NOSYSTEM="1",
    )
    # A snapshot of the project as a committed repository (pre-commit installs from commits).
    hooks_repo = tmp_path / "hooks"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".venv", ".git", ".pytest_cache", ".hypothesis")
    hooks_repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, hooks_repo / name)
    for name in ("dockerast", "grammar", "lsp_server"):
        shutil.copytree(ROOT / name, hooks_repo / name, ignore=ignore)
    _git(hooks_repo, "init", "-q")
    _git(hooks_repo, "add", ".")
    subprocess.run(["git", "commit", "-q", "-m", "snapshot"], cwd=hooks_repo, check=True, capture_output=True, env=env)

    work = tmp_path / "work"
    work.mkdir()
    (work / "Dockerfile").write_text(BAD)
    (work / "notes.txt").write_text("not a Dockerfile\n")
    _git(work, "init", "-q")
    _git(work, "add", ".")

    def try_repo() -> subprocess.CompletedProcess:
        # Without a hook id, try-repo runs every hook of the repository, in file order.
        return subprocess.run(
            [*command, "try-repo", str(hooks_repo), "--all-files", "--color", "never"],
            cwd=work, capture_output=True, text=True, env=env, timeout=600,
        )

    # One run (each try-repo installs the project afresh): check fails, fix changes
    # the file (so pre-commit fails it), format then finds it formatted.
    done = try_repo()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Dockerfile:1:21: BK001 StageNameCasing" in done.stdout
    assert "files were modified by this hook" in done.stdout
    assert (work / "Dockerfile").read_text() == FIXED
    lines = {line.split(".")[0]: line for line in done.stdout.splitlines() if line.startswith("dockerast ")}
    assert lines["dockerast check"].endswith("Failed")
    assert lines["dockerast fix"].endswith("Failed")
    assert lines["dockerast format"].endswith("Passed"), output
