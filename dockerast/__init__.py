"""dockerast: a lossless Dockerfile syntax tree with BuildKit's semantics.

``parse(text)`` gives a :class:`Dockerfile` whose ``str()`` is ``text`` byte
for byte; its instructions are typed nodes with value/span accessors.
"""

from dockerast.cst.nodes import (
    Directive,
    Dockerfile,
    ExecArgument,
    Flag,
    Heredoc,
    Instruction,
    KeyValue,
    Problem,
    Span,
    SyntaxIssue,
    Word,
)
from dockerast.cst.nodes import *  # noqa: F401,F403  (the typed instruction classes)
from dockerast.cst.parser import parse, parse_bytes

__all__ = [
    "Directive",
    "Dockerfile",
    "ExecArgument",
    "Flag",
    "Heredoc",
    "Instruction",
    "KeyValue",
    "Problem",
    "Span",
    "SyntaxIssue",
    "Word",
    "parse",
    "parse_bytes",
]
