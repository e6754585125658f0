"""--git-branch / --git-commit: one branch and one commit per repository, only its changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dockerast.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BAD = "FROM golang:1.22 AS Builder\nFROM alpine\nCOPY --from=Builder /app /app\n"
FIXED = "FROM golang:1.22 AS builder\nFROM alpine\nCOPY --from=builder /app /app\n"
CLEAN = "FROM alpine AS base\n"


@pytest.fixture(autouse=True)
def identity(monkeypatch, tmp_path):
    for key, value in {
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(key, value)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "initial")
    return path


def fix(*paths: Path, extra: tuple[str, ...] = ()) -> int:
    return main(["fix", "--select", "BK001", "--git-branch", "dockerast/fix", "--git-commit", "Lowercase stage names",
                 *extra, *map(str, paths)])


def test_one_branch_and_commit_per_repository(capsys, tmp_path):
    one = make_repo(tmp_path / "one", {"Dockerfile": BAD, "svc/api.Dockerfile": BAD, "README": "x\n"})
    two = make_repo(tmp_path / "two", {"Dockerfile": BAD})
    three = make_repo(tmp_path / "three", {"Dockerfile": CLEAN})
    report = tmp_path / "report.json"
    assert fix(one, two, three, extra=("--report", str(report))) == 0
    err = capsys.readouterr().err
    for repo, count in ((one, 2), (two, 1)):
        assert git(repo, "branch", "--show-current") == "dockerast/fix"
        assert git(repo, "log", "--format=%s", "-1") == "Lowercase stage names"
        assert git(repo, "rev-list", "--count", "main..dockerast/fix") == "1"
        changed = git(repo, "diff", "--name-only", "main", "dockerast/fix").splitlines()
        assert len(changed) == count
        assert git(repo, "status", "--porcelain") == ""
        assert f"on branch dockerast/fix in {repo.resolve()}" in err
    assert sorted(git(one, "diff", "--name-only", "main", "dockerast/fix").splitlines()) == ["Dockerfile", "svc/api.Dockerfile"]
    assert (one / "Dockerfile").read_text() == FIXED
    # Nothing changed in three: no branch there.
    assert git(three, "branch", "--list", "dockerast/fix") == ""
    assert git(three, "branch", "--show-current") == "main"
    commits = json.loads(report.read_text())["commits"]
    assert sorted(Path(c["repository"]).name for c in commits) == ["one", "two"]


def test_dirty_repository_is_refused(capsys, tmp_path):
    dirty = make_repo(tmp_path / "dirty", {"Dockerfile": BAD, "notes.txt": "a\n"})
    clean = make_repo(tmp_path / "clean", {"Dockerfile": BAD})
    (dirty / "notes.txt").write_text("edited\n")
    assert fix(dirty, clean) == 2
    err = capsys.readouterr().err
    assert "uncommitted changes" in err and "--allow-dirty" in err
    assert (dirty / "Dockerfile").read_text() == BAD
    assert git(dirty, "branch", "--list", "dockerast/fix") == ""
    # The clean repository still got its branch.
    assert git(clean, "branch", "--show-current") == "dockerast/fix"


def test_allow_dirty_commits_only_the_changes_of_the_run(capsys, tmp_path):
    repo = make_repo(tmp_path / "repo", {"Dockerfile": BAD, "notes.txt": "a\n"})
    (repo / "notes.txt").write_text("edited\n")
    (repo / "untracked.txt").write_text("new\n")
    assert fix(repo, extra=("--allow-dirty",)) == 0
    assert git(repo, "diff", "--name-only", "main", "dockerast/fix") == "Dockerfile"
    status = sorted(line.strip() for line in git(repo, "status", "--porcelain").splitlines())
    assert status == ["?? untracked.txt", "M notes.txt"]


def test_existing_branch_is_refused(capsys, tmp_path):
    repo = make_repo(tmp_path / "repo", {"Dockerfile": BAD})
    git(repo, "branch", "dockerast/fix")
    assert fix(repo) == 2
    assert "already exists" in capsys.readouterr().err
    assert (repo / "Dockerfile").read_text() == BAD


def test_files_outside_a_repository_are_skipped(capsys, tmp_path):
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "Dockerfile").write_text(BAD)
    assert fix(tmp_path / "loose") == 0
    assert "not in a git repository" in capsys.readouterr().err
    assert (tmp_path / "loose" / "Dockerfile").read_text() == BAD


def test_git_options_are_checked(capsys, tmp_path):
    repo = make_repo(tmp_path / "repo", {"Dockerfile": BAD})
    assert main(["fix", "--git-branch", "bad..name", "--git-commit", "m", str(repo)]) == 2
    assert "not a valid branch name" in capsys.readouterr().err
    assert main(["fix", "--diff", "--git-branch", "b", "--git-commit", "m", str(repo)]) == 2


def test_refactor_and_format_commit_too(capsys, tmp_path):
    repo = make_repo(tmp_path / "repo", {"Dockerfile": "from alpine\n"})
    assert main(["format", "--git-branch", "fmt", "--git-commit", "Format", str(repo)]) == 0
    assert git(repo, "show", "fmt:Dockerfile") == "FROM alpine"
