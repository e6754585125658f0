"""Tests for dockerast.semantic: stages, meta ARGs, scopes, expansion and stage references.

Expected values are what BuildKit's Dockerfile frontend uses for the same
file and build options (frontend/dockerfile/dockerfile2llb/convert.go).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dockerast
from dockerast.cst.nodes import Span
from dockerast.cst.parser import read_instructions
from dockerast.semantic.model import MetaArg, SemanticProblem, StageReference, analyze
from dockerast.semantic.platform import Platform, automatic_platform_args, parse_platform
from dockerast.semantic.references import MountField, mount_fields
from dockerast.semantic.scope import Scope
from dockerast.semantic.shell import ExpansionError

from tests.conftest import FIXTURES, ROOT, model_state, require


def model_of(text: str, **options):
    return analyze(dockerast.parse(text), **options)


def values(model, index: int) -> dict[str, str]:
    return dict(model.scope_at(index).values)


def args(model, index: int) -> dict[str, str | None]:
    return dict(model.scope_at(index).args)


def env(model, index: int) -> dict[str, str]:
    return dict(model.scope_at(index).env)


def span_text(model, reference: StageReference) -> str:
    ins = model.tree.instructions[reference.instruction_index]
    return ins.text[reference.span.start : reference.span.end]


# ---------------------------------------------------------------------------
# Platforms and the automatic platform ARGs


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
        ("linux/arm64", Platform("linux", "arm64")),
        ("linux/aarch64", Platform("linux", "arm64")),
        ("linux/arm", Platform("linux", "arm")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/arm/6", Platform("linux", "arm", "v6")),
        ("linux/armhf", Platform("linux", "arm")),
        ("linux/x86_64", Platform("linux", "amd64")),
        ("linux/amd64/v1", Platform("linux", "amd64")),
        ("linux/amd64/v3", Platform("linux", "amd64", "v3")),
        ("linux/i386", Platform("linux", "386")),
        ("Linux/AMD64", Platform("linux", "amd64")),
        ("macos/arm64", Platform("darwin", "arm64")),
        ("windows(10.0.17763)/amd64", Platform("windows", "amd64", "", "10.0.17763")),
        ("linux", Platform("linux", "amd64")),
        ("arm64", Platform("linux", "arm64")),
        ("linux/s390x", Platform("linux", "s390x")),
    ],
)
def test_parse_platform(spec, expected):
    assert parse_platform(spec) == expected


@pytest.mark.parametrize("spec", ["", "linux/*", "linux/arm64/v8/extra", "linux/a b", "nonsense", "linux/"])
def test_parse_platform_rejects(spec):
    with pytest.raises(ValueError):
        parse_platform(spec)


def test_platform_formats():
    assert str(Platform("linux", "arm64", "v8")) == "linux/arm64/v8"
    assert Platform("linux", "amd64").format() == "linux/amd64"
    assert Platform("windows", "amd64", "", "10.0.17763").format() == "windows/amd64"
    assert Platform("windows", "amd64", "", "10.0.17763").format_all() == "windows(10.0.17763)/amd64"


def test_automatic_platform_args():
    assert automatic_platform_args(parse_platform("linux/arm64/v8"), parse_platform("linux/amd64"), "") == {
        "BUILDPLATFORM": "linux/amd64",
        "BUILDOS": "linux",
        "BUILDOSVERSION": "",
        "BUILDARCH": "amd64",
        "BUILDVARIANT": "",
        "TARGETPLATFORM": "linux/arm64/v8",
        "TARGETOS": "linux",
        "TARGETOSVERSION": "",
        "TARGETARCH": "arm64",
        "TARGETVARIANT": "v8",
        "TARGETSTAGE": "default",
    }


def test_model_platform_args_default_build_platform_is_target():
    model = model_of("FROM alpine AS app\n", target_platform="linux/arm/v7")
    assert model.target_platform == Platform("linux", "arm", "v7")
    assert model.build_platform == Platform("linux", "arm", "v7")
    assert dict(model.platform_args) == {
        "BUILDPLATFORM": "linux/arm/v7",
        "BUILDOS": "linux",
        "BUILDOSVERSION": "",
        "BUILDARCH": "arm",
        "BUILDVARIANT": "v7",
        "TARGETPLATFORM": "linux/arm/v7",
        "TARGETOS": "linux",
        "TARGETOSVERSION": "",
        "TARGETARCH": "arm",
        "TARGETVARIANT": "v7",
        "TARGETSTAGE": "app",
    }


def test_target_stage_arg():
    text = "FROM a AS one\nFROM b AS two\n"
    assert model_of(text).platform_args["TARGETSTAGE"] == "two"
    assert model_of(text, target="one").platform_args["TARGETSTAGE"] == "one"
    assert model_of("FROM a AS one\nFROM b\n").platform_args["TARGETSTAGE"] == "default"


def test_build_args_override_automatic_platform_args():
    model = model_of("FROM img:$TARGETARCH\n", target_platform="linux/arm64", build_args={"TARGETARCH": "riscv64"})
    assert model.platform_args["TARGETARCH"] == "riscv64"
    assert model.platform_args["TARGETPLATFORM"] == "linux/arm64"
    assert model.stages[0].expanded_base_name == "img:riscv64"


def test_bad_target_platform_raises():
    with pytest.raises(ValueError):
        model_of("FROM a\n", target_platform="linux/*")


# ---------------------------------------------------------------------------
# Meta ARGs and the global scope


def test_meta_args_are_listed_with_defaults_spans_and_values():
    text = 'ARG VERSION=3.19 FLAVOR="slim"\nARG PLAIN\nARG TARGETARCH\nFROM alpine:${VERSION}\n'
    model = model_of(text, target_platform="linux/arm64")
    assert model.meta_args == (
        MetaArg("VERSION", "3.19", 0, Span(4, 11), Span(12, 16), "3.19"),
        MetaArg("FLAVOR", '"slim"', 0, Span(17, 23), Span(24, 30), "slim"),
        MetaArg("PLAIN", None, 1, Span(4, 9), None, None),
        MetaArg("TARGETARCH", None, 2, Span(4, 14), None, "arm64"),
    )


def test_meta_arg_is_visible_in_from_only():
    text = "ARG V=1\nFROM img:$V\nRUN echo $V\n"
    model = model_of(text)
    assert model.stages[0].expanded_base_name == "img:1"
    assert model.effective_words(1) == ("img:1",)
    assert values(model, 2) == {}
    assert model.expand(2, "[$V]") == "[]"


def test_meta_arg_redeclared_in_stage_inherits_the_meta_default():
    text = "ARG V=1\nFROM img\nRUN a\nARG V\nRUN b\n"
    model = model_of(text)
    assert values(model, 2) == {}
    assert args(model, 4) == {"V": "1"}
    assert values(model, 4) == {"V": "1"}
    assert model.expand(4, "$V") == "1"
    assert model.effective_words(3) == ("V=1",)


def test_stage_default_replaces_meta_default():
    model = model_of("ARG V=1\nFROM img\nARG V=2\nRUN b\n")
    assert values(model, 3) == {"V": "2"}


def test_build_arg_overrides_meta_and_stage_defaults():
    text = "ARG V=1\nFROM img:$V\nARG V\nARG W=2\nRUN b\n"
    model = model_of(text, build_args={"V": "9", "W": "8"})
    assert model.meta_args[0].value == "9"
    assert model.stages[0].expanded_base_name == "img:9"
    assert values(model, 4) == {"V": "9", "W": "8"}


def test_build_args_only_reach_declared_args():
    text = "FROM img:${UNDECLARED:-none}\nRUN a\nARG DECLARED\nRUN b\n"
    model = model_of(text, build_args={"UNDECLARED": "x", "DECLARED": "y"})
    assert model.stages[0].expanded_base_name == "img:none"
    assert values(model, 1) == {}
    assert values(model, 3) == {"DECLARED": "y"}
    assert "UNDECLARED" not in model.global_scope.values


def test_meta_arg_without_value_is_unset():
    model = model_of("ARG V\nFROM img:${V:-x}\nARG V\nRUN a\n")
    assert model.stages[0].expanded_base_name == "img:x"
    assert args(model, 3) == {"V": None}
    assert values(model, 3) == {}


def test_meta_arg_defaults_reference_earlier_args():
    text = "ARG A=x\nARG B=${A}-$TARGETARCH C=$B.$BUILDOS\nFROM img:$C\n"
    model = model_of(text, target_platform="linux/arm64", build_platform="linux/amd64")
    assert [m.value for m in model.meta_args] == ["x", "x-arm64", "x-arm64.linux"]
    assert model.stages[0].expanded_base_name == "img:x-arm64.linux"


def test_scope_before_meta_arg_and_at_from_is_global():
    text = "ARG A=1\nARG B=2\nFROM img\n"
    model = model_of(text, target_platform="linux/amd64")
    assert "A" not in model.scope_at(0).values
    assert model.scope_at(1).values["A"] == "1"
    assert "B" not in model.scope_at(1).values
    at_from = model.scope_at(2)
    assert at_from == model.global_scope
    assert at_from.values["B"] == "2"
    assert at_from.values["TARGETARCH"] == "amd64"
    assert dict(at_from.env) == {}


def test_global_scope_exact():
    model = model_of("ARG A=1 B\nFROM img\n", target_platform="linux/amd64", target="t")
    automatic = {
        "BUILDPLATFORM": "linux/amd64",
        "BUILDOS": "linux",
        "BUILDOSVERSION": "",
        "BUILDARCH": "amd64",
        "BUILDVARIANT": "",
        "TARGETPLATFORM": "linux/amd64",
        "TARGETOS": "linux",
        "TARGETOSVERSION": "",
        "TARGETARCH": "amd64",
        "TARGETVARIANT": "",
        "TARGETSTAGE": "t",
    }
    assert dict(model.global_scope.args) == {**automatic, "A": "1", "B": None}
    assert dict(model.global_scope.values) == {**automatic, "A": "1"}


# ---------------------------------------------------------------------------
# Automatic platform ARGs


def test_platform_args_available_in_from_without_declaration():
    text = "FROM --platform=$BUILDPLATFORM golang AS build\nRUN go build\n"
    model = model_of(text, target_platform="linux/arm64", build_platform="linux/amd64")
    stage = model.stages[0]
    assert stage.platform == "$BUILDPLATFORM"
    assert stage.expanded_platform == "linux/amd64"
    assert stage.effective_platform == Platform("linux", "amd64")
    assert values(model, 1) == {}


def test_platform_args_in_stage_only_after_declaration():
    text = "FROM alpine\nRUN a\nARG TARGETARCH TARGETPLATFORM BUILDARCH\nRUN b\n"
    model = model_of(text, target_platform="linux/arm64/v8", build_platform="linux/amd64")
    assert values(model, 1) == {}
    assert values(model, 3) == {"TARGETARCH": "arm64", "TARGETPLATFORM": "linux/arm64/v8", "BUILDARCH": "amd64"}


def test_default_on_platform_arg_in_stage_wins_over_the_target_platform():
    # convert.go ``dispatchArg``: only a build argument replaces the default.
    text = "FROM alpine\nARG TARGETARCH=amd64\nRUN b\n"
    assert values(model_of(text, target_platform="linux/arm64"), 2) == {"TARGETARCH": "amd64"}
    assert values(model_of(text, target_platform="linux/arm64", build_args={"TARGETARCH": "ppc64le"}), 2) == {
        "TARGETARCH": "ppc64le"
    }


def test_default_on_platform_arg_in_global_scope_wins_over_the_target_platform():
    # convert.go ``buildMetaArgs`` replaces the automatic value with the default.
    text = "ARG TARGETARCH=amd64\nFROM img:$TARGETARCH\nARG TARGETARCH\nRUN b\n"
    model = model_of(text, target_platform="linux/arm64")
    assert model.stages[0].expanded_base_name == "img:amd64"
    assert values(model, 3) == {"TARGETARCH": "amd64"}
    assert model.platform_args["TARGETARCH"] == "arm64"


def test_platform_arg_redeclared_without_default_in_global_scope_keeps_its_value():
    model = model_of("ARG TARGETARCH\nFROM img:$TARGETARCH\n", target_platform="linux/arm64")
    assert model.stages[0].expanded_base_name == "img:arm64"


# ---------------------------------------------------------------------------
# ARG and ENV inside a stage


def test_env_after_arg_overrides_it():
    model = model_of("FROM a\nARG V=1\nENV V=2\nRUN x\n", build_args={"V": "9"})
    assert args(model, 3) == {"V": "9"}
    assert env(model, 3) == {"V": "2"}
    assert values(model, 3) == {"V": "2"}


def test_arg_with_value_after_env_overrides_it():
    # One variable list in the LLB state: the later write wins.
    model = model_of("FROM a\nENV V=2\nARG V=1\nRUN x\n")
    assert env(model, 3) == {"V": "2"}
    assert values(model, 3) == {"V": "1"}


def test_arg_without_value_after_env_keeps_env():
    text = "FROM a\nENV V=2\nARG V\nRUN x\n"
    model = model_of(text)
    assert args(model, 3) == {"V": None}
    assert values(model, 3) == {"V": "2"}
    assert values(model_of(text, build_args={"V": "9"}), 3) == {"V": "9"}


def test_env_pairs_see_values_before_the_instruction():
    model = model_of("FROM a\nENV A=0\nENV A=1 B=$A\nRUN x\n")
    assert env(model, 3) == {"A": "1", "B": "0"}
    assert model.effective_words(2) == ("A=1", "B=0")


def test_arg_pairs_see_earlier_pairs_of_the_same_instruction():
    model = model_of("FROM a\nARG A=1 B=$A-x\nRUN x\n")
    assert values(model, 2) == {"A": "1", "B": "1-x"}


def test_arg_default_references_env_and_earlier_arg():
    model = model_of("FROM a\nENV P=/opt\nARG N=tool\nARG D=$P/bin/$N\nRUN x\n")
    assert values(model, 4) == {"P": "/opt", "N": "tool", "D": "/opt/bin/tool"}
    assert args(model, 4) == {"N": "tool", "D": "/opt/bin/tool"}
    assert env(model, 4) == {"P": "/opt"}


def test_arg_default_is_not_expanded_when_a_build_arg_is_given():
    model = model_of("FROM a\nARG V=${X:?never}\nRUN x\n", build_args={"V": "given"})
    assert values(model, 2) == {"V": "given"}
    assert model.problems == ()


def test_env_values_and_keys_are_expanded():
    model = model_of('FROM a\nARG K=name\nENV $K="x y" LEGACY_NOT=1\nENV OLD some value\nRUN x\n')
    assert env(model, 4) == {"name": "x y", "LEGACY_NOT": "1", "OLD": "some value"}


def test_redeclared_arg_keeps_value():
    model = model_of("FROM a\nARG V=1\nARG V\nRUN x\n")
    assert args(model, 3) == {"V": "1"}
    assert values(model, 3) == {"V": "1"}


def test_sbom_args_are_not_in_the_environment():
    model = model_of("FROM a\nARG BUILDKIT_SBOM_SCAN_STAGE=true\nRUN x\n")
    assert args(model, 2) == {"BUILDKIT_SBOM_SCAN_STAGE": "true"}
    assert values(model, 2) == {}


def test_names_are_case_sensitive_even_for_windows():
    model = model_of("FROM a\nENV foo=1\nRUN x\n", target_platform="windows/amd64")
    assert model.stages[0].effective_platform == Platform("windows", "amd64")
    assert values(model, 2) == {"foo": "1"}
    assert model.expand(2, "[$FOO][$foo]") == "[][1]"


def test_escape_directive_is_used_for_expansion():
    model = model_of("# escape=`\nFROM a\nENV A=x`$y B=c\\d\nRUN x\n")
    assert env(model, 2) == {"A": "x$y", "B": "c\\d"}


def test_scope_is_the_scope_before_the_instruction():
    model = model_of("FROM a\nENV A=1\nENV A=2\n")
    assert values(model, 1) == {}
    assert values(model, 2) == {"A": "1"}
    assert dict(model.final_scope(0).values) == {"A": "2"}


def test_scope_value_object():
    scope = Scope.of({"A": "1", "B": None}, {"A": "2"})
    assert dict(scope.values) == {"A": "2"}
    assert scope.get("A") == "2"
    assert scope.get("B") is None
    assert scope == Scope.of({"A": "1", "B": None}, {"A": "2"})
    with pytest.raises(TypeError):
        scope.values["C"] = "3"  # type: ignore[index]


# ---------------------------------------------------------------------------
# Dockerfiles from BuildKit's own integration tests (frontend/dockerfile/dockerfile_args_test.go)


def test_buildkit_multi_args():
    text = (
        'ARG a1="foo bar" a2=box\n'
        'ARG a3="$a2-foo"\n'
        "FROM busy$a2 AS build\n"
        'ARG a3 a4="123 456" a1\n'
        'RUN echo -n "$a1:$a3:$a4" > /out\n'
    )
    model = model_of(text)
    assert model.stages[0].expanded_base_name == "busybox"
    assert values(model, 4) == {"a3": "box-foo", "a4": "123 456", "a1": "foo bar"}


def test_buildkit_quoted_meta_args():
    text = 'ARG a1="box"\nARG a2="$a1-foo"\nFROM busy$a1 AS build\nARG a2\nARG a3="bar-$a2"\nRUN echo -n $a3 > /out\n'
    assert values(model_of(text), 5) == {"a2": "box-foo", "a3": "bar-box-foo"}


@pytest.mark.parametrize(
    ("build_args", "my_arg", "trimmed"),
    [
        ({}, "my_arg=def_val", "my_arg=d"),
        ({"my_arg": ""}, "my_arg=def_val", "my_arg=d"),
        ({"my_arg": "override"}, "my_arg=override", "my_arg=ov"),
    ],
)
def test_buildkit_default_env_with_args(build_args, my_arg, trimmed):
    text = (
        "ARG image=idlebox\n"
        "FROM busy${image#idle} AS build\n"
        "ARG my_arg\n"
        'ENV my_arg "my_arg=${my_arg:-def_val}"\n'
        'ENV my_trimmed_arg "${my_arg%%e*}"\n'
        "RUN ./myscript.sh $my_arg $my_trimmed_arg\n"
    )
    model = model_of(text, build_args=build_args)
    assert model.stages[0].expanded_base_name == "busybox"
    assert env(model, 5) == {"my_arg": my_arg, "my_trimmed_arg": trimmed}
    assert values(model, 5) == {"my_arg": my_arg, "my_trimmed_arg": trimmed}


def test_buildkit_empty_string_arg_in_env():
    model = model_of("FROM busybox AS build\nARG FOO\nARG BAR=\nRUN env > env.txt\n")
    assert args(model, 3) == {"FOO": None, "BAR": ""}
    assert values(model, 3) == {"BAR": ""}


@pytest.mark.parametrize(("target", "expected"), [(None, "default"), ("foo", "foo"), ("base", "base")])
def test_buildkit_target_stage_name_arg(target, expected):
    text = (
        "FROM alpine AS base\n"
        'RUN echo -n "value:$TARGETSTAGE" > /out/first\n'
        "ARG TARGETSTAGE\n"
        'RUN echo -n "value:$TARGETSTAGE" > /out/second\n'
        "FROM scratch AS foo\n"
        "COPY --from=base /out/ /\n"
        "FROM scratch\n"
        "COPY --from=base /out/ /\n"
    )
    model = model_of(text, target=target)
    assert model.expand(1, "value:$TARGETSTAGE") == "value:"
    assert model.expand(3, "value:$TARGETSTAGE") == f"value:{expected}"


def test_buildkit_arg_default_expansion():
    text = 'FROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}\n'
    failing = model_of(text)
    assert [p.message for p in failing.problems] == ['failed to process "${FOO:?\\"foo missing\\"}": FOO: foo missing']
    assert model_of(text, build_args={"FOO": "123"}).problems == ()
    assert model_of(text, build_args={"BAR": "123"}).problems == ()
    assert dict(model_of(text, build_args={"FOO": "123"}).final_scope(0).values) == {"FOO": "123", "BAR": "123"}


# ---------------------------------------------------------------------------
# Stages built FROM stages


def test_stage_from_stage_inherits_env_and_args():
    text = "FROM a AS base\nARG X=1\nENV Y=2\nFROM base\nRUN x\nFROM a\nRUN y\n"
    model = model_of(text)
    assert model.stages[1].base_stage == 0
    assert args(model, 4) == {"X": "1"}
    assert env(model, 4) == {"Y": "2"}
    assert values(model, 4) == {"X": "1", "Y": "2"}
    assert values(model, 6) == {}


def test_onbuild_triggers_of_the_base_stage_run_first():
    text = "FROM a AS base\nONBUILD ENV Z=3\nRUN x\nFROM base\nRUN y\n"
    model = model_of(text)
    assert values(model, 2) == {}
    assert values(model, 4) == {"Z": "3"}
    assert model.effective_words(1) == ("ENV Z=3",)


def test_stage_names_are_case_insensitive():
    text = "FROM a AS Builder\nFROM b\nCOPY --from=BUILDER /x /y\n"
    model = model_of(text)
    assert model.stages[0].name == "builder"
    assert model.stages[0].name_span == Span(10, 17)
    assert model.stage_by_name("BUILDER").index == 0
    assert model.stage_by_name("other") is None
    assert model.stage_references[-1].stage == 0


def test_from_base_name_must_match_the_lower_case_stage_name():
    # convert.go ``addState`` looks the base name up as written.
    model = model_of("FROM a AS builder\nFROM Builder\nFROM builder\n")
    assert model.stages[1].base_stage is None
    assert model.stages[2].base_stage == 0


def test_from_expanded_base_name_can_name_a_stage():
    model = model_of("ARG BASE=builder\nFROM a AS builder\nFROM ${BASE}\n")
    assert model.stages[1].expanded_base_name == "builder"
    assert model.stages[1].base_stage == 0


def test_from_cannot_name_a_later_stage_or_an_index():
    model = model_of("FROM later\nFROM 0\nFROM a AS later\n")
    assert [s.base_stage for s in model.stages] == [None, None, None]


def test_stage_platform_comes_from_its_base_stage():
    text = "FROM --platform=linux/arm64 a AS x\nFROM x\nFROM --platform=linux/s390x x\nFROM b\n"
    model = model_of(text, target_platform="linux/amd64")
    assert [s.effective_platform for s in model.stages] == [
        Platform("linux", "arm64"),
        Platform("linux", "arm64"),
        Platform("linux", "arm64"),
        Platform("linux", "amd64"),
    ]
    assert model.stages[2].expanded_platform == "linux/s390x"


def test_stage_fields():
    text = "ARG V=1\nFROM --platform=$TARGETPLATFORM img:$V AS Build\nRUN a\nRUN b\nFROM build\n"
    tree = dockerast.parse(text)
    model = analyze(tree, target_platform="linux/arm64")
    first, second = model.stages
    assert first.index == 0
    assert first.name == "build"
    assert first.display_name == "build"
    assert first.from_index == 1
    assert first.instruction_indices == (1, 2, 3)
    assert first.instructions == tree.instructions[1:4]
    assert first.base_name == "img:$V"
    assert tree.instructions[1].text[first.base_name_span.start : first.base_name_span.end] == "img:$V"
    assert first.expanded_base_name == "img:1"
    assert first.platform == "$TARGETPLATFORM"
    assert first.expanded_platform == "linux/arm64"
    assert first.base_stage is None
    assert second.name is None
    assert second.display_name == "stage-1"
    assert second.instruction_indices == (4,)
    assert second.base_stage == 0
    assert model.stage_of(0) is None
    assert model.stage_of(2) is first
    assert model.stage_of(4) is second


# ---------------------------------------------------------------------------
# Stage references


def test_stage_references_of_every_kind():
    text = (
        "FROM golang AS builder\n"
        "FROM alpine\n"
        "COPY --from=builder /out /bin/\n"
        "COPY --from=0 /a /b\n"
        "COPY --from=nginx:latest /c /d\n"
        "RUN --mount=type=cache,from=builder,target=/x --mount=type=bind,from=0,target=/y make\n"
    )
    model = model_of(text)
    refs = model.stage_references
    assert [(r.kind, r.instruction_index, r.text, r.name, r.stage, r.owner, r.onbuild) for r in refs] == [
        ("from", 0, "golang", "golang", None, 0, False),
        ("from", 1, "alpine", "alpine", None, 1, False),
        ("copy-from", 2, "builder", "builder", 0, 1, False),
        ("copy-from", 3, "0", "0", 0, 1, False),
        ("copy-from", 4, "nginx:latest", "nginx:latest", None, 1, False),
        ("mount-from", 5, "builder", "builder", 0, 1, False),
        # a mount's from= is a name only: 0 names an image
        ("mount-from", 5, "0", "0", None, 1, False),
    ]
    assert [r.span for r in refs] == [
        Span(5, 11),
        Span(5, 11),
        Span(12, 19),
        Span(12, 13),
        Span(12, 24),
        Span(28, 35),
        Span(69, 70),
    ]
    assert [span_text(model, r) for r in refs] == ["golang", "alpine", "builder", "0", "nginx:latest", "builder", "0"]
    assert model.problems == ()


def test_mount_reference_span_across_a_continuation():
    text = "FROM a AS tools\nFROM b\nRUN --mount=type=bind,\\\nfrom=tools,target=/t make\n"
    model = model_of(text)
    ref = model.stage_references[-1]
    assert (ref.kind, ref.stage, ref.span, span_text(model, ref)) == ("mount-from", 0, Span(29, 34), "tools")


def test_mount_from_key_in_any_case_and_quoted_field():
    text = "FROM a AS tools\nFROM b\nRUN --mount=type=bind,FROM=Tools,target=/t --mount='type=bind,\"from=tools\"' x\n"
    model = model_of(text)
    refs = [r for r in model.stage_references if r.kind == "mount-from"]
    # the second flag's value, unquoted, is the CSV record: type=bind,"from=tools"
    assert [(r.text, r.stage, r.span, span_text(model, r)) for r in refs] == [
        ("Tools", 0, Span(27, 32), "Tools"),
        ("tools", 0, Span(51, 75), "'type=bind,\"from=tools\"'"),
    ]
    assert model.problems == ()


def test_mount_fields():
    assert mount_fields("type=cache,from=builder,ro") == (
        MountField("type", "cache", 5, 10),
        MountField("from", "builder", 16, 23),
        MountField("ro", None, 24, 26),
    )
    assert mount_fields('type=bind,"from=a,b",target=/x') == (
        MountField("type", "bind", 5, 9),
        MountField("from", "a,b", 10, 20),
        MountField("target", "/x", 28, 30),
    )
    assert mount_fields('"say ""hi"""') == (MountField('say "hi"', None, 0, 12),)
    with pytest.raises(ValueError):
        mount_fields('type=b"ind')
    with pytest.raises(ValueError):
        mount_fields('"unterminated')


