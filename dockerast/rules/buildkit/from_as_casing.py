from __future__ import annotations

from dockerast.cst.nodes import FromInstruction
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url


class FromAsCasing(Rule):
    """
    ## What it does
    Flags a ``FROM image AS name`` line whose ``AS`` keyword is not written
    in the same case as its ``FROM`` keyword: ``FROM alpine as build`` or
    ``from alpine AS build``.

    A ``FROM`` keyword that is itself in mixed case (``From``) is left to
    ``ConsistentInstructionCasing``; this rule then says nothing, as BuildKit
    does.

    ## Why is this bad
    Keywords are case-insensitive, so the build is the same either way, but a
    file that mixes styles on one line is harder to read and to search.

    ## Example
    ``FROM alpine as build`` becomes ``FROM alpine AS build``;
    ``from alpine AS build`` becomes ``from alpine as build``.

    ## Fix safety
    Safe: only the case of the ``AS`` keyword changes, which BuildKit ignores.
    """

    code = "BK002"
    scope = "stage"
    name = "FromAsCasing"
    summary = "The 'as' keyword should match the case of the 'from' keyword"
    url = rule_url("FromAsCasing")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine as build\nRUN echo hello > /greeting\n"
    good_example = "FROM alpine AS build\nRUN echo hello > /greeting\n"
    fixed_example = "FROM alpine AS build\nRUN echo hello > /greeting\n"

    def check(self, ctx: CheckContext):
        for index, ins in ctx.instructions(FromInstruction):
            words = ins.syntax.words
            # BuildKit looks at the second argument of any FROM with three or
            # more, whatever that word is (instructions/parse.go).
            if len(words) < 3:
                continue
            keyword = ins.keyword
            if keyword == keyword.lower():
                wanted = words[1].text.lower()
            elif keyword == keyword.upper():
                wanted = words[1].text.upper()
            else:
                continue
            written = words[1].text
            if written == wanted:
                continue
            span = words[1].span
            fix = Fix(f"write '{wanted}' to match '{keyword}'", (ctx.edit(index, span, wanted),), FixSafety.SAFE)
            yield ctx.finding(index, span, f"'{written}' and '{keyword}' keywords' casing do not match", fix=fix)
