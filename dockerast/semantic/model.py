"""What a Dockerfile means to BuildKit: stages, meta ARGs, scopes, expansion, stage references.

``analyze(tree)`` reads a parsed :class:`~dockerast.cst.nodes.Dockerfile`
once and returns an immutable :class:`SemanticModel`::

    model = analyze(tree, build_args={"VERSION": "1.2"}, target_platform="linux/arm64")
    model.stages[0].name                  # "builder"
    model.scope_at(7).get("TARGETARCH")   # "arm64"
    model.expand(7, "$GOPATH/bin")

The rules follow BuildKit's Dockerfile frontend
(frontend/dockerfile/dockerfile2llb/convert.go and instructions/), so that
the values shown are the ones a build would use:

* ARGs before the first FROM are *meta ARGs*: they, and the automatic platform
  ARGs (``TARGETARCH``...), are visible in FROM lines only.  Inside a stage a
  name is visible after an ``ARG name`` declares it; without a default it
  takes the global value.
* A build argument replaces the default of a *declared* ARG; it does nothing
  for a name no ARG declares (the automatic platform ARGs count as declared
  in the global scope).
* ENV and ARG write one list of variables, the later write of a name winning:
  ``ENV`` after ``ARG`` overrides it, and so does an ``ARG`` with a value
  after an ``ENV``.
* A stage built FROM an earlier stage starts with that stage's variables,
  ENV *and* ARG (convert.go, ``dispatchState.init`` copies the LLB state and
  the build args; the reference's "Scope" section says the same), followed by
  that stage's ONBUILD triggers.
* Variable names are case-sensitive.  BuildKit's expansion reads its LLB
  environment list, which compares names exactly on every platform; only the
  image config's ENV list folds case, and only when the frontend itself runs
  on Windows (shell/equal_env_windows.go, used by convert.go ``addEnv``).
  The model therefore folds no case, whatever the stage's platform.

The model never raises for a Dockerfile BuildKit would reject: such problems
are listed in :attr:`SemanticModel.problems`, and the value concerned is
treated as unset.  :meth:`SemanticModel.expand` and
:meth:`SemanticModel.effective_words` do raise
:class:`~dockerast.semantic.shell.ExpansionError`, where BuildKit would fail
the build.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from operator import attrgetter, is_
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType
from typing import NamedTuple

from dockerast.cst.parser import read_instructions
from dockerast.cst.nodes import (
    AddInstruction,
    ArgInstruction,
    CopyInstruction,
    Dockerfile,
    EnvInstruction,
    Flag,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    OnbuildInstruction,
    RunInstruction,
    Span,
    StopsignalInstruction,
    UnknownInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from dockerast.semantic.platform import PLATFORM_ARG_NAMES, Platform, automatic_platform_args, parse_platform
from dockerast.semantic.references import StageReference, flag_value_span, mount_fields, stage_index_of
from dockerast.semantic.scope import (
    EMPTY_SCOPE,
    Declared,
    Scope,
    declare_meta_args,
    declare_stage_args,
    set_env,
)
from dockerast.semantic.shell import ExpansionError, ShellLex

__all__ = [
    "MetaArg",
    "Platform",
    "PlatformProbe",
    "Scope",
    "SemanticModel",
    "SemanticProblem",
    "Stage",
    "StageReference",
    "analyze",
]

# instructions/parse.go, ``validStageName``, applied to the lower-cased name.
_VALID_STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*\Z")
# A COPY/ADD source that is a heredoc rather than a path (parser.ParseHeredoc).
_HEREDOC_WORD = re.compile(r"[0-9]*<<-?\s*[^<]*\Z")
# Go's strings.TrimSpace, as parseVolume applies it.
_GO_SPACE = "\t\n\v\f\r \x85\xa0"
# The order of the model's references and problems.
_INSTRUCTION_INDEX = attrgetter("instruction_index")
_REFERENCE_ORDER = attrgetter("instruction_index", "span.start")


@dataclass(frozen=True, slots=True)
class MetaArg:
    """One ``name[=default]`` of an ARG before the first FROM.

    ``default`` is raw (quotes as written) or None; ``value`` is what the
    global scope holds for ``name`` after this declaration (the build
    argument, the expanded default, or an automatic platform value), None if
    nothing.  Spans are relative to the ARG instruction.
    """

    name: str
    default: str | None
    instruction_index: int
    name_span: Span
    default_span: Span | None
    value: str | None


class SemanticProblem(NamedTuple):
    """Something BuildKit would refuse, found while reading the meaning of the file.

    ``span`` is relative to the instruction, or None for the whole instruction.
    """

    instruction_index: int
    message: str
    span: Span | None = None


class Stage(NamedTuple):
    """A build stage: a FROM and the instructions up to the next FROM.

    * ``name``: the name after ``AS``, lower-cased as BuildKit compares it,
      or None; ``name_span`` is relative to the FROM instruction;
    * ``from_index`` / ``instruction_indices`` / ``instructions``: positions in
      ``tree.instructions`` (FROM first) and the nodes themselves;
    * ``base_name``: the image or stage after FROM, as written;
      ``expanded_base_name``: after expanding the global scope (None when
      that fails or gives nothing);
    * ``platform``: the ``--platform`` value as written, or None;
      ``expanded_platform``: after expansion, None without the flag or on error;
    * ``base_stage``: the index of the stage this one is built FROM, or None
      for an image;
    * ``effective_platform``: what the stage builds for: the base stage's
      platform, else the ``--platform`` one, else the target platform.
    """

    index: int
    name: str | None
    name_span: Span | None
    from_index: int
    instruction_indices: tuple[int, ...]
    instructions: tuple[Instruction, ...]
    base_name: str
    base_name_span: Span | None
    platform: str | None
    expanded_base_name: str | None
    expanded_platform: str | None
    base_stage: int | None
    effective_platform: Platform

    @property
    def display_name(self) -> str:
        """The name, or ``stage-<index>`` as BuildKit calls an unnamed stage."""
        return self.name if self.name is not None else f"stage-{self.index}"


@dataclass(frozen=True, eq=False)
class SemanticModel:
    """The meaning of one Dockerfile for one set of build options; see :func:`analyze`."""

    tree: Dockerfile
    build_args: Mapping[str, str]
    target_platform: Platform
    build_platform: Platform
    platform_args: Mapping[str, str]
    meta_args: tuple[MetaArg, ...]
    global_scope: Scope
    stages: tuple[Stage, ...]
    stage_references: tuple[StageReference, ...]
    problems: tuple[SemanticProblem, ...]
    _scopes: tuple[Scope, ...]
    _final_scopes: tuple[Scope, ...]
    _stage_of: tuple[int | None, ...]
    _declared: Mapping[int, tuple[Declared, ...]]
    _dependencies: tuple[frozenset[int], ...]
    _lex: ShellLex
    _memo: _AnalysisMemo | None = None

    # -- stages --------------------------------------------------------------

    def stage_by_name(self, name: str) -> Stage | None:
        """The stage called ``name`` in any case; the last one when several are."""
        wanted = name.lower()
        for stage in reversed(self.stages):
            if stage.name == wanted:
                return stage
        return None

    def stage_of(self, instruction_index: int) -> Stage | None:
        """The stage holding that instruction; None before the first FROM."""
        position = self._stage_of[instruction_index]
        return None if position is None else self.stages[position]

    def dependencies(self, stage_index: int) -> frozenset[int]:
        """The stages ``stage_index`` needs directly: its base stage, the stages
        its ``COPY --from`` and ``RUN --mount=from=`` name, and those named by
        the ONBUILD triggers of its base stage."""
        return self._dependencies[stage_index]

    def target_stage(self, target: int | str | None = None) -> int:
        """The index of a stage given by index or name; the last stage by default.

        Raises KeyError for a name no stage has, IndexError for a bad index.
        """
        if target is None:
            if not self.stages:
                raise IndexError("the Dockerfile has no stages")
            return len(self.stages) - 1
        if isinstance(target, int):
            return self.stages[target].index
        stage = self.stage_by_name(target)
        if stage is None:
            raise KeyError(f"target stage {target!r} could not be found")
        return stage.index

    def required_stages(self, target: int | str | None = None) -> frozenset[int]:
        """The stages a build of ``target`` (default: the last stage) needs, itself included."""
        start = self.target_stage(target)
        seen = {start}
        pending = [start]
        while pending:
            for dep in self._dependencies[pending.pop()]:
                if dep not in seen:
                    seen.add(dep)
                    pending.append(dep)
        return frozenset(seen)

    def build_order(self, target: int | str | None = None) -> tuple[int, ...]:
        """The stages needed for ``target`` in the order BuildKit dispatches them:
        file order, which puts every stage after those it uses when all
        references point backwards (BuildKit refuses the others)."""
        return tuple(sorted(self.required_stages(target)))

    # -- variables -------------------------------------------------------------

    def scope_at(self, instruction_index: int) -> Scope:
        """The ARG and ENV values in force just *before* that instruction runs.

        For a FROM, or an instruction before the first FROM, that is the
        global scope at that point (what a FROM line expands with).
        """
        return self._scopes[instruction_index]

    def final_scope(self, stage_index: int) -> Scope:
        """The variables at the end of a stage: what a stage built FROM it starts with."""
        return self._final_scopes[stage_index]

    def expand(self, instruction_index: int, word: str) -> str:
        """Expand ``word`` with :meth:`scope_at` that instruction, as BuildKit's
        word processor does (quotes removed, escapes applied).

        Raises :class:`~dockerast.semantic.shell.ExpansionError` where BuildKit
        fails the build (``${v:?}`` of an unset ``v``, a bad substitution...).
        """
        return self._lex.process_word(word, self.scope_at(instruction_index).values).result

    def effective_words(self, instruction_index: int) -> tuple[str, ...]:
        """The arguments of an instruction as BuildKit uses them.

        Expanded, for the instructions BuildKit expands:

        * FROM: the base name (global scope), then ``AS name`` unchanged;
        * ARG: ``name=value`` with the value it resolved to (build argument,
          expanded default, or global value), or ``name`` alone when it has none;
        * ENV, LABEL: ``key=value``, both expanded with the variables before
          the instruction;
        * ADD, COPY: sources and destination, one word each (expansion does
          not split them); heredoc sources stay as written;
        * VOLUME: each path, trimmed then expanded;
        * EXPOSE: the ports sorted, then each expanded *and split* on
          whitespace (the only instruction that splits);
        * USER, WORKDIR, STOPSIGNAL: the whole argument as one word.

        Not expanded (returned as BuildKit passes them on): RUN, CMD,
        ENTRYPOINT and SHELL give their JSON strings, or their shell-form
        command line as one word, which the shell expands at run time;
        HEALTHCHECK gives its type (``CMD``, ``NONE``) first; MAINTAINER and
        ONBUILD give their text as one word; unknown instructions their words.

        Words are split as BuildKit splits them, on whitespace without regard
        to quotes, so ``COPY "a b" /x`` has the sources ``"a`` and ``b"``, and
        expanding ``"a`` raises as it fails BuildKit's build.

        Raises :class:`~dockerast.semantic.shell.ExpansionError` where BuildKit
        would fail the build.
        """
        ins = self.tree.instructions[instruction_index]
        values = self.scope_at(instruction_index).values
        lex = self._lex

        def expand(word: str) -> str:
            return lex.process_word(word, values).result

        if isinstance(ins, FromInstruction):
            words = [w.text for w in ins.syntax.words]
            if words:
                words[0] = expand(words[0])
            return tuple(words)
        if isinstance(ins, ArgInstruction):
            out = []
            for declared in self._declared.get(instruction_index, ()):
                if declared.error is not None:
                    raise declared.error
                out.append(declared.name if declared.value is None else f"{declared.name}={declared.value}")
            return tuple(out)
        if isinstance(ins, (EnvInstruction, LabelInstruction)):
            return tuple(f"{expand(p.key)}={expand(p.value or '')}" for p in ins.pairs)
        if isinstance(ins, (CopyInstruction, AddInstruction)):
            if ins.is_exec_form:
                return tuple(expand(p) for p in ins.paths)
            heredocs = bool(ins.heredocs)
            return tuple(p if heredocs and _HEREDOC_WORD.match(p) else expand(p) for p in ins.paths)
        if isinstance(ins, VolumeInstruction):
            return tuple(expand(p.strip(_GO_SPACE)) for p in ins.paths)
        if isinstance(ins, ExposeInstruction):
            out = []
            for port in sorted(w.text for w in ins.ports):
                out.extend(lex.process_words(port, values))
            return tuple(out)
        if isinstance(ins, (UserInstruction, WorkdirInstruction, StopsignalInstruction)):
            return (expand(ins.arguments),)
        if isinstance(ins, HealthcheckInstruction):
            kind = (ins.check_type,) if ins.check_type else ()
            if ins.exec_form is not None:
                return kind + tuple(a.value for a in ins.exec_form)
            return kind + ((ins.arguments,) if ins.arguments else ())
        if isinstance(ins, OnbuildInstruction):
            trigger = ins.trigger
            return (trigger.logical.strip(_GO_SPACE),) if trigger is not None else ()
        exec_form = getattr(ins, "exec_form", None)
        if exec_form is not None:
            return tuple(a.value for a in exec_form)
        if ins.arguments:
            return (ins.arguments,)
        return tuple(w.text for w in ins.syntax.words)


# -- building results fast --------------------------------------------------------
#
# Every analysis makes a model.  It is a frozen dataclass, whose generated
# __init__ sets each field through object.__setattr__, at about twice the cost
# of filling its __dict__ directly, as _new_model does.  It makes a Stage per
# stage and a StageReference per FROM too: named tuples, which tuple.__new__
# builds from their fields in order without the class's Python-level __new__
# (and, for Stage's thirteen fields, without keywords, the larger cost).

_new = object.__new__
_new_tuple = tuple.__new__


def _new_model(**values) -> SemanticModel:
    """``SemanticModel(**values)``, every field given."""
    model = _new(SemanticModel)
    model.__dict__.update(values)
    return model


def analyze(
    tree: Dockerfile,
    build_args: Mapping[str, str] | None = None,
    target_platform: str = "linux/amd64",
    build_platform: str | None = None,
    target: str | None = None,
    previous: SemanticModel | None = None,
) -> SemanticModel:
    """Read the meaning of ``tree`` for a build with these options.

    ``build_args`` are ``--build-arg`` values; ``target_platform`` is the
    ``--platform`` of the build and ``build_platform`` the builder's own
    (default: the target's, as BuildKit does when it is given only a
    target); ``target`` is the stage being built (``--target``), which only
    sets ``TARGETSTAGE``.  Raises ValueError for a platform that cannot be
    parsed; never for the Dockerfile itself.

    With ``previous`` (the model of an earlier version of the same document,
    with the same options, as an editor has), a stage whose instructions and
    inputs (global scope, stage names, the stage it is built FROM) did not
    change is not read again.
    """
    memo = previous._memo if previous is not None else None
    return _Analysis(tree, dict(build_args or {}), target_platform, build_platform, target, memo).run()


class PlatformProbe:
    """Where the stages of ``model``'s file run in a build for other platforms,
    one stage at a time: ``Stage.effective_platform`` as
    ``analyze(model.tree, target_platform=..., build_platform=...)`` would
    give it, for callers that probe several builds and ask about a few stages.

    A stage built FROM an earlier stage runs where that stage runs:
    :meth:`base_stage` says which, :meth:`own_platform` is for the others.
    """

    def __init__(self, model: SemanticModel, target_platform: str, build_platform: str) -> None:
        self._model = model
        self._analysis = _Analysis(model.tree, dict(model.build_args), target_platform, build_platform, None)
        self._named: dict[str, list[int]] | None = None
        self.target_platform = self._analysis.target_platform
        self.build_platform = self._analysis.build_platform

    def _read(self) -> dict[str, list[int]]:
        """The global scope of this build, and the stages by name (on first use:
        a probe asked about no stage costs nothing)."""
        if self._named is None:
            analysis, stages = self._analysis, self._model.stages
            first_from = stages[0].from_index if stages else len(self._model.tree.instructions)
            platform_scope = analysis.platform_scope(stages[-1].name if stages else None)
            analysis.global_scope, _ = analysis.meta_args(platform_scope, first_from)
            analysis.global_values = analysis.global_scope.values
            self._named = {}
            for stage in stages:
                if stage.name is not None:
                    self._named.setdefault(stage.name, []).append(stage.index)
        return self._named

    def base_stage(self, position: int) -> int | None:
        """The earlier stage that stage ``position`` is built FROM, if any."""
        named = self._read()
        stage = self._model.stages[position]
        base = self._analysis.expand_global(stage.from_index, stage.instructions[0].image, None)
        positions = named.get(base) if base else None
        if not positions:
            return None
        before = bisect_left(positions, position)
        return positions[before - 1] if before else None

    def own_platform(self, position: int) -> Platform:
        """Where stage ``position`` runs if it is not built FROM another stage."""
        self._read()
        stage = self._model.stages[position]
        ins = stage.instructions[0]
        assert isinstance(ins, FromInstruction)
        return self._analysis.platform_of(stage.from_index, ins)[2] or self._analysis.target_platform


@dataclass(frozen=True, slots=True, eq=False)
class _StageMemo:
    """What reading one stage gave, kept so that the next version of the document
    reuses it when the stage's text and everything it reads are unchanged."""

    stage: Stage
    scopes: tuple[Scope, ...]
    declared: Mapping[int, tuple[Declared, ...]]
    problems: tuple[SemanticProblem, ...]
    references: tuple[StageReference, ...]
    onbuild: tuple[StageReference, ...]
    final_scope: Scope
    dependencies: frozenset[int]

    def onbuild_references(self, from_index: int) -> list[StageReference]:
        return _shifted(self.onbuild, from_index - self.stage.from_index)


