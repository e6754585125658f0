"""Tests for dockerast.semantic.shell, BuildKit's shell word processor.

Expected values are BuildKit's outputs for the same input and options.
"""

from __future__ import annotations

import dataclasses
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerast.semantic.shell import (
    ExpansionError,
    ProcessedWord,
    ShellLex,
    VariableReference,
    find_variable_references,
)

ENV = {
    "HOME": "/root",
    "USER": "alice",
    "EMPTY": "",
    "SPACED": "one  two three",
    "PADDED": "  left and right  ",
    "PATH_LIKE": "/usr/local/bin:/usr/bin:/bin",
    "FILE": "archive.tar.gz",
    "URL": "http://example.com/a/b",
    "STARS": "a**b*",
    "GREEK": "αβγ",
    "ÉTÉ": "summer",
    "MULTI": "first\nsecond",
}

BACKSLASH = ShellLex()
BACKTICK = ShellLex("`")


def expand(word: str, env=ENV, lex: ShellLex = BACKSLASH) -> str:
    return lex.process_word(word, env).result


# ---------------------------------------------------------------------------
# Quotes and escapes


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("", ""),
        ("plain", "plain"),
        ("two words", "two words"),
        ("'single'", "single"),
        ("mid'dle'end", "middleend"),
        ("'$HOME'", "$HOME"),
        ("'a\\b'", "a\\b"),
        ("'ends with \\'", "ends with \\"),
        ("'\"double inside\"'", '"double inside"'),
        ('"double"', "double"),
        ('"$HOME/x"', "/root/x"),
        ('"${USER}"', "alice"),
        ("\"it's\"", "it's"),
        ('"a\\"b"', 'a"b'),
        ('"a\\$HOME"', "a$HOME"),
        ('"a\\\\b"', "a\\b"),
        ('"a\\tb"', "a\\tb"),
        ('"a\\\'b"', "a\\'b"),
        ('"\'$USER\'"', "'alice'"),
        ("\"''\"", "''"),
        ("'' \"\"", " "),
        ('"a"\'b\'c', "abc"),
        ("\\'quoted\\'", "'quoted'"),
        ('\\"', '"'),
        ("a\\ b", "a b"),
        ("a\\tb", "atb"),
        ("\\\\", "\\"),
        ("trailing\\", "trailing"),
        ("trailing\\\\", "trailing\\"),
        ("\\$HOME", "$HOME"),
        ("\\\\$HOME", "\\/root"),
        ("\\${HOME}", "${HOME}"),
        ("\\${}", "${}"),
        ("안'녕'하세요", "안녕하세요"),
        ('"x\\é"', "x\\é"),
    ],
)
def test_quotes_and_backslash_escapes(word, expected):
    assert expand(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("a`tb", "atb"),
        ("`$HOME", "$HOME"),
        ("``$HOME", "`/root"),
        ("a\\b", "a\\b"),
        ("C:\\Windows\\$USER", "C:\\Windows\\alice"),
        ("end`", "end"),
        ("'`n'", "`n"),
        ('"`""', '"'),
        ('"`$USER"', "$USER"),
        ('"``"', "`"),
        ('"`n"', "`n"),
        ('"\\"', "\\"),
        ("${EMPTY:-`}}", "}"),
        ("${HOME#`/}", "/root"),
    ],
)
def test_backtick_escape(word, expected):
    assert expand(word, lex=BACKTICK) == expected


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("'open", "unexpected end of statement while looking for matching single-quote"),
        ("a'b", "unexpected end of statement while looking for matching single-quote"),
        ('"open', "unexpected end of statement while looking for matching double-quote"),
        ('"escaped at end\\"', "unexpected end of statement while looking for matching double-quote"),
        ('"ends in escape\\', "unexpected end of statement while looking for matching double-quote"),
        ("x\\\\'y", "unexpected end of statement while looking for matching single-quote"),
    ],
)
def test_unterminated_quotes(word, reason):
    with pytest.raises(ExpansionError) as info:
        expand(word)
    assert info.value.reason == reason
    assert info.value.word == word