def test_copy_from_numbers_follow_atoi():
    text = "FROM a\nFROM b\nCOPY --from=+1 /a /b\nCOPY --from=00 /a /b\nCOPY --from=7 /a /b\n"
    model = model_of(text)
    copies = [r for r in model.stage_references if r.kind == "copy-from"]
    assert [r.stage for r in copies] == [1, 0, None]
    assert model.problems == (
        SemanticProblem(2, "cannot copy from stage '+1': it needs to be defined before stage 'stage-1'", Span(12, 14)),
        SemanticProblem(4, "invalid stage index 7", Span(12, 13)),
    )


def test_copy_from_refuses_variables():
    model = model_of("ARG S=a\nFROM x AS a\nFROM y\nCOPY --from=$S /a /b\n")
    ref = model.stage_references[-1]
    assert (ref.kind, ref.text, ref.stage) == ("copy-from", "$S", None)
    assert model.problems == (
        SemanticProblem(
            3,
            "variable expansion is not supported for --from, define a new stage with FROM using ARG from global "
            "scope as a workaround",
            Span(12, 14),
        ),
    )


def test_mount_from_refuses_variables_except_a_trailing_dollar():
    model = model_of("FROM y\nRUN --mount=from=$S,target=/a --mount=from=a$,target=/b x\n")
    refs = [r for r in model.stage_references if r.kind == "mount-from"]
    assert [(r.text, r.stage) for r in refs] == [("$S", None), ("a$", None)]
    assert model.problems == (
        SemanticProblem(1, "'from' doesn't support variable expansion, define alias stage instead", Span(17, 19)),
    )


