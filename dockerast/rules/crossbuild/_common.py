"""What the cross-build rules share: where each stage runs, and what its commands do.

Where a stage runs is read from the semantic model under a few *probe*
builds whose target and build platforms all differ, so that ``$BUILDPLATFORM``,
a constant ``--platform=linux/amd64`` and an unpinned stage tell themselves
apart, indirections through meta ARGs and stage inheritance included
(convert.go, ``dispatchState.init``: a stage built FROM another stage has that
stage's platform, whatever its own ``--platform`` says).

What a command does is read from its text with small, explicit patterns: a
dependency download or install (``go mod download``, ``npm ci``...), a native
compilation (``go build``, ``cargo build``...), and the signs of a cross
compilation (``GOOS=``/``GOARCH=``, ``cargo --target``, tonistiigi/xx's
``xx-*`` helpers, a TARGET* variable).  The patterns are heuristics over
shell text; each rule's docs say what they miss.
"""

from __future__ import annotations

import enum
import re

from dockerast.cst.nodes import EnvInstruction, Instruction, RunInstruction
from dockerast.refactor.references import TARGET_ARGS, referenced_names
from dockerast.rules.base import CheckContext, StageFacts
from dockerast.semantic.model import PlatformProbe, SemanticModel, Stage, analyze
from dockerast.semantic.platform import PLATFORM_ARG_NAMES, Platform, parse_platform

# (target platform, build platform) of each probe build.  Target and build differ in
# every probe, and each platform ARG but the OS versions (always empty here) takes
# two values or more across probes: OS, architecture and variant, for both sides.
PROBES: tuple[tuple[str, str], ...] = (
    ("linux/arm64", "linux/amd64"),
    ("linux/arm/v7", "linux/arm64"),
    ("windows/amd64", "linux/arm/v6"),
)

# The automatic platform ARGs whose value depends on the build's platforms
# (``TARGETSTAGE`` names the stage being built, not a platform).
PLATFORM_ARGS = tuple(name for name in PLATFORM_ARG_NAMES if name != "TARGETSTAGE")
TARGET_PLATFORM_ARGS = frozenset(name for name in PLATFORM_ARGS if name.startswith("TARGET"))


class StageKind(enum.Enum):
    """Where a stage runs, whatever the build's platforms."""

    TARGET = "target"  # the target platform: the default
    BUILD = "build"  # the build machine's platform: $BUILDPLATFORM
    CONSTANT = "constant"  # one platform for every build: --platform=linux/amd64
    MIXED = "mixed"  # anything else, e.g. $BUILDOS/$TARGETARCH


class Probe:
    """One probe build: where its stages run (read a stage at a time) and, read
    only by a rule that needs more, its whole semantic model."""

    __slots__ = ("_model_of_file", "_facts", "_key", "_options", "_stages", "_model")

    def __init__(self, model: SemanticModel, facts: StageFacts, number: int, target: str, build: str) -> None:
        # (the model and the facts, not the check's context: the context holds
        # this object, and a cycle would outlive the check)
        self._model_of_file = model
        self._facts = facts
        self._key = f"probe-{number}-platform"
        self._options = {"target_platform": target, "build_platform": build}
        self._stages: PlatformProbe | None = None
        self._model: SemanticModel | None = None

    @property
    def stages(self) -> PlatformProbe:
        if self._stages is None:
            self._stages = PlatformProbe(self._model_of_file, **self._options)
        return self._stages

    def platform(self, stage: int) -> Platform:
        """Where stage ``stage`` runs in this build."""
        return self._facts.get(self._key, stage, lambda: self._read_platform(stage))

    def _read_platform(self, stage: int) -> Platform:
        base = self.stages.base_stage(stage)
        # convert.go, ``dispatchState.init``: a stage built FROM another runs where it runs.
        return self.platform(base) if base is not None else self.stages.own_platform(stage)

    @property
    def model(self) -> SemanticModel:
        if self._model is None:
            self._model = analyze(self._model_of_file.tree, **self._options)
        return self._model


