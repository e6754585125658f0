"""The ``dockerast`` command."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path

from dockerast.cst.nodes import Dockerfile, OnbuildInstruction
from dockerast.cst.parser import parse_bytes
from dockerast.cst.positions import LineIndex


def _describe(tree: Dockerfile, path: str) -> str:
    """The tree, the stages and the syntax errors of one file, for people."""
    index = LineIndex(str(tree))
    lines = []
    if tree.bom:
        lines.append("BOM")
    for d in tree.directives:
        lines.append(f"directive {d.name}={d.value}")
    for offset, ins in zip(tree.instruction_offsets(), tree.instructions):
        pos = index.position(offset + ins.keyword_span.start)
        detail = [type(ins).__name__]
        if ins.flags:
            detail.append("flags=" + " ".join(f.text for f in ins.flags))
        if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
            detail.append(f"trigger={type(ins.trigger).__name__}")
        heredocs = getattr(ins, "heredocs", ())
        if heredocs:
            detail.append("heredocs=" + ",".join(h.name for h in heredocs))
        lines.append(f"{pos.line + 1}:{pos.column + 1} {' '.join(detail)}: {ins.logical.strip()[:100]}")
    from dockerast.semantic.model import analyze  # noqa: PLC0415

    model = analyze(tree)
    for stage in model.stages:
        name = f" AS {stage.name}" if stage.name else ""
        platform = f" --platform={stage.platform}" if stage.platform else ""
        lines.append(f"stage {stage.index}: FROM{platform} {stage.base_name}{name} ({len(stage.instructions)} instructions)")
    for error in tree.errors:
        lines.append(f"{path}:{error.line + 1}:{error.column + 1}: error: {error.message}")
    return "\n".join(lines)


def _cmd_parse(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as error:
            print(f"{name}: error: {error.strerror}", file=sys.stderr)
            status = 2
            continue
        tree = parse_bytes(data)
        print(_describe(tree, name))
        if tree.errors:
            status = max(status, 1)
    return status


# -- shared plumbing ------------------------------------------------------------


class UsageError(Exception):
    """Bad options or arguments: printed as ``dockerast: error: ...``, exit status 2."""


EXAMPLES_FORMATTER = argparse.RawDescriptionHelpFormatter


def _print(text: str, *, stream=None, end: str = "\n") -> None:
    """Print ``text`` whatever the terminal's encoding (undecodable bytes become escapes)."""
    stream = stream if stream is not None else sys.stdout
    try:
        stream.write(text + end)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write((text + end).encode(encoding, "backslashreplace").decode(encoding, "replace"))


def _err(text: str) -> None:
    _print(text, stream=sys.stderr)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _names(values: list[str] | None) -> frozenset[str] | None:
    """Comma-separated rule codes or names from repeated options; each must name a rule."""
    if not values:
        return None
    from dockerast.rules import rule_by_key  # noqa: PLC0415

    names = {v.strip() for value in values for v in value.split(",") if v.strip()}
    unknown = sorted(n for n in names if n.upper() != "ALL" and rule_by_key(n) is None)
    if unknown:
        raise UsageError(f"unknown rule {', '.join(unknown)} (see `dockerast rules`)")
    return frozenset("ALL" if n.upper() == "ALL" else n for n in names)


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


class Progress:
    """A one-line progress bar on a terminal; nothing otherwise."""

    def __init__(self, total: int, stream, enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled and total > 1
        self.done = 0

    def __call__(self, _result) -> None:
        if not self.enabled:
            return
        self.done += 1
        width = 30
        filled = width * self.done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} files")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


# -- common options -------------------------------------------------------------


def _files_options() -> argparse.ArgumentParser:
    from dockerast.codemod.discovery import DEFAULT_MAX_SIZE  # noqa: PLC0415

    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("files")
    group.add_argument("--repos-file", metavar="FILE", help="a file listing more paths, one per line (# comments)")
    group.add_argument("--include", action="append", default=[], metavar="GLOB", help="also take files matching GLOB (.gitignore syntax); repeatable")
    group.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave out paths matching GLOB (.gitignore syntax); repeatable")
    group.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="also take files that .gitignore ignores")
    group.add_argument("--max-size", type=int, default=DEFAULT_MAX_SIZE, metavar="BYTES", help=f"skip larger files (default: {DEFAULT_MAX_SIZE})")
    group.add_argument("--config", metavar="FILE", help="use this .dockerast.toml or pyproject.toml for every file instead of the nearest one")
    run = parent.add_argument_group("run")
    run.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="worker processes (default: every core)")
    run.add_argument(
        "--executor",
        metavar="URL",
        help="where to run: 'process' (default) or dask://HOST:PORT, a Dask scheduler (needs the distributed package)",
    )
    run.add_argument("--report", metavar="FILE.json", help="write a JSON report of every file")
    run.add_argument("-q", "--quiet", action="store_true", help="print only results and errors, no summary or notes")
    run.add_argument("-v", "--verbose", action="store_true", help="also list each changed file")
    run.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar, even on a terminal")
    return parent