def test_copy_from_a_later_stage_resolves_but_is_a_problem():
    model = model_of("FROM a AS one\nCOPY --from=two /a /b\nFROM b AS two\n")
    ref = model.stage_references[1]
    assert (ref.kind, ref.stage, ref.owner) == ("copy-from", 1, 0)
    assert model.problems == (
        SemanticProblem(1, "cannot copy from stage 'two': it needs to be defined before stage 'one'", Span(12, 15)),
    )


def test_copy_from_the_last_stage_of_a_name():
    model = model_of("FROM a AS x\nFROM b AS x\nFROM c\nCOPY --from=x /a /b\n")
    assert model.stage_references[-1].stage == 1
    assert model.stage_by_name("x").index == 1


def test_onbuild_references_are_dependencies_of_child_stages():
    text = "FROM a AS tools\nFROM b AS base\nONBUILD COPY --from=tools /t /t\nFROM base\n"
    model = model_of(text)
    ref = model.stage_references[2]
    assert (ref.kind, ref.instruction_index, ref.stage, ref.owner, ref.onbuild) == ("copy-from", 2, 0, 1, True)
    assert span_text(model, ref) == "tools"
    assert model.dependencies(1) == frozenset()
    assert model.dependencies(2) == frozenset({0, 1})


# ---------------------------------------------------------------------------
# Dependencies and the stages a target needs