class CrossBuildFacts:
    """Where each stage runs, whatever the build's platforms: read from the probes
    for the stages asked about, and kept across versions for the stages an
    edit left unchanged.  Also the variables each instruction references,
    which several rules read in the same builder stages."""

    def __init__(self, model: SemanticModel, facts: StageFacts) -> None:
        self._facts = facts
        self._instructions = model.tree.instructions
        self._references: dict[int, frozenset[str]] = {}
        self.probes = tuple(
            Probe(model, facts, number, target, build) for number, (target, build) in enumerate(PROBES)
        )
        self._targets = [parse_platform(target) for target, _ in PROBES]
        self._builds = [parse_platform(build) for _, build in PROBES]

    def kind(self, stage_index: int) -> StageKind:
        return self._facts.get("platform-kind", stage_index, lambda: self._read_kind(stage_index))

    def _read_kind(self, stage_index: int) -> StageKind:
        seen = [probe.platform(stage_index) for probe in self.probes]
        if seen == self._builds:
            return StageKind.BUILD
        if seen == self._targets:
            return StageKind.TARGET
        if len(set(seen)) == 1:
            return StageKind.CONSTANT
        return StageKind.MIXED

    def platform(self, stage_index: int) -> Platform:
        """Where the stage runs in the first probe (meaningful for a CONSTANT stage)."""
        return self.probes[0].platform(stage_index)

    def references(self, index: int) -> frozenset[str]:
        """``referenced_names`` of instruction ``index``, read once per check."""
        names = self._references.get(index)
        if names is None:
            names = self._references[index] = referenced_names(self._instructions[index])
        return names


_CACHE_KEY = "_crossbuild_facts"


def facts(ctx: CheckContext) -> CrossBuildFacts:
    """Where the stages of ``ctx.tree`` run under the probes, one object per check run."""
    cached = ctx.__dict__.get(_CACHE_KEY)
    if cached is None:
        cached = ctx.__dict__[_CACHE_KEY] = CrossBuildFacts(ctx.model, ctx.stage_facts)
    return cached


def cross_compiles(ctx: CheckContext, stage: int) -> bool:
    """Whether ``cross_compile_step`` finds that a stage builds for the target
    platform, with the references the rules share, read only where the text
    holds ``TARGET`` (most instructions do not)."""
    from dockerast.refactor.pin_build_platform import cross_compile_step  # noqa: PLC0415

    known = facts(ctx)
    instructions = ctx.tree.instructions

    def target_names(index: int) -> frozenset[str]:
        if "TARGET" not in written(instructions[index]):
            return frozenset()
        return known.references(index) & TARGET_ARGS

    return ctx.stage_fact(
        "cross-compiles", stage, lambda: cross_compile_step(ctx.tree, ctx.model, stage, target_names) is not None
    )


def stage_label(stage: Stage) -> str:
    return repr(stage.name) if stage.name else f"#{stage.index}"


def line_of(ctx: CheckContext, index: int) -> int:
    """The 1-based line where instruction ``index`` starts (its keyword, not its comments)."""
    return ctx.lines.position(ctx.offsets[index]).line + 1


# -- what commands do ---------------------------------------------------------------

def script(ins: Instruction) -> str:
    """The shell text an instruction runs: its line (exec form joined) and heredoc bodies."""
    if isinstance(ins, RunInstruction) and ins.exec_form is not None:
        text = " ".join(a.value for a in ins.exec_form)
    else:
        text = ins.logical
    for heredoc in getattr(ins, "heredocs", ()):
        text += "\n" + heredoc.content
    return text


def written(ins: Instruction) -> str:
    """Its logical line and heredoc bodies: every variable an instruction
    references, every command it runs in shell form, is written there."""
    heredocs = getattr(ins, "heredocs", ())
    if not heredocs:
        return ins.logical
    return "\n".join([ins.logical, *(heredoc.content for heredoc in heredocs)])


class Command:
    """A command in shell text: ``pattern`` where it starts a word that is not
    part of a longer one, nor an ``xx-`` helper (``xx-apk add``).

    The look-behind that says so keeps ``re`` from jumping to the places where
    the command's first letters are, which makes a search some twenty times
    slower; so the bare pattern is looked for first, and only a text that has
    it is searched again, from there, for the whole one.
    """

    __slots__ = ("_bare", "_whole")

    def __init__(self, pattern: str) -> None:
        self._bare = re.compile(pattern)
        self._whole = re.compile(r"(?<![\w-])" + pattern)

    def search(self, text: str) -> re.Match[str] | None:
        bare = self._bare.search(text)
        # (the look-behind still sees the characters before ``pos``)
        return self._whole.search(text, bare.start()) if bare else None

    def match(self, text: str) -> re.Match[str] | None:
        return self._whole.match(text)


