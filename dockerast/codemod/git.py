"""The few git operations the runner needs, through the ``git`` command.

Read-only questions (where is the repository, what does it ignore, is it
dirty) and, for ``--git-branch``/``--git-commit``, one branch and one commit
per repository with only the files the run changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache


class GitError(RuntimeError):
    """A git command failed; the message carries what git said."""


def available() -> bool:
    return shutil.which("git") is not None


def _git(top: str, *args: str, check: bool = True, input: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", "-C", top, *args], capture_output=True, input=input, env=env, check=False
        )
    except OSError as error:
        raise GitError(f"cannot run git: {error}") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GitError(f"git {' '.join(args[:2])}: {message}")
    return done


@lru_cache(maxsize=4096)
def toplevel(folder: str) -> str | None:
    """The root of the work tree that holds ``folder``, or None outside any repository."""
    if not available():
        return None
    done = _git(folder, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        return None
    return os.path.realpath(done.stdout.decode("utf-8", "surrogateescape").strip())


def ignored(top: str) -> frozenset[str]:
    """Paths of ``top`` that git ignores (folders end with ``/``), relative, with ``/``.

    ``git ls-files --others --ignored --exclude-standard --directory`` lists
    an ignored folder once instead of everything under it, and never lists a
    tracked file (a tracked file is not ignored, whatever .gitignore says).
    """
    done = _git(top, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory", check=False)
    if done.returncode != 0:
        return frozenset()
    return frozenset(p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p)


def dirty(top: str) -> list[str]:
    """What ``git status`` reports as changed or untracked (empty for a clean work tree)."""
    done = _git(top, "status", "--porcelain", "-z")
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def valid_branch_name(name: str) -> bool:
    if not available():
        return False
    done = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, check=False)
    return done.returncode == 0


def branch_exists(top: str, name: str) -> bool:
    return _git(top, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", check=False).returncode == 0


@dataclass(frozen=True)
class Commit:
    repository: str
    branch: str
    files: tuple[str, ...]
    sha: str


def commit_on_new_branch(top: str, branch: str, message: str, files: list[str]) -> Commit:
    """Create ``branch`` at HEAD, switch to it, and commit exactly ``files`` there.

    The changes are already in the work tree; switching to a new branch made
    at HEAD keeps them.  Other changes (with ``--allow-dirty``) are neither
    staged nor committed.
    """
    relative = sorted(os.path.relpath(os.path.realpath(f), top) for f in files)
    _git(top, "switch", "--quiet", "--create", branch)
    _git(top, "add", "--", *relative)
    _git(top, "commit", "--quiet", "--message", message, "--", *relative)
    sha = _git(top, "rev-parse", "HEAD").stdout.decode().strip()
    return Commit(top, branch, tuple(relative), sha)
