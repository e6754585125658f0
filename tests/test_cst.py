"""The concrete syntax tree: ownership of trivia, typed nodes, spans and errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dockerast
from dockerast import (
    ArgInstruction,
    CopyInstruction,
    EnvInstruction,
    FromInstruction,
    HealthcheckInstruction,
    OnbuildInstruction,
    RunInstruction,
    UnknownInstruction,
)
from dockerast.cst.positions import LineIndex


def at(tree: dockerast.Dockerfile, index: int, span: dockerast.Span) -> str:
    """The source text a node's relative span covers."""
    start = tree.instruction_offsets()[index]
    return str(tree)[start + span.start : start + span.end]


# -- ownership of trivia ----------------------------------------------------------


def test_instruction_owns_comments_and_blank_lines_above_it():
    text = "# syntax=docker/dockerfile:1\n\n# the base\nFROM a\n\n# build\nRUN make \\\n  # inside\n  all\n# tail\n"
    tree = dockerast.parse(text)
    assert [d.name for d in tree.directives] == ["syntax"]
    first, second = tree.instructions
    assert first.leading == "\n# the base\n"
    assert first.text == "FROM a\n"
    assert second.leading == "\n# build\n"
    assert second.text == "RUN make \\\n  # inside\n  all\n"
    assert tree.trailing == "# tail\n"
    assert str(tree) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "\ufeffFROM a\r\nRUN b\r\n",
        "FROM a\rRUN b\r",
        "FROM a\n\tRUN b   \n",
        "FROM a",
        "RUN <<EOF\nnever ends",
        'ENV a="unbalanced\n',
        "\x00\x01garbage\xff\n",
        "FROM a\n\\\n",
        "# escape=`\nFROM a\nRUN b `\n  c\n",
    ],
)
def test_round_trip(text):
    assert str(dockerast.parse(text)) == text


def test_parse_bytes_keeps_invalid_utf8():
    data = b"FROM a\nRUN echo \xff\xfe\n"
    tree = dockerast.parse_bytes(data)
    assert tree.to_bytes() == data
    assert tree.instructions[1].command == "RUN"


# -- directives and continuations -------------------------------------------------


def test_escape_directive_switches_the_continuation_character():
    tree = dockerast.parse("# escape=`\nFROM windows\nRUN dir `\n  c:\\\n")
    assert tree.escape == "`"
    assert tree.instructions[1].logical == "RUN dir   c:\\"


def test_directive_after_a_comment_is_a_comment():
    tree = dockerast.parse("# hello\n# escape=`\nFROM a\n")
    assert tree.directives == ()
    assert tree.escape == "\\"
    assert tree.instructions[0].leading == "# hello\n# escape=`\n"


def test_duplicate_directive_is_an_error():
    tree = dockerast.parse("# escape=\\\n# escape=`\nFROM a\n")
    assert [e.message for e in tree.errors] == ["only one escape parser directive can be used"]
    assert (tree.errors[0].line, tree.errors[0].column) == (1, 0)


def test_invalid_escape_token():
    tree = dockerast.parse("# escape=x\nFROM a\n")
    assert tree.errors[0].message == "invalid escape token 'x' does not match ` or \\"


def test_comment_and_empty_lines_inside_a_continuation_are_skipped():
    tree = dockerast.parse("RUN a \\\n# note\n\n  b\n")
    (run,) = tree.instructions
    assert run.logical == "RUN a   b"
    assert run.text == "RUN a \\\n# note\n\n  b\n"


# -- typed nodes and spans ---------------------------------------------------------


def test_from_parts_and_spans():
    tree = dockerast.parse("FROM --platform=$BUILDPLATFORM golang:1.22 \\\n    AS builder\n")
    (node,) = tree.instructions
    assert isinstance(node, FromInstruction)
    assert node.image == "golang:1.22"
    assert node.stage_name == "builder"
    assert node.platform == "$BUILDPLATFORM"
    assert at(tree, 0, node.image_span) == "golang:1.22"
    assert at(tree, 0, node.stage_name_span) == "builder"
    flag = node.flag("platform")
    assert at(tree, 0, flag.span) == "--platform=$BUILDPLATFORM"
    assert at(tree, 0, flag.name_span) == "platform"
    assert at(tree, 0, flag.value_span) == "$BUILDPLATFORM"
    assert at(tree, 0, node.keyword_span) == "FROM"