def _shifted(items, shift: int) -> list:
    """Problems or references of a reused stage, their instruction indices moved by ``shift``."""
    if not shift:
        return list(items)
    return [item._replace(instruction_index=item.instruction_index + shift) for item in items]


class _AnalysisMemo:
    """What an analysis read, for the next analysis of the document to reuse:
    the options, global scope and stage names it read with, and a
    :class:`_StageMemo` per stage.

    The stage memos are built on first use, from the model's results: only an
    editor's next analysis (and the checks that follow it) reads them.
    """

    __slots__ = ("_results", "_stages", "global_scope", "names", "options")

    def __init__(
        self,
        options: tuple,
        global_scope: Scope,
        names: list[str | None],
        reused: list[_StageMemo | None],
        results: tuple,
    ) -> None:
        self.options = options
        self.global_scope = global_scope
        self.names = names
        # The memo of each stage replayed from the previous analysis (None for
        # the others), then once built, all of them.
        self._stages: list[_StageMemo | None] | tuple[_StageMemo, ...] = reused
        # The model's results, as long as stage memos are still to be built.
        self._results: tuple | None = results

    @property
    def stages(self) -> tuple[_StageMemo, ...]:
        if self._results is not None:
            self._stages = _stage_memos(self._stages, *self._results)
            self._results = None
        return self._stages


