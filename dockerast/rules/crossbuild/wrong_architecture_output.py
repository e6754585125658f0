from __future__ import annotations

from dockerast.cst.nodes import RunInstruction
from dockerast.rules.base import CheckContext, Rule, Severity
from dockerast.rules.crossbuild._common import (
    StageKind,
    compile_step,
    cross_compiles,
    facts,
    line_of,
    more_cross_signs,
    stage_label,
)


class WrongArchitectureOutput(Rule):
    """
    ## What it does
    Flags a stage that runs on ``$BUILDPLATFORM`` and compiles natively
    (``go build`` / ``go install``, ``cargo build``, ``rustc``, ``gcc -o``...)
    without any sign of building for the target platform (no ``GOOS`` /
    ``GOARCH``, no ``--target``, no ``xx-*`` helper, no ``TARGET*``
    variable), when a stage that runs on the target platform copies from it
    with ``COPY --from``.

    ## Why is this bad
    On ``$BUILDPLATFORM`` the compiler runs on the build machine and, unless
    told otherwise, builds for it.  A multi-platform build then puts an amd64
    binary into the arm64 image (or the reverse): the image is published
    under the right platform and fails at run time with ``exec format
    error``.  The build itself succeeds, so nothing warns before users do.
    The shape is common in docker/awesome-compose
    (``FROM --platform=$BUILDPLATFORM golang AS build`` then a plain
    ``go build`` copied into ``FROM scratch``).  Severity: error, since the
    image is broken for every platform but the build machine's.

    Stages built FROM a ``$BUILDPLATFORM`` stage inherit its platform, so
    their compile steps and the signs of cross-compiling in them count too.
    A ``FROM scratch`` stage that only gathers files passes them on, and
    counts as the image only when it is the final stage: a tool built
    natively and relayed to a ``$BUILDPLATFORM`` lint stage (BuildKit's
    ``hack/dockerfiles/lint.Dockerfile``) is not flagged, nor is a relay no
    stage uses with the default build arguments.  Package installs
    (``npm ci``, ``pip install``) are not flagged: their output is often
    platform-independent, and the rule cannot tell.

    ## Example
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    RUN CGO_ENABLED=0 go build -o /out/backend .
    FROM scratch
    COPY --from=build /out/backend /usr/local/bin/backend
    ```
    Build for the target: ``ARG TARGETOS TARGETARCH`` and
    ``GOOS=$TARGETOS GOARCH=$TARGETARCH go build ...``.

    ## Fix safety
    No automatic fix.  The right change depends on the toolchain: Go needs
    ``GOOS``/``GOARCH`` (and ``CGO_ENABLED=0`` or a cross C compiler), Rust a
    ``--target`` triple and a linker for it, C a cross compiler or the
    ``xx-*`` wrappers; dropping ``--platform=$BUILDPLATFORM`` also works but
    builds under emulation.  None of these can be checked from the
    Dockerfile, and a wrong guess would still ship a broken image.
    """

    code = "DA103"
    name = "WrongArchitectureOutput"
    summary = "A $BUILDPLATFORM stage compiles for the build machine and its output is copied into the target image"
    severity = Severity.ERROR
    fix_safety = None
    bad_example = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "WORKDIR /compose/hello-docker\n"
        "COPY . .\n"
        "RUN CGO_ENABLED=0 go build -o backend main.go\n"
        "\n"
        "FROM scratch\n"
        "COPY --from=build /compose/hello-docker/backend /usr/local/bin/backend\n"
        'CMD ["/usr/local/bin/backend"]\n'
    )
    good_example = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "WORKDIR /compose/hello-docker\n"
        "COPY . .\n"
        "ARG TARGETOS TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o backend main.go\n"
        "\n"
        "FROM scratch\n"
        "COPY --from=build /compose/hello-docker/backend /usr/local/bin/backend\n"
        'CMD ["/usr/local/bin/backend"]\n'
    )

    def check(self, ctx: CheckContext):
        model = ctx.model
        tree = ctx.tree
        kinds = facts(ctx)
        reach = _TargetReach(ctx)
        copied_by: dict[int, list] = {}
        for ref in model.stage_references:
            if ref.kind == "copy-from" and ref.stage is not None and not ref.onbuild and reach.reaches(ref.owner):
                copied_by.setdefault(ref.stage, []).append(ref)
        for index, refs in sorted(copied_by.items()):
            if kinds.kind(index) is not StageKind.BUILD:
                continue
            chain = _chain(model, index)
            if any(cross_compiles(ctx, s) or _more_cross_signs(ctx, s) for s in chain):
                continue
            compiling = next((s for s in chain if _compile_step(ctx, s) is not None), None)
            if compiling is None:
                continue
            at = model.stages[compiling].from_index + _compile_step(ctx, compiling)
            ins = tree.instructions[at]
            label, match = compile_step(ins)
            stage = model.stages[index]
            ref = refs[0]
            yield ctx.finding(
                at,
                _match_span(ins, match),
                f"stage {stage_label(stage)} runs on $BUILDPLATFORM and builds with {label} for the build machine "
                f"(no GOOS/GOARCH, --target or xx- helper), but line {line_of(ctx, ref.instruction_index)} copies "
                f"its output into stage {stage_label(model.stages[ref.owner])}, which is built for the target "
                "platform: the image gets binaries of the wrong architecture",
            )


