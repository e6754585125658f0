"""The semantic model's fast paths give what the plain code they stand for gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from hypothesis import example, given, settings
from hypothesis import strategies as st

import dockerast
from dockerast.cst.nodes import CopyInstruction, RunInstruction
from dockerast.semantic.model import (
    SemanticModel,
    Stage,
    StageReference,
    _may_name_stage,
    analyze,
)
from dockerast.semantic.scope import Scope, declare_stage_args, set_env
from dockerast.semantic.shell import ShellLex


def _may_name_stage_plainly(logical: str, escape: str) -> bool:
    """The flag test as first written: the line as it is, then without quotes and escapes."""
    if "--from" in logical or "--mount" in logical:
        return True
    if "--" not in logical or not ('"' in logical or "'" in logical or escape in logical):
        return False
    bare = logical.replace('"', "").replace("'", "").replace(escape, "")
    return "--from" in bare or "--mount" in bare


@example('--"from"=a', "\\", RunInstruction)
@example("-\\-mount --x", "\\", RunInstruction)
@example("-- -'-from", "f", CopyInstruction)  # ("f" is removed with the quotes: no --from)
@example("-- -'-mount", "-", RunInstruction)
@settings(max_examples=500)
@given(
    st.text(alphabet="-fromunt\"'\\` =x", max_size=24),
    st.sampled_from(["\\", "`", "-", "f", "t", "'"]),
    st.sampled_from([CopyInstruction, RunInstruction]),
)
def test_stage_flag_search_equals_removing_quotes_and_escapes(line, escape, cls):
    ins = cls(leading="", text=line, segments=((0, len(line)),), body_start=len(line), escape=escape)
    assert _may_name_stage(ins) == ("--" in line and _may_name_stage_plainly(line, escape))


def test_results_built_fast_equal_their_constructors():
    text = "ARG V=1\nFROM --platform=$BUILDPLATFORM a AS one\nFROM one\nCOPY --from=one /a /b\n"
    model = analyze(dockerast.parse(text))
    assert set(vars(model)) == {f.name for f in dataclasses.fields(SemanticModel)}
    for stage in model.stages:
        assert stage == Stage(**{name: getattr(stage, name) for name in Stage._fields})
    assert len(model.stage_references) == 3
    for ref in model.stage_references:
        assert ref == StageReference(**{name: getattr(ref, name) for name in StageReference._fields})


class _Variables(Mapping):
    """A mapping without copy(), as a caller may put into a Scope."""

    def __init__(self, **values: str) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def test_scopes_of_any_mapping_are_copied():
    pairs = dockerast.parse("FROM a\nENV B=$A\nARG C=$B\n").instructions
    lex = ShellLex()
    for wrap in (MappingProxyType, lambda mapping: MappingProxyType(dict(mapping))):
        values = wrap(_Variables(A="1"))
        scope = Scope(wrap(_Variables()), wrap(_Variables()), values)
        after_env, _ = set_env(scope, pairs[1].pairs, lex)
        assert dict(after_env.values) == {"A": "1", "B": "1"} and dict(after_env.env) == {"B": "1"}
        after_arg, _ = declare_stage_args(after_env, pairs[2].pairs, {}, {}, lex)
        assert dict(after_arg.args) == {"C": "1"}
        assert dict(values) == {"A": "1"}