# ---------------------------------------------------------------------------
# Simple references


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$HOME", "/root"),
        ("${HOME}", "/root"),
        ("$HOME/.cache", "/root/.cache"),
        ("${HOME}sweet", "/rootsweet"),
        ("$HOMEsweet", ""),
        ("$USER_x", ""),
        ("$USER-x", "alice-x"),
        ("$USER.x", "alice.x"),
        ("${USER}${USER}", "alicealice"),
        ("$NOPE", ""),
        ("${NOPE}x", "x"),
        ("$EMPTY|", "|"),
        ("$ÉTÉ", "summer"),
        ("$GREEK!", "αβγ!"),
        ("$", "$"),
        ("a$", "a$"),
        ("$ x", "$ x"),
        ("$.", "$."),
        ("$/", "$/"),
        ("${USER}}", "alice}"),
        ("$home", ""),
        ("cost: 5$", "cost: 5$"),
    ],
)
def test_simple_references(word, expected):
    assert expand(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$1", ""),
        ("$1x", "x"),
        ("$123abc", "abc"),
        ("$007x", "x"),
        ("${12}", ""),
        ("${12:-twelve}", "twelve"),
        ("${1:+set}", ""),
        ("$@", ""),
        ("$@@", "@"),
        ("$*x", "x"),
        ("$#", ""),
        ("$?", ""),
        ("$-", ""),
        ("$$", ""),
        ("$$$", "$"),
        ("$!", ""),
        ("$0", ""),
        ("$0name", "name"),
        ("${@:-all}", "all"),
        ("${#}", ""),
        ("${?:-status}", "status"),
        ("${-}", ""),
        ("${$}", ""),
        ("${!:-pid}", "pid"),
    ],
)
def test_positional_and_special_parameters_are_never_set(word, expected):
    assert expand(word) == expected


def test_special_parameters_are_looked_up_by_name():
    env = {"1": "first", "@": "all", "0": "zero", "٣": "three"}
    assert expand("$1-$@-$0-${1}-$٣", env) == "first-all-zero-first-three"


# ---------------------------------------------------------------------------
# Default, alternative and required values


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${NOPE:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${USER:-fallback}", "alice"),
        ("${NOPE-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${USER-fallback}", "alice"),
        ("${NOPE:+alt}", ""),
        ("${EMPTY:+alt}", ""),
        ("${USER:+alt}", "alt"),
        ("${NOPE+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${USER+alt}", "alt"),
        ("${USER:?}", "alice"),
        ("${USER?}", "alice"),
        ("${EMPTY?}", ""),
        ("${EMPTY?must be set}", ""),
        ("${NOPE:-}", ""),
        ("${NOPE:-a b  c}", "a b  c"),
        ("${NOPE:-$HOME}", "/root"),
        ("${NOPE:-${USER}}", "alice"),
        ("${NOPE:-${ALSO_NOPE:-deep}}", "deep"),
        ("${NOPE:-pre${USER:+[$USER]}post}", "pre[alice]post"),
        ("${USER:+${HOME}:}", "/root:"),
        ("${NOPE:-'quoted }'}", "quoted }"),
        ('${NOPE:-"$USER }"}', "alice }"),
        ("${NOPE:-\\}}", "}"),
        ("${NOPE:-\\$USER}", "$USER"),
        ("${NOPE:-\\${USER}z}", "${USERz}"),
        ("${NOPE:-a\\b}", "ab"),
        ("${NOPE:-{x}", "{x"),
        ("${NOPE:-x}}", "x}"),
        ("${NOPE:-a:b}", "a:b"),
        ("${NOPE:--}", "-"),
        ("${NOPE:-<<EOF}", "<<EOF"),
        ("v${NOPE:-1}.${USER:-0}", "v1.alice"),
        ("${+x}", ""),
        ("${NOPE-}", ""),
    ],
)
def test_default_and_alternative_values(word, expected):
    assert expand(word) == expected


def test_release_file_name_with_optional_variant():
    word = "tool-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tgz"
    base = {"VERSION": "1.0", "TARGETOS": "linux", "TARGETARCH": "arm"}
    assert expand(word, {**base, "TARGETVARIANT": "v7"}) == "tool-1.0.linux-arm-v7.tgz"
    assert expand(word, {**base, "TARGETVARIANT": ""}) == "tool-1.0.linux-arm.tgz"
    assert expand(word, base) == "tool-1.0.linux-arm.tgz"


@pytest.mark.parametrize(
    ("word", "env", "reason"),
    [
        ("${V:?}", {}, "V: is not allowed to be unset"),
        ("${V?}", {}, "V: is not allowed to be unset"),
        ("${V:?}", {"V": ""}, "V: is not allowed to be empty"),
        ("${V:?set V first}", {}, "V: set V first"),
        ("${V?set V first}", {}, "V: set V first"),
        ("${V:?need $W}", {"V": "", "W": "w"}, "V: need w"),
        ("ok ${A:-${V:?inner}} later", {}, "V: inner"),
    ],
)
def test_required_values(word, env, reason):
    with pytest.raises(ExpansionError) as info:
        expand(word, env)
    assert info.value.reason == reason


def test_default_word_is_expanded_even_when_unused():
    # BuildKit evaluates the word first, so errors inside it surface.
    with pytest.raises(ExpansionError, match="X: boom"):
        expand("${USER:-${X:?boom}}")
    processed = BACKSLASH.process_word("${USER:-$OTHER}", ENV)
    assert processed.result == "alice"
    assert processed.unmatched == frozenset({"OTHER"})


