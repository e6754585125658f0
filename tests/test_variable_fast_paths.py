"""The word processor reads ordinary characters a run at a time; these cases
mix long runs with every character that ends one (``$``, quotes, the escape,
``<``, a ``${...}`` terminator) under each option, and pin the outcome.
:meth:`ShellLex.expand` reads simple words (``$name``, ``${name}``, one pair
of quotes) without the word processor: it must give what the processor gives.

Also the shortcuts of the variable rules: the words they skip for holding no
``$``, the bounded edit distance and the ASCII case fold of secret names.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dockerast
from dockerast.rules import CheckConfig, run_rules
from dockerast.rules.buildkit.secrets_used_in_arg_or_env import looks_secret
from dockerast.rules.buildkit.undefined_arg_in_from import levenshtein, suggest
from dockerast.semantic.shell import ExpansionError, ShellLex, find_variable_references

ENV = {"A": "x  y", "AB": "ab", "Aé": "accent", "E": ""}


@pytest.mark.parametrize(
    ("lex", "word", "expected", "references"),
    [
        (
            ShellLex(),
            "long plain run $A then more text",
            ("long plain run x  y then more text", ("long", "plain", "run", "x", "y", "then", "more", "text"), []),
            [("A", 15, 17)],
        ),
        (
            ShellLex(),
            "pre  fix${A:-'quoted  word'}post fix",
            ("pre  fixx  ypost fix", ("pre", "x", "ypost", "fix"), []),
            [("A", 8, 28)],
        ),
        # A name goes on past its ASCII part when a non-ASCII letter follows.
        (
            ShellLex(),
            "$Aé-$AB_x $AB",
            ("accent- ab", ("accent-", "ab"), ["AB_x"]),
            [("Aé", 0, 3), ("AB_x", 4, 9), ("AB", 10, 13)],
        ),
        (ShellLex(), "${A:-'unterminated}", "syntax error: missing '}'", []),
        (ShellLex(), '${A:-"unterminated}', "syntax error: missing '}'", []),
        (
            ShellLex(),
            '"$A and \\"quoted\\" \\$A \\x"',
            ('x  y and "quoted" $A \\x', ('x  y and "quoted" $A \\x',), []),
            [("A", 1, 3)],
        ),
        (ShellLex(raw_escapes=True), '"a\\tb\\$A" c\\ d', ("a\\\\tb\\$A c\\ d", ("a\\\\tb\\$A", "c\\ d"), []), []),
        (ShellLex(raw_quotes=True), "'it''s' \"$A\"", ("'it''s' \"x  y\"", ("'it''s'", '"x  y"'), []), [("A", 9, 11)]),
        (
            ShellLex(skip_process_quotes=True),
            "'$A' \"$AB\"",
            ("'x  y' \"ab\"", ("'x", "y'", '"ab"'), []),
            [("A", 1, 3), ("AB", 6, 9)],
        ),
        (ShellLex("`"), "a`$A `` $AB\\n", ("a$A ` ab\\n", ("a$A", "`", "ab\\n"), []), [("AB", 8, 11)]),
        (ShellLex("$"), "$A$$AB", ("x  yAB", ("x", "yAB"), ["$"]), [("A", 0, 2), ("$", 2, 4)]),
        (ShellLex(), "cat <<  EOF $A", ("cat <<  EOF x  y", ("cat", "<<  EOF", "x", "y"), []), [("A", 12, 14)]),
        (ShellLex(), "tail\\", ("tail", ("tail",), []), []),
    ],
)
def test_runs(lex: ShellLex, word: str, expected, references) -> None:
    try:
        processed = lex.process_word(word, ENV)
        outcome = (processed.result, processed.words, sorted(processed.unmatched))
    except ExpansionError as error:
        outcome = error.reason
    assert outcome == expected
    assert [(r.name, r.start, r.end) for r in lex.find_variable_references(word)] == references
    if lex.escape in ("\\", "`") and lex == ShellLex(lex.escape):
        assert find_variable_references(word, lex.escape) == lex.find_variable_references(word)


LEXERS = [
    ShellLex(),
    ShellLex("`"),
    ShellLex("$"),
    ShellLex('"'),
    ShellLex(raw_quotes=True),
    ShellLex(raw_escapes=True),
    ShellLex(skip_process_quotes=True),
    ShellLex(skip_unset_env=True),
    ShellLex(case_insensitive_env=True),
]
# Values holding what would be special in a word: they are never read again.
EXPAND_ENV = {**ENV, "_1": "$A", "é": "'q'", "a": "\\"}


def _expanded(expand):
    try:
        return expand()
    except ExpansionError as error:
        return str(error)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$A", "x  y"),
        ("${AB}/$E/$UNSET.", "ab//."),
        ('"$A-$AB"', "x  y-ab"),
        ("'$A'", "$A"),
        ('"it\'s <$AB>\ufeff"', "it's <ab>\ufeff"),
        ("$ABé", ""),  # the name goes on past its ASCII part: ABé is unset
        ("$Aé!", "accent!"),
        ("a$", "a$"),
        ("\ufeff$A", "x  y"),
    ],
)
def test_expand_simple_words(word: str, expected: str) -> None:
    lex = ShellLex()
    assert lex.expand(word, ENV) == expected == lex.process_word(word, ENV).result


# Words near the simple ones: references and text, perhaps in one pair of quotes.
NEAR_SIMPLE = st.builds(
    lambda quote, pieces: quote + "".join(pieces) + quote,
    st.sampled_from(["", "'", '"']),
    st.lists(st.sampled_from(["$A", "${AB}", "$Aé", "$_1", "$1", "${A:-x}", "$", "x", "é", "'", '"', "<", "\ufeff", "}", "\\"])),
)


@settings(max_examples=1000)
@given(
    st.one_of(NEAR_SIMPLE, st.text(alphabet=list("$${}\"'<\\`aAB_1é: -/#%?+\ufeff"), max_size=16)),
    st.sampled_from(LEXERS),
)
def test_expand_gives_the_result_of_process_word(word: str, lex: ShellLex) -> None:
    assert _expanded(lambda: lex.expand(word, EXPAND_ENV)) == _expanded(lambda: lex.process_word(word, EXPAND_ENV).result)


def test_levenshtein_limit() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        a = "".join(rng.choice("ABC_") for _ in range(rng.randint(0, 8)))
        b = "".join(rng.choice("ABC_") for _ in range(rng.randint(0, 8)))
        exact = levenshtein(a, b)
        for limit in (1, 2, 3):
            bounded = levenshtein(a, b, limit)
            assert bounded == exact if exact < limit else bounded >= limit


def test_suggest_skips_options_of_distant_length() -> None:
    assert suggest("BULIDPLATFORM", ["TARGETOS", "BUILDPLATFORM", "BUILDPLATFORMS"]) == "BUILDPLATFORM"
    assert suggest("AB", ["ABCDE", "ABCD", "XY"]) == "ABCD"
    assert suggest("AB", ["AB", "A"]) == ""


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GITHUB_TOKEN", True),
        ("db_Password", True),
        ("PUBLIC_KEY", False),
        ("TOKENIZER", False),
        # Go folds the Kelvin sign to k and the long s to s; other letters stay apart.
        ("\u212aEY", True),
        ("\u017fecret", True),
        ("ÉTÉ_KEY", True),
        ("KEY_É", True),
        ("KÉY", False),
    ],
)
def test_looks_secret(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_undefined_var_reads_every_word_that_can_hold_a_dollar() -> None:
    text = (
        "FROM alpine\n"
        "COPY <<EOF /x\nhello $IN_BODY\nEOF\n"
        'COPY ["a\\u0024JSON", "/y"]\n'
        "RUN --mount=type=cache,target=/$MOUNT \\\n    echo $NOT_CHECKED\n"
        "WORKDIR /w\n"
    )
    found = [(f.message, f.start, f.end) for f in run_rules(dockerast.parse(text), CheckConfig()) if f.code == "BK011"]
    assert found == [
        ("Usage of undefined variable '$IN_BODY'", 32, 40),
        ("Usage of undefined variable '$JSON'", 51, 64),  # the escape maps to the whole word
        ("Usage of undefined variable '$MOUNT'", 103, 109),
    ]


def test_undefined_arg_in_from_repeated_words() -> None:
    text = "ARG V=1\nFROM alpine:${V}${X} AS a\nFROM alpine:${V}${X} AS b\nFROM alpine:${VV}\n"
    found = [(f.message, f.start, f.end) for f in run_rules(dockerast.parse(text), CheckConfig()) if f.code == "BK009"]
    assert found == [
        ("FROM argument 'X' is not declared (did you mean V?)", 24, 28),
        ("FROM argument 'X' is not declared (did you mean V?)", 50, 54),
        ("FROM argument 'VV' is not declared (did you mean V?)", 72, 77),
    ]
