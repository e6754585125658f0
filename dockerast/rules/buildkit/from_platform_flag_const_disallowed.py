from __future__ import annotations

from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.rules.buildkit.redundant_target_platform import platform_flags
from dockerast.semantic.platform import parse_platform
from dockerast.cst.text import go_quote


class FromPlatformFlagConstDisallowed(Rule):
    """
    ## What it does
    Flags ``FROM --platform=`` with a constant value such as ``linux/amd64``,
    unless the stage's name contains the platform's OS or architecture
    (``AS build_amd64``), which marks the stage as deliberately
    platform-specific.  A value that uses any variable is not constant; a
    value that is not a valid platform is left to the build to report.

    ## Why is this bad
    A constant platform pins the stage to one platform whatever the build
    asks for, so the Dockerfile cannot build a multi-platform image and
    builds for other platforms silently get this one.

    ## Example
    ``FROM --platform=linux/amd64 alpine AS base``: drop the flag and pass
    ``--platform`` to the build, use a variable
    (``--platform=$BUILDPLATFORM``), or, for a stage that really is for one
    platform, say so in its name (``AS base_amd64``).

    ## Fix safety
    No automatic fix: each remedy changes what the build produces.
    """

    code = "BK018"
    scope = "stage"
    name = "FromPlatformFlagConstDisallowed"
    summary = "FROM --platform flag should not use a constant value"
    url = rule_url("FromPlatformFlagConstDisallowed")
    buildkit = True
    bad_example = (
        "FROM --platform=linux/amd64 alpine AS base\nRUN apk add --no-cache git\n"
        "FROM alpine\nCOPY --from=base /usr/bin/git /usr/bin/git\n"
    )
    good_example = (
        "FROM --platform=linux/arm64 alpine AS build_arm64\n"
        "FROM --platform=$BUILDPLATFORM alpine AS base\n"
        "FROM alpine\nCOPY --from=base /etc/os-release /\n"
    )

    def check(self, ctx: CheckContext):
        for found in platform_flags(ctx):
            expanded = found.expanded
            if expanded.matched or expanded.unmatched:
                continue  # some variable was looked up: not a constant
            try:
                platform = parse_platform(expanded.result)
            except ValueError:
                continue
            name = found.stage.name or ""
            if platform.os in name or platform.architecture in name:
                continue
            yield ctx.finding(
                found.stage.from_index,
                found.flag.span,
                f"FROM --platform flag should not use constant value {go_quote(expanded.result)}",
            )