def _stage_memos(
    reused: list[_StageMemo | None],
    stages: tuple[Stage, ...],
    scopes: tuple[Scope, ...],
    declared: Mapping[int, tuple[Declared, ...]],
    problems: tuple[SemanticProblem, ...],
    references: tuple[StageReference, ...],
    final_scopes: tuple[Scope, ...],
    dependencies: tuple[frozenset[int], ...],
) -> tuple[_StageMemo, ...]:
    """The memo of each stage: the one replayed, or what the model says of the stage.

    A stage's problems and references are those of its instructions, which
    the model sorts by instruction, keeping the order they were found in
    within one instruction (what a replay must give again).
    """
    memos = []
    for stage, memo in zip(stages, reused):
        if memo is None:
            start = stage.from_index
            end = start + len(stage.instructions)
            own_references = _of_instructions(references, start, end)
            memo = _StageMemo(
                stage=stage,
                scopes=scopes[start:end],
                declared={index - start: declared[index] for index in range(start, end) if index in declared},
                problems=_of_instructions(problems, start, end),
                references=own_references,
                onbuild=tuple(ref for ref in own_references if ref.onbuild),
                final_scope=final_scopes[stage.index],
                dependencies=dependencies[stage.index],
            )
        memos.append(memo)
    return tuple(memos)