# ---------------------------------------------------------------------------
# Prefix and suffix removal


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${FILE#*.}", "tar.gz"),
        ("${FILE##*.}", "gz"),
        ("${FILE%.*}", "archive.tar"),
        ("${FILE%%.*}", "archive"),
        ("${FILE#archive}", ".tar.gz"),
        ("${FILE#tar}", "archive.tar.gz"),
        ("${FILE%.gz}", "archive.tar"),
        ("${FILE#}", "archive.tar.gz"),
        ("${FILE##}", "archive.tar.gz"),
        ("${FILE%}", "archive.tar.gz"),
        ("${FILE%%}", "archive.tar.gz"),
        ("${FILE#*}", "archive.tar.gz"),
        ("${FILE##*}", ""),
        ("${FILE%*}", "archive.tar.gz"),
        ("${FILE%%*}", ""),
        ("${FILE#?}", "rchive.tar.gz"),
        ("${FILE#??????? }", "archive.tar.gz"),
        ("${FILE%???}", "archive.tar"),
        ("${FILE#a*a}", "r.gz"),
        ("${FILE##a*a}", "r.gz"),
        ("${FILE#*a}", "rchive.tar.gz"),
        ("${FILE##*a}", "r.gz"),
        ("${FILE%a*}", "archive.t"),
        ("${FILE%%a*}", ""),
        ("${PATH_LIKE%%:*}", "/usr/local/bin"),
        ("${PATH_LIKE##*:}", "/bin"),
        ("${URL#*://}", "example.com/a/b"),
        ("${URL%/*}", "http://example.com/a"),
        ("${URL##*/}", "b"),
        ("${STARS#*\\*}", "*b*"),
        ("${STARS##*\\*}", ""),
        ("${STARS%\\**}", "a**b"),
        ("${STARS%%\\**}", "a"),
        ("${STARS%%\\**\\*}", "a"),
        ("${STARS#a\\*\\*b}", "*"),
        ("${GREEK#α}", "βγ"),
        ("${GREEK%?}", "αβ"),
        ("${NOPE#x}", ""),
        ("${EMPTY%%*}", ""),
        ("${FILE#$EMPTY}", "archive.tar.gz"),
        ("${FILE#'*'}", "archive.tar.gz"),
        ("${FILE#\"arch\"}", "ive.tar.gz"),
        ("${FILE#${NOPE:-arch}}", "ive.tar.gz"),
    ],
)
def test_prefix_and_suffix_removal(word, expected):
    assert expand(word) == expected


@pytest.mark.parametrize(
    ("word", "env", "expected"),
    [
        # Regular-expression characters in a pattern are literal.
        ("${V#()[]{\\}^$.\\*\\?|\\\\}", {"V": "()[]{}^$.*?|\\rest"}, "rest"),
        ("${V#a.c}", {"V": "abc"}, "abc"),
        ("${V#a+}", {"V": "aaa"}, "aaa"),
        ("${V#a+}", {"V": "a+b"}, "b"),
        ("${V#?\\?}", {"V": "???y"}, "?y"),
        ("${V#x\\/}", {"V": "x/y"}, "y"),
        # A pattern taken from a variable is still a pattern.
        ("${V#$P}", {"V": "xxyy", "P": "*x"}, "xyy"),
        ("${V#$P}", {"V": "xxyy", "P": "#*x"}, "yy"),
        ("${V%$P}", {"V": "xxyy", "P": "%y*"}, "xx"),
        # Wildcards never match a newline.
        ("${V##*}", {"V": "ab\ncd"}, "\ncd"),
        ("${V%%*}", {"V": "ab\ncd"}, "ab\n"),
        ("${V#a?c}", {"V": "a\nc!"}, "a\nc!"),
        ("${V#a?c}", {"V": "abc!"}, "!"),
        # A byte order mark opening a pattern is dropped.
        ("${V#\ufeffa}", {"V": "ab"}, "b"),
        # Suffix patterns are reversed with their escapes kept together.
        ("${V%%\\**}", {"V": "xx**"}, "xx"),
        ("${V%$P}", {"V": "a*b*", "P": "*\\"}, "a*b"),
    ],
)
def test_pattern_semantics(word, env, expected):
    assert expand(word, env) == expected


@pytest.mark.parametrize(
    ("word", "env", "reason"),
    [
        ("${V#\\x}", {"V": "v"}, "invalid pattern (\\x) in substitution: invalid escape '\\x'"),
        ("${V#$P}", {"V": "v", "P": "a\\"}, "invalid pattern (a\\) in substitution: invalid escape '\\' at end of pattern"),
        # '%' works on the reversed pattern, and BuildKit reports that one.
        ("${V%$P}", {"V": "v", "P": "ab\\"}, "invalid pattern (\\ba) in substitution: invalid escape '\\b'"),
        ("${V%ab\\c}", {"V": "v"}, "invalid pattern (\\cba) in substitution: invalid escape '\\c'"),
        ("${V:#x}", {"V": "v"}, "unsupported modifier (:#) in substitution"),
        ("${V:##x}", {}, "unsupported modifier (:#) in substitution"),
        ("${V:%x}", {}, "unsupported modifier (:%) in substitution"),
        ("${V:%%}", {}, "unsupported modifier (:%) in substitution"),
    ],
)
def test_pattern_errors(word, env, reason):
    with pytest.raises(ExpansionError) as info:
        expand(word, env)
    assert info.value.reason == reason


