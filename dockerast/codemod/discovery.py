"""Which files a run looks at.

Under each path given, every file named ``Dockerfile``, ``Containerfile``,
``Dockerfile.*``, ``Containerfile.*``, ``*.Dockerfile``, ``*.Containerfile``
(any case; ``*.dockerignore`` excepted), plus what ``--include`` globs or a
configuration's ``include`` add, minus ``--exclude`` globs and a
configuration's ``exclude``.  A file named on the command line is always
taken, whatever its name.

* ``.gitignore``: inside a git repository git itself answers (``git ls-files
  --ignored``), so nested ``.gitignore`` files, ``.git/info/exclude`` and the
  global excludes count, and tracked files are never ignored; outside one,
  the ``.gitignore`` files found on the way are read with ``pathspec``.
* Symbolic links are never followed out of the given paths: a link whose
  target lies outside them is skipped with a note; a link to a file inside
  them is read and written through (the target is what changes), once.
* Files over ``max_size`` bytes are skipped with a note (binary files are
  recognised, and skipped, when read).
* Version-control folders, ``node_modules``, ``.venv``, ``.tox`` and
  ``__pycache__`` are not entered.

Globs use .gitignore syntax and match the path relative to the given path
(``vendor/``, ``**/testdata/**``, ``*.prod.Dockerfile``); configuration globs
match relative to the configuration file's folder.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from dockerast.codemod import git

DEFAULT_MAX_SIZE = 1024 * 1024
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", ".bzr", "node_modules", ".venv", ".tox", "__pycache__"})


def is_dockerfile_name(name: str) -> bool:
    """Whether a file name is one of the Dockerfile names (any case)."""
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return False
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to process: the path as shown, where its bytes live, and its repository."""

    path: str
    real_path: str
    repository: str | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """A path that was left out, and why."""

    path: str
    reason: str


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    skipped: list[Note] = field(default_factory=list)
    errors: list[Note] = field(default_factory=list)  # paths given that cannot be read at all