def test_word_split_by_a_continuation_spans_the_marker():
    tree = dockerast.parse("FROM gol\\\nang AS b\n")
    (node,) = tree.instructions
    assert node.image == "golang"
    assert at(tree, 0, node.image_span) == "gol\\\nang"


def test_flags_quotes_and_end_of_flags():
    tree = dockerast.parse('COPY --chown="a b" --link -- src dst\n')
    (node,) = tree.instructions
    assert isinstance(node, CopyInstruction)
    assert [(f.name, f.value, f.unquoted) for f in node.flags] == [
        ("chown", "a b", "--chown=a b"),
        ("link", None, "--link"),
    ]
    assert node.paths == ("src", "dst")


@pytest.mark.parametrize("line", ['COPY --"" a b', "COPY --'' a b", 'COPY --"""" a b', 'COPY -- a b'])
def test_a_word_that_reads_double_dash_ends_the_flags(line):
    (node,) = dockerast.parse(line + "\n").instructions
    assert node.flags == () and node.paths == ("a", "b")


def test_flags_after_a_quoted_double_dash_are_arguments():
    (node,) = dockerast.parse('COPY --"" --from=x a b\n').instructions
    assert node.flags == () and node.paths == ("--from=x", "a", "b")


def test_env_arg_and_legacy_env():
    tree = dockerast.parse('ARG A B=2 "C=x y"\nENV X=1 Y="two words"\nENV LEGACY some value\n')
    arg, env, legacy = tree.instructions
    assert isinstance(arg, ArgInstruction) and isinstance(env, EnvInstruction)
    assert [(p.key, p.value) for p in arg.pairs] == [("A", None), ("B", "2"), ('"C', 'x y"')]
    assert [(p.key, p.value) for p in env.pairs] == [("X", "1"), ("Y", '"two words"')]
    pair = legacy.pairs[0]
    assert (pair.key, pair.value, pair.legacy) == ("LEGACY", "some value", True)
    assert at(tree, 2, pair.value_span) == "some value"
    assert at(tree, 1, env.pairs[1].value_span) == '"two words"'


def test_exec_form_and_shell_fallback():
    tree = dockerast.parse('CMD ["a", "b\\u00e9"]\nCMD [\'a\']\nCMD ["a"] # trailing\n')
    exec_form, single_quotes, trailing = tree.instructions
    assert [a.value for a in exec_form.exec_form] == ["a", "bé"]
    assert at(tree, 0, exec_form.exec_form[1].span) == '"b\\u00e9"'
    assert single_quotes.exec_form is None
    assert trailing.exec_form is None  # BuildKit since 2024: text after the array means shell form


def test_json_array_of_non_strings_is_an_error():
    tree = dockerast.parse("FROM a\nCMD [1, 2]\n")
    assert [(e.message, e.line, e.column) for e in tree.errors] == [
        ("when using JSON array syntax, arrays must be comprised of strings only", 1, 4)
    ]


def test_heredocs():
    text = 'FROM a\nRUN <<-"EOT" cat <<B > /x\n\tone\n\tEOT\ntwo\nB\nCOPY <<EOF /y\nz\nEOF\n'
    tree = dockerast.parse(text)
    _, run, copy = tree.instructions
    assert isinstance(run, RunInstruction)
    first, second = run.heredocs
    assert (first.name, first.chomp, first.expand, first.content) == ("EOT", True, False, "\tone\n")
    assert (second.name, second.chomp, second.expand, second.content) == ("B", False, True, "two\n")
    assert at(tree, 1, first.word_span) == '<<-"EOT"'
    assert at(tree, 1, second.terminator_span) == "B\n"
    assert copy.heredocs[0].content == "z\n"
    assert tree.errors == ()


def test_heredoc_only_in_run_copy_add_shell_form():
    tree = dockerast.parse('FROM a\nCMD cat <<EOF\nRUN ["cat", "<<EOF"]\n')
    assert len(tree.instructions) == 3


