from __future__ import annotations

from dockerast.cst.nodes import ArgInstruction, Span
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, Severity
from dockerast.rules.crossbuild._common import PLATFORM_ARGS, facts
from dockerast.semantic.shell import ExpansionError


class PlatformArgDefaultShadows(Rule):
    """
    ## What it does
    Flags a default value on one of the platform ARGs BuildKit sets by itself
    (``TARGETPLATFORM``, ``TARGETOS``, ``TARGETARCH``, ``TARGETVARIANT``,
    ``TARGETOSVERSION`` and their ``BUILD*`` twins): ``ARG TARGETARCH=amd64``,
    ``ARG TARGETOS=linux``, before the first FROM or inside a stage.

    ## Why is this bad
    BuildKit puts the platform ARGs in the global scope only.  An ``ARG`` in
    a stage takes the global value only when it has no default: with one,
    the default is expanded and used (convert.go, ``dispatchArg``), and
    before the first FROM a default replaces the automatic value in the
    global scope itself (``buildMetaArgs``).  Only ``--build-arg`` wins over
    it.  So ``ARG TARGETARCH=amd64`` makes a multi-platform build compile
    amd64 binaries for every platform, silently; GoogleCloudPlatform's
    microservices-demo ships its Go services that way.  ``ARG TARGETOS=linux``
    is harmless only as long as nobody builds for another OS.

    Severity: warning; with ``TARGETARCH`` the multi-platform image is
    wrong, but a default that matches every platform actually built (the
    frequent ``ARG TARGETOS=linux``) changes nothing today.

    A default that keeps the automatic value, such as
    ``ARG TARGETARCH=${TARGETARCH}`` before the first FROM, is not flagged:
    the rule compares the value each ARG resolves to with BuildKit's for
    several target and build platforms.

    ## Example
    ``ARG TARGETARCH=amd64`` becomes ``ARG TARGETARCH``.

    ## Fix safety
    Unsafe: removing the default is the point, and it changes what every
    build for another platform than the default produces (the binaries
    become the right ones, but they are new binaries, perhaps for a platform
    the project never built, tested or has base images for).  Builds for the
    default's platform, and builds that pass ``--build-arg``, do not change.
    """

    code = "DA104"
    scope = "stage"
    name = "PlatformArgDefaultShadows"
    summary = "A default on an automatic platform ARG replaces the value BuildKit sets for the target"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    bad_example = (
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder\n"
        "ARG TARGETOS\n"
        "ARG TARGETARCH=amd64\n"
        "WORKDIR /src\n"
        "COPY . .\n"
        "RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} CGO_ENABLED=0 go build -o /checkoutservice .\n"
        "\n"
        "FROM gcr.io/distroless/static\n"
        "COPY --from=builder /checkoutservice /src/checkoutservice\n"
    )
    good_example = (
        "ARG TARGETARCH=${TARGETARCH}\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder\n"
        "ARG TARGETOS\n"
        "ARG TARGETARCH\n"
        "WORKDIR /src\n"
        "COPY . .\n"
        "RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} CGO_ENABLED=0 go build -o /checkoutservice .\n"
        "\n"
        "FROM gcr.io/distroless/static\n"
        "COPY --from=builder /checkoutservice /src/checkoutservice\n"
    )
    fixed_example = bad_example.replace("ARG TARGETARCH=amd64", "ARG TARGETARCH")

    def check(self, ctx: CheckContext):
        probes = facts(ctx).probes
        for index, ins in ctx.instructions(ArgInstruction):
            pairs = ins.pairs
            flagged = [p.key for p in pairs if p.key in PLATFORM_ARGS and p.value is not None]
            if not flagged:
                continue
            resolved = [_resolved(probe.model, index, pairs) for probe in probes]
            for position, pair in enumerate(pairs):
                if pair.key not in flagged:
                    continue
                values = [r[position] if r is not None else None for r in resolved]
                if all(v == probe.model.platform_args[pair.key] for v, probe in zip(values, probes)):
                    continue
                assert pair.value_span is not None
                span = Span(pair.key_span.start, pair.value_span.end)
                shown = values[0] if values[0] is not None else pair.value
                yield ctx.finding(
                    index,
                    span,
                    f"the default of ARG {pair.key} replaces the value BuildKit sets per platform: "
                    f"every platform of a multi-platform build gets {pair.key}={shown}",
                    fix=Fix(
                        f"remove the default of ARG {pair.key}",
                        (ctx.edit(index, Span(pair.key_span.end, pair.value_span.end), ""),),
                        FixSafety.UNSAFE,
                    ),
                )


def _resolved(model, index: int, pairs) -> list[str | None] | None:
    """The value each pair of ARG ``index`` resolves to in ``model`` (None: none, or an error)."""
    if model.stage_of(index) is None:
        # Before the first FROM: buildMetaArgs, as the model's meta ARGs record it.
        by_name = {}
        for meta in model.meta_args:
            if meta.instruction_index == index:
                by_name.setdefault(meta.name, []).append(meta.value)
        return [by_name[p.key].pop(0) if by_name.get(p.key) else None for p in pairs]
    try:
        words = model.effective_words(index)
    except ExpansionError:
        return None
    if len(words) != len(pairs):
        return None
    return [w.partition("=")[2] if "=" in w else None for w in words]