def _in_order(items: list, key: Callable) -> tuple:
    """``tuple(sorted(items, key=key))``: most files have no problem, and one
    reference at most, which need no sorting (and no calls of ``key``)."""
    return tuple(sorted(items, key=key)) if len(items) > 1 else tuple(items)


def _of_instructions(items: tuple, start: int, end: int) -> tuple:
    """The problems or references (sorted by instruction) of the instructions ``start`` to ``end - 1``."""
    return items[bisect_left(items, start, key=_INSTRUCTION_INDEX) : bisect_left(items, end, key=_INSTRUCTION_INDEX)]


class _Analysis:
    """One run of :func:`analyze`; its state never leaves it."""

    def __init__(
        self,
        tree: Dockerfile,
        build_args: dict[str, str],
        target_platform: str,
        build_platform: str | None,
        target: str | None,
        previous: _AnalysisMemo | None = None,
    ) -> None:
        self.tree = tree
        self.previous = previous
        self.build_args = build_args
        self.target_platform = parse_platform(target_platform)
        self.build_platform = parse_platform(build_platform) if build_platform else self.target_platform
        self.platforms_given = (target_platform, build_platform)
        self.target = target
        # What another analysis must be given to reuse this one's stages (a
        # dict of build arguments compares equal in any order).
        self.options = (tree.escape, build_args, self.target_platform, self.build_platform, target)
        self.lex = _lexer(tree.escape)
        count = len(tree.instructions)
        self.scopes: list[Scope] = [EMPTY_SCOPE] * count
        self.stage_of: list[int | None] = [None] * count
        self.declared: dict[int, tuple[Declared, ...]] = {}
        self.problems: list[SemanticProblem] = []
        self.references: list[StageReference] = []
        self.global_expansions: dict[str, tuple[str | None, str | None]] = {}
        # The instructions that may name a stage, and the ARGs and ENVs of the
        # stages, in order; see read_syntax.
        self.naming: list[int] = []
        self.scoping: list[int] = []

    def problem(self, index: int, message: str, span: Span | None = None) -> None:
        self.problems.append(SemanticProblem(index, message, span))

    def prepare(self) -> tuple[list[int], list[str | None], Mapping[str, str], tuple[MetaArg, ...]]:
        """The FROM lines, stage names, platform ARGs and meta ARGs; sets the global scope."""
        instructions = self.tree.instructions
        froms = self.read_syntax()
        names = [_stage_name(instructions[i]) for i in froms]
        platform_scope = self.platform_scope(names[-1] if names else None)

        first_from = froms[0] if froms else len(instructions)
        global_scope, meta_args = self.meta_args(platform_scope, first_from)
        self.global_scope = global_scope
        self.global_values = global_scope.values

        # Stage names as COPY --from and --mount=from= see them: all of them,
        # the last stage of a name winning (``findStateByName``).
        self.final_names = {name: position for position, name in enumerate(names) if name is not None}
        self.stage_count = len(froms)
        return froms, names, platform_scope.args, meta_args

    def read_syntax(self) -> list[int]:
        """Read the syntax of the instructions the analysis looks into, all in one
        pass of the grammar, and return where the FROMs are.

        Syntax costs more to read than the rest of the analysis, and most
        instructions (RUN, CMD, LABEL...) need not be read: they read theirs
        if someone asks.  Read are every FROM, ARG, ENV and ONBUILD, the COPY
        and RUN that :func:`_may_name_stage`, and before the first FROM every
        instruction but unknown ones (a problem names their keyword).  The
        ONBUILDs, COPYs and RUNs that may name a stage are kept in ``naming``,
        the ARGs and ENVs after the first FROM in ``scoping``.
        """
        froms: list[int] = []
        read: list[Instruction] = []
        naming = self.naming
        scoping = self.scoping
        roles = _ROLES
        for index, ins in enumerate(self.tree.instructions):
            role = roles[type(ins)]
            if role == "flagged":
                if froms:
                    if not _may_name_stage(ins):
                        continue
                    naming.append(index)
            elif role == "scoping":
                if froms:
                    scoping.append(index)
            elif role == "from":
                froms.append(index)
            elif role == "onbuild":
                naming.append(index)
            elif froms or role == "unknown":
                continue
            read.append(ins)
        read_instructions(read)
        return froms

    def platform_scope(self, last_stage_name: str | None) -> Scope:
        """The global scope before the meta ARGs: the automatic platform ARGs."""
        target_stage = self.target or last_stage_name or ""
        # platform.go, ``defaultArgs``: build args override them.
        overrides = ()
        if self.build_args:
            overrides = tuple((key, value) for key, value in self.build_args.items() if key in PLATFORM_ARG_NAMES)
        return _platform_scope(*self.platforms_given, target_stage, overrides)

    def platform_of(self, from_index: int, ins: FromInstruction) -> tuple[str | None, str | None, Platform | None]:
        """What the ``--platform`` of a FROM says: as written, expanded and
        parsed; None for each without the flag, the last two None when it is
        unusable (a problem then says why)."""
        flag = ins.flag("platform")
        raw = flag.value if flag else None  # (ins.platform, from the flag its span is needed from)
        # BuildKit ignores an empty --platform= (``if v := st.Platform; v != ""``).
        if not raw:
            return raw, None, None
        span = flag.value_span
        expanded = self.expand_global(from_index, raw, span)
        if expanded == "":
            self.problem(from_index, f"empty platform value from expression {raw}", span)
            return raw, None, None
        if expanded is None:
            return raw, None, None
        try:
            return raw, expanded, parse_platform(expanded)
        except ValueError as error:
            self.problem(from_index, f"failed to parse platform {raw}: {error}", span)
            return raw, expanded, None

    def run(self) -> SemanticModel:
        instructions = self.tree.instructions
        froms, names, platform_args, meta_args = self.prepare()
        global_scope = self.global_scope

        stages: list[Stage] = []
        final_scopes: list[Scope] = []
        dependencies: list[frozenset[int]] = []
        earlier_names: dict[str, int] = {}
        onbuild_refs: list[list[StageReference]] = []
        reused: list[_StageMemo | None] = []
        reusable = self.reusable_memos(names)
        for position, from_index in enumerate(froms):
            end = froms[position + 1] if position + 1 < len(froms) else len(instructions)
            memo = reusable[position] if reusable is not None else None
            if memo is not None and (
                # (the same nodes, as an incremental parse keeps them, compare at C speed)
                memo.stage.instructions != instructions[from_index:end]
                or (memo.stage.base_stage is not None and reused[memo.stage.base_stage] is None)
            ):
                memo = None
            reused.append(memo)
            if memo is not None:
                stage = self.replay(memo, from_index, end)
            else:
                stage = self.stage(position, from_index, end, names[position], earlier_names, stages)
            stages.append(stage)
            if stage.name is not None:
                earlier_names[stage.name] = position
            if memo is not None:
                final_scopes.append(memo.final_scope)
                onbuild_refs.append(memo.onbuild_references(from_index))
                dependencies.append(memo.dependencies)
                continue

            start = EMPTY_SCOPE
            triggers: tuple[Instruction, ...] = ()
            if stage.base_stage is not None:
                start = final_scopes[stage.base_stage]
                triggers = _onbuild_triggers(stages[stage.base_stage])
            for trigger in triggers:
                start = self.step(start, trigger, from_index)
            final_scope = self.stage_scopes(stage, start)
            final_scopes.append(final_scope)

            # (most files name a stage in FROM lines only: nothing else to look at)
            direct, onbuild = self.stage_references(stage) if self.naming else ((), ())
            onbuild_refs.append(onbuild)
            deps = {ref.stage for ref in direct if ref.stage is not None}
            if stage.base_stage is not None:
                deps.add(stage.base_stage)
                deps.update(ref.stage for ref in onbuild_refs[stage.base_stage] if ref.stage is not None)
            dependencies.append(frozenset(deps))

        results = (
            tuple(stages),
            tuple(self.scopes),
            MappingProxyType(self.declared),
            _in_order(self.problems, _INSTRUCTION_INDEX),
            _in_order(self.references, _REFERENCE_ORDER),
            tuple(final_scopes),
            tuple(dependencies),
        )
        stage_tuple, scopes, declared, problems, references, final_scope_tuple, dependency_tuple = results
        return _new_model(
            tree=self.tree,
            build_args=MappingProxyType(self.build_args),  # (analyze gave the analysis its own dict)
            target_platform=self.target_platform,
            build_platform=self.build_platform,
            platform_args=platform_args,
            meta_args=meta_args,
            global_scope=global_scope,
            stages=stage_tuple,
            stage_references=references,
            problems=problems,
            _scopes=scopes,
            _final_scopes=final_scope_tuple,
            _stage_of=tuple(self.stage_of),
            _declared=declared,
            _dependencies=dependency_tuple,
            _lex=self.lex,
            _memo=_AnalysisMemo(self.options, global_scope, names, reused, results),
        )

    # -- reading again only the stages an edit changed ---------------------------

    def reusable_memos(self, names: list[str | None]) -> tuple[_StageMemo, ...] | None:
        """The previous analysis's stages, if what every stage reads beyond its own
        instructions (the options, the global scope, the stage names) is unchanged."""
        previous = self.previous
        if previous is None or previous.options != self.options or previous.names != names:
            return None
        if previous.global_scope != self.global_scope:
            return None
        return previous.stages

    def replay(self, memo: _StageMemo, from_index: int, end: int) -> Stage:
        """Record what ``memo`` read of a stage that now starts at ``from_index``."""
        shift = from_index - memo.stage.from_index
        instructions = self.tree.instructions[from_index:end]
        stage = memo.stage
        if shift or not all(map(is_, instructions, stage.instructions)):
            stage = stage._replace(
                from_index=from_index, instruction_indices=tuple(range(from_index, end)), instructions=instructions
            )
        self.scopes[from_index:end] = memo.scopes
        self.stage_of[from_index:end] = [stage.index] * (end - from_index)
        for offset, declared in memo.declared.items():
            self.declared[from_index + offset] = declared
        self.problems.extend(_shifted(memo.problems, shift))
        self.references.extend(_shifted(memo.references, shift))
        return stage

    # -- the global scope ---------------------------------------------------------

    def meta_args(self, scope: Scope, first_from: int) -> tuple[Scope, tuple[MetaArg, ...]]:
        instructions = self.tree.instructions
        meta: list[MetaArg] = []
        for index in range(first_from):
            ins = instructions[index]
            self.scopes[index] = scope
            if not isinstance(ins, ArgInstruction):
                # instructions/commands.go, ``CurrentStage``.  An unknown
                # instruction is the syntax layer's error, not repeated here.
                if not isinstance(ins, UnknownInstruction):
                    self.problem(index, f"{ins.command} before the first FROM: no build stage in current context")
                continue
            pairs = ins.pairs
            scope, declared = declare_meta_args(scope, pairs, self.build_args, self.lex)
            self.declared[index] = declared
            for pair, result in zip(pairs, declared):
                if result.error is not None:
                    self.problem(index, str(result.error), pair.value_span)
                meta.append(
                    MetaArg(
                        name=pair.key,
                        default=pair.value,
                        instruction_index=index,
                        name_span=pair.key_span,
                        default_span=pair.value_span,
                        value=scope.values.get(pair.key) if result.value is None else result.value,
                    )
                )
        return scope, tuple(meta)

    # -- stages -------------------------------------------------------------------

    def stage(
        self,
        position: int,
        from_index: int,
        end: int,
        name: str | None,
        earlier_names: Mapping[str, int],
        stages: list[Stage],
    ) -> Stage:
        ins = self.tree.instructions[from_index]
        assert isinstance(ins, FromInstruction)
        name_span = ins.stage_name_span
        if name is not None and not _VALID_STAGE_NAME.match(name):
            self.problem(
                from_index,
                f"invalid name for build stage: {ins.stage_name!r}, name can't start with a number or contain symbols",
                name_span,
            )
        base_name = ins.image
        base_name_span = ins.image_span
        expanded_base = self.expand_global(from_index, base_name, base_name_span)
        if expanded_base == "":
            self.problem(from_index, f"base name ({base_name}) should not be blank", base_name_span)
            expanded_base = None

        platform, expanded_platform, parsed_platform = self.platform_of(from_index, ins)

        base_stage = earlier_names.get(expanded_base) if expanded_base is not None else None
        if base_stage is not None:
            # convert.go, ``dispatchState.init``: the base stage's platform wins.
            effective = stages[base_stage].effective_platform
        else:
            effective = parsed_platform or self.target_platform
        if base_name_span is not None:
            self.references.append(
                _new_tuple(
                    StageReference, ("from", from_index, base_name, base_name_span, expanded_base, base_stage, position, False)
                )
            )
        return _new_tuple(
            Stage,
            (
                position,  # index
                name,
                name_span,
                from_index,
                tuple(range(from_index, end)),  # instruction_indices
                self.tree.instructions[from_index:end],  # instructions
                base_name,
                base_name_span,
                platform,
                expanded_base,  # expanded_base_name
                expanded_platform,
                base_stage,
                effective,  # effective_platform
            ),
        )

    def expand_global(self, index: int, word: str, span: Span | None) -> str | None:
        # FROM lines repeat the same few words ($BUILDPLATFORM, an image...),
        # all expanded with the one global scope: each is expanded once.
        cached = self.global_expansions.get(word)
        if cached is None:
            try:
                cached = (self.lex.expand(word, self.global_values), None)
            except ExpansionError as error:
                cached = (None, str(error))
            self.global_expansions[word] = cached
        value, error = cached
        if error is not None:
            self.problem(index, error, span)
        return value

    def stage_scopes(self, stage: Stage, scope: Scope) -> Scope:
        """Record the scope before each instruction of ``stage``, and what its
        ARGs and ENVs declared; return the final scope."""
        from_index = stage.from_index
        end = from_index + len(stage.instructions)
        scopes = self.scopes
        scopes[from_index] = self.global_scope
        self.stage_of[from_index:end] = [stage.index] * (end - from_index)
        instructions = self.tree.instructions
        scoping = self.scoping
        first = bisect_right(scoping, from_index)
        last = bisect_left(scoping, end, first)
        # Only an ARG or ENV changes the scope: the instructions between two
        # of them all see the same one.
        start = from_index + 1
        for index in scoping[first:last]:
            scopes[start : index + 1] = [scope] * (index + 1 - start)
            scope = self.step(scope, instructions[index], index, record=True)
            start = index + 1
        scopes[start:end] = [scope] * (end - start)
        return scope

    def step(self, scope: Scope, ins: Instruction, index: int, record: bool = False) -> Scope:
        """The scope after ``ins`` (an instruction of a stage, or an ONBUILD trigger)."""
        if isinstance(ins, ArgInstruction):
            pairs = ins.pairs
            scope, declared = declare_stage_args(scope, pairs, self.build_args, self.global_values, self.lex)
        elif isinstance(ins, EnvInstruction):
            pairs = ins.pairs
            scope, declared = set_env(scope, pairs, self.lex)
        else:
            return scope
        if record:
            self.declared[index] = declared
            for pair, result in zip(pairs, declared):
                if result.error is not None:
                    self.problem(index, str(result.error), pair.value_span)
        return scope

    # -- references ----------------------------------------------------------------

    def stage_references(self, stage: Stage) -> tuple[list[StageReference], list[StageReference]]:
        """The COPY --from and --mount=from= references of ``stage``: its own, and
        those of its ONBUILD triggers."""
        direct: list[StageReference] = []
        onbuild: list[StageReference] = []
        naming = self.naming
        first = bisect_right(naming, stage.from_index)
        last = bisect_left(naming, stage.from_index + len(stage.instructions), first)
        instructions = self.tree.instructions
        for index in naming[first:last]:
            ins = instructions[index]
            if not isinstance(ins, OnbuildInstruction):
                direct.extend(self.instruction_references(ins, index, stage, onbuild=False))
                continue
            trigger = ins.trigger
            if trigger is not None and _may_name_stage(trigger):
                onbuild.extend(self.instruction_references(trigger, index, stage, onbuild=True))
        self.references.extend(direct)
        self.references.extend(onbuild)
        return direct, onbuild

    def instruction_references(
        self, ins: Instruction, index: int, stage: Stage, onbuild: bool
    ) -> list[StageReference]:
        """The references of a COPY or RUN that :func:`_may_name_stage`."""
        found: list[StageReference] = []
        if isinstance(ins, CopyInstruction):
            flag = ins.flag("from")
            if flag is not None and flag.value:
                span = flag.value_span or flag.span
                target = self.copy_from_stage(flag.value, index, span)
                found.append(
                    StageReference("copy-from", index, flag.value, span, flag.value, target, stage.index, onbuild)
                )
        elif isinstance(ins, RunInstruction):
            for flag in ins.flags:
                if flag.name == "mount" and flag.value is not None:
                    found.extend(self.mount_references(ins, flag, index, stage, onbuild))
        for ref in found:
            # BuildKit dispatches stages in file order and refuses a source
            # that is not built yet.  A trigger's references belong to the
            # stages built FROM this one, which come later.
            if ref.stage is not None and ref.stage >= stage.index and not onbuild:
                verb = "copy" if ref.kind == "copy-from" else "mount"
                message = f"cannot {verb} from stage {ref.text!r}: it needs to be defined before stage"
                self.problem(index, f"{message} {stage.display_name!r}", ref.span)
        return found

    def mount_references(
        self, ins: Instruction, flag: Flag, index: int, stage: Stage, onbuild: bool
    ) -> list[StageReference]:
        """``parseMount`` / ``detectRunMount``: the ``from`` of each ``--mount``, by name only."""
        mount = flag.value or ""
        # Most mounts (caches, secrets...) name no stage: without a ``"`` the
        # CSV reader cannot fail, and a key lower-cased to ``from`` is written
        # with the letters of "from" (no other character lower-cases to one).
        if '"' not in mount and "from" not in mount.lower():
            return []
        try:
            fields = mount_fields(mount)
        except ValueError as error:
            self.problem(index, f"failed to parse csv mounts: {error}", flag.value_span)
            return []
        found = []
        for field in fields:
            if field.key != "from" or field.value is None:
                continue
            value = field.value
            span = flag_value_span(ins, flag, field.start, field.end)
            target = None
            dollar = value.find("$")
            if dollar != -1 and dollar != len(value) - 1:
                self.problem(index, "'from' doesn't support variable expansion, define alias stage instead", span)
            elif value:
                target = self.final_names.get(value.lower())
            found.append(StageReference("mount-from", index, value, span, value, target, stage.index, onbuild))
        return found

    def copy_from_stage(self, value: str, index: int, span: Span) -> int | None:
        """``toCommand``: no variables; a number is an index; otherwise a name, any case."""
        try:
            unchanged = self.lex.expand(value, {}) == value
        except ExpansionError:
            unchanged = False
        if not unchanged:
            self.problem(
                index,
                "variable expansion is not supported for --from, define a new stage with FROM using ARG "
                "from global scope as a workaround",
                span,
            )
            return None
        number = stage_index_of(value)
        if number is not None:
            if 0 <= number < self.stage_count:
                return number
            self.problem(index, f"invalid stage index {number}", span)
            return None
        return self.final_names.get(value.lower())


