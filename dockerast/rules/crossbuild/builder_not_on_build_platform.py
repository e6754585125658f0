from __future__ import annotations

from dockerast.cst.nodes import CopyInstruction
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, Severity
from dockerast.rules.crossbuild._common import (
    StageKind,
    compile_step,
    cross_compiles,
    detects_own_arch,
    facts,
    go_build_with_cgo_possible,
    line_of,
    native_compile_steps,
    stage_label,
    uses_target_implicitly,
)


class BuilderNotOnBuildPlatform(Rule):
    """
    ## What it does
    Flags a builder stage that cross-compiles for the target platform (Go with
    ``GOOS``/``GOARCH`` from ``TARGETOS``/``TARGETARCH``, ``cargo --target``,
    tonistiigi/xx's ``xx-*`` helpers, any use of a ``TARGET*`` variable), hands
    its output to another stage through ``COPY --from`` or ``RUN --mount``,
    and still runs on the target platform because its ``FROM`` has no
    ``--platform``.

    ## Why is this bad
    In a multi-platform build every stage without ``--platform`` runs once per
    target platform, under QEMU emulation for each platform that is not the
    build machine's: compilers run five to twenty times slower.  A stage that
    already builds for ``TARGETOS``/``TARGETARCH`` gets the same binary when
    it runs natively on ``$BUILDPLATFORM``.  This is the change of
    volcano-sh/agentcube#420 ("build multi-arch images with native Go builder").

    Not flagged, because pinning them would change their output or do
    nothing:

    * a stage that also builds for the machine it runs on: a compiler with no
      target (``GOOS=linux go build`` sets no architecture), a script that
      asks (``dpkg --print-architecture``, ``uname -m``);
    * a stage whose whole filesystem is copied (``COPY --from=stage / /``):
      its base image is part of the output;
    * a stage built FROM another stage, which takes that stage's platform
      whatever its own ``--platform`` says (convert.go,
      ``dispatchState.init``), and a stage other stages are built FROM,
      which would move them too.

    ## Example
    ```dockerfile
    FROM golang:1.22-alpine AS builder
    ARG TARGETOS TARGETARCH
    RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
    FROM alpine:3.19
    COPY --from=builder /out/app /usr/local/bin/app
    ```
    becomes ``FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder``.

    ## Fix safety
    ``pin_build_platform(tree, stages=[stage])``, which checks that nothing
    but that stage's platform changes.  Safe when the stage really
    cross-compiles: every compile step names its target (``GOARCH`` for
    ``go build``, ``--target`` for cargo, or an ``xx-*`` helper) and a plain
    ``go build`` has ``CGO_ENABLED=0``.  Unsafe otherwise, the description
    saying why:

    * ``go build`` without ``CGO_ENABLED=0``: Go enables cgo for a native
      build when a C compiler is present and disables it when it
      cross-compiles, so the binary changes from cgo to pure Go (or, with
      ``CGO_ENABLED=1``, fails for want of a cross C compiler);
    * some compile steps name no target (a warm-up ``go install``): their
      output changes architecture;
    * the stage compiles nothing and only uses a ``TARGET*`` variable,
      typically to download a binary for the target: fine on
      ``$BUILDPLATFORM`` unless a script also runs that binary or reads the
      machine's architecture, which the Dockerfile does not show.
    """

    code = "DA101"
    name = "BuilderNotOnBuildPlatform"
    summary = "A cross-compiling builder stage runs under emulation instead of on $BUILDPLATFORM"
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    bad_example = (
        "FROM golang:1.22-alpine AS builder\n"
        "WORKDIR /src\n"
        "COPY . .\n"
        "ARG TARGETOS TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app\n"
        "\n"
        "FROM alpine:3.19\n"
        "COPY --from=builder /out/app /usr/local/bin/app\n"
    )
    good_example = (
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder\n"
        "WORKDIR /src\n"
        "COPY . .\n"
        "ARG TARGETOS TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app\n"
        "\n"
        "FROM alpine:3.19\n"
        "COPY --from=builder /out/app /usr/local/bin/app\n"
    )
    fixed_example = good_example

    def check(self, ctx: CheckContext):
        from dockerast.refactor.pin_build_platform import builder_stages, cross_compile_step  # noqa: PLC0415

        model = ctx.model
        kinds = facts(ctx)
        copied_whole = _copied_whole(ctx)
        for index in builder_stages(ctx.tree, model, lambda s: cross_compiles(ctx, s)):
            stage = model.stages[index]
            # builder_stages also offers stages built FROM another stage, where
            # --platform has no effect; and the stage must really run on the target.
            if stage.base_stage is not None or kinds.kind(index) is not StageKind.TARGET:
                continue
            if index in copied_whole:
                continue  # the base image is output: not a builder
            caveat = ctx.stage_fact("pinning-caveat", index, lambda index=index: _pinning_caveat(ctx, index))
            if caveat is _NOT_A_BUILDER:
                continue
            step = cross_compile_step(ctx.tree, model, index)
            assert step is not None
            ins = ctx.tree.instructions[stage.from_index]
            yield ctx.finding(
                stage.from_index,
                ins.image_span,
                f"stage {stage_label(stage)} builds for the target platform (line {line_of(ctx, step[0])} {step[1]}) "
                "but also runs on it, under emulation in a cross build; run it on $BUILDPLATFORM",
                fix=lambda index=index, caveat=caveat: _pin_fix(ctx, index, caveat),
            )