# ---------------------------------------------------------------------------
# Pattern replacement


@pytest.mark.parametrize(
    ("word", "env", "expected"),
    [
        ("${V/o/0}", {"V": "foo boo"}, "f0o boo"),
        ("${V//o/0}", {"V": "foo boo"}, "f00 b00"),
        ("${V/o}", {"V": "x"}, None),
        ("${V/x/y}", {"V": "abc"}, "abc"),
        ("${V//x/y}", {}, ""),
        ("${V/b*/-}", {"V": "abcabc"}, "a-"),
        ("${V/b?/-}", {"V": "abcabc"}, "a-abc"),
        ("${V//b?/-}", {"V": "abcabc"}, "a-a-"),
        ("${V//\\//\\/}", {"V": "/tmp/x"}, "\\/tmp\\/x"),
        ("${V//\\//_}", {"V": "/tmp/x"}, "_tmp_x"),
        ("${V/$N/$R}", {"V": "http://h/p", "N": "http://", "R": "https://"}, "https://h/p"),
        ("${V/$N/.} ${V//$N/.}", {"V": "/a*/*/*.txt", "N": "\\*/"}, "/a.*/*.txt /a..*.txt"),
        ("${V/$N/_}", {"V": "/a/b/c", "N": "/?/"}, "_b/c"),
        ("${V//$N/_}", {"V": "/a/b/c", "N": "/?/"}, "_b/c"),
        ("${V/$E/!}", {"V": "abc", "E": ""}, "!abc"),
        ("${V///}", {"V": "abc"}, "abc"),
        ("${V//'a b'/_}", {"V": "a b a b"}, "_ _"),
        ("${V/é/e}", {"V": "café"}, "cafe"),
        # Go's ReplaceAllString: empty matches are replaced, but not right
        # after a previous match.
        ("${V//$E/-}", {"V": "abc", "E": ""}, "-a-b-c-"),
        ("${V//x*/-}", {"V": "axxbx"}, "a-"),
        ("${V//*/-}", {"V": "ab\ncd"}, "-\n-"),
        # The replacement of '//' is a Go regexp template: $0 is the match.
        ("${V//b/[$R]}", {"V": "abcb", "R": "$0"}, "a[b]c[b]"),
        ("${V//b/$R}", {"V": "abcb", "R": "${0}${0}"}, "abbcbb"),
        ("${V//b/[$0]}", {"V": "abcb"}, "a[]c[]"),
        ("${V//b/[\\$0]}", {"V": "abcb"}, "a[\\b]c[\\b]"),
        ("${V//b/$R}", {"V": "ab", "R": "<$1$00$b>"}, "a<>"),
        ("${V//b/$}", {"V": "ab"}, "a$"),
        ("${V//b/$R}", {"V": "ab", "R": "$$"}, "a$"),
        ("${V//b/\\$\\$}", {"V": "ab"}, "a\\$\\$"),
        ("${V//b/$R}", {"V": "ab", "R": "x${0y"}, "ax${0y"),
        # ...but a single '/' splices the replacement in as it is.
        ("${V/b/[\\$0]}", {"V": "abcb"}, "a[\\$0]cb"),
    ],
)
def test_pattern_replacement(word, env, expected):
    if expected is None:
        with pytest.raises(ExpansionError, match="missing '/' in"):
            expand(word, env)
    else:
        assert expand(word, env) == expected


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("${V//}", "syntax error: missing '/' in ${}"),
        ("${V/a", "syntax error: missing '/' in ${}"),
        ("${V/a/b", "syntax error: missing '}'"),
        ("${V/\\q/x}", "invalid pattern (\\q) in substitution: invalid escape '\\q'"),
    ],
)
def test_replacement_errors(word, reason):
    with pytest.raises(ExpansionError) as info:
        expand(word, {"V": "abc"})
    assert info.value.reason == reason


