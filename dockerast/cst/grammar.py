"""Loads grammar/dockerfile.lark into a Lark LALR parser, once per escape character.

The only module that imports Lark.  A Lark parser object holds no state
between calls, so one per escape character is shared by every thread.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

__all__ = ["GrammarError", "Token", "Tree", "parse_json_array", "parse_logical_line"]

GrammarError = LarkError


def _grammar_text() -> str:
    try:
        return resources.files("dockerast.grammar").joinpath("dockerfile.lark").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A source checkout: the grammar lives at the top of the repository.
        return (Path(__file__).resolve().parents[2] / "grammar" / "dockerfile.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=2)
def _parser(escape: str) -> Lark:
    regex_escape = "\\\\" if escape == "\\" else escape
    return Lark(
        _grammar_text().replace("ESCAPE", regex_escape),
        parser="lalr",
        lexer="contextual",
        start=["instruction", "json_array"],
        maybe_placeholders=False,
    )


def parse_logical_line(line: str, escape: str) -> Tree:
    """Parse one logical instruction line (no surrounding whitespace)."""
    return _parser(escape).parse(line, start="instruction")


def parse_json_array(text: str) -> Tree:
    """Parse the arguments of an exec-form instruction as a JSON array of strings."""
    return _parser("\\").parse(text, start="json_array")