def _pin_fix(ctx: CheckContext, index: int, caveat: str | None) -> Fix | None:
    from dockerast.refactor import RefactorError, pin_build_platform  # noqa: PLC0415

    try:
        result = pin_build_platform(ctx.tree, stages=[index])
    except RefactorError:
        return None
    if not result.edits:
        return None
    description = f"run stage {stage_label(ctx.model.stages[index])} on $BUILDPLATFORM"
    if caveat is not None:
        description += f" (unsafe: {caveat})"
    return Fix(description, result.edits, FixSafety.UNSAFE if caveat else FixSafety.SAFE)


_NOT_A_BUILDER = "not a builder"


def _copied_whole(ctx: CheckContext) -> set[int]:
    """The stages whose whole filesystem another copies (``COPY --from=stage / /``)."""
    tree = ctx.tree
    found = set()
    for ref in ctx.model.stage_references:
        if ref.kind != "copy-from" or ref.stage is None:
            continue
        ins = tree.instructions[ref.instruction_index]
        if isinstance(ins, CopyInstruction) and any(p.rstrip("/.") == "" for p in ins.paths[:-1]):
            found.add(ref.stage)
    return found


def _pinning_caveat(ctx: CheckContext, index: int) -> str | None:
    """Why pinning the stage might change its output (None: it would not), or
    ``_NOT_A_BUILDER`` when the stage's output clearly follows its platform.

    Not a builder: a script asks which machine it is on (``dpkg
    --print-architecture``), or every compile step names no target
    (``GOOS=linux go build`` sets no architecture).  (A stage whose whole
    filesystem another copies is not one either: see :func:`_copied_whole`.)
    """
    stage = ctx.model.stages[index]
    # Indices relative to the FROM: the answer is kept across versions (a stage fact).
    body = list(enumerate(stage.instructions))[1:]
    if any(detects_own_arch(ins) for _, ins in body):
        return _NOT_A_BUILDER
    native = native_compile_steps(body)
    compiles = [i for i, ins in body if compile_step(ins) is not None]
    helpers = [i for i, ins in body if uses_target_implicitly(ins)]
    if native and len(native) == len(compiles) and not helpers:
        return _NOT_A_BUILDER
    if native:
        return "some of its compile steps name no target, and their output would change architecture"
    if not compiles and not helpers:
        return (
            "it compiles nothing; it uses a TARGET* variable, probably to fetch a file for the target, "
            "but its scripts may also run that file or read the machine's architecture"
        )
    if go_build_with_cgo_possible([ins for _, ins in body]):
        return "CGO_ENABLED=0 is not set, so the Go binary may change from cgo to pure Go, or fail to link"
    return None
