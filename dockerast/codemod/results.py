"""What a run returns per file: small, frozen, picklable records.

A worker never sends a tree back, only these: the status of the file, why it
was skipped or failed, the names of what changed it, the findings of
``check`` with 1-based positions, and a unified diff when one was asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

CHANGED = "changed"
UNCHANGED = "unchanged"
SKIPPED = "skipped"
FAILED = "failed"

# Why a file failed.
SYNTAX = "syntax"  # it does not parse; left untouched
IO = "io"  # it cannot be read or written
CONFIG = "config"  # its configuration file is broken
INTERNAL = "internal"  # a bug: an exception nobody expected


@dataclass(frozen=True, slots=True)
class Region:
    """1-based lines and columns (code points); ``end_column`` is just past the last character."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class EditRecord:
    region: Region
    new_text: str


@dataclass(frozen=True, slots=True)
class FixRecord:
    description: str
    safety: str  # "safe" or "unsafe"
    edits: tuple[EditRecord, ...]


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """One finding of ``check``, ready to print in any output format."""

    code: str
    name: str
    message: str
    severity: str  # error, warning, info, hint
    url: str
    region: Region
    source: str = ""  # the text of the finding's first line
    fix: FixRecord | None = None
    fixable: str | None = None  # "safe" / "unsafe" when a fix is offered, computed or not


@dataclass(frozen=True, slots=True)
class SyntaxRecord:
    """A syntax error of a file that does not parse."""

    message: str
    region: Region
    source: str = ""


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome for one file; ``changed`` means written, or would be written with --diff/--check."""

    path: str
    status: str
    reason: str = ""
    error_kind: str = ""
    labels: tuple[str, ...] = ()  # rules whose fixes were applied, or the operation that changed the file
    description: str = ""
    findings: tuple[FindingRecord, ...] = ()
    syntax_errors: tuple[SyntaxRecord, ...] = ()
    diff: str | None = None
    written: bool = False
    seconds: float = 0.0
    detail: str = ""  # the traceback of an internal error

    def to_json(self) -> dict:
        data = asdict(self)
        if not self.detail:
            data.pop("detail")
        return data
