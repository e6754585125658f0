"""Which files a run takes: names, .gitignore, globs, configuration, symlinks, size and binary files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dockerast.cli import main
from dockerast.codemod.discovery import discover, is_dockerfile_name

GIT = shutil.which("git")
DOCKERFILE = "FROM alpine AS Base\n"


def names(found, root: Path) -> list[str]:
    return sorted(os.path.relpath(c.path, root).replace(os.sep, "/") for c in found.files)


def touch(path: Path, text: str = DOCKERFILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "name, wanted",
    [
        ("Dockerfile", True), ("dockerfile", True), ("DOCKERFILE", True), ("Containerfile", True),
        ("Dockerfile.prod", True), ("dockerfile.dev", True), ("api.Dockerfile", True), ("api.dockerfile", True),
        ("Containerfile.arm64", True), ("build.containerfile", True),
        ("Dockerfile.dockerignore", False), ("api.Dockerfile.dockerignore", False), (".dockerignore", False),
        ("Dockerfile-old", False), ("README.md", False), ("dockerfiles", False), ("Makefile", False),
    ],
)
def test_names(name, wanted):
    assert is_dockerfile_name(name) is wanted


def test_walk_finds_the_names_and_skips_vcs_and_vendor_folders(tmp_path):
    for rel in ("Dockerfile", "a/Containerfile", "a/b/Dockerfile.prod", "c/web.dockerfile", "c/notes.txt",
                ".git/Dockerfile", "node_modules/x/Dockerfile", ".venv/Dockerfile"):
        touch(tmp_path / rel)
    found = discover([str(tmp_path)], respect_gitignore=False)
    assert names(found, tmp_path) == ["Dockerfile", "a/Containerfile", "a/b/Dockerfile.prod", "c/web.dockerfile"]


def test_explicit_files_are_taken_whatever_their_name(tmp_path):
    path = touch(tmp_path / "odd-name.txt")
    found = discover([str(path)])
    assert [c.path for c in found.files] == [str(path)]


def test_include_and_exclude_globs(tmp_path):
    for rel in ("Dockerfile", "docker/base.df", "vendor/lib/Dockerfile", "tests/fixtures/Dockerfile"):
        touch(tmp_path / rel)
    found = discover([str(tmp_path)], include=["*.df"], exclude=["vendor/", "**/fixtures/**"], respect_gitignore=False)
    assert names(found, tmp_path) == ["Dockerfile", "docker/base.df"]


def test_missing_paths_are_errors(tmp_path):
    found = discover([str(tmp_path / "nope")])
    assert found.errors and found.errors[0].reason == "no such file or directory"


def test_gitignore_outside_git_with_pathspec(tmp_path):
    pytest.importorskip("pathspec")
    touch(tmp_path / ".gitignore", "build/\n*.tmp.Dockerfile\n")
    touch(tmp_path / "sub/.gitignore", "!keep.tmp.Dockerfile\nlocal/\n")
    for rel in ("Dockerfile", "build/Dockerfile", "x.tmp.Dockerfile", "sub/keep.tmp.Dockerfile", "sub/local/Dockerfile", "sub/Dockerfile"):
        touch(tmp_path / rel)
    found = discover([str(tmp_path)])
    assert names(found, tmp_path) == ["Dockerfile", "sub/Dockerfile", "sub/keep.tmp.Dockerfile"]
    assert len(discover([str(tmp_path)], respect_gitignore=False).files) == 6


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_gitignore_inside_git(tmp_path):
    _git(tmp_path, "init", "-q")
    touch(tmp_path / ".gitignore", "build/\nignored.Dockerfile\n")
    touch(tmp_path / "sub/.gitignore", "gen/\n")
    touch(tmp_path / ".git/info/exclude", "private/\n")
    for rel in ("Dockerfile", "build/Dockerfile", "ignored.Dockerfile", "sub/Dockerfile", "sub/gen/Dockerfile",
                "private/Dockerfile", "tracked/Dockerfile"):
        touch(tmp_path / rel)
    # A tracked file is not ignored, whatever .gitignore says later.
    _git(tmp_path, "add", "tracked/Dockerfile")
    touch(tmp_path / ".gitignore", "build/\nignored.Dockerfile\ntracked/\n")
    found = discover([str(tmp_path)])
    assert names(found, tmp_path) == ["Dockerfile", "sub/Dockerfile", "tracked/Dockerfile"]
    assert {c.repository for c in found.files} == {str(tmp_path.resolve())}


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_nested_repositories_have_their_own_ignores(tmp_path):
    _git(tmp_path, "init", "-q")
    inner = tmp_path / "inner"
    inner.mkdir()
    _git(inner, "init", "-q")
    touch(inner / ".gitignore", "out/\n")
    touch(inner / "Dockerfile")
    touch(inner / "out/Dockerfile")
    found = discover([str(tmp_path)])
    assert names(found, tmp_path) == ["inner/Dockerfile"]
    assert found.files[0].repository == str(inner.resolve())


def test_symlinks_never_lead_out_of_the_roots(tmp_path):
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    touch(outside / "Dockerfile")
    touch(root / "real/Dockerfile")
    root.joinpath("escape").symlink_to(outside, target_is_directory=True)
    root.joinpath("escape.Dockerfile").symlink_to(outside / "Dockerfile")
    root.joinpath("alias.Dockerfile").symlink_to(root / "real" / "Dockerfile")
    root.joinpath("loop").symlink_to(root, target_is_directory=True)
    found = discover([str(root)], respect_gitignore=False)
    # The link to a file inside is the same file: taken once.
    assert [os.path.relpath(c.real_path, root) for c in found.files] == ["real/Dockerfile"]
    reasons = {os.path.basename(n.path): n.reason for n in found.skipped}
    assert "outside the given paths" in reasons["escape"]
    assert "outside the given paths" in reasons["escape.Dockerfile"]


def test_fix_writes_through_a_link_inside_the_roots(capsys, tmp_path):
    real = touch(tmp_path / "docker" / "base.df")
    (tmp_path / "Dockerfile").symlink_to(real)
    assert main(["fix", "--select", "BK001", str(tmp_path / "Dockerfile")]) == 0
    assert (tmp_path / "Dockerfile").is_symlink()
    assert real.read_text() == "FROM alpine AS base\n"


def test_oversize_and_binary_files_are_skipped_with_a_note(capsys, tmp_path):
    touch(tmp_path / "big.Dockerfile", "FROM alpine\n" + "# padding\n" * 200)
    (tmp_path / "bin.Dockerfile").write_bytes(b"\x7fELF\x00\x00\x01")
    touch(tmp_path / "Dockerfile")
    code = main(["check", "--select", "BK001", "--max-size", "1000", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{tmp_path / 'big.Dockerfile'}: skipped: larger than the size limit" in err
    assert f"{tmp_path / 'bin.Dockerfile'}: skipped: binary file" in err
    assert "3 files seen" in err and "2 skipped" in err


def test_configuration_exclude_and_include(capsys, tmp_path):
    touch(tmp_path / ".dockerast.toml", 'exclude = ["legacy/"]\ninclude = ["*.df"]\n')
    touch(tmp_path / "Dockerfile")
    touch(tmp_path / "legacy/Dockerfile")
    touch(tmp_path / "images/base.df")
    main(["check", "--select", "BK001", "--output-format", "json", str(tmp_path)])
    import json

    paths = sorted(os.path.relpath(item["path"], tmp_path) for item in json.loads(capsys.readouterr().out))
    assert paths == ["Dockerfile", os.path.join("images", "base.df")]


def test_repos_file(capsys, tmp_path):
    touch(tmp_path / "one/Dockerfile")
    touch(tmp_path / "two/sub/Dockerfile")
    touch(tmp_path / "three/Dockerfile")
    (tmp_path / "repos.txt").write_text("# the repositories\none\n\ntwo\n")
    assert main(["check", "--select", "BK001", "--repos-file", str(tmp_path / "repos.txt")]) == 1
    out = capsys.readouterr().out
    assert "one/Dockerfile" in out and "two/sub/Dockerfile" in out and "three" not in out


def test_each_repository_has_its_own_configuration(capsys, tmp_path):
    bad = "FROM alpine AS Base\nCMD echo hi\n"
    touch(tmp_path / "one/Dockerfile", bad)
    touch(tmp_path / "one/.dockerast.toml", 'select = ["StageNameCasing"]\n')
    touch(tmp_path / "two/Dockerfile", bad)
    touch(tmp_path / "two/pyproject.toml", '[project]\nname = "two"\n[tool.dockerast]\nselect = ["BK001"]\nignore = ["BK001"]\n')
    main(["check", "--output-format", "json", str(tmp_path / "one"), str(tmp_path / "two")])
    import json

    found = {(Path(item["path"]).parent.name, item["code"]) for item in json.loads(capsys.readouterr().out)}
    assert found == {("one", "BK001")}
    # --config puts one configuration over every file.
    touch(tmp_path / "shared.toml", 'select = ["BK001"]\n')
    main(["check", "--output-format", "json", "--config", str(tmp_path / "shared.toml"), str(tmp_path)])
    found = {(Path(item["path"]).parent.name, item["code"]) for item in json.loads(capsys.readouterr().out)}
    assert found == {("one", "BK001"), ("two", "BK001")}
