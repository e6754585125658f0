"""The ``dockerast`` command, driven in-process through ``dockerast.cli.main``, plus a few real runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockerast.cli import main
from dockerast.codemod.docs import render_rules_markdown
from dockerast.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

BAD = "FROM golang:1.22 AS Builder\nRUN go build -o /app .\nFROM alpine\nCOPY --from=Builder /app /app\n"
FIXED = "FROM golang:1.22 AS builder\nRUN go build -o /app .\nFROM alpine\nCOPY --from=builder /app /app\n"
CLEAN = "FROM alpine AS base\nRUN echo hi\n"
BROKEN = "FROM alpine\nRUN <<EOF\necho never closed\n"
UNFORMATTED = "from alpine\nrun echo hi\n\n\n\ncmd [\"sh\"]\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "clean.Dockerfile").write_text(CLEAN)
    return tmp_path


# -- parse keeps working -------------------------------------------------------


def test_parse_still_works(capsys, tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    code, out, _ = run(capsys, "parse", tmp_path / "Dockerfile")
    assert code == 0
    assert "1:1 FromInstruction" in out and "stage 1: FROM alpine" in out
    (tmp_path / "broken").write_text(BROKEN)
    code, out, _ = run(capsys, "parse", tmp_path / "broken")
    assert code == 1 and "error: unterminated heredoc" in out


# -- help ----------------------------------------------------------------------

COMMANDS = [
    ["check"], ["fix"], ["format"], ["codemod"], ["rules"], ["explain"], ["parse"], ["refactor"],
    ["refactor", "pin-build-platform"], ["refactor", "move"], ["refactor", "sink-args"], ["refactor", "rename-stage"],
    ["refactor", "to-exec-form"], ["refactor", "set-base-image"], ["refactor", "pin-digests"], ["refactor", "normalize"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "example" in out


def test_usage_errors_exit_2(capsys, project):
    assert run(capsys, "nonsense")[0] == 2
    assert run(capsys, "check", "--output-format", "xml", project)[0] == 2
    code, _, err = run(capsys, "check", "--select", "NoSuchRule", project)
    assert code == 2 and "unknown rule NoSuchRule" in err
    code, _, err = run(capsys, "fix", "--git-branch", "x", project)
    assert code == 2 and "go together" in err
    code, _, err = run(capsys, "check", project / "missing")
    assert code == 2 and "no such file" in err
    assert run(capsys, "refactor", "move", "--select", "run", project)[0] == 2  # --after or --before
    code, _, err = run(capsys, "refactor", "set-base-image", "--stage", "0", project)
    assert code == 2 and "--image, --tag or --digest" in err


# -- check ---------------------------------------------------------------------


def test_check_text_and_exit_codes(capsys, project):
    code, out, err = run(capsys, "check", "--select", "BK001", project)
    assert code == 1
    path = project / "Dockerfile"
    assert out.splitlines() == [f"{path}:1:21: BK001 StageNameCasing Stage name 'Builder' should be lowercase"]
    assert "Found 1 problem (1 fixable with `dockerast fix`)" in err
    assert "2 files seen, 1 with problems, 1 clean" in err
    code, out, _ = run(capsys, "check", "--select", "BK001", project / "clean.Dockerfile")
    assert (code, out) == (0, "")
    assert run(capsys, "check", "--select", "BK001", "--exit-zero", project)[0] == 0
    assert run(capsys, "check", "--select", "BK001", "--fail-level", "error", project)[0] == 0
    assert run(capsys, "check", "--select", "BK001", "--fail-level", "warning", project)[0] == 1
    assert run(capsys, "check", "--select", "StageNameCasing", "--ignore", "BK001", project)[0] == 0


def test_check_show_source_draws_a_caret(capsys, project):
    code, out, _ = run(capsys, "check", "--select", "BK001", "--show-source", project / "Dockerfile")
    lines = out.splitlines()
    assert lines[1] == "  FROM golang:1.22 AS Builder"
    assert lines[2] == "  " + " " * 20 + "^^^^^^^"


def test_check_severity_from_configuration(capsys, project):
    (project / ".dockerast.toml").write_text('select = ["BK001"]\n[severity]\nStageNameCasing = "info"\n')
    assert run(capsys, "check", "--fail-level", "warning", project)[0] == 0
    code, out, _ = run(capsys, "check", "--output-format", "json", project)
    assert code == 1 and json.loads(out)[0]["severity"] == "info"


def test_check_broken_configuration_is_an_error_for_its_files(capsys, project):
    (project / ".dockerast.toml").write_text("select = [")
    code, _, err = run(capsys, "check", project)
    assert code == 2 and "configuration error" in err and "invalid TOML" in err


def test_check_json(capsys, project):
    code, out, _ = run(capsys, "check", "--select", "BK001", "--output-format", "json", project)
    assert code == 1
    (item,) = json.loads(out)
    assert item["code"] == "BK001" and item["name"] == "StageNameCasing" and item["severity"] == "warning"
    assert item["location"] == {"start": {"line": 1, "column": 21}, "end": {"line": 1, "column": 28}}
    assert item["fix"]["safety"] == "safe"
    assert [e["content"] for e in item["fix"]["edits"]] == ["builder", "builder"]
    assert item["url"].startswith("https://docs.docker.com/")


def test_check_github(capsys, project):
    code, out, _ = run(capsys, "check", "--select", "BK001", "--output-format", "github", project)
    assert code == 1
    path = project / "Dockerfile"
    assert out == (
        f"::warning file={path},line=1,col=21,endLine=1,endColumn=28,title=BK001 StageNameCasing"
        "::Stage name 'Builder' should be lowercase\n"
    )


def _sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_check_sarif_is_valid(capsys, project, monkeypatch):
    validator = _sarif_validator()
    (project / "broken.Dockerfile").write_text(BROKEN)
    (project / "binary.Dockerfile").write_bytes(b"FROM \0\0\0")
    monkeypatch.chdir(project)
    code, out, _ = run(capsys, "check", "--output-format", "sarif", ".")
    assert code == 1
    document = json.loads(out)
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, "\n".join(str(e) for e in errors[:3])
    run_ = document["runs"][0]
    assert document["version"] == "2.1.0"
    ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert {r.code for r in ALL_RULES} <= set(ids)
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    bk = by_rule["BK001"]
    assert bk["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert bk["locations"][0]["physicalLocation"]["region"]["startColumn"] == 21
    assert ids[bk["ruleIndex"]] == "BK001"
    assert bk["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] == {"text": "builder"}
    assert by_rule["syntax-error"]["level"] == "error"
    notes = run_["invocations"][0]["toolExecutionNotifications"]
    assert any("binary" in n["message"]["text"] for n in notes)


def test_check_sarif_of_a_clean_tree_is_valid(capsys, tmp_path):
    validator = _sarif_validator()
    (tmp_path / "Dockerfile").write_text(CLEAN)
    code, out, _ = run(capsys, "check", "--output-format", "sarif", "--select", "BK001", tmp_path)
    assert code == 0
    document = json.loads(out)
    assert not list(validator.iter_errors(document))
    assert document["runs"][0]["results"] == []


def test_check_reports_syntax_errors_and_goes_on(capsys, project):
    (project / "broken.Dockerfile").write_text(BROKEN)
    code, out, err = run(capsys, "check", "--select", "BK001", project)
    assert code == 1
    broken = project / "broken.Dockerfile"
    assert f"{broken}:3:1: error: unterminated heredoc" in out
    assert "BK001 StageNameCasing" in out
    assert "1 failed" in err


def test_check_context_option(capsys, project):
    code, _, err = run(capsys, "check", "--context", project / "nope", project)
    assert code == 2 and "not a folder" in err
    assert run(capsys, "check", "--select", "BK001", "--context", project, project)[0] == 1


def test_check_report_file(capsys, project):
    report = project / "report.json"
    run(capsys, "check", "--select", "BK001", "--report", report, project)
    data = json.loads(report.read_text())
    assert data["command"] == "check"
    assert data["summary"] == {"seen": 2, "changed": 0, "unchanged": 2, "skipped": 0, "failed": 0}
    assert data["per_rule_or_operation"] == {"BK001 StageNameCasing": 1}
    assert {Path(f["path"]).name for f in data["files"]} == {"Dockerfile", "clean.Dockerfile"}


# -- fix -----------------------------------------------------------------------


def test_fix_writes_in_place(capsys, project):
    code, _, err = run(capsys, "fix", "--select", "BK001", project)
    assert code == 0
    assert (project / "Dockerfile").read_text() == FIXED
    assert (project / "clean.Dockerfile").read_text() == CLEAN
    assert "1 changed" in err and "BK001 StageNameCasing" in err
    # A second run changes nothing.
    code, _, err = run(capsys, "fix", "--select", "BK001", "--check", project)
    assert code == 0 and "0 would change" in err


def test_fix_diff_writes_nothing(capsys, project):
    code, out, _ = run(capsys, "fix", "--select", "BK001", "--diff", project)
    assert code == 1
    assert (project / "Dockerfile").read_text() == BAD
    path = project / "Dockerfile"
    assert out.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert "-FROM golang:1.22 AS Builder\n+FROM golang:1.22 AS builder\n" in out


def test_fix_check(capsys, project):
    code, out, _ = run(capsys, "fix", "--select", "BK001", "--check", project)
    assert code == 1 and out == f"would change: {project / 'Dockerfile'}\n"
    assert (project / "Dockerfile").read_text() == BAD


def test_fix_unsafe_fixes(capsys, tmp_path):
    unsafe = [r for r in ALL_RULES if r.fix_safety is not None and r.fix_safety.value == "unsafe" and r.fixed_example]
    if not unsafe:
        pytest.skip("no rule with an unsafe fix and examples")
    rule = unsafe[0]
    (tmp_path / "Dockerfile").write_text(rule.bad_example)
    select = ["--select", rule.code, "--experimental", rule.code]
    run(capsys, "fix", *select, tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == rule.bad_example
    run(capsys, "fix", "--unsafe-fixes", *select, tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == rule.fixed_example


def test_fix_leaves_broken_files_alone_and_goes_on(capsys, project):
    (project / "broken.Dockerfile").write_text(BROKEN)
    code, _, err = run(capsys, "fix", "--select", "BK001", project)
    assert code == 1
    assert f"{project / 'broken.Dockerfile'}:3:1: error: unterminated heredoc" in err
    assert (project / "broken.Dockerfile").read_text() == BROKEN
    assert (project / "Dockerfile").read_text() == FIXED


def test_fix_keeps_bom_crlf_mode_and_odd_bytes(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    data = b"\xef\xbb\xbf# caf\xe9 latin-1 comment\r\n" + BAD.replace("\n", "\r\n").encode()
    path.write_bytes(data)
    os.chmod(path, 0o750)
    assert run(capsys, "fix", "--select", "BK001", tmp_path)[0] == 0
    expected = b"\xef\xbb\xbf# caf\xe9 latin-1 comment\r\n" + FIXED.replace("\n", "\r\n").encode()
    assert path.read_bytes() == expected
    assert (path.stat().st_mode & 0o777) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]  # no temporary file left


def test_fix_keeps_utf16(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xff\xfe" + BAD.encode("utf-16-le"))
    assert run(capsys, "fix", "--select", "BK001", tmp_path)[0] == 0
    assert path.read_bytes() == b"\xff\xfe" + FIXED.encode("utf-16-le")


# -- format --------------------------------------------------------------------


def test_format(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(UNFORMATTED)
    code, out, _ = run(capsys, "format", "--check", tmp_path)
    assert code == 1 and out == f"would change: {path}\n"
    code, out, _ = run(capsys, "format", "--diff", tmp_path)
    assert code == 1 and "+FROM alpine" in out and path.read_text() == UNFORMATTED
    assert run(capsys, "format", tmp_path)[0] == 0
    formatted = path.read_text()
    assert formatted.startswith("FROM alpine\nRUN echo hi\n")
    assert run(capsys, "format", "--check", tmp_path)[0] == 0
    assert path.read_text() == formatted


# -- refactor ------------------------------------------------------------------

GO = """\
FROM golang:1.22 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .

