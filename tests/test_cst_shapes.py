"""Shapes the grammar spells out one by one, and nodes built without their __init__."""

from __future__ import annotations


import pytest

import dockerast
from dockerast.cst.nodes import (
    Dockerfile,
    InstructionSyntax,
    KeyValue,
    RunInstruction,
    Span,
    Word,
    new_dockerfile,
    new_instruction,
    new_key_value,
    new_span,
    new_syntax,
    new_word,
)


@pytest.mark.parametrize("count", range(0, 9))
@pytest.mark.parametrize("keyword", ["FROM", "EXPOSE", "ARG", "ENV", "LABEL", "FROM --platform=x", "ENV --x"])
def test_any_number_of_words(keyword, count):
    words = [f"w{n}=v" for n in range(count)]
    text = f"{keyword} {'  '.join(words)}\n"
    ins = dockerast.parse(text).instructions[0]
    assert [w.text for w in ins.syntax.words] == words
    assert [text[w.span.start : w.span.end] for w in ins.syntax.words] == words


@pytest.mark.parametrize("count", range(0, 9))
def test_json_arrays_of_any_length(count):
    strings = [f"a{n}" for n in range(count)]
    arguments = "[ " + " ,\t".join(f'"{s}"' for s in strings) + " ]"
    ins = dockerast.parse(f"CMD {arguments}\n").instructions[0]
    assert [a.value for a in ins.exec_form] == strings
    assert [ins.text[a.span.start : a.span.end] for a in ins.exec_form] == [f'"{s}"' for s in strings]


def test_whitespace_before_words_is_not_part_of_them():
    ins = dockerast.parse("FROM \u3000a \xa0b\n").instructions[0]
    assert [w.text for w in ins.syntax.words] == ["a", "\xa0b"]
    ins = dockerast.parse("ENV a=b\u3000c=d\n").instructions[0]
    assert [(p.key, p.value) for p in ins.pairs] == [("a", "b"), ("c", "d")]
    ins = dockerast.parse("RUN \u3000 echo\n").instructions[0]
    assert ins.arguments == "echo" and ins.arguments_span == Span(6, 10)


def test_spans_across_continuations():
    text = "ENV a=1 \\\n  b=2 \\\n  c=3\n"
    ins = dockerast.parse(text).instructions[0]
    assert [text[w.span.start : w.span.end] for w in ins.syntax.words] == ["a=1", "b=2", "c=3"]
    # A span over a continuation maps both of its ends.
    assert ins.physical_span(0, len(ins.logical)) == Span(0, len(text) - 1)


def test_fast_constructors_make_the_same_nodes():
    span = new_span((1, 4))
    assert span == Span(1, 4) and hash(span) == hash(Span(1, 4)) and type(span) is Span
    word = new_word(("abc", Span(1, 4), 2))
    assert word == Word("abc", Span(1, 4), 2) and word.logical_start == 2
    assert new_key_value(("k", None, span, None, False)) == KeyValue("k", None, span, None)
    fields = InstructionSyntax._fields
    values = list(range(len(fields)))
    assert new_syntax(values) == InstructionSyntax(*values)
    ins = new_instruction(RunInstruction, "# c\n", "RUN x\n", ((0, 5),), 6, "\\")
    assert ins == RunInstruction("# c\n", "RUN x\n", ((0, 5),), 6, "\\")
    assert ins.arguments == "x"
    tree = new_dockerfile("", (), (ins,), "\n", "`", ((0, 1, "m"),))
    assert tree == Dockerfile(bom="", directives=(), instructions=(ins,), trailing="\n", escape="`", split_problems=((0, 1, "m"),))
    assert str(tree) == "# c\nRUN x\n\n" and tree.instruction_offsets() == (4,)
    with pytest.raises(AttributeError):
        word.text = "x"
