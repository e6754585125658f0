"""What a run does to one parsed file: check, fix, format, a refactor, or a user codemod.

An action is a small frozen (picklable) object; ``apply`` gets a tree without
syntax errors and returns the new text (or None), the names of what changed
it, and findings for ``check``.  It may raise
:class:`~dockerast.refactor.RefactorError` to refuse a file (the file is then
skipped, with the reason) and :class:`CodemodFailure` when user code fails.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from dockerast.codemod.results import EditRecord, FindingRecord, FixRecord, Region, SyntaxRecord
from dockerast.cst.nodes import Dockerfile
from dockerast.cst.positions import LineIndex
from dockerast.rules import CheckConfig, Finding, fix_all, run_rules


class CodemodFailure(Exception):
    """User code raised, or returned something that is not a result."""


class CodemodLoadError(ValueError):
    """A ``MODULE:CALLABLE`` or ``FILE.py[:CALLABLE]`` that cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Applied:
    text: str | None = None  # None: nothing to change
    labels: tuple[str, ...] = ()
    description: str = ""
    findings: tuple[FindingRecord, ...] = ()


class Action:
    """Base class: override :meth:`apply`."""

    name = "action"
    writes = True  # False for check: it never changes files

    def apply(self, tree: Dockerfile, config: CheckConfig | None) -> Applied:  # pragma: no cover  (abstract)
        raise NotImplementedError

    def on_broken(self, tree: Dockerfile, config: CheckConfig | None) -> tuple[FindingRecord, ...]:
        """Findings to report for a file with syntax errors (only ``check`` has any)."""
        return ()


# -- positions ----------------------------------------------------------------


def region(index: LineIndex, start: int, end: int, bom: int = 0) -> Region:
    """1-based line and columns; a BOM at the start of the file takes no column (``bom`` is its length)."""
    a = index.position(start)
    b = index.position(max(start, end))
    column = a.column + 1 - (bom if a.line == 0 else 0)
    end_column = b.column + 1 - (bom if b.line == 0 else 0)
    return Region(a.line + 1, max(1, column), b.line + 1, max(1, end_column))


def _bom(text: str) -> int:
    return 1 if text.startswith("\ufeff") else 0


def line_text(text: str, index: LineIndex, line0: int) -> str:
    start = index.line_start(line0) if line0 < index.line_count else len(text)
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)].rstrip("\r")
    return line[1:] if start == 0 and line.startswith("\ufeff") else line


def finding_record(finding: Finding, text: str, index: LineIndex, *, with_fix: bool = True) -> FindingRecord:
    """A printable finding; ``with_fix`` computes its fix's edits (outputs that show them need it)."""
    bom = _bom(text)
    where = region(index, finding.start, finding.end, bom)
    fix = None
    fixable = finding.offered_fix_safety()
    if with_fix and fixable and finding.fix is not None and finding.fix.edits:
        fix = FixRecord(
            finding.fix.description,
            finding.fix.safety.value,
            tuple(EditRecord(region(index, e.start, e.end, bom), e.new_text) for e in finding.fix.edits),
        )
    return FindingRecord(
        finding.code,
        finding.name,
        finding.message,
        str(finding.severity),
        finding.url,
        where,
        line_text(text, index, where.line - 1),
        fix,
        fix.safety if fix is not None else (fixable if not with_fix else None),
    )


def syntax_records(tree: Dockerfile) -> tuple[SyntaxRecord, ...]:
    text = str(tree)
    index = LineIndex(text)
    return tuple(
        SyntaxRecord(e.message, region(index, e.start, e.end, _bom(text)), line_text(text, index, e.line))
        for e in tree.errors
    )


# -- check and fix ------------------------------------------------------------


