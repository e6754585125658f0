from __future__ import annotations

from dockerast.cst.nodes import FromInstruction, Span
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, Severity
from dockerast.rules.crossbuild._common import StageKind, facts, stage_label


class FinalStagePinned(Rule):
    """
    ## What it does
    Flags a final stage (the last one, what a build without ``--target``
    produces) that does not run on the target platform: its ``FROM`` says
    ``--platform=$BUILDPLATFORM`` or a constant such as
    ``--platform=linux/amd64``, or it is built FROM a stage that does.

    ## Why is this bad
    The final stage's platform is the image's.  On ``$BUILDPLATFORM`` the
    image gets the build machine's architecture: built on an amd64 runner for
    ``linux/arm64``, it holds amd64 files under an arm64 manifest entry and
    fails with ``exec format error``.  Pinned to a constant, every platform
    of a multi-platform build gets the same image.  ``$BUILDPLATFORM``
    belongs on builder stages whose output is copied into a final stage that
    runs on the target.

    ## Example
    ```dockerfile
    FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:8.0 AS builder
    RUN dotnet publish -c Release -o /build
    FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/aspnet:8.0
    COPY --from=builder /build /app
    ```
    The final ``FROM`` loses its ``--platform`` flag.

    Severity: a warning, not an error.  Pinning the final stage is sometimes
    deliberate (a development-environment target such as docker/
    awesome-compose's ``dev-envs``, an image of amd64-only software), and a
    single-platform build on a machine of the target's platform is not
    affected.  BuildKit's own ``FromPlatformFlagConstDisallowed`` is a
    warning too.  Projects that publish multi-platform images can raise it:
    ``severities = {"FinalStagePinned": "error"}``.

    ## Fix safety
    Unsafe, and only when the final ``FROM`` carries the flag itself: the
    flag is removed, so the stage runs on the target platform (under
    emulation for its ``RUN`` steps) and the image changes architecture,
    which is the point; a base image that has no variant for some target
    platform then fails to build.  A final stage that inherits its platform
    from another stage gets no fix: that stage is probably right for its
    other users.
    """

    code = "DA105"
    name = "FinalStagePinned"
    summary = "The final stage is pinned to $BUILDPLATFORM or a constant platform"
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    bad_example = (
        "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:8.0 AS builder\n"
        "WORKDIR /source\n"
        "COPY . .\n"
        "RUN dotnet publish -c release -o /build\n"
        "\n"
        "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/aspnet:8.0\n"
        "COPY --from=builder /build /app\n"
        'ENTRYPOINT ["dotnet", "/app/aspnetapp.dll"]\n'
    )
    good_example = bad_example.replace(
        "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/aspnet", "FROM mcr.microsoft.com/dotnet/aspnet"
    )
    fixed_example = good_example

    def check(self, ctx: CheckContext):
        model = ctx.model
        if not model.stages:
            return
        known = facts(ctx)
        stage = model.stages[-1]
        kind = known.kind(stage.index)
        if kind not in (StageKind.BUILD, StageKind.CONSTANT):
            return
        ins = ctx.tree.instructions[stage.from_index]
        assert isinstance(ins, FromInstruction)
        flag = ins.flag("platform")
        pinned = "$BUILDPLATFORM" if kind is StageKind.BUILD else str(known.platform(stage.index))
        if stage.base_stage is not None:
            base = model.stages[stage.base_stage]
            head = f"the final stage is built FROM stage {stage_label(base)}, which runs on {pinned}"
        else:
            head = f"the final stage runs on {pinned}"
        if kind is StageKind.BUILD:
            tail = "the image gets the build machine's platform instead of the target's"
        else:
            tail = f"a build for any other platform still produces a {pinned} image"
        span = flag.span if flag is not None and stage.base_stage is None else ins.image_span
        fix = _remove_flag(ctx, stage.from_index, ins) if stage.base_stage is None else None
        yield ctx.finding(stage.from_index, span, f"{head}: {tail}", fix=fix)


def _remove_flag(ctx: CheckContext, index: int, ins: FromInstruction) -> Fix | None:
    """Delete ``--platform=...`` and the blanks (or continuation) up to the next word."""
    flags = [f for f in ins.flags if f.name == "platform"]
    if len(flags) != 1 or ins.image_span is None:
        return None
    flag = flags[0]
    following = [f.span.start for f in ins.flags if f.span.start > flag.span.start] + [ins.image_span.start]
    end = min(following)
    gap = ins.text[flag.span.end : end]
    if gap.replace(ins.escape + "\n", "").strip(" \t"):
        return None
    return Fix(
        f"remove {flag.text} from the final stage",
        (ctx.edit(index, Span(flag.span.start, end), ""),),
        FixSafety.UNSAFE,
    )