def test_unterminated_heredoc_keeps_the_rest_of_the_file():
    tree = dockerast.parse("FROM a\nRUN <<EOF\nline\nFROM b\n")
    assert len(tree.instructions) == 2
    assert tree.instructions[1].text == "RUN <<EOF\nline\nFROM b\n"
    (error,) = tree.errors
    assert error.message.startswith("unterminated heredoc")
    assert error.line == 2


def test_onbuild_trigger():
    tree = dockerast.parse("ONBUILD --x RUN --mount=type=cache,target=/c make\n")
    (node,) = tree.instructions
    assert isinstance(node, OnbuildInstruction)
    assert [f.name for f in node.flags] == ["x"]
    trigger = node.trigger
    assert isinstance(trigger, RunInstruction)
    assert trigger.flag("mount").value == "type=cache,target=/c"
    assert trigger.arguments == "make"
    assert at(tree, 0, trigger.keyword_span) == "RUN"


def test_healthcheck():
    tree = dockerast.parse('HEALTHCHECK NONE\nHEALTHCHECK --interval=5s CMD ["curl", "x"]\n')
    none, cmd = tree.instructions
    assert isinstance(none, HealthcheckInstruction)
    assert none.check_type == "NONE"
    assert cmd.check_type == "CMD"
    assert [a.value for a in cmd.exec_form] == ["curl", "x"]


def test_keywords_are_case_insensitive_and_unknown_words_are_kept():
    tree = dockerast.parse("from a\nFrOm b\nFROMX c\nfoo bar\n")
    kinds = [type(i) for i in tree.instructions]
    assert kinds == [FromInstruction, FromInstruction, UnknownInstruction, UnknownInstruction]
    assert tree.instructions[2].keyword == "FROMX"


def test_errors_have_line_and_column():
    tree = dockerast.parse("FROM a\n\nENV PATH\n")
    (error,) = tree.errors
    assert str(error) == "3:5: ENV must have two arguments"


def test_no_instructions_is_an_error():
    assert [e.message for e in dockerast.parse("# only a comment\n").errors] == ["file with no instructions"]


def test_nodes_are_immutable_and_rebuilt_with_changes():
    tree = dockerast.parse("FROM a\nRUN b\n")
    with pytest.raises(AttributeError):
        tree.instructions[0].text = "x"  # type: ignore[misc]
    swapped = tree.with_changes(instructions=tree.instructions[::-1])
    assert str(swapped) == "RUN b\nFROM a\n"
    assert str(tree) == "FROM a\nRUN b\n"


# -- positions ---------------------------------------------------------------------


def test_line_index_round_trips_offsets_and_utf16():
    text = "FROM a\nRUN echo 😀 é\n"
    index = LineIndex(text)
    offset = text.index("é")
    pos = index.position(offset)
    assert (pos.line, pos.column) == (1, 11)
    assert index.offset(1, 11) == offset
    assert index.utf16_column(offset) == 12
    assert index.offset_from_utf16(1, 12) == offset


def test_library_does_not_import_the_language_server_stack():
    code = "import sys, dockerast, dockerast.compat; print(any(m.split('.')[0] in ('pygls', 'lsprotocol') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_reparse_with_the_previous_tree_reuses_unchanged_instructions():
    text = "FROM a AS b\nRUN make \\\n  all\nCOPY --from=b /x /y\n"
    old = dockerast.parse(text)
    [ins.syntax for ins in old.instructions]
    edited = text.replace("RUN make", "RUN  make")
    new = dockerast.parse(edited, previous=old)
    assert str(new) == edited
    assert new.instructions[0].syntax is old.instructions[0].syntax
    assert new.instructions[2].syntax is old.instructions[2].syntax
    assert new.instructions[1].syntax is not old.instructions[1].syntax
    fresh = dockerast.parse(edited)
    assert [i.syntax for i in new.instructions] == [i.syntax for i in fresh.instructions]
    # Another escape character reads the same text differently: nothing is reused.
    other = dockerast.parse("# escape=`\n" + edited, previous=old)
    assert all(i.syntax is not j.syntax for i, j in zip(other.instructions, old.instructions))