@dataclass(frozen=True)
class CheckAction(Action):
    """Run the rules; report findings, change nothing.

    ``with_fixes`` computes each fix's edits, for outputs that show them
    (JSON, SARIF); text and GitHub output only say whether a fix exists.
    """

    name = "check"
    writes = False
    with_fixes: bool = True

    def apply(self, tree: Dockerfile, config: CheckConfig | None) -> Applied:
        text = str(tree)
        index = LineIndex(text)
        findings = run_rules(tree, config or CheckConfig())
        return Applied(findings=tuple(finding_record(f, text, index, with_fix=self.with_fixes) for f in findings))

    def on_broken(self, tree: Dockerfile, config: CheckConfig | None) -> tuple[FindingRecord, ...]:
        # Rules still see the instructions that parsed; a rule that trips on the
        # broken ones adds nothing to the syntax error already reported.
        try:
            return self.apply(tree, config).findings
        except Exception:  # noqa: BLE001
            return ()


@dataclass(frozen=True)
class FixAction(Action):
    """Apply the fixes of the findings (safe ones, or all with ``unsafe``)."""

    unsafe: bool = False
    name = "fix"

    def apply(self, tree: Dockerfile, config: CheckConfig | None) -> Applied:
        fixed, applied = fix_all(tree, config or CheckConfig(), unsafe=self.unsafe)
        labels = tuple(f"{f.code} {f.name}" for f in applied)
        return Applied(str(fixed), labels, f"{len(applied)} fix(es)" if applied else "")


# -- format and refactors -----------------------------------------------------


@dataclass(frozen=True)
class FormatAction(Action):
    indent: int = 4
    uppercase_keywords: bool = True
    max_blank_lines: int = 1
    name = "format"

    def apply(self, tree: Dockerfile, config: CheckConfig | None) -> Applied:
        from dockerast.refactor import FormatOptions, format_dockerfile  # noqa: PLC0415

        options = FormatOptions(indent=self.indent, uppercase_keywords=self.uppercase_keywords, max_blank_lines=self.max_blank_lines)
        result = format_dockerfile(tree, options)
        return Applied(result.text, ("format",) if result.changed else (), result.description)


@dataclass(frozen=True)
class Operation:
    """A refactor of :mod:`dockerast.refactor` under its command-line name."""

    name: str  # kebab-case, as typed after ``dockerast refactor``
    function: str  # its name in dockerast.refactor
    summary: str


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("pin-build-platform", "pin_build_platform", "run builder stages on $BUILDPLATFORM (FROM --platform=$BUILDPLATFORM)"),
        Operation("move", "move_instructions", "move instructions after or before another one, comments included"),
        Operation("sink-args", "sink_args", "move each ARG down to just before its first use"),
        Operation("rename-stage", "rename_stage", "rename a stage and every reference to it"),
        Operation("to-exec-form", "to_exec_form", "rewrite CMD/ENTRYPOINT (and RUN) from shell form to JSON"),
        Operation("set-base-image", "set_base_image", "change the image, tag or digest of a stage's FROM"),
        Operation("pin-digests", "pin_digests", "add @sha256 digests to base images from a lock file"),
        Operation("normalize", "normalize", "uppercase keywords and AS, MAINTAINER to LABEL, ENV/LABEL key=value"),
    )
}


@dataclass(frozen=True)
class RefactorAction(Action):
    """One operation of :data:`OPERATIONS` with its keyword arguments."""

    operation: str
    arguments: tuple[tuple[str, Any], ...] = ()
    name = "refactor"

    def apply(self, tree: Dockerfile, config: CheckConfig | None) -> Applied:
        import dockerast.refactor as refactor  # noqa: PLC0415

        function = getattr(refactor, OPERATIONS[self.operation].function)
        result = function(tree, **dict(self.arguments))
        return Applied(result.text, (self.operation,) if result.changed else (), result.description)


# -- user codemods ------------------------------------------------------------

_LOADED: dict[str, Callable] = {}
DEFAULT_CALLABLE = "codemod"


def _split_target(target: str) -> tuple[str | None, str | None, str | None]:
    """``(file, module, attribute)`` of a codemod target."""
    if target.endswith(".py"):
        return target, None, None
    head, colon, attr = target.rpartition(":")
    if colon and head.endswith(".py"):
        return head, None, attr or None
    if colon:
        return None, head, attr or None
    return None, target, None