class _Roles(dict):
    """The kind of each class of instruction, as :meth:`_Analysis.read_syntax`
    treats it, found once per class."""

    def __missing__(self, cls: type) -> str:
        if issubclass(cls, FromInstruction):
            role = "from"
        elif issubclass(cls, (ArgInstruction, EnvInstruction)):
            role = "scoping"
        elif issubclass(cls, OnbuildInstruction):
            role = "onbuild"
        elif issubclass(cls, (CopyInstruction, RunInstruction)):
            role = "flagged"
        elif issubclass(cls, UnknownInstruction):
            role = "unknown"
        else:
            role = "other"
        self[cls] = role
        return role


_ROLES = _Roles()


@cache  # a lexer is immutable, and all it depends on is the escape character
def _lexer(escape: str) -> ShellLex:
    return ShellLex(escape)


@lru_cache(maxsize=64)  # a scope is immutable, and builds repeat the same few platforms
def _platform_scope(target: str, build: str | None, target_stage: str, overrides: tuple[tuple[str, str], ...]) -> Scope:
    """The automatic platform ARGs for the platforms given to :func:`analyze`:
    found by those strings, which hash faster than the platforms they parse to."""
    target_platform = parse_platform(target)
    build_platform = parse_platform(build) if build else target_platform
    platform_args = automatic_platform_args(target_platform, build_platform, target_stage)
    platform_args.update(overrides)
    return Scope.of(platform_args)


