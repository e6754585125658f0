"""Loads grammar/dockerfile.lark into a Lark LALR parser, once per escape character.

The only module that imports Lark.  A Lark parser object holds no state
between calls, so one per escape character is shared by every thread.

When ``lark-cython`` is installed (the ``fast`` extra) its lexer and parser
run the same grammar about twice as fast; ``DOCKERAST_LARK=python`` forces
the pure-Python backend.  Tokens are read through ``.value`` and
``.start_pos``, which both backends provide.  Tokens keep the whitespace
before them: the reader strips it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Tree
from lark.exceptions import LarkError
from lark.grammar import Rule
from lark.lexer import LexerThread


__all__ = ["BACKEND", "GrammarError", "Tree", "parse_logical_line", "parse_logical_lines"]

GrammarError = LarkError


def _plugins() -> tuple[str, dict]:
    if os.environ.get("DOCKERAST_LARK", "").lower() != "python":
        try:
            import lark_cython  # noqa: PLC0415
        except ImportError:
            pass
        else:
            return "lark-cython", {"_plugins": lark_cython.plugins}
    return "python", {}


BACKEND, _BACKEND_OPTIONS = _plugins()


def _grammar_text() -> str:
    try:
        return resources.files("dockerast.grammar").joinpath("dockerfile.lark").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A source checkout: the grammar lives at the top of the repository.
        return (Path(__file__).resolve().parents[2] / "grammar" / "dockerfile.lark").read_text(encoding="utf-8")


class _Builder:
    """What the parser builds at a reduction, for the rules that build no Tree.

    Lark calls the method named after a rule (its callbacks are looked up by
    name) instead of making a Tree; every other rule makes one.
    """

    @staticmethod
    def instructions(children: list) -> list[Tree]:
        """``instructions``: the instruction trees, one list extended line by line."""
        if len(children) == 1:
            return children  # a fresh list, which Lark hands over
        lines = children[0]
        lines.append(children[2])  # (children[1] is the newline)
        return lines


class _Rule(Rule):
    """A rule of the grammar that equals only itself.

    At every reduction the parser looks the rule's callback up in a dict, and
    lark-cython's loop also compares the rule with a state number (an
    assertion): Lark's Rule hashes and compares by value, in Python, which
    costs about a tenth of a parse here.  Within one parser each rule is one
    object, so comparing identities gives the same answers.
    """

    __slots__ = ()
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__


def _compare_rules_by_identity(lark: Lark) -> None:
    """Make the rules of ``lark``'s parser :class:`_Rule`, if its parse table
    reduces by the very objects its callbacks are keyed by (else leave them)."""
    callbacks = lark.parser.parser_conf.callbacks
    table = getattr(lark.parser.parser, "_parse_table", None)
    keys = {id(rule) for rule in callbacks if type(rule) is Rule}
    if table is None or len(keys) != len(callbacks):
        return
    for actions in table.states.values():
        for _, arg in actions.values():
            if isinstance(arg, Rule) and id(arg) not in keys:
                return
    entries = list(callbacks.items())
    callbacks.clear()  # its keys hash differently from now on
    for rule, _ in entries:
        rule.__class__ = _Rule
    callbacks.update(entries)


def _new_parser(escape: str) -> Lark:
    regex_escape = "\\\\" if escape == "\\" else escape
    return Lark(
        _grammar_text().replace("ESCAPE", regex_escape),
        parser="lalr",
        lexer="contextual",
        start=["instruction", "instructions"],
        maybe_placeholders=False,
        transformer=_Builder(),
        # Lark keeps the analysed grammar in a cache file (keyed by the grammar
        # text), which cuts a command's start-up from ~90 ms to ~4 ms.
        cache=True,
        **_BACKEND_OPTIONS,
    )


@lru_cache(maxsize=2)
def _parser(escape: str) -> Lark:
    lark = _new_parser(escape)
    _compare_rules_by_identity(lark)
    return lark


@cache  # two escape characters times two start symbols
def _start(escape: str, start: str) -> Callable[[str], Tree]:
    """``_parser(escape).parse(text, start=start)`` without its per-call checks.

    The grammar runs once per instruction, so the few microseconds Lark spends
    choosing the start symbol and wrapping the text add up; this calls its
    LALR parser with a lexer thread directly, as ``Lark.parse`` would.
    """
    lark = _parser(escape)
    frontend = lark.parser
    thread = lark.options._plugins.get("LexerThread") or LexerThread
    lexer = frontend.lexer
    parse = frontend.parser.parse
    from_text = thread.from_text

    def run(text: str) -> Tree:
        return parse(from_text(lexer, text), start)

    return run


def parse_logical_line(line: str, escape: str) -> Tree:
    """Parse one logical instruction line (no surrounding whitespace)."""
    return _start(escape, "instruction")(line)


def parse_logical_lines(lines: list[str], escape: str) -> list[Tree]:
    """Parse several logical lines (none empty, none holding a newline) in one pass."""
    return _start(escape, "instructions")("\n".join(lines))