def load_codemod(target: str) -> Callable:
    """The callable named by ``MODULE:CALLABLE`` or ``FILE.py[:CALLABLE]`` (cached per process).

    Without ``:CALLABLE`` a file or module must define ``codemod``, or exactly
    one public function of its own.
    """
    if target in _LOADED:
        return _LOADED[target]
    path, module_name, attr = _split_target(target)
    try:
        if path is not None:
            if not os.path.isfile(path):
                raise CodemodLoadError(f"{path}: no such file")
            absolute = os.path.abspath(path)
            unique = "dockerast_codemod_" + hashlib.sha1(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:12]
            spec = importlib.util.spec_from_file_location(unique, absolute)
            if spec is None or spec.loader is None:
                raise CodemodLoadError(f"{path}: not a Python file")
            module = importlib.util.module_from_spec(spec)
            folder = os.path.dirname(absolute)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            sys.modules[unique] = module
            spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except CodemodLoadError:
        raise
    except Exception as error:  # noqa: BLE001  (whatever user code raises at import)
        raise CodemodLoadError(f"cannot load {target}: {type(error).__name__}: {error}") from None
    if attr is None:
        if hasattr(module, DEFAULT_CALLABLE):
            attr = DEFAULT_CALLABLE
        else:
            own = [
                n
                for n, v in vars(module).items()
                if inspect.isfunction(v) and v.__module__ == module.__name__ and not n.startswith("_")
            ]
            if len(own) != 1:
                raise CodemodLoadError(
                    f"{target}: name the callable (TARGET:CALLABLE); found no function named "
                    f"{DEFAULT_CALLABLE!r} and {len(own)} public functions"
                )
            attr = own[0]
    function = module
    for part in attr.split("."):
        function = getattr(function, part, None)
        if function is None:
            raise CodemodLoadError(f"{target}: has no attribute {attr!r}")
    if not callable(function):
        raise CodemodLoadError(f"{target}: {attr!r} is not callable")
    _LOADED[target] = function
    return function


def takes_instruction(function: Callable) -> bool:
    """Whether ``function`` is ``fn(ins, ctx)`` (two positional parameters) rather than ``fn(tree)``."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())


def _user_failure(target: str, error: BaseException) -> CodemodFailure:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return CodemodFailure(f"codemod {target} raised {type(error).__name__}: {error}{where}")


@dataclass(frozen=True)
class CodemodAction(Action):
    """A user transform: ``fn(ins, ctx)`` per instruction, or ``fn(tree)`` returning a result or text."""

    target: str
    description: str = field(default="")
    name = "codemod"

    def apply(self, tree: Dockerfile, config: CheckConfig | None) -> Applied:
        from dockerast.refactor import RefactorError, RefactorResult, transform  # noqa: PLC0415
        from dockerast.refactor.result import finish  # noqa: PLC0415

        function = load_codemod(self.target)
        label = self.description or self.target
        if takes_instruction(function):
            try:
                result = transform(tree, function, description=label)
            except RefactorError:
                raise
            except Exception as error:  # noqa: BLE001
                raise _user_failure(self.target, error) from None
            return Applied(result.text, (label,) if result.changed else (), result.description)

        def call(t: Dockerfile) -> str:
            try:
                value = function(t)
            except RefactorError:
                raise
            except Exception as error:  # noqa: BLE001
                raise _user_failure(self.target, error) from None
            if value is None:
                return str(t)
            if isinstance(value, RefactorResult):
                return value.text
            if isinstance(value, Dockerfile):
                return str(value)
            if isinstance(value, str):
                return value
            raise CodemodFailure(
                f"codemod {self.target} returned {type(value).__name__}; expected a RefactorResult, a str, a Dockerfile or None"
            )

        # The result passes the checks every refactor passes: it parses, keeps
        # every comment, and a second run changes nothing.
        result = finish(tree, call(tree), label, operation=label, again=call)
        return Applied(result.text, (label,) if result.changed else (), result.description)