DEPENDENCY_FILE = (
    "FROM a AS one\n"
    "FROM b AS two\n"
    "COPY --from=one /x /x\n"
    "FROM c AS three\n"
    "FROM two AS four\n"
    "RUN --mount=from=three,target=/t make\n"
    "FROM d AS unused\n"
    "FROM four AS final\n"
)


def test_dependencies():
    model = model_of(DEPENDENCY_FILE)
    assert [model.dependencies(s.index) for s in model.stages] == [
        frozenset(),
        frozenset({0}),
        frozenset(),
        frozenset({1, 2}),
        frozenset(),
        frozenset({3}),
    ]


def test_required_stages_and_build_order():
    model = model_of(DEPENDENCY_FILE)
    assert model.required_stages() == frozenset({0, 1, 2, 3, 5})
    assert model.build_order() == (0, 1, 2, 3, 5)
    assert model.build_order("TWO") == (0, 1)
    assert model.build_order(4) == (4,)
    assert model.target_stage() == 5
    with pytest.raises(KeyError):
        model.required_stages("missing")


# ---------------------------------------------------------------------------
# Expansion and effective words


def test_expand_raises_where_buildkit_fails():
    model = model_of("FROM a\nRUN x\n")
    with pytest.raises(ExpansionError):
        model.expand(1, "${MISSING:?is required}")


