"""The VS Code extension in editors/vscode: its manifest, its settings against the server's, and a real build.

The build tests copy editors/vscode to a temporary folder and run ``npm ci``,
``npm run compile`` and ``npm run package`` there (npm's own cache is used, so
only a cold cache downloads anything); then the .vsix is opened as the zip it is,
and the bundle is run against a real server by ``test/smoke.cjs`` with a
stand-in ``vscode`` module. They are skipped only where ``npm`` is not on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dockerast.refactor import FormatOptions
from lsp_server.settings import DIAGNOSTIC_MODES, Settings

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "editors" / "vscode"
MANIFEST: dict[str, Any] = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
SETTINGS: dict[str, dict[str, Any]] = MANIFEST["contributes"]["configuration"]["properties"]
# Read by the extension itself (how to start the server, the client's trace), not by the server.
CLIENT_ONLY = {"dockerast.python", "dockerast.serverArgs", "dockerast.trace.server"}
SERVER_SETTINGS = {name: schema for name, schema in SETTINGS.items() if name not in CLIENT_ONLY}
# The server as the tests run it: this checkout, whether or not it is installed.
SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
STEP_TIMEOUT = 240


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    """``{"dockerast.a.b": v}`` as VS Code answers for the ``dockerast`` section: ``{"a": {"b": v}}``."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        *parents, leaf = name.removeprefix("dockerast.").split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return result


def _effective(settings: Settings) -> tuple:
    """What a Settings means to the server: the rules configuration and every other knob."""
    indent = FormatOptions().indent if settings.format_indent is None else settings.format_indent
    return (settings.check_config(None)[0], settings.diagnostics_mode, settings.debounce, indent, settings.inlay_hints)


def _sample(name: str, schema: dict[str, Any]) -> Any:
    """A valid value for the setting that is not its default."""
    default = schema.get("default")
    if "enum" in schema:
        return next(v for v in schema["enum"] if v != default)
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if "boolean" in kinds:
        return not default
    if "integer" in kinds or "number" in kinds:
        return default + 1 if default + 1 <= schema.get("maximum", default + 1) else default - 1
    if "array" in kinds:
        return ["StageNameCasing"]
    if "object" in kinds:
        return {"StageNameCasing": "error"}
    raise AssertionError(f"no sample value for {name} of type {kinds}")


# -- the manifest ------------------------------------------------------------------------------------


def test_manifest_identity_and_entry_point():
    assert MANIFEST["name"] == "dockerast"
    assert MANIFEST["publisher"] == "dockerast"
    assert MANIFEST["engines"]["vscode"].startswith("^1.8")
    assert MANIFEST["activationEvents"] == ["onLanguage:dockerfile"]
    assert MANIFEST["main"] == "./out/extension.js"
    assert MANIFEST["license"] == "Apache-2.0"
    assert "--allow-missing-repository" in MANIFEST["scripts"]["package"]  # no public repository address yet
    for name in ("README.md", "CHANGELOG.md", "LICENSE", ".vscodeignore", ".gitignore", "package-lock.json"):
        assert (EXTENSION / name).is_file(), name
    # vscode-languageclient 9 is a runtime dependency, bundled by esbuild; vsce makes the package.
    assert MANIFEST["dependencies"]["vscode-languageclient"].startswith("^9.")
    for tool in ("@vscode/vsce", "esbuild", "typescript", "@types/vscode"):
        assert tool in MANIFEST["devDependencies"], tool
    # @types/vscode must not promise more API than engines.vscode.
    assert MANIFEST["devDependencies"]["@types/vscode"].lstrip("~^") == MANIFEST["engines"]["vscode"].lstrip("~^")
    assert "--no-dependencies" not in MANIFEST["scripts"]["package"]
    assert MANIFEST["scripts"]["compile"].startswith("tsc ")