def _add_paths(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files and folders (repositories) to process; folders are searched for Dockerfile, Containerfile, "
        "Dockerfile.*, *.Dockerfile, *.dockerfile (default: .)",
    )
    return parser


def _rules_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("rules")
    group.add_argument("--select", action="append", metavar="RULES", help="only these rules: codes or names, comma separated (ALL for every rule)")
    group.add_argument("--ignore", action="append", metavar="RULES", help="not these rules (added to the configuration's ignore)")
    group.add_argument("--experimental", action="append", metavar="RULES", help="enable these experimental rules")
    group.add_argument("--context", metavar="DIR", help="the build context, for rules that read it (CopyIgnoredFile)")
    return parent


def _write_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("writing")
    group.add_argument("--diff", action="store_true", help="print unified diffs and write nothing (exit 1 if any)")
    group.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    group.add_argument("--git-branch", metavar="NAME", help="in each repository that changes, create branch NAME and commit the changes there")
    group.add_argument("--git-commit", metavar="MESSAGE", help="the commit message (with --git-branch)")
    group.add_argument("--allow-dirty", action="store_true", help="with --git-branch, accept repositories with uncommitted changes")
    return parent


# -- running a command over files -------------------------------------------------


def _gather_paths(args: argparse.Namespace) -> list[str]:
    paths = list(args.paths)
    if args.repos_file:
        try:
            with open(args.repos_file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as error:
            raise UsageError(f"{args.repos_file}: cannot read: {error.strerror or error}") from None
        base = os.path.dirname(args.repos_file)
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                paths.append(os.path.normpath(os.path.join(base, os.path.expanduser(line))))
    return paths or ["."]


class _Configs:
    """The rule configuration of each file: the nearest configuration file (cached per folder) plus the options."""

    def __init__(self, args: argparse.Namespace, with_rules: bool) -> None:
        from dockerast.config import ConfigError, find_config, load_config  # noqa: PLC0415

        self._find = find_config
        self._error = ConfigError
        self._cache: dict[str, object] = {}
        self.fixed = None
        if args.config:
            try:
                self.fixed = load_config(Path(args.config))
            except ConfigError as error:
                raise UsageError(str(error)) from None
            except FileNotFoundError:
                raise UsageError(f"{args.config}: no such file") from None
        self.with_rules = with_rules
        if with_rules:
            self.select = _names(args.select)
            self.ignore = _names(args.ignore) or frozenset()
            # CheckConfig spells "every experimental rule" in lowercase.
            self.experimental = frozenset("all" if n == "ALL" else n for n in _names(args.experimental) or ())
            context = getattr(args, "context", None)
            if context is not None and not os.path.isdir(context):
                raise UsageError(f"--context {context}: not a folder")
            self.context = os.path.abspath(context) if context else None

    def project(self, folder: str):
        """The ProjectConfig for a folder, or a ConfigError message."""
        if self.fixed is not None:
            return self.fixed
        if folder not in self._cache:
            try:
                self._cache[folder] = self._find(Path(folder))
            except self._error as error:
                self._cache[folder] = str(error)
        return self._cache[folder]

    def globs(self, folder: str):
        project = self.project(folder)
        if isinstance(project, str) or project.path is None:
            return None, (), ()
        return str(project.path.parent.resolve()), tuple(project.include), tuple(project.exclude)

    def check_config(self, real_path: str):
        """``(CheckConfig or None, error message)`` for one file."""
        if not self.with_rules:
            return None, ""
        project = self.project(os.path.dirname(real_path))
        if isinstance(project, str):
            return None, f"configuration error: {project}"
        try:
            config = project.check_config(
                select=self.select,
                ignore=frozenset(project.ignore) | self.ignore,
                experimental=frozenset(project.experimental) | self.experimental,
                context_dir=self.context,
            )
        except (TypeError, ValueError) as error:
            return None, f"configuration error: {error}"
        return config, ""


def _executor(args: argparse.Namespace):
    """``(executor or None, close)`` from --executor."""
    url = args.executor
    if url in (None, "", "process"):
        return None, lambda: None
    if url.startswith("dask://"):
        try:
            from distributed import Client  # noqa: PLC0415
        except ImportError:
            raise UsageError("--executor dask://... needs the distributed package (pip install distributed)") from None
        address = "tcp://" + url[len("dask://") :]
        try:
            client = Client(address, timeout="10s")
        except Exception as error:  # noqa: BLE001  (whatever the connection raises)
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        return client.get_executor(), client.close
    raise UsageError(f"--executor {url}: expected 'process' or dask://HOST:PORT")


def _validate_write_options(args: argparse.Namespace) -> None:
    from dockerast.codemod import git  # noqa: PLC0415

    if args.git_branch or args.git_commit:
        if not (args.git_branch and args.git_commit):
            raise UsageError("--git-branch and --git-commit go together")
        if args.diff or args.check:
            raise UsageError("--git-branch writes and commits; it cannot be combined with --diff or --check")
        if not git.available():
            raise UsageError("--git-branch needs the git command")
        if not git.valid_branch_name(args.git_branch):
            raise UsageError(f"--git-branch {args.git_branch!r} is not a valid branch name")


def _prepare_git(args, candidates, notes, errors):
    """Refuse dirty repositories and existing branches; the files of a refused repository are left out."""
    from dockerast.codemod import git  # noqa: PLC0415
    from dockerast.codemod.discovery import Note  # noqa: PLC0415

    kept = []
    verdict: dict[str, str] = {}
    for candidate in candidates:
        top = candidate.repository
        if top is None:
            notes.append(Note(candidate.path, "not in a git repository; --git-branch needs one"))
            continue
        if top not in verdict:
            reason = ""
            try:
                if not args.allow_dirty:
                    changes = git.dirty(top)
                    if changes:
                        reason = f"{top}: the repository has uncommitted changes ({len(changes)} path(s)); commit or stash them, or pass --allow-dirty"
                if not reason and git.branch_exists(top, args.git_branch):
                    reason = f"{top}: branch {args.git_branch!r} already exists"
            except git.GitError as error:
                reason = f"{top}: {error}"
            verdict[top] = reason
            if reason:
                errors.append(reason)
        if verdict[top]:
            notes.append(Note(candidate.path, "repository refused: " + verdict[top].split(": ", 1)[-1]))
        else:
            kept.append(candidate)
    return kept


def _commit(args, candidates, results, errors):
    from dockerast.codemod import git  # noqa: PLC0415
    from dockerast.codemod.results import CHANGED  # noqa: PLC0415

    by_path = {c.path: c for c in candidates}
    changed: dict[str, list[str]] = {}
    for result in results:
        if result.status == CHANGED and result.written:
            candidate = by_path[result.path]
            changed.setdefault(candidate.repository, []).append(candidate.real_path)
    commits = []
    for top, files in sorted(changed.items()):
        try:
            commits.append(git.commit_on_new_branch(top, args.git_branch, args.git_commit, files))
        except git.GitError as error:
            errors.append(f"{top}: {error}")
    return commits


def _run_files(args: argparse.Namespace, action, command: str, *, with_rules: bool = False) -> tuple[int, object, list]:
    """Discover, run, commit; returns (exit status from errors so far, summary, results)."""
    from dataclasses import asdict  # noqa: PLC0415

    from dockerast.codemod.discovery import discover  # noqa: PLC0415
    from dockerast.codemod.output import Summary  # noqa: PLC0415
    from dockerast.codemod.runner import CHECK, DIFF, WRITE, FileJob, run  # noqa: PLC0415

    summary = Summary(command)
    writes = action.writes
    if writes:
        _validate_write_options(args)
        mode = DIFF if args.diff else CHECK if args.check else WRITE
    else:
        mode = CHECK
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    configs = _Configs(args, with_rules)
    paths = _gather_paths(args)
    found = discover(
        paths,
        include=args.include,
        exclude=args.exclude,
        respect_gitignore=args.respect_gitignore,
        max_size=args.max_size if args.max_size and args.max_size > 0 else None,
        config_globs=configs.globs,
    )
    status = 0
    for error in found.errors:
        _err(f"{error.path}: error: {error.reason}")
        status = 2
    notes = list(found.skipped)
    candidates = found.files
    git_errors: list[str] = []
    if writes and args.git_branch:
        candidates = _prepare_git(args, candidates, notes, git_errors)
        for message in git_errors:
            _err(f"error: {message}")
    jobs = []
    for candidate in candidates:
        config, config_error = configs.check_config(candidate.real_path)
        jobs.append(FileJob(candidate.path, candidate.real_path, action, mode, config, config_error))
    executor, close = _executor(args)
    progress = Progress(len(jobs), sys.stderr, args.progress and not args.quiet and _isatty(sys.stderr))
    try:
        results = run(jobs, executor=executor, workers=args.jobs, on_result=progress)
    finally:
        progress.close()
        close()
    summary.notes = notes
    summary.finish(results)
    if writes and args.git_branch:
        commit_errors: list[str] = []
        summary.commits = [asdict(c) for c in _commit(args, candidates, results, commit_errors)]
        for message in commit_errors:
            _err(f"error: {message}")
        git_errors.extend(commit_errors)
    if git_errors:
        status = 2
    if not args.quiet:
        for note in notes:
            _err(f"{note.path}: skipped: {note.reason}")
    return status, summary, results


def _report_failures(results, *, quiet: bool, syntax_to_stdout: bool = False) -> int:
    """Print skipped (unless quiet) and failed files; the exit status they call for."""
    from dockerast.codemod.results import FAILED, SKIPPED, SYNTAX  # noqa: PLC0415

    status = 0
    for result in results:
        if result.status == SKIPPED:
            if not quiet:
                _err(f"{result.path}: skipped: {result.reason}")
        elif result.status == FAILED:
            if result.error_kind == SYNTAX:
                status = max(status, 1)
                if not syntax_to_stdout:
                    for error in result.syntax_errors:
                        _err(f"{result.path}:{error.region.line}:{error.region.column}: error: {error.message}")
            else:
                status = 2
                _err(f"{result.path}: error: {result.reason}")
    return status


def _finish(args, summary, status: int, *, extra: dict | None = None, changed_word: str = "changed") -> int:
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as handle:
                json.dump(summary.report(extra), handle, indent=2, ensure_ascii=False)
                handle.write("\n")
        except OSError as error:
            _err(f"{args.report}: error: cannot write the report: {error.strerror or error}")
            status = 2
    if not args.quiet:
        _err(summary.text(changed_word=changed_word))
        for commit in summary.commits:
            _err(f"committed {len(commit['files'])} file(s) on branch {commit['branch']} in {commit['repository']} ({commit['sha'][:12]})")
    return status


def _run_writer(args: argparse.Namespace, action, command: str, *, with_rules: bool = False) -> int:
    """fix, format, refactor and codemod: write, diff or check."""
    from dockerast.codemod.results import CHANGED  # noqa: PLC0415

    status, summary, results = _run_files(args, action, command, with_rules=with_rules)
    status = max(status, _report_failures(results, quiet=args.quiet))
    changed = [r for r in results if r.status == CHANGED]
    for result in changed:
        if args.diff and result.diff:
            _print(result.diff, end="")
        elif args.check:
            _print(f"would change: {result.path}")
        elif args.verbose:
            _err(f"{result.path}: {result.description or ', '.join(result.labels) or 'changed'}")
    if changed and (args.diff or args.check):
        status = max(status, 1)
    word = "would change" if (args.diff or args.check) else "changed"
    return _finish(args, summary, status, changed_word=word)


# -- the commands -----------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from dockerast.codemod.actions import CheckAction  # noqa: PLC0415
    from dockerast.codemod.output import (  # noqa: PLC0415
        format_github,
        format_json,
        format_sarif,
        format_text,
        problems,
        severity_rank,
    )
    from dockerast.rules import ALL_RULES  # noqa: PLC0415

    action = CheckAction(with_fixes=args.output_format in ("json", "sarif"))
    status, summary, results = _run_files(args, action, "check", with_rules=True)
    status = max(status, _report_failures(results, quiet=args.quiet, syntax_to_stdout=True))
    found = problems(results)
    if args.output_format == "text":
        show = args.show_source if args.show_source is not None else _isatty(sys.stdout)
        _print(format_text(found, show_source=show), end="")
    elif args.output_format == "json":
        _print(format_json(found), end="")
    elif args.output_format == "github":
        _print(format_github(found), end="")
    else:
        _print(format_sarif(found, results, ALL_RULES, version=_version()), end="")
    threshold = severity_rank(args.fail_level)
    failing = [p for p in found if severity_rank(p.severity) >= threshold]
    if failing and not args.exit_zero:
        status = max(status, 1)
    if not args.quiet:
        fixable = sum(1 for p in found if p.finding and p.finding.fixable == "safe")
        unsafe = sum(1 for p in found if p.finding and p.finding.fixable == "unsafe")
        if found:
            line = f"Found {len(found)} problem{'s' if len(found) != 1 else ''}"
            extra = []
            if fixable:
                extra.append(f"{fixable} fixable with `dockerast fix`")
            if unsafe:
                extra.append(f"{unsafe} more with `dockerast fix --unsafe-fixes`")
            _err(line + (f" ({'; '.join(extra)})" if extra else "") + ".")
        else:
            _err("No problems found.")
    return _finish(args, summary, status, changed_word="changed")


def _cmd_fix(args: argparse.Namespace) -> int:
    from dockerast.codemod.actions import FixAction  # noqa: PLC0415

    return _run_writer(args, FixAction(unsafe=args.unsafe_fixes), "fix", with_rules=True)


def _cmd_format(args: argparse.Namespace) -> int:
    from dockerast.codemod.actions import FormatAction  # noqa: PLC0415

    if args.indent < 0 or args.max_blank_lines < 0:
        raise UsageError("--indent and --max-blank-lines must not be negative")
    action = FormatAction(indent=args.indent, uppercase_keywords=not args.keep_keyword_case, max_blank_lines=args.max_blank_lines)
    return _run_writer(args, action, "format")


def _stage(value: str) -> str | int:
    return int(value) if value.isdigit() else value


def _selector(value: str, option: str) -> str:
    from dockerast.refactor import Selector, SelectorError  # noqa: PLC0415

    try:
        Selector.parse(value)
    except SelectorError as error:
        raise UsageError(f"{option} {value!r}: {error}") from None
    return value


def _load_lock(path: str) -> dict[str, str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise UsageError(f"--lock {path}: cannot read: {error.strerror or error}") from None
    try:
        if path.endswith(".toml"):
            if sys.version_info >= (3, 11):
                import tomllib  # noqa: PLC0415
            else:  # pragma: no cover
                import tomli as tomllib  # noqa: PLC0415

            mapping = tomllib.loads(data.decode("utf-8"))
        else:
            mapping = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"--lock {path}: cannot parse: {error}") from None
    if isinstance(mapping, dict) and isinstance(mapping.get("images"), dict):
        mapping = mapping["images"]
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise UsageError(f"--lock {path}: expected a mapping of image references to digests ({{\"golang:1.22\": \"sha256:...\"}})")
    return dict(mapping)


def _refactor_arguments(args: argparse.Namespace) -> dict:
    op = args.operation
    if op == "pin-build-platform":
        return {"stages": [_stage(s) for s in args.stage] if args.stage else None, "platform_independent": args.platform_independent}
    if op == "move":
        return {
            "select": _selector(args.select, "--select"),
            "after": _selector(args.after, "--after") if args.after else None,
            "before": _selector(args.before, "--before") if args.before else None,
        }
    if op == "sink-args":
        return {"names": _csv(args.names), "stage": _stage(args.stage) if args.stage else None}
    if op == "rename-stage":
        return {"old": args.old, "new": args.new}
    if op == "to-exec-form":
        lines = None
        if args.lines:
            try:
                lines = {int(v) for v in _csv(args.lines) or ()}
            except ValueError:
                raise UsageError("--lines expects line numbers, comma separated") from None
        return {"include_run": args.include_run, "wrap_in_shell": args.wrap_in_shell, "lines": lines}
    if op == "set-base-image":
        if args.image is None and args.tag is None and args.digest is None:
            raise UsageError("set-base-image needs --image, --tag or --digest")
        return {"stage": _stage(args.stage), "image": args.image, "tag": args.tag, "digest": args.digest}
    if op == "pin-digests":
        return {"resolver": _load_lock(args.lock)}
    if op == "normalize":
        return {
            "keyword_case": args.keyword_case,
            "as_case": args.as_case,
            "maintainer": args.maintainer,
            "legacy_key_value": args.legacy_key_value,
        }
    raise UsageError(f"unknown operation {op!r}")  # pragma: no cover  (argparse chooses)


def _cmd_refactor(args: argparse.Namespace) -> int:
    from dockerast.codemod.actions import RefactorAction  # noqa: PLC0415

    arguments = _refactor_arguments(args)
    action = RefactorAction(args.operation, tuple(sorted(arguments.items())))
    return _run_writer(args, action, f"refactor {args.operation}")


def _cmd_codemod(args: argparse.Namespace) -> int:
    from dockerast.codemod.actions import CodemodAction, CodemodLoadError, _split_target, load_codemod  # noqa: PLC0415

    target = args.target
    path, _module, attr = _split_target(target)
    if path is not None:
        target = os.path.abspath(path) + (f":{attr}" if attr else "")
    try:
        load_codemod(target)  # fail early, once, with a clear message
    except CodemodLoadError as error:
        raise UsageError(str(error)) from None
    return _run_writer(args, CodemodAction(target, args.description or args.target), "codemod")


def _cmd_rules(args: argparse.Namespace) -> int:
    from dockerast.codemod.docs import render_rules_markdown, rules_table  # noqa: PLC0415
    from dockerast.rules import ALL_RULES  # noqa: PLC0415

    if args.output_format == "markdown":
        _print(render_rules_markdown(ALL_RULES), end="")
    elif args.output_format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "summary": r.summary,
                "severity": str(r.severity),
                "fix_safety": r.fix_safety.value if r.fix_safety else None,
                "buildkit": r.buildkit,
                "experimental": r.experimental,
                "url": r.url or None,
            }
            for r in ALL_RULES
        ]
        _print(json.dumps(data, indent=2))
    else:
        _print(rules_table(ALL_RULES), end="")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from dockerast.codemod.docs import rule_page  # noqa: PLC0415
    from dockerast.rules import rule_by_key  # noqa: PLC0415

    rule = rule_by_key(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r} (see `dockerast rules`)")
    _print(rule_page(rule), end="")
    return 0