# ---------------------------------------------------------------------------
# Syntax errors


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("${}", "syntax error: bad substitution"),
        ("x${}y", "syntax error: bad substitution"),
        ("${{V}", "syntax error: bad substitution"),
        ("${:}", "syntax error: bad substitution"),
        ("${:-x}", "syntax error: bad substitution"),
        ("${", "syntax error: missing '}'"),
        ("${V", "syntax error: missing '}'"),
        ("${V:", "syntax error: missing '}'"),
        ("${V:-x", "syntax error: missing '}'"),
        ("${V:-${W}", "syntax error: missing '}'"),
        ("${V:-'x}", "syntax error: missing '}'"),
        ("${V:-${W:?inner}", "syntax error: missing '}'"),
        ("${V:}", "syntax error: missing '}'"),
        ("${V:}x}", "unsupported modifier (:}) in substitution"),
        ("${.}", "unsupported modifier (.) in substitution"),
        ("${V=x}", "unsupported modifier (=) in substitution"),
        ("${V:=x}", "unsupported modifier (:=) in substitution"),
        ("${V:x}", "unsupported modifier (:x) in substitution"),
        ("${V x}", "unsupported modifier ( ) in substitution"),
        ("${#V}", "unsupported modifier (V) in substitution"),
        ("${V[0]}", "unsupported modifier ([) in substitution"),
        ("${V^^}", "unsupported modifier (^) in substitution"),
        ("${V:0:2}", "unsupported modifier (:0) in substitution"),
    ],
)
def test_syntax_errors(word, reason):
    with pytest.raises(ExpansionError) as info:
        expand(word)
    assert info.value.reason == reason


def test_expansion_error_is_a_value_error_with_readable_message():
    with pytest.raises(ValueError) as info:
        expand('say "${NAME:?please set NAME}"', {})
    error = info.value
    assert isinstance(error, ExpansionError)
    assert str(error) == 'failed to process "say \\"${NAME:?please set NAME}\\"": NAME: please set NAME'
    assert error.word == 'say "${NAME:?please set NAME}"'
    assert error.reason == "NAME: please set NAME"


def test_error_message_quotes_control_characters_like_go():
    with pytest.raises(ExpansionError) as info:
        expand("a\tb\n${}\x01\u200b")
    assert str(info.value) == 'failed to process "a\\tb\\n${}\\x01\\u200b": syntax error: bad substitution'


def test_very_deep_nesting_is_an_expansion_error():
    word = "${A:-" * 150 + "x" + "}" * 150
    with pytest.raises(ExpansionError, match="nested"):
        expand(word, {})
    shallow = "${A:-" * 50 + "x" + "}" * 50
    assert expand(shallow, {}) == "x"


# ---------------------------------------------------------------------------
# Matched and unmatched names


@pytest.mark.parametrize(
    ("word", "env", "result", "matched", "unmatched"),
    [
        ("plain", {"A": "1"}, "plain", set(), set()),
        ("$A $B", {"A": "1"}, "1 ", {"A"}, {"B"}),
        ("${A-x} ${B-y} ${C-z}", {"A": "a", "B": ""}, "a  z", {"A", "B"}, {"C"}),
        ("${A:-x} ${B:-y} ${C:-z}", {"A": "a", "B": ""}, "a y z", {"A", "B"}, {"C"}),
        ("${A+x} ${B+y} ${C+z}", {"A": "a", "B": ""}, "x y ", {"A", "B"}, {"C"}),
        ("${A:+x} ${B:+y} ${C:+z}", {"A": "a", "B": ""}, "x  ", {"A", "B"}, {"C"}),
        ("${A#$B}", {"A": "xxy", "B": "x"}, "xy", {"A", "B"}, set()),
        ("${A/$B/$C}", {"A": "ab"}, "ab", {"A"}, {"B", "C"}),
        ("'$A' \\$B", {"A": "1"}, "$A $B", set(), set()),
        ("$1 $@", {}, " ", set(), {"1", "@"}),
        ("${A///}", {}, "", set(), {"A"}),
    ],
)
def test_matched_and_unmatched_names(word, env, result, matched, unmatched):
    processed = BACKSLASH.process_word(word, env)
    assert processed.result == result
    assert processed.matched == frozenset(matched)
    assert processed.unmatched == frozenset(unmatched)


def test_processed_word_is_frozen():
    processed = BACKSLASH.process_word("$HOME x", ENV)
    assert processed == ProcessedWord("/root x", ("/root", "x"), frozenset({"HOME"}), frozenset())
    with pytest.raises(dataclasses.FrozenInstanceError):
        processed.result = "changed"  # type: ignore[misc]


# ---------------------------------------------------------------------------
# Word splitting


