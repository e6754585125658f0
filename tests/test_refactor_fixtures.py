"""The refactors on the real case they were built for: agentcube's PR 420, byte for byte."""

from __future__ import annotations

import pytest

import dockerast
from dockerast.refactor import RefactorError, move_instructions, pin_build_platform, sink_args
from dockerast.refactor.edits import apply_edits
from tests.conftest import FIXTURES, require

CASE = FIXTURES / "agentcube-pr420"
FILES = ["Dockerfile", "Dockerfile.router", "Dockerfile.picod"]


def read(folder: str, name: str) -> str:
    return (require(CASE / folder / name)).read_text(encoding="utf-8")


def check(result, before: str, expected: str) -> None:
    assert result.text == expected
    assert str(result.tree) == expected
    assert apply_edits(before, result.edits) == expected
    assert all(len(e.new_text) + (e.end - e.start) < len(before) for e in result.edits), "edits must be minimal"


@pytest.mark.parametrize("name", FILES)
def test_pin_build_platform_reproduces_the_pull_request(name):
    before = read("before", name)
    result = pin_build_platform(dockerast.parse(before))
    check(result, before, read("after", name))
    assert len(result.edits) == 1 and result.edits[0].new_text == "--platform=$BUILDPLATFORM "
    again = pin_build_platform(result.tree)
    assert again.edits == ()


@pytest.mark.parametrize("name", FILES)
def test_move_platform_args_after_the_dependency_download(name):
    before = read("after", name)
    result = move_instructions(dockerast.parse(before), "arg:TARGETOS,TARGETARCH", after="run:go mod download")
    check(result, before, read("args-after-download", name))
    assert move_instructions(result.tree, "arg:TARGETOS,TARGETARCH", after="run:go mod download").edits == ()


@pytest.mark.parametrize("name", FILES)
def test_sink_args_to_first_use(name):
    before = read("after", name)
    result = sink_args(dockerast.parse(before))
    check(result, before, read("args-at-first-use", name))
    assert sink_args(result.tree).edits == ()


def test_move_after_layer_selector():
    before = read("after", "Dockerfile")
    by_layer = move_instructions(dockerast.parse(before), "arg:TARGETOS,TARGETARCH", after="builder/layer:2")
    assert by_layer.text == read("args-after-download", "Dockerfile")


def test_move_refuses_to_put_an_arg_below_its_reader():
    before = read("after", "Dockerfile")
    with pytest.raises(RefactorError, match="TARGETARCH.*would be declared after"):
        move_instructions(dockerast.parse(before), "arg:TARGETARCH", after="run:go build")


def test_move_refuses_to_leave_the_stage():
    before = read("after", "Dockerfile")
    with pytest.raises(RefactorError, match="within their stage"):
        move_instructions(dockerast.parse(before), "arg:TARGETOS", after="run:adduser")


def test_selectors_that_match_nothing_or_too_much():
    tree = dockerast.parse(read("after", "Dockerfile"))
    with pytest.raises(RefactorError, match="matches no instruction"):
        move_instructions(tree, "arg:NOPE", after="run:go mod download")
    with pytest.raises(RefactorError, match="ambiguous"):
        move_instructions(tree, "arg:TARGETOS", after="copy")


def test_pin_refuses_a_stage_that_does_not_cross_compile():
    text = "FROM node:20 AS assets\nRUN npm ci && npm run build\nFROM alpine\nCOPY --from=assets /dist /srv\n"
    with pytest.raises(RefactorError, match="no sign of cross-compiling"):
        pin_build_platform(dockerast.parse(text), stages=["assets"])
    result = pin_build_platform(dockerast.parse(text), stages=["assets"], platform_independent=True)
    assert result.text.startswith("FROM --platform=$BUILDPLATFORM node:20 AS assets\n")
    assert pin_build_platform(dockerast.parse(text)).edits == ()


def test_refactors_refuse_files_with_syntax_errors():
    with pytest.raises(RefactorError, match="syntax errors"):
        pin_build_platform(dockerast.parse("FROM a\nENV PATH\n"))