def test_expansion_error_in_arg_default_is_a_problem():
    model = model_of("FROM a\nARG V=${MISSING:?required}\nRUN x\n")
    assert args(model, 2) == {"V": None}
    assert model.problems == (
        SemanticProblem(1, 'failed to process "${MISSING:?required}": MISSING: required', Span(6, 26)),
    )
    with pytest.raises(ExpansionError):
        model.effective_words(1)


def test_effective_words_of_expanded_instructions():
    text = (
        "ARG TAG=1\n"  # 0
        "FROM img:$TAG AS b\n"  # 1
        "ARG DIR=/srv\n"  # 2
        "ENV HOME=/root PORTS='8080 9090'\n"  # 3
        'COPY --chown=$U "a" $DIR/x ${DIR}/\n'  # 4
        'ADD ["$DIR/a", "$HOME"]\n'  # 5
        "COPY <<EOF $DIR/f\nhello $DIR\nEOF\n"  # 6
        "WORKDIR $HOME/work dir\n"  # 7
        "USER ${U:-nobody}\n"  # 8
        "STOPSIGNAL SIG$TAG\n"  # 9
        "VOLUME $DIR/data /v\n"  # 10
        'VOLUME [" $HOME "]\n'  # 11
        "EXPOSE $PORTS 80/udp\n"  # 12
        "LABEL $DIR=yes version=$TAG\n"  # 13
    )
    model = model_of(text)
    assert model.effective_words(1) == ("img:1", "AS", "b")
    assert model.effective_words(2) == ("DIR=/srv",)
    assert model.effective_words(3) == ("HOME=/root", "PORTS=8080 9090")
    assert model.effective_words(4) == ("a", "/srv/x", "/srv/")
    assert model.effective_words(5) == ("/srv/a", "/root")
    assert model.effective_words(6) == ("<<EOF", "/srv/f")
    assert model.effective_words(7) == ("/root/work dir",)
    assert model.effective_words(8) == ("nobody",)
    assert model.effective_words(9) == ("SIG",)
    assert model.effective_words(10) == ("/srv/data", "/v")
    assert model.effective_words(11) == ("/root",)
    assert model.effective_words(12) == ("8080", "9090", "80/udp")
    assert model.effective_words(13) == ("/srv=yes", "version=")