@pytest.mark.parametrize(
    ("word", "env", "expected"),
    [
        ("", {}, []),
        ("   ", {}, []),
        ("one", {}, ["one"]),
        ("  one   two  ", {}, ["one", "two"]),
        ("one\ttwo\nthree", {}, ["one", "two", "three"]),
        ("a\u2003b\xa0c", {}, ["a", "b", "c"]),
        ("a\x1fb", {}, ["a\x1fb"]),
        ("a\\ b", {}, ["a b"]),
        ("'a b' c", {}, ["a b", "c"]),
        ('"a  b"c d', {}, ["a  bc", "d"]),
        ("'' x", {}, ["x"]),
        ("''", {}, []),
        ("x$S", {"S": "1 2"}, ["x1", "2"]),
        ("x${S}y", {"S": "1 2"}, ["x1", "2y"]),
        ("x\"$S\"y", {"S": "1 2"}, ["x1 2y"]),
        ("$S", {"S": "  1  2  "}, ["1", "2"]),
        ("a$S", {"S": "  1  "}, ["a", "1"]),
        ('a"$S"', {"S": "  1  "}, ["a  1  "]),
        ("$E$E x", {"E": ""}, ["x"]),
        ("a <<EOF", {}, ["a", "<<EOF"]),
        ("a << EOF", {}, ["a", "<< EOF"]),
        ("a <<\t EOF b", {}, ["a", "<<\t EOF", "b"]),
        ("a<b c", {}, ["a<b", "c"]),
        # BuildKit reuses one buffer for nested words: text of the current
        # word before a ${v...} form with a nested word is dropped.
        ("a${N:-b}c d", {}, ["bc", "d"]),
        ("a${N:-b c}d", {}, ["b", "cd"]),
        ("x y${V#q}z", {"V": "v"}, ["x", "vz"]),
        ("pre'q'${V/v/w}", {"V": "v"}, ["w"]),
        ('pre"${N:-b} c"', {}, ["b c"]),
        ("a ${N}b", {}, ["a", "b"]),
    ],
)
def test_process_words(word, env, expected):
    assert BACKSLASH.process_words(word, env) == expected
    assert list(BACKSLASH.process_word(word, env).words) == expected


def test_process_words_raises_like_process_word():
    with pytest.raises(ExpansionError, match="bad substitution"):
        BACKSLASH.process_words("a ${} b", {})


# ---------------------------------------------------------------------------
# Modes


@pytest.mark.parametrize(
    ("lex", "word", "env", "expected"),
    [
        (ShellLex(raw_quotes=True), "'a b'", {}, "'a b'"),
        (ShellLex(raw_quotes=True), '"$U"x', {"U": "u"}, '"u"x'),
        (ShellLex(raw_quotes=True), "it\\'s", {}, "it's"),
        (ShellLex(raw_escapes=True), "a\\ b", {}, "a\\ b"),
        (ShellLex(raw_escapes=True), "\\$U", {"U": "u"}, "\\$U"),
        (ShellLex(raw_escapes=True), "end\\", {}, "end\\"),
        (ShellLex(raw_escapes=True), '"\\$U"', {"U": "u"}, "\\$U"),
        (ShellLex(raw_escapes=True), '"q\\""', {}, 'q\\"'),
        # An escape that escapes nothing inside double quotes is doubled.
        (ShellLex(raw_escapes=True), '"a\\tb"', {}, "a\\\\tb"),
        (ShellLex(raw_escapes=True), "${N:-a\\b}", {}, "ab"),
        (ShellLex("`", raw_escapes=True), "a`$b", {}, "a`$b"),
        (ShellLex(skip_process_quotes=True), "'a b'", {}, "'a b'"),
        (ShellLex(skip_process_quotes=True), "'$U'", {"U": "u"}, "'u'"),
        (ShellLex(skip_process_quotes=True), '"a\\"b"', {}, '"a"b"'),
        (ShellLex(skip_process_quotes=True), "'unterminated", {}, "'unterminated"),
        (ShellLex(skip_unset_env=True), "$U $N", {"U": "u"}, "u $N"),
        (ShellLex(skip_unset_env=True), "${N}", {}, "${N}"),
        (ShellLex(skip_unset_env=True), "${E}", {"E": ""}, ""),
        (ShellLex(skip_unset_env=True), "${N:-$U}", {"U": "u"}, "${N:-u}"),
        (ShellLex(skip_unset_env=True), "${N:-$M}", {}, "${N:-$M}"),
        (ShellLex(skip_unset_env=True), "${U:-$M}", {"U": "u"}, "u"),
        (ShellLex(skip_unset_env=True), "${N?}", {}, "${N?}"),
        (ShellLex(skip_unset_env=True), "${N:?message}", {}, "${N:?message}"),
        (ShellLex(skip_unset_env=True), "${N##*/}", {}, "${N##*/}"),
        (ShellLex(skip_unset_env=True), "${N#\\*}", {}, "${N#\\*}"),
        (ShellLex(skip_unset_env=True), "${N/a/b}", {}, "${N/a/b}"),
        (ShellLex(skip_unset_env=True), "${N//a/b}", {}, "${N/a/b}"),
        (ShellLex(skip_unset_env=True), "${N:x}", {}, "${N:x}"),
        (ShellLex(skip_unset_env=True), "$1", {}, "$1"),
        (ShellLex(skip_unset_env=True), "'$N'", {}, "$N"),
        (ShellLex(raw_quotes=True, skip_unset_env=True), "'$N' \"$N\"", {}, "'$N' \"$N\""),
    ],
)
def test_modes(lex, word, env, expected):
    assert lex.process_word(word, env).result == expected