def _version() -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415

        return version("dockerast")
    except Exception:  # noqa: BLE001
        return ""


# -- the parser -------------------------------------------------------------------

CHECK_EXAMPLES = """\
examples:
  dockerast check                              every Dockerfile under the current folder
  dockerast check examples/ --select BK001,UndefinedVar
  dockerast check . --output-format sarif > dockerast.sarif
  dockerast check . --output-format github     annotations in a GitHub Actions log
  dockerast check --context . Dockerfile       COPY sources that .dockerignore excludes

exit status: 0 no problem, 1 problems at or above --fail-level (default: any), 2 usage or internal error
"""

FIX_EXAMPLES = """\
examples:
  dockerast fix                                apply safe fixes in place under the current folder
  dockerast fix --diff examples/               show what would change, write nothing
  dockerast fix --check .                      exit 1 if anything would change (CI)
  dockerast fix --unsafe-fixes --select BK001 Dockerfile
  dockerast fix --repos-file repos.txt --git-branch dockerast-fix --git-commit "Fix Dockerfile findings"

exit status: 0 done, 1 changes with --diff/--check or files that do not parse, 2 usage or internal error
"""

FORMAT_EXAMPLES = """\
examples:
  dockerast format                             format every Dockerfile under the current folder
  dockerast format --diff Dockerfile           show the changes only
  dockerast format --check .                   exit 1 if a file is not formatted
"""

