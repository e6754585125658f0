from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from dockerast.cst.nodes import ArgInstruction, Instruction, RunInstruction
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, Severity
from dockerast.rules.crossbuild._common import (
    TARGET_PLATFORM_ARGS,
    StageKind,
    dependency_step,
    facts,
    line_of,
    only_dependency_commands,
    uses_target_implicitly,
    written,
)


class PlatformArgBeforeDependencyStep(Rule):
    """
    ## What it does
    In a stage that runs on one platform for every target (``--platform=$BUILDPLATFORM``
    or a constant), flags an ``ARG TARGETOS`` / ``TARGETARCH`` /
    ``TARGETPLATFORM`` / ``TARGETVARIANT`` declared above a dependency step
    that does not use it: ``go mod download``, ``npm ci`` / ``npm install``,
    ``yarn install``, ``pip install``, ``uv sync``, ``poetry install``,
    ``cargo fetch``, ``apt-get install``, ``apk add``, ``dnf install``,
    ``bundle install``, ``composer install``, ``dotnet restore`` and the like.

    ## Why is this bad
    An ARG is in the environment of every ``RUN`` below it, so its value is
    part of their cache keys (convert.go, ``dispatchArg`` adds it to the
    stage's environment).  Declared above the dependency download, the target
    platform makes each platform of a multi-platform build download the same
    dependencies again into its own layer; declared after it, that layer is
    built once and shared.  This is the reviewer's suggestion on
    volcano-sh/agentcube#420.

    A stage that runs on the target platform is not flagged: its base image
    differs per platform, so nothing above could be shared anyway.  A ``RUN``
    using an ``xx-*`` helper counts as a use, since those read
    ``TARGETPLATFORM`` from the environment.

    Severity: info.  The image is right; only build time and cache space
    are lost.

    ## Example
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder
    ARG TARGETOS
    ARG TARGETARCH
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
    ```
    The two ARGs (and the comment lines above them) move to just after
    ``RUN go mod download``.

    ## Fix safety
    ``move_instructions``: the consecutive platform ARGs move, with their
    comments, to just after the last dependency step above their first use;
    the refactor refuses any move that changes what an instruction reads.
    The fix is safe when every ``RUN`` the ARGs move past runs dependency
    commands and housekeeping only (``apt-get update && apt-get install -y
    gcc && rm -rf /var/lib/apt/lists/*``): package managers choose what to
    fetch from the machine they run on, never from ``TARGETARCH``, so only
    the cache key changes.  It is unsafe when the ARGs also move past any
    other command: a script or a Makefile can read ``$TARGETARCH`` from its
    environment without the Dockerfile naming it, and would no longer see it.
    """

    code = "DA102"
    scope = "stage"
    cites_lines = True
    name = "PlatformArgBeforeDependencyStep"
    summary = "A TARGET* ARG above a dependency step makes every target platform rebuild that layer"
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    bad_example = (
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder\n"
        "\n"
        "# TARGETOS and TARGETARCH: the platform of the binary\n"
        "ARG TARGETOS\n"
        "ARG TARGETARCH\n"
        "\n"
        "WORKDIR /src\n"
        "COPY go.mod go.sum ./\n"
        "RUN --mount=type=cache,target=/go/pkg/mod go mod download\n"
        "\n"
        "COPY . .\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n"
        "\n"
        "FROM alpine:3.19\n"
        "COPY --from=builder /out/app /usr/local/bin/app\n"
    )
    good_example = (
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder\n"
        "\n"
        "WORKDIR /src\n"
        "COPY go.mod go.sum ./\n"
        "RUN --mount=type=cache,target=/go/pkg/mod go mod download\n"
        "\n"
        "# TARGETOS and TARGETARCH: the platform of the binary\n"
        "ARG TARGETOS\n"
        "ARG TARGETARCH\n"
        "\n"
        "COPY . .\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n"
        "\n"
        "FROM alpine:3.19\n"
        "COPY --from=builder /out/app /usr/local/bin/app\n"
    )
    fixed_example = good_example

    def check(self, ctx: CheckContext):
        model = ctx.model
        kinds = facts(ctx)
        instructions = ctx.tree.instructions
        declared: dict[int, dict[int, tuple[str, ...]]] = {}  # stage: {ARG: its names}
        for index, ins in ctx.instructions(ArgInstruction):
            names = _target_arg_names(ins)
            stage = model.stage_of(index) if names else None
            if stage is not None:
                declared.setdefault(stage.index, {})[index] = names
        for stage in ctx.stages():
            args = declared.get(stage.index)
            # Where the stage runs is the dearer question: asked only of a stage with such an ARG.
            if not args or kinds.kind(stage.index) not in (StageKind.BUILD, StageKind.CONSTANT):
                continue
            plans = _plans(instructions, stage.instruction_indices[1:], args, kinds.references)
            fixes: dict[tuple[int, ...], _SharedFix] = {}  # the ARGs of one block share one fix
            for i, plan in plans.items():
                if plan is None:
                    continue
                block = _block(plans, i)
                step_line = line_of(ctx, plan.step)
                if tuple(block) not in fixes:
                    fixes[tuple(block)] = _SharedFix(
                        lambda block=block, plan=plan, step_line=step_line, stage=stage: _move_fix(
                            ctx, stage.index, block, plan, step_line
                        )
                    )
                names = ", ".join(n for n in plan.names if n in TARGET_PLATFORM_ARGS)
                yield ctx.finding(
                    i,
                    None,
                    f"ARG {names} is declared above the dependency step on line {step_line} ({plan.label}), "
                    "which does not use it: every target platform re-runs that step instead of sharing its layer",
                    fix=fixes[tuple(block)],
                )


