"""Which variables an instruction reads, as written (before any expansion).

Counts BuildKit's own expansions (FROM, COPY, ENV, ...) and the shell's (RUN
commands and heredoc bodies), since both read ARG and ENV values.  A program
that reads an environment variable without naming it (a Makefile reading
``$GOARCH``) is invisible here; refactors that move ARGs say so.
"""

from __future__ import annotations

from dockerast.cst.nodes import Instruction, OnbuildInstruction, RunInstruction
from dockerast.semantic.shell import find_variable_references

PLATFORM_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    }
)
TARGET_ARGS = frozenset({"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"})


def referenced_names(ins: Instruction) -> frozenset[str]:
    """Names of the variables ``ins`` references in its line and heredoc bodies."""
    if isinstance(ins, OnbuildInstruction):
        # ONBUILD triggers run in a later build, with that build's variables.
        return frozenset()
    names = {ref.name for ref in find_variable_references(ins.logical, ins.escape)}
    for heredoc in getattr(ins, "heredocs", ()):
        # A quoted delimiter stops BuildKit from expanding a body, but a RUN
        # body is a script and its shell still reads the variables.
        if heredoc.expand or isinstance(ins, RunInstruction):
            names.update(ref.name for ref in find_variable_references(heredoc.content, ins.escape))
    return frozenset(names)
