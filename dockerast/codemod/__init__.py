"""Many files at once: discovery, the parallel runner, and what the ``dockerast`` command prints.

Modelled on LibCST's codemod runner: :func:`run` takes one :class:`FileJob`
per file, runs them in a process pool (or any ``concurrent.futures``
executor), never raises, and returns one small picklable
:class:`FileResult` per file -- changed, unchanged, skipped or failed, with
the reason.  Writes are atomic and keep the file's bytes where nothing
changed (BOM, encoding, line endings, mode).

    from dockerast.codemod import FileJob, FixAction, discover, run

    found = discover(["services/"])
    results = run([FileJob(c.path, c.real_path, FixAction()) for c in found.files])
"""

from dockerast.codemod.actions import (
    OPERATIONS,
    Action,
    CheckAction,
    CodemodAction,
    FixAction,
    FormatAction,
    RefactorAction,
    load_codemod,
)
from dockerast.codemod.discovery import Candidate, Discovery, discover, is_dockerfile_name
from dockerast.codemod.docs import render_rules_markdown
from dockerast.codemod.files import atomic_write
from dockerast.codemod.results import CHANGED, FAILED, SKIPPED, UNCHANGED, FileResult, FindingRecord
from dockerast.codemod.runner import CHECK, DIFF, WRITE, FileJob, process, run

__all__ = [
    "CHANGED",
    "CHECK",
    "DIFF",
    "FAILED",
    "OPERATIONS",
    "SKIPPED",
    "UNCHANGED",
    "WRITE",
    "Action",
    "Candidate",
    "CheckAction",
    "CodemodAction",
    "Discovery",
    "FileJob",
    "FileResult",
    "FindingRecord",
    "FixAction",
    "FormatAction",
    "RefactorAction",
    "atomic_write",
    "discover",
    "is_dockerfile_name",
    "load_codemod",
    "process",
    "render_rules_markdown",
    "run",
]