def test_effective_words_of_instructions_buildkit_does_not_expand():
    text = (
        "FROM a\n"
        "ENV X=1\n"
        "RUN echo $X\n"
        'RUN ["echo", "$X"]\n'
        "CMD echo $X\n"
        'ENTRYPOINT ["/bin/$X"]\n'
        "MAINTAINER $X\n"
        "ONBUILD RUN echo $X\n"
        'SHELL ["/bin/sh", "-c"]\n'
        "HEALTHCHECK CMD curl $X\n"
    )
    model = model_of(text)
    assert [model.effective_words(i) for i in range(2, 10)] == [
        ("echo $X",),
        ("echo", "$X"),
        ("echo $X",),
        ("/bin/$X",),
        ("$X",),
        ("RUN echo $X",),
        ("/bin/sh", "-c"),
        ("CMD", "curl $X"),
    ]
    exec_form = model_of('FROM a\nHEALTHCHECK CMD ["curl", "$X"]\n')
    assert exec_form.effective_words(1) == ("CMD", "curl", "$X")
    assert model_of("FROM a\nHEALTHCHECK NONE\n").effective_words(1) == ("NONE",)


def test_copy_words_split_on_whitespace_inside_quotes():
    model = model_of('FROM a\nCOPY "a b" /x\n')
    with pytest.raises(ExpansionError):
        model.effective_words(1)


