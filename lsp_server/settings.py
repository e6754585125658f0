"""Editor settings (initializationOptions, workspace/didChangeConfiguration) and project configuration.

Settings may be given flat or under a ``dockerast`` key::

    {
      "select": ["BK001"], "ignore": ["UnusedSuppression"], "experimental": [],
      "severity": {"StageNameCasing": "error"},
      "diagnostics": {"mode": "auto", "debounceMs": 0},
      "format": {"indent": 4},
      "inlayHints": {"enable": true}
    }

``diagnostics.mode``: ``push`` (publishDiagnostics), ``pull``
(textDocument/diagnostic only), ``both``, or ``auto`` (default): pull for a
client that declares pull support, push otherwise, so that no client shows
every problem twice.

The rules that run come from the project's ``[tool.dockerast]`` /
``.dockerast.toml`` (found from the document's folder) with these settings
over it: ``select`` replaces the project's list, ``ignore`` and
``experimental`` add to the project's, ``severity`` entries override the
project's per rule.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from dockerast.config import CONFIG_FILES, ConfigError, ProjectConfig, find_config, folder_config, parse_severity
from dockerast.rules import CheckConfig, Severity

log = logging.getLogger(__name__)

DIAGNOSTIC_MODES = ("auto", "push", "pull", "both")


def _names(value: Any, key: str, problems: list[str]) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.append(f"dockerast.{key} must be a list of rule codes or names")
        return None
    return frozenset(value)


@dataclass(frozen=True)
class Settings:
    select: frozenset[str] | None = None
    ignore: frozenset[str] | None = None
    experimental: frozenset[str] | None = None
    severities: Mapping[str, Severity] = field(default_factory=dict)
    diagnostics_mode: str = "auto"
    debounce: float = 0.0
    format_indent: int | None = None
    inlay_hints: bool = True

    @classmethod
    def from_json(cls, data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
        """Settings from a JSON object; unknown keys are ignored, bad values reported and skipped."""
        problems: list[str] = []
        base = base or cls()
        if not isinstance(data, dict):
            return base, problems if data is None else [*problems, "dockerast settings must be an object"]
        if isinstance(data.get("dockerast"), dict):
            data = data["dockerast"]
        values: dict[str, Any] = {}
        for key in ("select", "ignore", "experimental"):
            if key in data:
                values[key] = _names(data[key], key, problems)
        severity = data.get("severity", data.get("severities"))
        if severity is not None:
            severities: dict[str, Severity] = {}
            if isinstance(severity, dict):
                for rule, level in severity.items():
                    try:
                        severities[str(rule)] = parse_severity(str(level), f"dockerast.severity.{rule}")
                    except ConfigError as error:
                        problems.append(str(error))
            else:
                problems.append("dockerast.severity must map rule names to error, warning, info or hint")
            values["severities"] = severities
        diagnostics = data.get("diagnostics")
        if isinstance(diagnostics, dict):
            mode = diagnostics.get("mode")
            if mode is not None:
                if mode in DIAGNOSTIC_MODES:
                    values["diagnostics_mode"] = mode
                else:
                    problems.append(f"dockerast.diagnostics.mode must be one of {', '.join(DIAGNOSTIC_MODES)}")
            debounce = diagnostics.get("debounceMs")
            if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and 0 <= debounce <= 5000:
                values["debounce"] = debounce / 1000
        fmt = data.get("format")
        if isinstance(fmt, dict) and "indent" in fmt:
            indent = fmt["indent"]
            if isinstance(indent, int) and not isinstance(indent, bool) and 0 <= indent <= 16:
                values["format_indent"] = indent
            else:
                problems.append("dockerast.format.indent must be a number of spaces (0-16)")
        hints = data.get("inlayHints")
        if isinstance(hints, dict) and isinstance(hints.get("enable"), bool):
            values["inlay_hints"] = hints["enable"]
        current = {f: getattr(base, f) for f in cls.__dataclass_fields__}
        current.update(values)
        return cls(**current), problems

    def check_config(
        self, path: str | None, find: Callable[[str], ProjectConfig] | None = None
    ) -> tuple[CheckConfig, str | None]:
        """The rules configuration for a document at ``path``, and a problem with the project file if any.

        ``find`` looks for the project configuration (default: ``find_config``, each time).
        """
        problem = None
        project = ProjectConfig()
        if path:
            try:
                project = find(path) if find is not None else find_config(Path(path))
            except ConfigError as error:
                problem = str(error)
            except OSError as error:  # an unreadable folder on the way up
                problem = f"cannot look for a dockerast configuration: {error}"
        severities = {**project.severities, **self.severities}
        config = project.check_config(
            select=self.select,
            ignore=project.ignore | (self.ignore or frozenset()),
            experimental=project.experimental | (self.experimental or frozenset()),
            severities=severities,
        )
        return config, problem


# A file modified this recently may be modified again within the file system's timestamp granularity
# without its signature changing: what it says is not kept (as git does with "racily clean" files).
# Once its time is older, any later write gives it a new one.
_SETTLED_NS = 2_000_000_000


def _signature(path: str) -> tuple[bool, int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (stat.S_ISREG(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ProjectConfigs:
    """``find_config`` for documents, each folder's part remembered until one of its files changes.

    ``find_config`` takes the configuration of the nearest folder, from the
    document's up, whose own ``.dockerast.toml`` or ``pyproject.toml`` gives
    one (:func:`~dockerast.config.folder_config`).  What a folder's own files
    give (or the error they raise) is kept with the signature (kind, inode,
    size, times) of those two paths and used again while both are the same:
    a document in a new folder costs two ``stat`` calls per folder on the way
    up, and reads no file that has not changed.  Clients that watch the
    configuration files also clear it (``workspace/didChangeWatchedFiles``).
    """

    def __init__(self) -> None:
        self._folders: dict[str, tuple[tuple[Any, ...], ProjectConfig | Exception | None]] = {}

    def clear(self) -> None:
        self._folders.clear()

    def find(self, path: str) -> ProjectConfig:
        folder = os.path.realpath(os.path.dirname(path))  # (as find_config resolves the folder)
        while True:
            found = self._own(folder)
            if found is not None:
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                return ProjectConfig()
            folder = parent
        if isinstance(found, Exception):
            raise found.with_traceback(None)
        return found

    def _own(self, folder: str) -> ProjectConfig | Exception | None:
        """What ``folder``'s own files give."""
        candidates = [os.path.join(folder, name) for name in CONFIG_FILES]
        before = tuple(map(_signature, candidates))
        entry = self._folders.get(folder)
        if entry is not None and entry[0] == before:
            return entry[1]
        found: ProjectConfig | Exception | None
        if not any(sig is not None and sig[0] for sig in before):
            found = None  # no file to read
        else:
            try:
                found = folder_config(Path(folder))
            except ConfigError as error:  # (what a file says: kept with its signature like a configuration)
                found = error
        now = time.time_ns()
        settled = all(sig is None or now - sig[3] > _SETTLED_NS for sig in before)
        if settled and tuple(map(_signature, candidates)) == before:
            self._folders[folder] = (before, found)
        else:
            self._folders.pop(folder, None)
        return found