REFACTOR_EXAMPLES = """\
operations:
{operations}

examples:
  dockerast refactor pin-build-platform .
  dockerast refactor pin-build-platform --stage builder --platform-independent Dockerfile
  dockerast refactor move --select "builder/arg:TARGETOS,TARGETARCH" --after "builder/run:go mod download" Dockerfile
  dockerast refactor sink-args --names VERSION --stage builder Dockerfile
  dockerast refactor rename-stage --from Builder --to builder --diff .
  dockerast refactor to-exec-form --include-run --wrap-in-shell Dockerfile
  dockerast refactor set-base-image --stage 0 --tag 1.23-alpine Dockerfile
  dockerast refactor pin-digests --lock images.lock.json .
  dockerast refactor normalize --check .

Each operation takes the file options (--diff, --check, --git-branch, ...); see
`dockerast refactor OPERATION --help`.
"""

CODEMOD_EXAMPLES = """\
A codemod is a Python callable, either
  fn(ins, ctx)   called per instruction, returning TextEdits (see dockerast.refactor.transform), or
  fn(tree)       returning a RefactorResult, the new text, a Dockerfile, or None for no change.
Without :CALLABLE, the file or module must define `codemod` or exactly one public function.
The result must parse, keep every comment and not change again on a second run.

examples:
  dockerast codemod my_codemods.py:apk_no_cache .
  dockerast codemod mypackage.codemods:bump_alpine --diff services/
  dockerast codemod fix_labels.py --repos-file repos.txt --git-branch labels --git-commit "Add OCI labels"
"""