def _may_name_stage(ins: Instruction) -> bool:
    """Whether ``ins`` is a COPY or RUN with a flag that may name a stage
    (``--from``, ``--mount``), so that its syntax must be read.

    BuildKit's flag names are case-sensitive, so no other spelling names a
    stage, but quotes and escapes may stand inside one (``--"from"=a`` is
    ``--from=a``): a line that holds them is looked at without them.
    """
    if not isinstance(ins, (CopyInstruction, RunInstruction)):
        return False
    if ins.is_read:  # the flags are known: the exact test is the cheaper one
        for flag in ins.syntax.flags:
            if flag.name == "from" or flag.name == "mount":
                return True
        return False
    logical = ins.logical
    return "--" in logical and _stage_flag(ins.escape).search(logical) is not None


@cache
def _stage_flag(escape: str) -> re.Pattern[str]:
    """``--from`` or ``--mount`` in a line, as written or with quotes and escape
    characters between its letters."""
    quiet = "[" + re.escape("\"'" + escape) + "]*"
    flags = ("--from", "--mount")
    if any(escape in flag for flag in flags):
        # Removing the escape characters removes a letter: such a flag is found as written only.
        return re.compile("|".join(re.escape(flag) if escape in flag else quiet.join(flag) for flag in flags))
    # (the same search, with the dashes both flags start with read once: twice as fast)
    return re.compile(quiet.join("--") + quiet + "(?:" + quiet.join("from") + "|" + quiet.join("mount") + ")")


def _stage_name(ins: Instruction) -> str | None:
    assert isinstance(ins, FromInstruction)
    name = ins.stage_name
    return None if name is None else name.lower()


def _onbuild_triggers(stage: Stage) -> tuple[Instruction, ...]:
    """The ONBUILD triggers of a stage, which run first in a stage built FROM it
    (convert.go, ``resolveStages`` / ``initOnBuildTriggers``)."""
    return tuple(
        ins.trigger for ins in stage.instructions if isinstance(ins, OnbuildInstruction) and ins.trigger is not None
    )
