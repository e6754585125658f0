from __future__ import annotations

from collections.abc import Mapping, Sequence

from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.rules.buildkit.invalid_default_arg_in_from import parse_normalized_named
from dockerast.semantic.platform import Platform, normalize_arch, parse_platform
from dockerast.cst.text import go_quote

EMPTY_IMAGE = "scratch"


class InvalidBaseImagePlatform(Rule):
    """
    ## What it does
    Flags a ``FROM`` whose base image has no variant for the platform the
    stage builds for, so that another platform's image would be pulled.

    This rule needs to know which platforms each image provides, which a
    Dockerfile does not say: it runs only when ``image_platforms`` is given
    (``CheckConfig(image_platforms={"alpine:3.20": ["linux/amd64",
    "linux/arm64"]})``, image references as the ``FROM`` line gives them after
    ``ARG`` expansion; ``alpine`` and ``docker.io/library/alpine:latest``
    name the same image), and is skipped otherwise.  Images missing from the
    mapping, ``scratch`` and earlier stages are not checked.

    The stage builds for its ``--platform``, else for the target platform
    (``linux/amd64`` unless the analysis says otherwise).  The image is
    resolved as containerd does: a variant with the same OS and architecture
    is used if there is one, else a compatible one (``386`` for ``amd64``,
    32-bit ``arm`` for ``arm64``); an image with a single platform is used
    whatever it is.  A finding is made when the OS or architecture of the
    image used differs from the expected one.  (An image with several
    platforms none of which fits makes BuildKit fail the build; this rule
    does not report that.)

    ## Why is this bad
    The build pulls an image for another platform: its programs then run
    under emulation, or not at all, and the result is not what the target
    platform needs.

    ## Example
    With ``image_platforms={"example/tool:1": ["linux/arm64"]}``,
    ``FROM example/tool:1`` built for ``linux/amd64`` is flagged: use an
    image that provides ``linux/amd64``, or build that stage with
    ``--platform=$BUILDPLATFORM`` if it only runs tools.

    ## Fix safety
    No automatic fix: the remedy is another image or another platform.
    """

    code = "BK014"
    name = "InvalidBaseImagePlatform"
    summary = "Base image platform does not match expected target platform"
    url = rule_url("InvalidBaseImagePlatform")
    buildkit = True
    needs = ("image_platforms",)
    # The platform metadata the examples are meant to be checked with.
    example_image_platforms = {"example/tool:1": ["linux/arm64"], "alpine:3.20": ["linux/amd64", "linux/arm64"]}
    bad_example = "FROM example/tool:1\n"
    good_example = "FROM --platform=linux/arm64 example/tool:1 AS arm64-tools\nFROM alpine:3.20\n"

    def check(self, ctx: CheckContext):
        available = _by_reference(ctx.image_platforms or {})
        if not available:
            return
        for stage in ctx.model.stages:
            name = stage.expanded_base_name
            if stage.base_stage is not None or not name or name == EMPTY_IMAGE:
                continue
            key = _canonical(name)
            if key is None or key not in available:
                continue
            expected = stage.effective_platform
            actual = _resolved(expected, available[key])
            if actual is None or (actual.os, actual.architecture) == (expected.os, expected.architecture):
                continue
            ins = ctx.tree.instructions[stage.from_index]
            yield ctx.finding(
                stage.from_index,
                stage.base_name_span or ins.content_span,
                f"Base image {name} was pulled with platform {go_quote(_format(actual))}, "
                f"expected {go_quote(_format(expected))} for current build",
            )


def _canonical(reference: str) -> str | None:
    try:
        return parse_normalized_named(reference).canonical()
    except ValueError:
        return None


def _by_reference(image_platforms: Mapping[str, Sequence[str]]) -> dict[str, list[Platform]]:
    found: dict[str, list[Platform]] = {}
    for reference, specifiers in image_platforms.items():
        key = _canonical(reference)
        if key is None:
            continue
        platforms = []
        for specifier in specifiers:
            try:
                platforms.append(parse_platform(specifier))
            except ValueError:
                continue
        if platforms:
            found[key] = platforms
    return found


def _resolved(expected: Platform, platforms: list[Platform]) -> Platform | None:
    """The platform of the image BuildKit would get (containerd's ``platforms.Only``), or None if none."""
    for platform in platforms:
        if (platform.os, platform.architecture) == (expected.os, expected.architecture):
            return platform
    compatible = {"amd64": "386", "arm64": "arm"}.get(expected.architecture)
    for platform in platforms:
        if platform.os == expected.os and platform.architecture == compatible:
            if compatible == "arm" and normalize_arch("arm", platform.variant)[1] not in ("v5", "v6", "v7", "v8"):
                continue
            return platform
    return platforms[0] if len(platforms) == 1 else None


def _format(platform: Platform) -> str:
    """containerd's ``FormatAll(Normalize(p))``."""
    architecture, variant = normalize_arch(platform.architecture, platform.variant)
    return Platform(platform.os, architecture, variant, platform.os_version, platform.os_features).format_all()