def test_effective_words_of_arg_with_build_arg_and_without_value():
    model = model_of("FROM a\nARG A=1 B C=$A\n", build_args={"A": "x"})
    assert model.effective_words(1) == ("A=x", "B", "C=x")


def test_effective_words_of_meta_arg():
    model = model_of("ARG A=1 B=${A}2\nFROM a\n")
    assert model.effective_words(0) == ("A=1", "B=12")


# ---------------------------------------------------------------------------
# Problems BuildKit would refuse


def test_problems_in_from_lines():
    text = "FROM ${EMPTY}\nFROM --platform=${NOPE} a\nFROM --platform=linux/* b\nFROM c AS 1st\nFROM ${X:?x}\n"
    model = model_of(text)
    assert [s.expanded_base_name for s in model.stages] == [None, "a", "b", "c", None]
    assert [s.expanded_platform for s in model.stages] == [None, None, "linux/*", None, None]
    assert [(p.instruction_index, p.message) for p in model.problems] == [
        (0, "base name (${EMPTY}) should not be blank"),
        (1, "empty platform value from expression ${NOPE}"),
        (2, "failed to parse platform linux/*: 'linux/*': wildcards not yet supported"),
        (3, "invalid name for build stage: '1st', name can't start with a number or contain symbols"),
        (4, 'failed to process "${X:?x}": X: x'),
    ]


def test_instruction_before_first_from():
    model = model_of("ARG A=1\nRUN echo\nFROM a\n")
    assert model.stage_of(1) is None
    assert model.problems == (SemanticProblem(1, "RUN before the first FROM: no build stage in current context"),)
    assert [m.name for m in model.meta_args] == ["A"]


def test_file_without_stages():
    model = model_of("ARG A=1\n")
    assert model.stages == ()
    assert model.stage_references == ()
    with pytest.raises(IndexError):
        model.required_stages()


# ---------------------------------------------------------------------------
# The agentcube-pr420 fixtures (before the fix)

FIXTURE_DIR = FIXTURES / "agentcube-pr420" / "before"

# file -> (stage 0 base, stage 1 base, builder indices, runtime indices, go build RUN, COPY --from index)
AGENTCUBE = {
    "Dockerfile": ("golang:1.26.4-alpine", "alpine:3.19", range(0, 10), range(10, 19), 9, 13),
    "Dockerfile.router": ("golang:1.26.4-alpine", "alpine:3.19", range(0, 10), range(10, 19), 9, 13),
    "Dockerfile.picod": ("golang:1.26.4", "ubuntu:24.04", range(0, 8), range(8, 13), 7, 11),
}