DEPENDENCY_STEPS: tuple[tuple[str, Command], ...] = tuple(
    (label, Command(pattern))
    for label, pattern in (
        ("go mod download", r"go\s+mod\s+download\b"),
        ("npm ci", r"npm\s+(?:ci|install|i)\b"),
        ("yarn install", r"yarn\s+(?:install\b|--frozen-lockfile\b|--immutable\b)"),
        ("pnpm install", r"pnpm\s+(?:install|i|fetch)\b"),
        ("bun install", r"bun\s+install\b"),
        ("pip install", r"(?:pip3?|python3?\s+-m\s+pip)\s+install\b"),
        ("uv sync", r"uv\s+(?:sync\b|pip\s+install\b)"),
        ("poetry install", r"poetry\s+install\b"),
        ("pipenv install", r"pipenv\s+(?:install|sync)\b"),
        ("cargo fetch", r"cargo\s+fetch\b"),
        ("apt-get install", r"apt(?:-get)?\s+(?:-\S+\s+)*(?:install|update)\b"),
        ("apk add", r"apk\s+(?:-\S+\s+)*add\b"),
        ("dnf install", r"(?:yum|dnf|microdnf|tdnf)\s+(?:-\S+\s+)*install\b"),
        ("zypper install", r"zypper\s+(?:-\S+\s+)*(?:install|in)\b"),
        ("bundle install", r"bundle\s+install\b"),
        ("gem install", r"gem\s+install\b"),
        ("composer install", r"composer\s+install\b"),
        ("mvn dependency:go-offline", r"mvn\b[^\n;&|]*\bdependency:(?:go-offline|resolve)\b"),
        ("dotnet restore", r"dotnet\s+restore\b"),
        ("mix deps.get", r"mix\s+deps\.get\b"),
        ("conda install", r"(?:conda|mamba|micromamba)\s+install\b"),
    )
)

# tonistiigi/xx helpers read TARGETPLATFORM from the environment without naming it.
XX_HELPER = Command(r"xx-[a-z]")

NATIVE_COMPILERS: tuple[tuple[str, Command], ...] = tuple(
    (label, Command(pattern))
    for label, pattern in (
        ("go build", r"go\s+(?:build|install)\b"),
        ("cargo build", r"cargo\s+(?:build|install|rustc)\b"),
        ("rustc", r"rustc\s"),
        ("a C compiler", r"(?:gcc|g\+\+|clang|clang\+\+|cc|c\+\+)\s+[^\n;&|]*-o\s"),
    )
)

# What makes a compiler build for another platform than the one it runs on.
_TARGET_SPEC = {
    "go build": re.compile(r"\bGOARCH\b"),
    "cargo build": re.compile(r"--target\b|\bCARGO_BUILD_TARGET\b"),
    "rustc": re.compile(r"--target\b"),
    "a C compiler": re.compile(r"--target\b|\s-target\s|\bCC=\S*-linux-"),
}

# Signs of building for another platform beyond those of ``cross_compile_evidence``.
_MORE_CROSS_SIGNS = re.compile(r"--target\b|\s-target\s|\bGOARCH\b|\bGOOS\b|\bCARGO_BUILD_TARGET\b")
_MORE_CROSS_WORDS = ("-target", "GOARCH", "GOOS", "CARGO_BUILD_TARGET")
# A script asking which machine it runs on: its output follows the stage's platform.
ARCH_DETECTION = re.compile(
    r"dpkg\s+--print-architecture|\buname\s+-[a-z]*m|\bapk\s+--print-arch|\$\(\s*arch\s*\)|`arch`"
    r"|\bgo\s+env\s+GOARCH\b|\brpm\s+--eval"
)
_XX_GO_WRAP = re.compile(r"xx-go\s+--wrap\b")
_CGO_DISABLED = re.compile(r"\bCGO_ENABLED(?:=|\s+)[\"']?0\b")