FROM alpine:3.20
COPY --from=builder /out/app /app
CMD /app --serve
"""


@pytest.fixture
def go(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(GO)
    return path


def test_refactor_pin_build_platform(capsys, go):
    assert run(capsys, "refactor", "pin-build-platform", go.parent)[0] == 0
    assert go.read_text().startswith("FROM --platform=$BUILDPLATFORM golang:1.22 AS builder\n")


def test_refactor_pin_build_platform_refusal_is_a_skip(capsys, go):
    code, _, err = run(capsys, "refactor", "pin-build-platform", "--stage", "1", go)
    assert code == 0 and "skipped" in err and "final image" in err
    assert go.read_text() == GO
    code, _, _ = run(capsys, "refactor", "pin-build-platform", "--stage", "builder", "--platform-independent", go)
    assert code == 0 and go.read_text().startswith("FROM --platform=$BUILDPLATFORM")


def test_refactor_move(capsys, go):
    code, _, _ = run(capsys, "refactor", "move", "--select", "builder/arg:TARGETOS,TARGETARCH", "--after", "builder/run:go mod download", go)
    assert code == 0
    lines = go.read_text().splitlines()
    assert lines.index("RUN go mod download") < lines.index("ARG TARGETOS")
    code, _, err = run(capsys, "refactor", "move", "--select", "bogus:selector:", "--after", "run", go)
    assert code == 2


def test_refactor_sink_args(capsys, go):
    assert run(capsys, "refactor", "sink-args", "--names", "TARGETOS,TARGETARCH", "--stage", "builder", go)[0] == 0
    lines = go.read_text().splitlines()
    assert lines.index("ARG TARGETOS") > lines.index("COPY . .")


def test_refactor_rename_stage(capsys, go):
    assert run(capsys, "refactor", "rename-stage", "--from", "builder", "--to", "build", go)[0] == 0
    text = go.read_text()
    assert "AS build\n" in text and "--from=build " in text
    code, _, err = run(capsys, "refactor", "rename-stage", "--from", "nope", "--to", "x", go)
    assert code == 0 and "no stage named 'nope'" in err


def test_refactor_to_exec_form(capsys, go):
    assert run(capsys, "refactor", "to-exec-form", go)[0] == 0
    assert 'CMD ["/app", "--serve"]' in go.read_text()


def test_refactor_to_exec_form_wrap_in_shell(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine\nRUN echo a && echo b\n")
    code, _, err = run(capsys, "refactor", "to-exec-form", "--include-run", path)
    assert "shell features" in err and path.read_text() == "FROM alpine\nRUN echo a && echo b\n"
    assert run(capsys, "refactor", "to-exec-form", "--include-run", "--wrap-in-shell", path)[0] == 0
    assert path.read_text() == 'FROM alpine\nRUN ["/bin/sh", "-c", "echo a && echo b"]\n'


def test_refactor_set_base_image(capsys, go):
    assert run(capsys, "refactor", "set-base-image", "--stage", "1", "--tag", "3.21", go)[0] == 0
    assert "FROM alpine:3.21\n" in go.read_text()


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_refactor_pin_digests(capsys, go, suffix):
    digest = "sha256:" + "a" * 64
    lock = go.parent / f"images.lock{suffix}"
    if suffix == ".json":
        lock.write_text(json.dumps({"alpine:3.20": digest}))
    else:
        lock.write_text(f'[images]\n"alpine:3.20" = "{digest}"\n')
    assert run(capsys, "refactor", "pin-digests", "--lock", lock, go)[0] == 0
    assert f"FROM alpine:3.20@{digest}\n" in go.read_text()
    lock.write_text("[1, 2]" if suffix == ".json" else "x = 1\n")
    code, _, err = run(capsys, "refactor", "pin-digests", "--lock", lock, go)
    assert code == 2 and "expected a mapping" in err


def test_refactor_normalize(capsys, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("from alpine as base\nENV A 1\n")
    assert run(capsys, "refactor", "normalize", "--no-legacy-key-value", path)[0] == 0
    assert path.read_text() == "FROM alpine AS base\nENV A 1\n"
    assert run(capsys, "refactor", "normalize", path)[0] == 0
    assert path.read_text() == "FROM alpine AS base\nENV A=1\n"


def test_refactor_diff_and_check(capsys, go):
    code, out, _ = run(capsys, "refactor", "rename-stage", "--from", "builder", "--to", "build", "--diff", go)
    assert code == 1 and "+FROM golang:1.22 AS build" in out and go.read_text() == GO
    code, out, _ = run(capsys, "refactor", "rename-stage", "--from", "builder", "--to", "build", "--check", go)
    assert code == 1 and out.startswith("would change:") and go.read_text() == GO


def test_every_refactor_operation_has_a_command():
    import inspect

    import dockerast.refactor as refactor
    from dockerast.codemod.actions import OPERATIONS

    helpers = {"transform", "format", "format_dockerfile", "apply_edits", "minimal_edits", "builder_stages"}
    operations = {
        name
        for name in refactor.__all__
        if inspect.isfunction(getattr(refactor, name)) and name not in helpers
    }
    assert operations == {op.function for op in OPERATIONS.values()}


# -- codemod -------------------------------------------------------------------

APK_CODEMOD = '''
from dockerast import RunInstruction

def apk_no_cache(ins, ctx):
    if isinstance(ins, RunInstruction) and "apk add " in ins.arguments and "--no-cache" not in ins.arguments:
        return ctx.replace_text("apk add ", "apk add --no-cache ")
'''

TREE_CODEMOD = '''
def codemod(tree):
    return str(tree).replace("alpine:3.19", "alpine:3.20")

def broken(tree):
    raise RuntimeError("boom")

def wrong(tree):
    return 42

def drops_comments(tree):
    return str(tree).replace("# keep me\\n", "")
'''


@pytest.fixture
def apk(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text("# keep me\nFROM alpine:3.19\nRUN apk add curl\n")
    return path


def test_codemod_instruction_transform_from_a_file(capsys, apk, tmp_path):
    script = tmp_path / "mods" / "apk.py"
    script.parent.mkdir()
    script.write_text(APK_CODEMOD)
    code, out, _ = run(capsys, "codemod", f"{script}:apk_no_cache", "--diff", apk)
    assert code == 1 and "+RUN apk add --no-cache curl" in out
    assert run(capsys, "codemod", script, apk)[0] == 0  # the only function: no name needed
    assert apk.read_text() == "# keep me\nFROM alpine:3.19\nRUN apk add --no-cache curl\n"


def test_codemod_tree_callable_from_a_module(capsys, apk, tmp_path, monkeypatch):
    (tmp_path / "my_tree_mods.py").write_text(TREE_CODEMOD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run(capsys, "codemod", "my_tree_mods:codemod", apk)[0] == 0
    assert "FROM alpine:3.20\n" in apk.read_text()
    code, _, err = run(capsys, "codemod", "my_tree_mods:broken", apk)
    assert code == 2 and "raised RuntimeError: boom" in err and "Traceback" not in err
    code, _, err = run(capsys, "codemod", "my_tree_mods:wrong", apk)
    assert code == 2 and "returned int" in err
    code, _, err = run(capsys, "codemod", "my_tree_mods:drops_comments", apk)
    assert code == 0 and "lose comments" in err and "# keep me" in apk.read_text()


def test_codemod_bad_targets(capsys, apk, tmp_path):
    assert run(capsys, "codemod", tmp_path / "missing.py", apk)[0] == 2
    assert run(capsys, "codemod", "no_such_module_xyz:fn", apk)[0] == 2
    (tmp_path / "two.py").write_text("def a(t): pass\ndef b(t): pass\n")
    code, _, err = run(capsys, "codemod", tmp_path / "two.py", apk)
    assert code == 2 and "name the callable" in err


# -- rules and docs ------------------------------------------------------------


def test_rules_lists_every_rule(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    for rule in ALL_RULES:
        line = next(l for l in out.splitlines() if l.startswith(rule.code + " "))
        assert rule.name in line and str(rule.severity) in line and rule.summary in line
    code, out, _ = run(capsys, "rules", "--output-format", "json")
    assert [r["code"] for r in json.loads(out)] == [r.code for r in ALL_RULES]


def test_explain(capsys):
    rule = ALL_RULES[0]
    for key in (rule.code, rule.name, rule.name.lower()):
        code, out, _ = run(capsys, "explain", key)
        assert code == 0 and out.startswith(f"# {rule.code} {rule.name}\n") and "## What it does" in out
    code, _, err = run(capsys, "explain", "NoSuchRule")
    assert code == 2 and "unknown rule" in err


def test_docs_rules_md_is_generated():
    expected = render_rules_markdown()
    path = ROOT / "docs" / "rules.md"
    assert path.exists(), "create it: dockerast rules --output-format markdown > docs/rules.md"
    assert path.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale; regenerate it: dockerast rules --output-format markdown > docs/rules.md"
    )
    for rule in ALL_RULES:
        assert f"## {rule.code} {rule.name}" in expected


# -- internal errors -----------------------------------------------------------


def test_internal_error_is_exit_2_without_traceback(capsys, project, monkeypatch):
    import dockerast.codemod.actions as actions

    def explode(*args, **kwargs):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(actions, "run_rules", explode)
    code, _, err = run(capsys, "check", "--jobs", "1", project)
    assert code == 2
    assert "internal error: ZeroDivisionError: simulated bug" in err and "Traceback" not in err


def test_unexpected_exception_in_the_cli_is_exit_2(capsys, project, monkeypatch):
    import dockerast.codemod.discovery as discovery

    monkeypatch.setattr(discovery, "discover", lambda *a, **k: 1 / 0)
    code, _, err = run(capsys, "check", project)
    assert code == 2 and "internal error: ZeroDivisionError" in err and "Traceback" not in err


# -- examples/ -----------------------------------------------------------------


def test_examples_have_something_to_find_and_fix(capsys, tmp_path):
    import shutil

    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    dockerfiles = sorted(p for p in examples.rglob("*") if p.name == "Dockerfile")
    assert len(dockerfiles) >= 4
    code, out, _ = run(capsys, "check", examples)
    assert code == 1
    for path in dockerfiles:
        if path.parent != examples:
            assert f"{path}:" in out, f"dockerast check finds nothing in {path}"
    code, out, _ = run(capsys, "fix", "--diff", examples)
    assert code == 1
    for path in dockerfiles:
        if path.parent != examples:
            assert f"--- a/{path}" in out, f"dockerast fix has nothing to fix in {path}"


# -- real processes ------------------------------------------------------------


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def test_python_dash_m(project):
    done = subprocess.run(
        [sys.executable, "-m", "dockerast", "check", "--select", "BK001", "--output-format", "json", str(project)],
        capture_output=True, text=True, env=_env(), timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)[0]["code"] == "BK001"
    assert "Traceback" not in done.stderr


def test_console_script_with_a_process_pool(tmp_path):
    script = Path(sys.executable).with_name("dockerast")
    if not script.exists():
        pytest.skip("the dockerast console script is not installed")
    for i in range(6):
        (tmp_path / f"s{i}.Dockerfile").write_text(BAD)
    done = subprocess.run(
        [str(script), "fix", "--select", "BK001", "--jobs", "2", str(tmp_path)],
        capture_output=True, text=True, env=_env(), timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "6 files seen, 6 changed" in done.stderr
    assert all(p.read_text() == FIXED for p in tmp_path.iterdir())


def test_subprocess_usage_error_and_broken_file(tmp_path):
    (tmp_path / "Dockerfile").write_text(BROKEN)
    done = subprocess.run(
        [sys.executable, "-m", "dockerast", "format", str(tmp_path)], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert done.returncode == 1
    assert f"{tmp_path / 'Dockerfile'}:3:1: error: unterminated heredoc" in done.stderr
    done = subprocess.run([sys.executable, "-m", "dockerast", "check", "--bogus"], capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr


# -- terminals, BOM columns, Ctrl-C ---------------------------------------------


def test_source_and_caret_by_default_on_a_terminal(capsys, project, monkeypatch):
    import dockerast.cli as cli

    monkeypatch.setattr(cli, "_isatty", lambda stream: True)
    code, out, _ = run(capsys, "check", "--select", "BK001", "--no-progress", project / "Dockerfile")
    assert out.splitlines()[1:] == ["  FROM golang:1.22 AS Builder", "  " + " " * 20 + "^" * 7]
    monkeypatch.setattr(cli, "_isatty", lambda stream: False)
    code, out, _ = run(capsys, "check", "--select", "BK001", project / "Dockerfile")
    assert len(out.splitlines()) == 1


def test_progress_bar_only_on_a_terminal():
    import io

    from dockerast.cli import Progress

    stream = io.StringIO()
    bar = Progress(4, stream, enabled=True)
    for _ in range(4):
        bar(None)
    bar.close()
    assert "4/4 files" in stream.getvalue() and stream.getvalue().endswith("\r")
    quiet = io.StringIO()
    bar = Progress(4, quiet, enabled=False)
    bar(None)
    bar.close()
    assert quiet.getvalue() == ""


def test_bom_takes_no_column(capsys, tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    code, out, _ = run(capsys, "check", "--select", "BK001", "--show-source", tmp_path)
    lines = out.splitlines()
    assert lines[0].endswith("Dockerfile:1:21: BK001 StageNameCasing Stage name 'Builder' should be lowercase")
    assert lines[1] == "  FROM golang:1.22 AS Builder"


def test_ctrl_c_exits_130(capsys, project, monkeypatch):
    import dockerast.codemod.runner as runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", interrupted)
    code, _, err = run(capsys, "fix", project)
    assert code == 130 and "interrupted" in err
    assert (project / "Dockerfile").read_text() == BAD