def build_parser() -> argparse.ArgumentParser:
    from dockerast.codemod.actions import OPERATIONS  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="dockerast",
        description="Lossless Dockerfile trees, checks and refactors.",
        formatter_class=EXAMPLES_FORMATTER,
        epilog="examples:\n  dockerast check .\n  dockerast fix --diff .\n  dockerast refactor pin-build-platform .\n"
        "  dockerast explain StageNameCasing\n\nRun `dockerast COMMAND --help` for each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"dockerast {_version() or 'unknown'}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parse_cmd = commands.add_parser(
        "parse",
        help="print the tree, the stages and the syntax errors of Dockerfiles",
        description="Print each instruction with its line:column and type, the stages, and any syntax errors.",
        epilog="example: dockerast parse Dockerfile",
    )
    parse_cmd.add_argument("files", nargs="+", metavar="FILE")
    parse_cmd.set_defaults(run=_cmd_parse)

    files = _files_options()
    rules = _rules_options()
    write = _write_options()

    check = commands.add_parser(
        "check",
        parents=[files, rules],
        help="report rule findings",
        description="Run the rules on Dockerfiles and report what they find.",
        epilog=CHECK_EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    _add_paths(check)
    check.add_argument("--output-format", choices=("text", "json", "sarif", "github"), default="text", help="default: text")
    check.add_argument(
        "--fail-level",
        choices=("hint", "info", "warning", "error"),
        default="hint",
        help="exit 1 for findings at or above this severity (default: hint, i.e. any finding)",
    )
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when something is found")
    source = check.add_mutually_exclusive_group()
    source.add_argument("--show-source", dest="show_source", action="store_true", default=None, help="print each finding's line with a caret (default: on a terminal)")
    source.add_argument("--no-show-source", dest="show_source", action="store_false")
    check.set_defaults(run=_cmd_check)

    fix = commands.add_parser(
        "fix",
        parents=[files, rules, write],
        help="apply the rules' fixes",
        description="Apply the safe fixes of the rules' findings (all of them with --unsafe-fixes).",
        epilog=FIX_EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    _add_paths(fix)
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes marked unsafe")
    fix.set_defaults(run=_cmd_fix)

    fmt = commands.add_parser(
        "format",
        parents=[files, write],
        help="format Dockerfiles",
        description="Give Dockerfiles the canonical layout (keyword case, indentation, blank lines); never changes meaning.",
        epilog=FORMAT_EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    _add_paths(fmt)
    fmt.add_argument("--indent", type=int, default=4, metavar="N", help="continuation indent (default: 4)")
    fmt.add_argument("--max-blank-lines", type=int, default=1, metavar="N", help="default: 1")
    fmt.add_argument("--keep-keyword-case", action="store_true", help="do not uppercase keywords")
    fmt.set_defaults(run=_cmd_format)

    operations_help = "\n".join(f"  {op.name:<20} {op.summary}" for op in OPERATIONS.values())
    refactor = commands.add_parser(
        "refactor",
        help="run one refactoring operation over files",
        description="Run one refactor of dockerast.refactor over many files; every result is re-parsed and checked.",
        epilog=REFACTOR_EXAMPLES.format(operations=operations_help),
        formatter_class=EXAMPLES_FORMATTER,
    )
    operations = refactor.add_subparsers(dest="operation", required=True, metavar="OPERATION")

    def operation(name: str, example: str):
        op = OPERATIONS[name]
        sub = operations.add_parser(
            name,
            parents=[files, write],
            help=op.summary,
            description=op.summary[0].upper() + op.summary[1:] + ".",
            epilog=f"example:\n  {example}",
            formatter_class=EXAMPLES_FORMATTER,
        )
        sub.set_defaults(run=_cmd_refactor)
        _add_paths(sub)
        return sub

    sub = operation("pin-build-platform", "dockerast refactor pin-build-platform --stage builder Dockerfile")
    sub.add_argument("--stage", action="append", metavar="S", help="a stage (name or index) to pin; repeatable (default: the builder stages found)")
    sub.add_argument("--platform-independent", action="store_true", help="pin named stages even without signs of cross-compiling")
    sub = operation("move", 'dockerast refactor move --select "arg:VERSION" --after "run:go mod download" Dockerfile')
    sub.add_argument("--select", required=True, metavar="SEL", help="the instructions to move (a selector: line:N, arg:A, run:TEXT, stage/...)")
    where = sub.add_mutually_exclusive_group(required=True)
    where.add_argument("--after", metavar="SEL", help="put them just after this instruction")
    where.add_argument("--before", metavar="SEL", help="put them just before this instruction")
    sub = operation("sink-args", "dockerast refactor sink-args --names VERSION,COMMIT Dockerfile")
    sub.add_argument("--names", metavar="A,B", help="only these ARG names (default: every ARG)")
    sub.add_argument("--stage", metavar="S", help="only in this stage (name or index)")
    sub = operation("rename-stage", "dockerast refactor rename-stage --from Builder --to builder .")
    sub.add_argument("--from", dest="old", required=True, metavar="OLD", help="the stage's current name")
    sub.add_argument("--to", dest="new", required=True, metavar="NEW", help="its new name")
    sub = operation("to-exec-form", "dockerast refactor to-exec-form --wrap-in-shell Dockerfile")
    sub.add_argument("--include-run", action="store_true", help="RUN instructions too")
    sub.add_argument("--wrap-in-shell", action="store_true", help='keep a command that needs a shell as ["/bin/sh", "-c", "..."]')
    sub.add_argument("--lines", metavar="N,M", help="only the instructions starting on these lines (1-based)")
    sub = operation("set-base-image", "dockerast refactor set-base-image --stage builder --tag 1.23-alpine Dockerfile")
    sub.add_argument("--stage", required=True, metavar="S", help="the stage (name or index)")
    sub.add_argument("--image", metavar="NAME", help="the new image name")
    sub.add_argument("--tag", metavar="TAG", help="the new tag ('' removes it)")
    sub.add_argument("--digest", metavar="DIGEST", help="the new digest, sha256:... ('' removes it)")
    sub = operation("pin-digests", "dockerast refactor pin-digests --lock images.lock.json .")
    sub.add_argument(
        "--lock",
        required=True,
        metavar="FILE",
        help='JSON or TOML mapping of image references to digests, e.g. {"golang:1.22": "sha256:..."} (no network)',
    )
    sub = operation("normalize", "dockerast refactor normalize --diff .")
    sub.add_argument("--no-keyword-case", dest="keyword_case", action="store_false", help="keep keywords' case")
    sub.add_argument("--no-as-case", dest="as_case", action="store_false", help="keep the case of AS")
    sub.add_argument("--no-maintainer", dest="maintainer", action="store_false", help="keep MAINTAINER")
    sub.add_argument("--no-legacy-key-value", dest="legacy_key_value", action="store_false", help="keep `ENV key value`")

    codemod = commands.add_parser(
        "codemod",
        parents=[files, write],
        help="run your own transform over files",
        description="Run a user transform over many files, with the same checks as the built-in refactors.",
        epilog=CODEMOD_EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    codemod.add_argument("target", metavar="MODULE:CALLABLE|FILE.py[:CALLABLE]")
    _add_paths(codemod)
    codemod.add_argument("--description", help="what the codemod does, for the summary")
    codemod.set_defaults(run=_cmd_codemod)

    rules_cmd = commands.add_parser(
        "rules",
        help="list the rules",
        description="List every rule: code, name, default severity, fix safety, summary.",
        epilog="examples:\n  dockerast rules\n  dockerast rules --output-format json\n"
        "  dockerast rules --output-format markdown > docs/rules.md",
        formatter_class=EXAMPLES_FORMATTER,
    )
    rules_cmd.add_argument("--output-format", choices=("text", "json", "markdown"), default="text")
    rules_cmd.set_defaults(run=_cmd_rules)

    explain = commands.add_parser(
        "explain",
        help="show one rule's documentation",
        description="Show a rule's documentation and examples.",
        epilog="examples:\n  dockerast explain StageNameCasing\n  dockerast explain BK001",
        formatter_class=EXAMPLES_FORMATTER,
    )
    explain.add_argument("rule", metavar="RULE", help="a rule code or name")
    explain.set_defaults(run=_cmd_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 clean, 1 findings or changes, 2 errors)."""
    parser = build_parser()
    try:
        # Paths after an option that follows another positional (``codemod T --diff PATH``)
        # are left over by argparse before Python 3.13: they are paths all the same.
        args, extra = parser.parse_known_args(argv)
        if extra:
            if hasattr(args, "paths") and not any(e.startswith("-") for e in extra):
                args.paths = [*args.paths, *extra]
            else:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as done:  # --help, --version, or a usage error argparse printed
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    try:
        return args.run(args)
    except UsageError as error:
        _err(f"dockerast: error: {error}")
        return 2
    except KeyboardInterrupt:
        _err("dockerast: interrupted; every file is either as it was or completely rewritten")
        return 130
    except BrokenPipeError:
        # The reader went away (``dockerast check | head``): not our error.
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 1
    except Exception as error:  # noqa: BLE001  (never a traceback at the user)
        _err(f"dockerast: internal error: {type(error).__name__}: {error}")
        if os.environ.get("DOCKERAST_DEBUG"):
            traceback.print_exc()
        else:
            _err("(set DOCKERAST_DEBUG=1 to see the traceback, and please report it)")
        return 2


if __name__ == "__main__":
    sys.exit(main())