def test_skip_unset_env_still_reports_errors_for_set_variables():
    lex = ShellLex(skip_unset_env=True)
    with pytest.raises(ExpansionError, match="V: is not allowed to be empty"):
        lex.process_word("${V:?}", {"V": ""})
    with pytest.raises(ExpansionError, match=r"unsupported modifier \(:x\)"):
        lex.process_word("${V:x}", {"V": "v"})


def test_modes_in_split_words():
    assert ShellLex(raw_quotes=True).process_words("'a b' c", {}) == ["'a b'", "c"]
    lex = ShellLex(raw_quotes=True, skip_unset_env=True)
    assert lex.process_words("x${N} \"y $N\" '$M'", {}) == ["x${N}", '"y $N"', "'$M'"]
    assert ShellLex(skip_process_quotes=True).process_words("'a b'", {}) == ["'a", "b'"]


def test_case_insensitive_env_for_windows():
    env = {"Path": "C:\\bin", "ÉTÉ": "summer"}
    windows = ShellLex(case_insensitive_env=True)
    processed = windows.process_word("$PATH;$path;$été", env)
    assert processed.result == "C:\\bin;C:\\bin;summer"
    assert processed.matched == frozenset({"PATH", "path", "été"})
    assert BACKSLASH.process_word("$PATH;$path", env).result == ";"
    # Go upper-cases one character at a time: 'ß' does not become 'SS'.
    assert windows.process_word("$straße", {"STRASSE": "x", "STRAßE": "y"}).result == "y"


def test_byte_order_mark_at_start_is_ignored():
    assert expand("\ufeff$USER") == "alice"
    assert expand("a\ufeff") == "a\ufeff"
    assert BACKSLASH.process_words("\ufeff", {}) == []


def test_heredoc_markers_pass_through():
    assert expand("<<EOF") == "<<EOF"
    assert expand("<<-'EOF' $USER") == "<<-EOF alice"
    assert expand("a<b<<c") == "a<b<<c"


def test_other_escape_characters_follow_the_same_rules():
    lex = ShellLex("^")
    assert lex.process_word("a^ b^$X \\", {"X": "x"}).result == "a b$X \\"


# ---------------------------------------------------------------------------
# Configuration


def test_lex_is_immutable_and_validates_escape():
    lex = ShellLex("`", raw_quotes=True)
    assert lex.escape == "`" and lex.raw_quotes and not lex.raw_escapes
    with pytest.raises(dataclasses.FrozenInstanceError):
        lex.escape = "\\"  # type: ignore[misc]
    for bad in ("", "ab"):
        with pytest.raises(ValueError):
            ShellLex(bad)
    with pytest.raises(TypeError):
        ShellLex("\\", True)  # type: ignore[misc]


def test_lex_can_be_shared_between_threads():
    lex = ShellLex()
    words = [f"${{V{i}:-d{i}}} ${{V{i}#x}}" for i in range(40)]
    expected = {w: lex.process_word(w, {f"V{i}": f"x{i}"}) for i, w in enumerate(words)}
    failures = []

    def work(offset: int) -> None:
        for _ in range(30):
            for i in range(len(words)):
                word = words[(i + offset) % len(words)]
                index = words.index(word)
                if lex.process_word(word, {f"V{index}": f"x{index}"}) != expected[word]:
                    failures.append(word)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert expected[words[3]].result == "x3 3"


# ---------------------------------------------------------------------------
# Finding references