def test_lockfile_matches_manifest():
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    root = lock["packages"][""]
    assert root["name"] == MANIFEST["name"]
    assert root["dependencies"] == MANIFEST["dependencies"]
    assert root["devDependencies"] == MANIFEST["devDependencies"]
    assert lock["packages"]["node_modules/vscode-languageclient"]["version"].startswith("9.")


def test_manifest_commands():
    commands = {c["command"]: c for c in MANIFEST["contributes"]["commands"]}
    assert {"dockerast.restartServer", "dockerast.showOutput"} <= set(commands)
    assert all(c["category"] == "dockerast" for c in commands.values())
    # Every contributed command is registered by the extension, and the other way round.
    source = (EXTENSION / "src" / "extension.ts").read_text(encoding="utf-8")
    registered = {part.split("'")[1] for part in source.split("registerCommand(")[1:]}
    assert registered == set(commands)


def test_server_has_no_execute_commands():
    """The refactors are code actions; if the server ever offers workspace/executeCommand, contribute them."""
    from lsp_server.server import server

    assert not server.protocol.fm.commands


def test_manifest_settings():
    assert set(SETTINGS) == {
        "dockerast.python",
        "dockerast.serverArgs",
        "dockerast.select",
        "dockerast.ignore",
        "dockerast.experimental",
        "dockerast.severity",
        "dockerast.diagnostics.mode",
        "dockerast.diagnostics.debounceMs",
        "dockerast.format.indent",
        "dockerast.inlayHints.enable",
        "dockerast.trace.server",
    }
    assert SETTINGS["dockerast.python"]["default"] == "python3"
    assert SETTINGS["dockerast.diagnostics.mode"]["enum"] == list(DIAGNOSTIC_MODES)
    # A workspace must not choose what runs unless it is trusted.
    restricted = MANIFEST["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]
    assert set(restricted) == {"dockerast.python", "dockerast.serverArgs"}


def test_every_setting_reaches_the_server():
    """Each setting, given a non-default value, changes the server's Settings, with no problem reported."""
    changed: set[str] = set()
    default = Settings()
    for name, schema in SERVER_SETTINGS.items():
        value = _sample(name, schema)
        settings, problems = Settings.from_json({"dockerast": _nest({name: value})})
        assert problems == [], (name, value)
        fields = {f for f in Settings.__dataclass_fields__ if getattr(settings, f) != getattr(default, f)}
        assert fields, f"{name} = {value!r} is not read by the server"
        changed |= fields
    # ...and every setting the server has is reachable from VS Code.
    assert changed == set(Settings.__dataclass_fields__)


def test_vscode_defaults_are_the_server_defaults():
    """VS Code sends every setting, defaults included: the defaults must mean what no settings mean."""
    sent = _nest({name: schema["default"] for name, schema in SETTINGS.items()})
    settings, problems = Settings.from_json({"dockerast": sent})
    assert problems == []
    assert _effective(settings) == _effective(Settings())


def test_build_products_are_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    paths = [
        "editors/vscode/node_modules/x/index.js",
        "editors/vscode/out/extension.js",
        "editors/vscode/dockerast-0.1.0.vsix",
    ]
    result = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.stdout.split() == paths


# -- the build ---------------------------------------------------------------------------------------


def _npm(args: list[str], cwd: Path, timings: dict[str, float]) -> None:
    npm = shutil.which("npm")
    assert npm is not None
    started = time.monotonic()
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    try:
        result = subprocess.run(
            [npm, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(
            f"npm {' '.join(args)} took more than {STEP_TIMEOUT} s (a cold npm cache?)\n{error.stdout}\n{error.stderr}"
        )
    timings[" ".join(args)] = time.monotonic() - started
    assert result.returncode == 0, f"npm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of editors/vscode after npm ci, npm run compile and npm run package."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not on PATH: the VS Code extension is not built")
    work = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    timings: dict[str, float] = {}
    # --ignore-scripts: esbuild finds its binary without its postinstall, and nothing else needs one.
    _npm(["ci", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], work, timings)
    _npm(["run", "compile"], work, timings)
    assert (work / "out" / "extension.js").is_file()
    _npm(["run", "package"], work, timings)
    print("npm timings:", {step: round(seconds, 1) for step, seconds in timings.items()})
    return work


def test_package_is_a_vsix_with_the_bundle(built: Path):
    [vsix] = built.glob("*.vsix")
    assert vsix.name == f"dockerast-{MANIFEST['version']}.vsix"
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        assert {"extension.vsixmanifest", "extension/package.json", "extension/out/extension.js"} <= names
        assert {"extension/readme.md", "extension/changelog.md", "extension/LICENSE.txt"} <= names
        # vscode-languageclient is inside the bundle, not beside it; no sources, maps or lockfile.
        assert not any(n.startswith("extension/node_modules/") for n in names)
        assert not any(n.endswith((".ts", ".map")) or n.startswith("extension/src/") for n in names), names
        assert "extension/package-lock.json" not in names
        packaged = json.loads(archive.read("extension/package.json"))
        bundle = archive.read("extension/out/extension.js").decode("utf-8")
    assert packaged["activationEvents"] == MANIFEST["activationEvents"]
    assert packaged["contributes"] == MANIFEST["contributes"]
    assert packaged["main"] == "./out/extension.js"
    assert 'require("vscode-languageclient' not in bundle
    assert "LanguageClient" in bundle or "languageclient" in bundle.lower()


def _smoke(built: Path, settings: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, str(built / "test" / "smoke.cjs"), json.dumps(settings)],
        cwd=built,
        env=SERVER_ENV,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "crash" not in report, report["crash"]
    assert report["unhandled"] == [], report["unhandled"]
    return report


def test_bundle_starts_restarts_and_stops_the_server(built: Path):
    settings = {
        "dockerast.python": sys.executable,
        "dockerast.serverArgs": ["-v"],
        "dockerast.select": ["StageNameCasing"],
        "dockerast.diagnostics.mode": "push",
    }
    report = _smoke(built, settings)
    assert report["errors"] == [], report["output"]
    # Started, restarted by the command, stopped by deactivate.
    assert report["status"] == ["dockerast: running", "dockerast: running", "dockerast: stopped"], report["output"]
    assert [p["args"] for p in report["processes"]] == [["-m", "lsp_server", "-v"]] * 2
    assert all(p["command"] == sys.executable and p["exited"] for p in report["processes"])
    assert set(report["commands"]) == {c["command"] for c in MANIFEST["contributes"]["commands"]}
    # initializationOptions: the whole section, nested, as the server reads it.
    options = report["initializationOptions"]
    assert options["select"] == ["StageNameCasing"]
    assert options["diagnostics"] == {"mode": "push", "debounceMs": 0}
    server_settings, problems = Settings.from_json(options)
    assert problems == []
    assert server_settings.diagnostics_mode == "push"
    assert server_settings.select == frozenset({"StageNameCasing"})


@pytest.mark.skipif(os.name == "nt", reason="the stand-in interpreter is a shell script")
def test_bundle_reports_a_python_without_dockerast(built: Path, tmp_path: Path):
    # A real Python that cannot import lsp_server: isolated (-I: no PYTHONPATH, no cwd), no site-packages (-S).
    python = tmp_path / "python-without-dockerast"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    report = _smoke(built, {"dockerast.python": str(python)})
    [message] = report["errors"]
    assert f"`{python} -m lsp_server` exited with code 1 before the server started" in message
    assert "No module named lsp_server" in message  # the stderr, shown
    assert "pip install dockerast" in message
    assert report["status"][0] == "dockerast: not running"
    assert all(p["exited"] for p in report["processes"])


def test_bundle_reports_a_missing_python(built: Path, tmp_path: Path):
    missing = tmp_path / "no-such-python"
    report = _smoke(built, {"dockerast.python": str(missing)})
    [message] = report["errors"]
    assert message.startswith(f"dockerast: cannot run {missing}: ")
    assert "ENOENT" in message
    assert '"dockerast.python"' in message
    assert report["status"][0] == "dockerast: not running"