def dependency_step(ins: Instruction) -> str | None:
    """The dependency download/install a RUN performs (``go mod download``...), or None."""
    if not isinstance(ins, RunInstruction):
        return None
    text = script(ins)
    if XX_HELPER.search(text):
        return None
    for label, pattern in DEPENDENCY_STEPS:
        if pattern.search(text):
            return label
    return None


# Commands that neither read the environment's TARGET* values nor run project code.
_HARMLESS_COMMAND = re.compile(
    r"(?:set|cd|mkdir|rm|echo|true|:|ln|chmod|chown|cp|mv|touch|"
    r"(?:apt-get|apt|yum|dnf|microdnf|tdnf|zypper)\s+(?:-\S+\s+)*clean|"
    r"(?:npm|pip3?|yarn|pnpm)\s+cache|go\s+mod\s+verify)(?:\s|$)"
)
_COMMAND_SEPARATOR = re.compile(r"&&|\|\||[;|\n]")
_ASSIGNMENTS = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+")


def only_dependency_commands(ins: Instruction) -> bool:
    """True for a RUN made of dependency commands and housekeeping only
    (``apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*``),
    so that no project script runs in it."""
    if dependency_step(ins) is None:
        return False
    assert isinstance(ins, RunInstruction)
    if ins.exec_form is not None:
        text = " ".join(a.value for a in ins.exec_form)
    else:
        text = ins.arguments
        for heredoc in ins.heredocs:
            text = text.replace("<<" + heredoc.name, "") + "\n" + heredoc.content
    for command in _COMMAND_SEPARATOR.split(text):
        command = _ASSIGNMENTS.sub("", command.strip().rstrip("\\").strip())
        if not command or command.startswith("#"):
            continue
        if _HARMLESS_COMMAND.match(command):
            continue
        if not any(pattern.match(command) for _, pattern in DEPENDENCY_STEPS):
            return False
    return True


def uses_target_implicitly(ins: Instruction) -> bool:
    """True for a RUN whose tools read TARGET* from the environment (``xx-*``)."""
    return isinstance(ins, RunInstruction) and bool(XX_HELPER.search(script(ins)))


def compile_step(ins: Instruction) -> tuple[str, re.Match[str]] | None:
    """The compiler a RUN invokes (label and match in :func:`script`), or None."""
    if not isinstance(ins, RunInstruction):
        return None
    text = script(ins)
    if XX_HELPER.search(text):
        return None
    for label, pattern in NATIVE_COMPILERS:
        match = pattern.search(text)
        if match:
            return label, match
    return None


def native_compile_steps(instructions) -> list[tuple[int, str, re.Match[str]]]:
    """The RUNs of ``(index, instruction)`` pairs (a stage and its base stages, in
    order) that compile for the machine they run on: no GOARCH for ``go build``,
    no ``--target`` for cargo or a C compiler, in the step or in an ENV before it."""
    found = []
    environment = ""
    for index, ins in instructions:
        if isinstance(ins, EnvInstruction):
            environment += " " + " ".join(p.key for p in ins.pairs)
            continue
        if isinstance(ins, RunInstruction) and _XX_GO_WRAP.search(script(ins)):
            environment += " GOARCH"  # ``go`` now builds for TARGETPLATFORM
        step = compile_step(ins)
        if step is None:
            continue
        label, match = step
        spec = _TARGET_SPEC[label]
        if not spec.search(script(ins)) and not spec.search(environment):
            found.append((index, label, match))
    return found


def more_cross_signs(ins: Instruction) -> bool:
    if not isinstance(ins, (RunInstruction, EnvInstruction)):
        return False
    text = script(ins)
    # Each sign holds one of these words, which ``in`` finds far faster than the pattern.
    return any(word in text for word in _MORE_CROSS_WORDS) and bool(_MORE_CROSS_SIGNS.search(text))


def detects_own_arch(ins: Instruction) -> bool:
    return isinstance(ins, RunInstruction) and bool(ARCH_DETECTION.search(script(ins)))


def go_build_with_cgo_possible(instructions) -> bool:
    """True when a plain ``go build``/``go install`` runs and nothing sets ``CGO_ENABLED=0``."""
    compiles = any((step := compile_step(i)) is not None and step[0] == "go build" for i in instructions)
    return compiles and not any(_CGO_DISABLED.search(script(i)) for i in instructions)