def ref(name, modifier, start, end, name_start, braced=True):
    return VariableReference(name, modifier, start, end, name_start, name_start + len(name), braced)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("", ()),
        ("no refs", ()),
        ("$A", (ref("A", "", 0, 2, 1, braced=False),)),
        ("x$HOME/y", (ref("HOME", "", 1, 6, 2, braced=False),)),
        ("${HOME}", (ref("HOME", "", 0, 7, 2),)),
        (
            "$A${B}",
            (ref("A", "", 0, 2, 1, braced=False), ref("B", "", 2, 6, 4)),
        ),
        ("${V:-w}", (ref("V", ":-", 0, 7, 2),)),
        ("${V-w}", (ref("V", "-", 0, 6, 2),)),
        ("${V:+w}", (ref("V", ":+", 0, 7, 2),)),
        ("${V+w}", (ref("V", "+", 0, 6, 2),)),
        ("${V:?w}", (ref("V", ":?", 0, 7, 2),)),
        ("${V?w}", (ref("V", "?", 0, 6, 2),)),
        ("${V#p}", (ref("V", "#", 0, 6, 2),)),
        ("${V##p}", (ref("V", "##", 0, 7, 2),)),
        ("${V%p}", (ref("V", "%", 0, 6, 2),)),
        ("${V%%p}", (ref("V", "%%", 0, 7, 2),)),
        ("${V/p/r}", (ref("V", "/", 0, 8, 2),)),
        ("${V//p/r}", (ref("V", "//", 0, 9, 2),)),
        ("${V#\\#}", (ref("V", "#", 0, 7, 2),)),
        (
            "${OUTER:-pre$INNER${DEEP:+x}}",
            (
                ref("OUTER", ":-", 0, 29, 2),
                ref("INNER", "", 12, 18, 13, braced=False),
                ref("DEEP", ":+", 18, 28, 20),
            ),
        ),
        (
            "${V/$P/$R}",
            (ref("V", "/", 0, 10, 2), ref("P", "", 4, 6, 5, braced=False), ref("R", "", 7, 9, 8, braced=False)),
        ),
        ("'$A' \\$B \"$C\"", (ref("C", "", 10, 12, 11, braced=False),)),
        ("$1 $@ ${#}", (ref("1", "", 0, 2, 1, braced=False), ref("@", "", 3, 5, 4, braced=False), ref("#", "", 6, 10, 8))),
        ("$123x", (ref("123", "", 0, 4, 1, braced=False),)),
        ("é$été!", (ref("été", "", 1, 5, 2, braced=False),)),
        ("\ufeff$A", (ref("A", "", 1, 3, 2, braced=False),)),
        ("$ ${+x} $.", ()),
        # BuildKit stops at the first syntax error, and so does the scan.
        ("$A ${B", (ref("A", "", 0, 2, 1, braced=False),)),
        ("$A ${} $C", (ref("A", "", 0, 2, 1, braced=False),)),
        ("${A:-$B ${C", (ref("B", "", 5, 7, 6, braced=False),)),
        ("${A=x} $B", ()),
        ("'$A", ()),
        # Errors that depend on values do not stop the scan.
        ("${A:?} ${B#\\x} $C", (ref("A", ":?", 0, 6, 2), ref("B", "#", 7, 14, 9), ref("C", "", 15, 17, 16, braced=False))),
    ],
)
def test_find_variable_references(word, expected):
    found = find_variable_references(word)
    assert found == expected
    for reference in found:
        assert word[reference.name_start : reference.name_end] == reference.name
        assert word[reference.start] == "$"


def test_find_variable_references_with_backtick_escape_and_modes():
    assert find_variable_references("`$A $B", "`") == (ref("B", "", 4, 6, 5, braced=False),)
    assert find_variable_references("\\$A", "`") == (ref("A", "", 1, 3, 2, braced=False),)
    lex = ShellLex(skip_process_quotes=True)
    assert lex.find_variable_references("'$A'") == (ref("A", "", 1, 3, 2, braced=False),)


def test_reference_kinds():
    special, named = find_variable_references("$? ${NAME}")
    assert special.is_special and not named.is_special
    assert find_variable_references("$1")[0].is_special
    assert not find_variable_references("$_x")[0].is_special


# ---------------------------------------------------------------------------
# Properties

_shell_text = st.lists(
    st.sampled_from(list("${}:-+?#%/\\`'\" <\tab*x0@é.=\n\ufeff") + ["$A", "${A", "${A:-", "${A//", "}", "$B"]),
    max_size=30,
).map("".join)
_env = st.dictionaries(st.sampled_from(["A", "B", "a", "0", "@"]), st.text(alphabet="ab*?/\\ #%}$", max_size=6), max_size=4)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    word=_shell_text,
    env=_env,
    escape=st.sampled_from(["\\", "`"]),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans()),
)
def test_process_word_only_raises_expansion_error(word, env, escape, flags):
    lex = ShellLex(
        escape,
        raw_quotes=flags[0],
        raw_escapes=flags[1],
        skip_process_quotes=flags[2],
        skip_unset_env=flags[3],
        case_insensitive_env=flags[4],
    )
    try:
        processed = lex.process_word(word, env)
    except ExpansionError as error:
        assert error.word == word and error.reason
        with pytest.raises(ExpansionError):
            lex.process_words(word, env)
        return
    assert isinstance(processed.result, str)
    assert lex.process_words(word, env) == list(processed.words)
    assert all(processed.words)
    assert not processed.matched & processed.unmatched


@settings(max_examples=400)
@given(word=_shell_text, escape=st.sampled_from(["\\", "`"]))
def test_reference_offsets_slice_back_to_the_reference(word, escape):
    references = find_variable_references(word, escape)
    assert [r.start for r in references] == sorted(r.start for r in references)
    for reference in references:
        text = word[reference.start : reference.end]
        assert text.startswith("$")
        assert word[reference.name_start : reference.name_end] == reference.name
        if reference.braced:
            assert text.startswith("${" + reference.name + reference.modifier)
            assert text.endswith("}")
        else:
            assert text == "$" + reference.name
        # The reference on its own is found again, at offset 0.
        alone = find_variable_references(text, escape)
        assert alone and alone[0].name == reference.name and alone[0].end == len(text)


@given(st.text(alphabet=st.characters(blacklist_characters="$'\"\\<`\ufeff"), max_size=30))
def test_text_without_special_characters_is_unchanged(word):
    assert expand(word, {}) == word
