"""Incremental analysis gives exactly what analysing from scratch gives.

An editor re-reads a document after every keystroke with the previous
version's results at hand (``parse(text, previous=tree)``,
``analyze(tree, previous=model)``).  Whatever is reused, the result must
equal a fresh one: hypothesis edits real multi-stage Dockerfiles at random
and compares the two, edit after edit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dockerast
from dockerast.rules import CheckConfig, run_rules
from dockerast.rules.engine import check
from dockerast.semantic.model import analyze

from conftest import CORPUS, FIXTURES, ROOT, model_state

# Pieces that change what a Dockerfile means: stages and their names, ARG/ENV
# scopes, stage references, continuations, heredocs, comments, blank lines.
PIECES = [
    "\n", "x", " ", "#", "$", "\\\n", "FROM a AS b\n", "FROM b\n", "FROM --platform=$BUILDPLATFORM c AS d\n",
    "ARG X=1\n", "ARG TARGETARCH\n", "ENV Y=$X\n", "ENV Z ${Y:-z}\n", "COPY --from=b /a /b\n",
    "RUN --mount=type=cache,from=d,target=/c make\n", "RUN <<EOF\nx\nEOF\n", "# check=skip=all\n",
    "ONBUILD ENV Q=1\n", " AS e", "WORKDIR w\n", "CMD [\"a\"]\n", "USER $X\n",
]


def _documents() -> list[str]:
    paths = [ROOT / "examples" / "Dockerfile", FIXTURES / "agentcube-pr420" / "after"]
    real = CORPUS / "real"
    if real.exists():
        multi_stage = [p for p in sorted(real.rglob("*")) if p.is_file() and p.stat().st_size < 20_000]
        paths.extend(p for p in multi_stage if p.read_text(errors="replace").upper().count("FROM ") >= 3)
    texts = []
    for path in paths:
        if path.is_dir():
            texts.extend(p.read_text() for p in sorted(path.rglob("Dockerfile*")))
        elif path.exists():
            texts.append(path.read_text(errors="replace"))
    return texts[:40]


DOCUMENTS = _documents()


@st.composite
def edits(draw, text: str) -> tuple[int, int, str]:
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + draw(st.sampled_from([0, 1, 5, 40])))))
    insert = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=3)))
    return start, end, insert


@st.composite
def edited_versions(draw) -> list[str]:
    text = draw(st.sampled_from(DOCUMENTS))
    versions = [text]
    for _ in range(draw(st.integers(1, 4))):
        start, end, insert = draw(edits(versions[-1]))
        versions.append(versions[-1][:start] + insert + versions[-1][end:])
    return versions


@pytest.mark.skipif(not DOCUMENTS, reason="no multi-stage documents")
@settings(max_examples=150)
@given(edited_versions(), st.sampled_from([{}, {"X": "2"}]), st.sampled_from(["linux/amd64", "linux/arm64"]))
def test_incremental_model_equals_a_fresh_one(versions, build_args, platform):
    tree = dockerast.parse(versions[0])
    model = analyze(tree, build_args, platform)
    for text in versions[1:]:
        tree = dockerast.parse(text, previous=tree)
        model = analyze(tree, build_args, platform, previous=model)
        fresh = analyze(dockerast.parse(text), build_args, platform)
        assert model_state(model) == model_state(fresh)


def test_unchanged_stages_are_reused():
    text = "ARG V=1\nFROM a AS one\nENV A=$V\nFROM one AS two\nRUN x\nFROM b\nCOPY --from=two / /\n"
    model = analyze(dockerast.parse(text))
    edited = text.replace("RUN x", "RUN y")
    again = analyze(dockerast.parse(edited), previous=model)
    memos, previous = again._memo.stages, model._memo.stages
    # The last stage only names the edited one: what the model reads of it is unchanged.
    assert memos[0] is previous[0] and memos[1] is not previous[1] and memos[2] is previous[2]
    # A stage built FROM an edited stage is read again, even if its own text is the same.
    edited = text.replace("ENV A=$V", "ENV A=2")
    again = analyze(dockerast.parse(edited), previous=model)
    assert again._memo.stages[1] is not model._memo.stages[1]
    assert again.scope_at(4).get("A") == "2"


def test_other_options_read_everything_again():
    tree = dockerast.parse("FROM a\nARG TARGETARCH\nRUN x\n")
    model = analyze(tree, target_platform="linux/amd64")
    again = analyze(tree, target_platform="linux/arm64", previous=model)
    assert again._memo.stages[0] is not model._memo.stages[0]
    assert again.scope_at(2).get("TARGETARCH") == "arm64"


# -- the rules -------------------------------------------------------------------------

ALL_RULES_ON = CheckConfig(experimental=frozenset({"all"}))


def finding_state(finding) -> tuple:
    fix = finding.fix
    fix_state = None if fix is None else (fix.description, fix.edits, fix.safety)
    return (finding.code, finding.message, finding.start, finding.end, finding.severity, finding.instruction_index,
            fix_state)


@pytest.mark.skipif(not DOCUMENTS, reason="no multi-stage documents")
@settings(max_examples=120)
@given(edited_versions())
def test_incremental_check_equals_a_fresh_one(versions):
    tree = dockerast.parse(versions[0])
    run = check(tree, ALL_RULES_ON)
    for text in versions[1:]:
        tree = dockerast.parse(text, previous=tree)
        run = check(tree, ALL_RULES_ON, previous=run)
        fresh = run_rules(dockerast.parse(text), ALL_RULES_ON)
        assert [finding_state(f) for f in run.findings] == [finding_state(f) for f in fresh]


def test_unchanged_stages_keep_their_findings():
    text = "FROM scratch AS one\nENV A=$NOPE\nFROM b AS two\nrun x\nMAINTAINER me\n"
    first = check(dockerast.parse(text))
    edited = "# a comment\n" + text.replace("run x", "run y")
    run = check(dockerast.parse(edited), previous=first)
    moved = [f for f in run.findings if f.code == "BK011"]
    before = next(f for f in first.findings if f.code == "BK011")
    assert moved and moved[0].start == before.start + len("# a comment\n")
    # the MAINTAINER finding of the edited stage is found again, with a fix for this version
    fix = next(f for f in run.findings if f.code == "BK008").fix
    assert fix is not None and all(edited[e.start : e.end] in ("MAINTAINER me", "MAINTAINER me\n") for e in fix.edits)


def test_platform_probe_agrees_with_the_model():
    from dockerast.semantic.model import PlatformProbe

    texts = DOCUMENTS + [
        "ARG P=linux/arm64\nFROM --platform=$P a AS x\nFROM x AS y\nFROM --platform=$BUILDPLATFORM b AS x\n"
        "FROM x\nFROM --platform= c\nFROM --platform=bad/ d\nFROM ${UNSET}\n"
    ]
    for text in texts:
        tree = dockerast.parse(text)
        model = analyze(tree)
        for target, build in (("linux/arm64", "linux/amd64"), ("windows/amd64", "linux/arm/v6")):
            expected = [s.effective_platform for s in analyze(tree, target_platform=target, build_platform=build).stages]
            probe = PlatformProbe(model, target, build)
            found = []
            for position in range(len(model.stages)):
                base = probe.base_stage(position)
                found.append(found[base] if base is not None else probe.own_platform(position))
            assert found == expected


# -- the tree --------------------------------------------------------------------------

TREE_PIECES = PIECES + ["\r\n", "`", "\\", "<<", "EOF\n", "# escape=`\n", "# syntax=x\n", "\ufeff", "\"", "'"]


@st.composite
def local_edits(draw) -> list[str]:
    text = draw(st.sampled_from(DOCUMENTS + ["# escape=`\nFROM a\nRUN x `\n  y\n", "FROM a\nRUN <<EOF\nx\nEOF\n"]))
    versions = [text]
    for _ in range(draw(st.integers(1, 4))):
        current = versions[-1]
        start = draw(st.integers(0, len(current)))
        end = draw(st.integers(start, min(len(current), start + draw(st.sampled_from([0, 1, 3, 30])))))
        insert = "".join(draw(st.lists(st.sampled_from(TREE_PIECES), max_size=3)))
        versions.append(current[:start] + insert + current[end:])
    return versions


def tree_state(tree) -> tuple:
    return (tree.bom, tree.directives, tree.instructions, tree.trailing, tree.escape, tree.split_problems,
            [ins.syntax for ins in tree.instructions], tree.errors)


@pytest.mark.skipif(not DOCUMENTS, reason="no multi-stage documents")
@settings(max_examples=300)
@given(local_edits())
def test_incremental_parse_equals_a_fresh_one(versions):
    tree = dockerast.parse(versions[0])
    for text in versions[1:]:
        tree = dockerast.parse(text, previous=tree)
        assert str(tree) == text
        assert tree_state(tree) == tree_state(dockerast.parse(text))


def test_a_local_edit_keeps_the_other_nodes():
    text = "FROM a\n" + "".join(f"# c{n}\nRUN step {n}\n" for n in range(200))
    tree = dockerast.parse(text)
    edited = text.replace("# c100\n", "# c100x\n")
    again = dockerast.parse(edited, previous=tree)
    changed = [k for k, (a, b) in enumerate(zip(tree.instructions, again.instructions)) if a is not b]
    assert changed == [101] and str(again) == edited


def test_versions_leave_no_reference_cycles():
    """Each old version is freed by reference counting, not by a full garbage collection."""
    import gc

    text = "\n".join(DOCUMENTS[:5])
    tree = dockerast.parse(text)
    model = analyze(tree)
    run = check(tree, ALL_RULES_ON, model=model)
    gc.collect()
    gc.disable()
    try:
        for n in range(4):
            edited = text.replace("\n", f"\n# {n}\n", 1 + n)
            tree = dockerast.parse(edited, previous=tree)
            model = analyze(tree, previous=model)
            run = check(tree, ALL_RULES_ON, previous=run, model=model)
        assert gc.collect() == 0
    finally:
        gc.enable()
