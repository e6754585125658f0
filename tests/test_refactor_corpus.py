"""Every refactor on every real Dockerfile of the corpus: refused, or a result that keeps its promises.

For each file and each operation the outcome is either a :class:`RefactorError`
(a refusal: allowed, and counted) or a result that

* re-parses without errors and prints back byte for byte,
* keeps every comment line and the number of instructions,
* is what its edits give when applied to the old text,
* gives no edits when the operation runs again on the re-parsed text.

Any other exception is a crash.  The same holds for every file rewritten with
CRLF line ends, whose results must not contain a bare LF.  The whole corpus
(about 1,600 files) runs in about 30 seconds, so nothing is sampled.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import pytest

import dockerast
from dockerast.refactor import (
    RefactorError,
    apply_edits,
    format_dockerfile,
    normalize,
    pin_build_platform,
    rename_stage,
    sink_args,
    to_exec_form,
)
from dockerast.semantic.model import analyze
from tests.conftest import CORPUS, corpus_files, require

FILES = corpus_files()
BARE_LF = re.compile(r"(?<!\r)\n")


def _comment_lines(text: str) -> Counter[str]:
    return Counter(line.strip() for line in text.splitlines() if line.strip().startswith("#"))


def _fresh_name(tree) -> tuple[str, str] | None:
    """The first named stage and a name no stage has, or None without named stages."""
    names = [s.name for s in analyze(tree).stages if s.name]
    if not names:
        return None
    fresh = "renamed-stage"
    while fresh in names:
        fresh += "-x"
    return names[0], fresh


def _rename(tree):
    names = _fresh_name(tree)
    return None if names is None else rename_stage(tree, *names)


def _rename_again(tree, before):
    # The stage now carries the fresh name; renaming it to that name again must change nothing.
    _, fresh = _fresh_name(before)
    return rename_stage(tree, fresh, fresh)


# name -> (operation, the same operation run again on the result: (new tree, old tree) -> result)
OPERATIONS = {
    "format": (format_dockerfile, lambda tree, _: format_dockerfile(tree)),
    "normalize": (normalize, lambda tree, _: normalize(tree)),
    "pin_build_platform": (pin_build_platform, lambda tree, _: pin_build_platform(tree)),
    "sink_args": (sink_args, lambda tree, _: sink_args(tree)),
    "to_exec_form": (
        lambda tree: to_exec_form(tree, wrap_in_shell=True),
        lambda tree, _: to_exec_form(tree, wrap_in_shell=True),
    ),
    "rename_stage": (_rename, _rename_again),
}


@functools.lru_cache(maxsize=None)
def _parsed(path: Path, line_end: str) -> tuple[str, dockerast.Dockerfile]:
    text = path.read_text(encoding="utf-8")
    if line_end == "\r\n":
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text, dockerast.parse(text)


def _problems(name: str, text: str, tree, result) -> list[str]:
    """What a result gets wrong; empty when it keeps every promise."""
    _, again = OPERATIONS[name]
    problems = []
    if str(result.tree) != result.text:
        problems.append("the result tree does not print as the result text")
    try:
        if apply_edits(text, result.edits) != result.text:
            problems.append("the edits do not give the result text")
    except ValueError as error:
        problems.append(f"the edits overlap: {error}")
    reparsed = dockerast.parse(result.text)
    if reparsed.errors:
        problems.append(f"the result has syntax errors: {reparsed.errors[0]}")
        return problems
    if str(reparsed) != result.text:
        problems.append("the result does not round-trip")
    lost = _comment_lines(text) - _comment_lines(result.text)
    if lost:
        problems.append(f"comment lines lost: {sorted(lost)[:3]}")
    if len(reparsed.instructions) != len(tree.instructions):
        problems.append("the number of instructions changed")
    try:
        second = again(reparsed, tree)
    except RefactorError as error:
        problems.append(f"running it again is refused: {error}")
    else:
        if second.edits:
            problems.append(f"running it again gives edits: {second.edits[:2]}")
    return problems


def _run(name: str, line_end: str) -> tuple[Counter[str], list[str], list[str]]:
    """Refusal messages, property failures and crashes of one operation over the corpus."""
    operation, _ = OPERATIONS[name]
    refusals: Counter[str] = Counter()
    failures: list[str] = []
    crashes: list[str] = []
    for path in FILES:
        key = str(path.relative_to(CORPUS / "real"))
        text, tree = _parsed(path, line_end)
        if tree.errors:
            continue  # refused by every operation; the parser's own tests cover these files
        try:
            result = operation(tree)
        except RefactorError as error:
            refusals[str(error)] += 1
            continue
        except Exception as error:  # noqa: BLE001 - any other exception is the bug being looked for
            crashes.append(f"{key}: {type(error).__name__}: {error}")
            continue
        if result is None:
            continue
        failures.extend(f"{key}: {problem}" for problem in _problems(name, text, tree, result))
        # A one-line file without a line end has no line-end style to keep.
        if line_end == "\r\n" and "\r\n" in text and BARE_LF.search(result.text):
            failures.append(f"{key}: a bare LF in a CRLF file")
    return refusals, failures, crashes


@functools.lru_cache(maxsize=None)
def _outcome(name: str, line_end: str = "\n"):
    require(CORPUS / "real")
    return _run(name, line_end)


def test_corpus_files_parse():
    require(CORPUS / "real")
    assert len(FILES) > 1500
    assert [str(p) for p in FILES if _parsed(p, "\n")[1].errors] == []


@pytest.mark.parametrize("name", OPERATIONS)
def test_results_keep_their_promises(name):
    _, failures, crashes = _outcome(name)
    assert crashes == []
    assert failures == []


@pytest.mark.parametrize("name", OPERATIONS)
def test_results_keep_their_promises_with_crlf(name):
    _, failures, crashes = _outcome(name, "\r\n")
    assert crashes == []
    assert failures == []


@pytest.mark.parametrize("name", ["format", "pin_build_platform"])
def test_never_refused_on_the_corpus(name):
    """Every corpus file parses, and these operations have nothing to refuse on a file that parses."""
    refusals, _, _ = _outcome(name)
    assert refusals == Counter()


def test_rename_refuses_only_names_held_by_variables():
    """A stage named through a variable (``FROM $BASE``) cannot be renamed in place; nothing else is refused."""
    refusals, _, _ = _outcome("rename_stage")
    assert [m for m in refusals if "names the stage through a variable" not in m] == []


def test_to_exec_form_refuses_only_to_drop_comments():
    """With ``wrap_in_shell`` every shell-form command converts; only a comment line inside it can stop that."""
    refusals, _, _ = _outcome("to_exec_form")
    assert [m for m in refusals if "would lose comments" not in m and "ignores CMD" not in m] == []


def test_refusals_say_why():
    for name in OPERATIONS:
        refusals, _, _ = _outcome(name)
        for message in refusals:
            assert message.strip() and "\n" not in message, (name, message)


def test_normalize_never_refused_on_the_corpus():
    refusals, _, _ = _outcome("normalize")
    assert refusals == Counter()


def test_sink_args_refusals_never_blame_the_moved_arg():
    refusals, _, _ = _outcome("sink_args")
    blamed = [m for m in refusals if re.match(r"stage [^:]+: \"?'?ARG ", m)]
    assert blamed == []