class _TargetReach:
    """Does what a stage holds end up in something built for the target platform?

    A stage on the target platform that runs nothing (``FROM scratch`` and
    COPYs) only relays files: what matters is where they go next.  It counts
    as the target image itself only when it is the final stage: a relay that
    no stage uses with the default build arguments may well be used with
    others (``FROM golangci-binary-${GOLANGCI_FROM_SOURCE}``), and an error
    must not guess.
    """

    def __init__(self, ctx: CheckContext) -> None:
        self.model = ctx.model
        self.kinds = facts(ctx)
        self.tree = ctx.tree
        self.users: dict[int, set[int]] = {}
        for ref in self.model.stage_references:
            if ref.stage is not None and not ref.onbuild and ref.owner != ref.stage:
                self.users.setdefault(ref.stage, set()).add(ref.owner)
        self.memo: dict[int, bool] = {}

    def reaches(self, index: int, seen: frozenset[int] = frozenset()) -> bool:
        if index in self.memo:
            return self.memo[index]
        if self.kinds.kind(index) is not StageKind.TARGET:
            result = False
        elif not self._relay(index) or index == len(self.model.stages) - 1:
            result = True
        else:
            result = any(self.reaches(u, seen | {index}) for u in sorted(self.users.get(index, ())) if u not in seen)
        self.memo[index] = result
        return result

    def _relay(self, index: int) -> bool:
        stage = self.model.stages[index]
        if stage.base_stage is not None:
            if not self._relay(stage.base_stage):
                return False
        elif (stage.expanded_base_name or "").lower() != "scratch":
            return False
        return not any(isinstance(ins, RunInstruction) for ins in stage.instructions[1:])


def _more_cross_signs(ctx: CheckContext, stage: int) -> bool:
    return ctx.stage_fact(
        "more-cross-signs", stage, lambda: any(more_cross_signs(i) for i in ctx.model.stages[stage].instructions[1:])
    )


def _compile_step(ctx: CheckContext, stage: int) -> int | None:
    """Where the first native compilation of a stage is, relative to its FROM."""

    def first() -> int | None:
        body = ctx.model.stages[stage].instructions
        return next((k for k in range(1, len(body)) if compile_step(body[k])), None)

    return ctx.stage_fact("compile-step", stage, first)


def _chain(model, index: int) -> list[int]:
    """The stage and the stages it is built FROM, oldest first."""
    chain = [index]
    while model.stages[chain[-1]].base_stage is not None:
        chain.append(model.stages[chain[-1]].base_stage)
    return list(reversed(chain))


def _match_span(ins, match):
    """Where the compiler is named, relative to the instruction; None (the whole
    instruction) when it is in an exec-form array or a heredoc body."""
    if getattr(ins, "exec_form", None) is not None or match.end() > len(ins.logical):
        return None
    return ins.physical_span(match.start(), match.end())