class Globs:
    """A list of .gitignore-style globs (``pathspec`` when installed, ``fnmatch`` otherwise)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(p for p in patterns if p and p.strip())
        self._spec = None
        if self.patterns:
            try:
                from pathspec import GitIgnoreSpec  # noqa: PLC0415

                self._spec = GitIgnoreSpec.from_lines(self.patterns)
            except ImportError:  # pragma: no cover  (pathspec is a dependency)
                self._spec = None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match(self, relative: str, is_dir: bool = False) -> bool:
        """Whether ``relative`` (``/``-separated, relative to the globs' base) matches."""
        if not self.patterns:
            return False
        if relative in ("", "."):
            return False
        probe = relative + "/" if is_dir else relative
        if self._spec is not None:
            return bool(self._spec.match_file(probe))
        name = relative.rsplit("/", 1)[-1]
        for pattern in self.patterns:  # pragma: no cover  (without pathspec)
            bare = pattern.rstrip("/")
            if fnmatch.fnmatch(relative, bare) or ("/" not in bare and fnmatch.fnmatch(name, bare)):
                return True
        return False


def _relative(path: str, base: str) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def _inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


class _GitIgnores:
    """Answers "is this ignored" for real paths, per repository (git) or per .gitignore (pathspec)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._ignored: dict[str, frozenset[str]] = {}
        self._specs: dict[str, tuple[tuple[str, Globs], ...]] = {}

    def repository(self, real_dir: str, parent_top: str | None, is_root: bool) -> str | None:
        """The git work tree of ``real_dir``, knowing its parent's."""
        if is_root or os.path.lexists(os.path.join(real_dir, ".git")):
            return git.toplevel(real_dir)
        return parent_top

    def specs(self, real_dir: str, parent: str | None) -> tuple[tuple[str, Globs], ...]:
        """Outside git: the .gitignore files that apply in ``real_dir``."""
        if real_dir in self._specs:
            return self._specs[real_dir]
        inherited = self._specs.get(parent, ()) if parent else ()
        found = inherited
        ignore_file = os.path.join(real_dir, ".gitignore")
        if os.path.isfile(ignore_file):
            try:
                with open(ignore_file, encoding="utf-8", errors="replace") as handle:
                    found = (*inherited, (real_dir, Globs(handle.read().splitlines())))
            except OSError:
                pass
        self._specs[real_dir] = found
        return found

    def ignored(self, real_path: str, is_dir: bool, top: str | None, real_dir: str) -> bool:
        if not self.enabled:
            return False
        if top is not None:
            if top not in self._ignored:
                self._ignored[top] = git.ignored(top)
            rel = _relative(real_path, top)
            return (rel + "/" if is_dir else rel) in self._ignored[top]
        decision = False
        for base, globs in self._specs.get(real_dir, ()):
            rel = _relative(real_path, base)
            spec = globs._spec
            if spec is not None and hasattr(spec, "check_file"):
                result = spec.check_file(rel + "/" if is_dir else rel)
                if result.include is not None:
                    decision = bool(result.include)
            elif globs.match(rel, is_dir):
                decision = True
        return decision


def discover(
    paths: Iterable[str],
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    respect_gitignore: bool = True,
    max_size: int | None = DEFAULT_MAX_SIZE,
    config_globs: Callable[[str], tuple[str | None, tuple[str, ...], tuple[str, ...]]] | None = None,
) -> Discovery:
    """The files under ``paths`` to process, sorted, and the ones left out with the reason.

    ``config_globs(real_folder)`` returns ``(base_folder, include, exclude)``
    of the configuration that applies there (base None: no configuration).
    """
    paths = list(paths)
    result = Discovery()
    include_globs = Globs(include)
    exclude_globs = Globs(exclude)
    ignores = _GitIgnores(respect_gitignore)
    real_roots = [os.path.realpath(p) for p in paths if os.path.lexists(p)]
    seen: set[str] = set()
    config_cache: dict[str, tuple[str | None, Globs, Globs]] = {}

    def config_for(real_dir: str) -> tuple[str | None, Globs, Globs]:
        if config_globs is None:
            return None, Globs(()), Globs(())
        if real_dir not in config_cache:
            base, inc, exc = config_globs(real_dir)
            config_cache[real_dir] = (base, Globs(inc), Globs(exc))
        return config_cache[real_dir]

    def config_excludes(real_path: str, real_dir: str, is_dir: bool) -> bool:
        base, _inc, exc = config_for(real_dir)
        return base is not None and bool(exc) and exc.match(_relative(real_path, base), is_dir)

    def config_includes(real_path: str, real_dir: str) -> bool:
        base, inc, _exc = config_for(real_dir)
        return base is not None and bool(inc) and inc.match(_relative(real_path, base))

    def add(shown: str, real: str, top: str | None, size: int) -> None:
        if real in seen:
            return
        seen.add(real)
        if max_size is not None and size > max_size:
            result.skipped.append(Note(shown, f"larger than the size limit ({size} > {max_size} bytes)"))
            return
        result.files.append(Candidate(os.path.normpath(shown), real, top))

    for given in paths:
        if not os.path.lexists(given):
            result.errors.append(Note(given, "no such file or directory"))
            continue
        real = os.path.realpath(given)
        try:
            info = os.stat(given)
        except OSError as error:
            result.errors.append(Note(given, error.strerror or str(error)))
            continue
        if stat.S_ISREG(info.st_mode):
            top = git.toplevel(os.path.dirname(real)) if git.available() else None
            add(given, real, top, info.st_size)
            continue
        if not stat.S_ISDIR(info.st_mode):
            result.errors.append(Note(given, "not a regular file or a directory"))
            continue
        _walk(given, real, real_roots, ignores, include_globs, exclude_globs, config_excludes, config_includes, add, result)
    result.files.sort(key=lambda c: c.path)
    result.skipped.sort(key=lambda n: n.path)
    return result


def _walk(given, real_root, real_roots, ignores, include_globs, exclude_globs, config_excludes, config_includes, add, result):
    tops: dict[str, str | None] = {}
    for dirpath, dirnames, filenames in os.walk(given, followlinks=False, onerror=None):
        rel_dir = os.path.relpath(dirpath, given)
        real_dir = real_root if rel_dir == "." else os.path.join(real_root, rel_dir)
        parent_real = os.path.dirname(real_dir)
        top = ignores.repository(real_dir, tops.get(parent_real), rel_dir == ".")
        tops[real_dir] = top
        if ignores.enabled and top is None:
            ignores.specs(real_dir, parent_real if rel_dir != "." else None)

        keep = []
        for name in sorted(dirnames):
            shown = os.path.join(dirpath, name)
            real = os.path.join(real_dir, name)
            rel = _relative(shown, given)
            if os.path.islink(shown):
                target = os.path.realpath(shown)
                if not _inside(target, real_roots):
                    result.skipped.append(Note(shown, f"symbolic link to {target}, outside the given paths; not followed"))
                continue  # a link to a folder inside the roots: that folder is walked on its own
            if name in SKIPPED_FOLDERS:
                continue
            if exclude_globs.match(rel, True) or config_excludes(real, real_dir, True):
                continue
            if ignores.ignored(real, True, top, real_dir):
                continue
            keep.append(name)
        dirnames[:] = keep

        for name in sorted(filenames):
            shown = os.path.join(dirpath, name)
            real = os.path.join(real_dir, name)
            rel = _relative(shown, given)
            wanted = is_dockerfile_name(name) or include_globs.match(rel) or config_includes(real, real_dir)
            if not wanted:
                continue
            if exclude_globs.match(rel) or config_excludes(real, real_dir, False):
                continue
            if ignores.ignored(real, False, top, real_dir):
                continue
            try:
                if os.path.islink(shown):
                    target = os.path.realpath(shown)
                    if not _inside(target, real_roots):
                        result.skipped.append(Note(shown, f"symbolic link to {target}, outside the given paths; not followed"))
                        continue
                    info = os.stat(target)
                    if not stat.S_ISREG(info.st_mode):
                        continue
                    add(shown, target, top, info.st_size)
                    continue
                info = os.lstat(shown)
            except OSError as error:
                result.skipped.append(Note(shown, f"cannot read: {error.strerror or error}"))
                continue
            if stat.S_ISREG(info.st_mode):
                add(shown, real, top, info.st_size)


def config_globs_from_project(folder: str) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """``config_globs`` for :func:`discover` from ``find_config``; a broken configuration adds nothing."""
    from dockerast.config import ConfigError, find_config  # noqa: PLC0415

    try:
        config = find_config(Path(folder))
    except ConfigError:
        return None, (), ()
    if config.path is None:
        return None, (), ()
    return str(config.path.parent.resolve()), tuple(config.include), tuple(config.exclude)
