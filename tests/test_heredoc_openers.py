"""Heredoc openers of plain RUN, COPY and ADD lines are found without the
grammar and the shell: the result must be the one they give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dockerast.cst.heredoc import _PLAIN_LINE, _openers_by_grammar, heredoc_openers

_KEYWORDS = st.sampled_from(["RUN", "run", "Copy", "ADD", "add"])
_WORDS = st.sampled_from(
    [
        "<<EOF", "<<-EOF", "2<<EOF", "007<<-x", "<<", "<<-", "<<<EOF", "<", "<<EOF<<END", "a<<EOF", "-", "EOF",
        "--mount=type=cache,target=/root/.cache", "--", "--<<EOF", "--from=build", "--chmod=755", "/usr/bin/x",
        "cat", ">", "/etc/x", "&&", "#", "-c", "]", "a-b.c_d:e@f", "x=1", "{a,b}", "|", "~", "%", ";",
    ]
)
_BLANKS = st.sampled_from([" ", "  ", "\t", " \t "])
_LINES = st.tuples(
    _KEYWORDS, st.lists(st.tuples(_BLANKS, _WORDS).map("".join), max_size=6).map("".join), st.sampled_from(["", " ", "  \t"])
).map("".join)


@settings(max_examples=1500, derandomize=True, database=None, deadline=None)
@given(_LINES, st.sampled_from(["\\", "`"]))
def test_plain_lines_open_the_heredocs_the_grammar_finds(line, escape):
    assert heredoc_openers(line, escape) == _openers_by_grammar(line, escape)


def test_plain_line_pattern():
    assert _PLAIN_LINE.fullmatch("RUN --mount=type=cache,target=/x <<EOF")
    assert _PLAIN_LINE.fullmatch("copy <<-EOF /etc/x")
    for line in ("RUN <<'EOF'", 'RUN <<"EOF"', "RUN <<$X", "RUN [\"a\"] <<EOF", "RUN \\<<EOF", "RUN `<<EOF", "ONBUILD RUN <<EOF"):
        assert not _PLAIN_LINE.fullmatch(line)
