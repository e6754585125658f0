"""Project configuration: ``[tool.dockerast]`` in pyproject.toml, or ``.dockerast.toml``.

Found by walking up from a file's folder; the nearest file that has a
dockerast section wins (``.dockerast.toml`` before ``pyproject.toml`` in the
same folder).  Keys::

    select = ["BK001", "BuilderNotOnBuildPlatform"]   # default: every stable rule
    ignore = ["JSONArgsRecommended"]
    experimental = ["InvalidDefinitionDescription"]
    exclude = ["vendor/**"]                            # globs, for file discovery
    include = ["**/*.Dockerfile"]
    unfixable = ["JSONArgsRecommended"]                # fixes `dockerast fix` never applies
    fixable = ["ALL"]                                  # or only these

    [tool.dockerast.severity]                          # per rule: error, warning, info, hint
    UndefinedVar = "error"

Command-line options and editor settings override what the file says.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from dockerast.rules.base import Severity
from dockerast.rules.engine import CheckConfig

CONFIG_FILES = (".dockerast.toml", "pyproject.toml")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ProjectConfig:
    """The settings of one project, and the file they came from (None for defaults)."""

    path: Path | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    experimental: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(default_factory=dict)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fixable: frozenset[str] | None = None
    unfixable: frozenset[str] = frozenset()

    def check_config(self, **overrides: Any) -> CheckConfig:
        values = {
            "select": self.select,
            "ignore": self.ignore,
            "severities": dict(self.severities),
            "experimental": self.experimental,
            "fixable": self.fixable,
            "unfixable": self.unfixable,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return CheckConfig(**values)


def _section(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("dockerast")
    return data.get("tool", {}).get("dockerast", data)


def parse_severity(value: str, where: str) -> Severity:
    try:
        return Severity[value.upper()]
    except KeyError:
        raise ConfigError(f"{where}: unknown severity {value!r} (error, warning, info, hint)") from None


def load_config(path: Path) -> ProjectConfig:
    """Read one configuration file."""
    section = _section(path) or {}

    def names(key: str) -> frozenset[str] | None:
        value = section.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: {key} must be a list of rule codes or names")
        return frozenset(value)

    severities = {}
    for rule, level in (section.get("severity") or {}).items():
        severities[rule] = parse_severity(str(level), f"{path}: severity.{rule}")
    return ProjectConfig(
        path=path,
        select=names("select"),
        ignore=names("ignore") or frozenset(),
        experimental=names("experimental") or frozenset(),
        severities=severities,
        include=tuple(section.get("include", ())),
        exclude=tuple(section.get("exclude", ())),
        fixable=names("fixable"),
        unfixable=names("unfixable") or frozenset(),
    )


def folder_config(folder: Path) -> ProjectConfig | None:
    """The configuration that ``folder``'s own files give (the first of
    :data:`CONFIG_FILES` with a dockerast section), None if neither has one."""
    for name in CONFIG_FILES:
        path = folder / name
        if path.is_file() and _section(path) is not None:
            return load_config(path)
    return None


def find_config(start: Path) -> ProjectConfig:
    """The configuration that applies to files in ``start`` (a folder or a file):
    that of the nearest folder, from ``start`` up, whose own files give one."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder.resolve(), *folder.resolve().parents):
        config = folder_config(candidate)
        if config is not None:
            return config
    return ProjectConfig()