@dataclass(frozen=True, slots=True)
class _Plan:
    names: tuple[str, ...]  # every name the ARG instruction declares
    step: int  # the last dependency step above the first use
    label: str  # what that step does


def _target_arg_names(ins: ArgInstruction) -> tuple[str, ...]:
    """The names an ARG declares if one of them is a TARGET* platform ARG, else ()."""
    names = tuple(p.key for p in ins.pairs)
    return names if not TARGET_PLATFORM_ARGS.isdisjoint(names) else ()


def _plans(
    instructions: tuple[Instruction, ...],
    body: Iterable[int],
    args: Mapping[int, tuple[str, ...]],
    references: Callable[[int], frozenset[str]],
) -> dict[int, _Plan | None]:
    """The plan of each ARG of ``args`` (its index: its names) in the stage whose
    instructions after the FROM are ``body``: the last dependency step between
    it and the first instruction that uses one of its names, if any.
    ``references(index)`` is what instruction ``index`` references.

    One walk for all the ARGs of the stage, reading each instruction once."""
    plans: dict[int, _Plan | None] = dict.fromkeys(args)
    unused: dict[int, set[str]] = {}  # the ARGs above, none of whose names is used yet
    last: dict[int, tuple[int, str]] = {}  # the last dependency step below each ARG
    for index in body:
        if unused:
            ins = instructions[index]
            if uses_target_implicitly(ins):
                unused.clear()
            else:
                # A name it references is written in it: most instructions write none of them.
                text = written(ins)
                mentioned = [arg for arg, names in unused.items() if any(name in text for name in names)]
                referenced = references(index) if mentioned else frozenset()
                for arg in mentioned:
                    if not unused[arg].isdisjoint(referenced):
                        del unused[arg]
            label = dependency_step(ins) if unused else None
            if label is not None:
                for arg in unused:
                    last[arg] = (index, label)
        if index in args:
            unused[index] = set(args[index])
    for arg, (step, label) in last.items():
        plans[arg] = _Plan(args[arg], step, label)
    return plans


def _block(plans: dict[int, _Plan | None], index: int) -> list[int]:
    """The consecutive flagged ARG instructions around ``index`` that move to the same place."""
    step = plans[index].step  # type: ignore[union-attr]

    def same(i: int) -> bool:
        plan = plans.get(i)
        return plan is not None and plan.step == step

    start = index
    while same(start - 1):
        start -= 1
    end = index
    while same(end + 1):
        end += 1
    return list(range(start, end + 1))


class _SharedFix:
    """A fix computed once, on first use, for every finding of one ARG block."""

    def __init__(self, compute) -> None:
        self._compute = compute
        self._done = False
        self._fix: Fix | None = None

    def __call__(self) -> Fix | None:
        if not self._done:
            self._fix, self._done = self._compute(), True
        return self._fix


def _move_fix(ctx: CheckContext, stage_index: int, block: list[int], plan: _Plan, step_line: int) -> Fix | None:
    from dockerast.refactor import RefactorError, move_instructions  # noqa: PLC0415
    from dockerast.refactor.selectors import Selector  # noqa: PLC0415

    instructions = ctx.tree.instructions
    names = sorted({p.key for i in block for p in instructions[i].pairs})
    stage = str(stage_index)
    moved = Selector("arg", ",".join(names), stage=stage)
    anchor = Selector("run", instructions[plan.step].logical, stage=stage)
    try:
        # The selectors must name exactly the block and the step, now and
        # after the move (move_instructions checks it is idempotent).
        if list(moved.resolve(ctx.tree, ctx.model)) != block:
            return None
        result = move_instructions(ctx.tree, moved, after=anchor)
    except RefactorError:
        return None
    if not result.edits:
        return None
    # Safe only if every RUN the ARGs pass runs dependency commands only (see the docs).
    unsafe = any(
        isinstance(instructions[j], RunInstruction) and not only_dependency_commands(instructions[j])
        for j in range(block[-1] + 1, plan.step + 1)
    )
    what = ", ".join(f"ARG {' '.join(p.key for p in instructions[i].pairs)}" for i in block)
    return Fix(
        f"move {what} after line {step_line} ({plan.label})",
        result.edits,
        FixSafety.UNSAFE if unsafe else FixSafety.SAFE,
    )

