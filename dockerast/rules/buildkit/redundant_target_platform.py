from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockerast.cst.nodes import Flag, FromInstruction, Span
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url
from dockerast.semantic.model import Stage
from dockerast.semantic.shell import ExpansionError, ProcessedWord, ShellLex

TARGET_PLATFORM = "TARGETPLATFORM"


@dataclass(frozen=True, slots=True)
class PlatformFlag:
    """A stage's non-empty ``FROM --platform`` and its expansion with the global scope."""

    stage: Stage
    flag: Flag
    value: str
    expanded: ProcessedWord


def platform_flags(ctx: CheckContext) -> Iterator[PlatformFlag]:
    """Each ``FROM --platform=...`` BuildKit lints (``buildDispatchStates``): non-empty, expandable."""
    lex = ShellLex(ctx.tree.escape)
    values = ctx.model.global_scope.values
    known: dict[str, ProcessedWord | None] = {}  # most stages write one of a few values
    for stage in ctx.stages():
        ins = ctx.tree.instructions[stage.from_index]
        flag = ins.flag("platform")
        if flag is None or not flag.value:
            continue
        if flag.value not in known:
            try:
                known[flag.value] = lex.process_word(flag.value, values)
            except ExpansionError:
                known[flag.value] = None
        expanded = known[flag.value]
        if expanded is not None:
            yield PlatformFlag(stage, flag, flag.value, expanded)


class RedundantTargetPlatform(Rule):
    """
    ## What it does
    Flags ``FROM --platform=$TARGETPLATFORM`` (or ``${TARGETPLATFORM}``): a
    platform that is exactly the value of ``TARGETPLATFORM`` and uses no other
    variable.

    ## Why is this bad
    Every stage builds for the target platform unless told otherwise, so the
    flag says nothing and suggests to readers that it does.

    ## Example
    ``FROM --platform=$TARGETPLATFORM alpine AS builder`` becomes
    ``FROM alpine AS builder``.

    ## Fix safety
    Safe: the fix removes the flag (and the blanks after it), which leaves the
    stage's platform unchanged.  No fix is offered when a meta ``ARG`` gives
    ``TARGETPLATFORM`` a default, since the flag then means that value.  (A
    ``--build-arg TARGETPLATFORM=...`` would also change the flag's meaning;
    the Dockerfile cannot tell whether one is used.)
    """

    code = "BK015"
    scope = "stage"
    name = "RedundantTargetPlatform"
    summary = "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"
    url = rule_url("RedundantTargetPlatform")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM --platform=$TARGETPLATFORM alpine AS builder\nRUN apk add --no-cache git\n"
    good_example = "FROM alpine AS builder\nRUN apk add --no-cache git\n"
    fixed_example = "FROM alpine AS builder\nRUN apk add --no-cache git\n"

    def check(self, ctx: CheckContext):
        values = ctx.model.global_scope.values
        redefined = any(m.name == TARGET_PLATFORM and m.default is not None for m in ctx.model.meta_args)
        for found in platform_flags(ctx):
            expanded = found.expanded
            if expanded.matched != {TARGET_PLATFORM} or expanded.unmatched:
                continue
            if expanded.result != values.get(TARGET_PLATFORM):
                continue
            index = found.stage.from_index
            fix = None if redefined else _remove_flag(ctx, index, found.flag)
            yield ctx.finding(
                index,
                found.flag.span,
                f"Setting platform to predefined {found.value} in FROM is redundant as this is the default behavior",
                fix=fix,
            )


def _remove_flag(ctx: CheckContext, index: int, flag: Flag) -> Fix | None:
    ins = ctx.tree.instructions[index]
    assert isinstance(ins, FromInstruction)
    if sum(1 for f in ins.flags if f.name == "platform") != 1:
        return None
    text = ins.text
    end = flag.span.end
    while end < len(text) and text[end] in " \t":
        end += 1
    return Fix("remove the --platform flag", (ctx.edit(index, Span(flag.span.start, end), ""),), FixSafety.SAFE)