@pytest.mark.parametrize("name", sorted(AGENTCUBE))
def test_agentcube_fixture(name):
    base0, base1, builder, runtime, go_build, copy_index = AGENTCUBE[name]
    tree = dockerast.parse(require(FIXTURE_DIR / name).read_text())
    model = analyze(tree, target_platform="linux/arm64")

    assert model.meta_args == ()
    assert [(s.index, s.name, s.base_name, s.expanded_base_name, s.platform, s.base_stage) for s in model.stages] == [
        (0, "builder", base0, base0, None, None),
        (1, None, base1, base1, None, None),
    ]
    assert model.stages[0].instruction_indices == tuple(builder)
    assert model.stages[1].instruction_indices == tuple(runtime)
    assert model.stages[0].effective_platform == Platform("linux", "arm64")

    assert [(r.kind, r.instruction_index, r.text, r.span, r.stage, r.owner) for r in model.stage_references] == [
        ("from", 0, base0, Span(5, 5 + len(base0)), None, 0),
        ("from", runtime[0], base1, Span(5, 5 + len(base1)), None, 1),
        ("copy-from", copy_index, "builder", Span(12, 19), 0, 1),
    ]
    assert model.dependencies(1) == frozenset({0})
    assert model.build_order() == (0, 1)
    assert model.problems == ()

    assert "go build" in tree.instructions[go_build].logical
    scope = model.scope_at(go_build)
    # TARGETOS keeps its default whatever the platform; TARGETARCH follows the target.
    assert dict(scope.args) == {"TARGETOS": "linux", "TARGETARCH": "arm64"}
    assert dict(scope.env) == {}
    assert dict(scope.values) == {"TARGETOS": "linux", "TARGETARCH": "arm64"}
    other = analyze(tree, target_platform="windows/amd64")
    assert dict(other.scope_at(go_build).values) == {"TARGETOS": "linux", "TARGETARCH": "amd64"}
    assert dict(model.scope_at(runtime[-1]).values) == {}


# ---------------------------------------------------------------------------
# The command line


def test_cli_parse_lists_stages():
    result = subprocess.run(
        [sys.executable, "-m", "dockerast", "parse", str(ROOT / "examples" / "Dockerfile")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "stage 0: FROM golang:1.26.4-alpine AS builder (10 instructions)",
        "stage 1: FROM alpine:3.19 (9 instructions)",
    ]


# -- what the analysis reads ----------------------------------------------------

# Lines that the analysis reads the syntax of, or may skip: flags that may or
# may not name a stage, also in ONBUILD triggers and before the first FROM.
LINES = [
    "FROM alpine AS a\n", "FROM a\n", "ARG A=1\n", "ENV E=$A\n", "RUN echo --from\n", "RUN true\n",
    "RUN --mount=type=cache,target=/c true\n", "RUN --mount=from=a,target=/c true\n",
    'RUN --mount="from=a" true\n', "RUN --mount=type=bind,FROM=a,x=\\\"y true\n", "COPY --from=a /a /b\n",
    "COPY a b\n", 'COPY --mount=x --"from"=a /a /b\n', "ONBUILD COPY --from=a /a /b\n", "ONBUILD RUN true\n",
    "LABEL l=1\n", "CMD [\"x\"]\n", "RUNN x\n", "COPY \\\n --fr\\\nom=a /a /b\n",
]


def test_the_analysis_reads_only_the_syntax_it_needs():
    tree = dockerast.parse(
        "ARG A\nRUN x\nFROM a AS b\nRUN echo\nRUN --mount=type=cache,target=/c x\nCOPY --from=b /a /b\n"
        "COPY a b\nENV E=1\nLABEL l=1\nONBUILD RUN x\nRUNN x\n"
    )
    analyze(tree)
    read = [ins.is_read for ins in tree.instructions]
    assert read == [True, True, True, False, True, True, False, True, False, True, False]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=10))
def test_a_model_is_the_same_whatever_was_read_before(lines):
    text = "".join(lines)
    tree = dockerast.parse(text)
    read_instructions(tree.instructions)
    assert model_state(model_of(text)) == model_state(analyze(tree))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["from", "FROM", "fRoM", "fro", "m", "=", ",", "a", '\\"', "$"]), max_size=8).map("".join))
def test_mount_references_are_those_of_the_csv_fields(value):
    model = model_of(f"FROM alpine AS a\nRUN --mount={value} true\n")
    flag = model.tree.instructions[1].flag("mount")
    references = [r.text for r in model.stage_references if r.kind == "mount-from"]
    failed = any(p.message.startswith("failed to parse csv mounts") for p in model.problems)
    if flag is None or flag.value is None:
        assert (references, failed) == ([], False)
        return
    try:
        fields = mount_fields(flag.value)
    except ValueError:
        assert (references, failed) == ([], True)
        return
    assert not failed
    assert references == [f.value for f in fields if f.key == "from" and f.value is not None]


@pytest.mark.parametrize(
    "line, kind",
    [
        ('COPY --"from"=a /a /b\n', "copy-from"),
        ("COPY --fr\\om=a /a /b\n", "copy-from"),
        ("RUN --'mount'=type=bind,from=a,target=/t true\n", "mount-from"),
        ("ONBUILD COPY --f'rom'=a /a /b\n", "copy-from"),
    ],
)
def test_a_flag_name_written_with_quotes_or_escapes_names_a_stage(line, kind):
    model = model_of("FROM alpine AS a\nFROM a\n" + line)
    assert [(r.kind, r.stage) for r in model.stage_references if r.kind != "from"] == [(kind, 0)]
