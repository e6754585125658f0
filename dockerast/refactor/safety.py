"""Does a rewritten Dockerfile build the same thing?

:func:`build_meaning` evaluates a tree the way BuildKit would for a set of
target platforms and build args: per stage, the effective base image and
platform, and per instruction its expanded words and every ARG/ENV value it
sees.  Each check runs for linux/amd64 and linux/arm64, with the defaults
and with every declared ARG set by ``--build-arg`` (to a value of its own),
so that a rewrite that only works for the default values is caught.  :func:`check_same_meaning` compares two trees and raises
:class:`RefactorError` on any difference the operation has not declared:

* ``platform_of_stages``: those stages' platform may change (and nothing else);
* ``moved_args``: instructions may change places within their stage, and
  instructions that do not reference one of these names may stop or start
  seeing it; ``moved`` (indices before the change) may see any name they do
  not reference change;
* ``rewritten``: those instructions (indices before the change) may be
  written differently, as long as the variables every instruction sees stay
  the same.

Without ``moved_args`` instructions are compared place by place, so their
text may change (casing, layout) while their meaning may not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from dockerast.cst.nodes import ArgInstruction, Dockerfile
from dockerast.refactor.references import referenced_names
from dockerast.refactor.result import RefactorError
from dockerast.semantic.model import analyze
from dockerast.semantic.shell import ExpansionError

TARGET_PLATFORMS = ("linux/amd64", "linux/arm64")


@dataclass(frozen=True, slots=True)
class InstructionMeaning:
    stage: int
    index: int
    text: str
    occurrence: int
    flags: tuple[str, ...]
    words: tuple[str, ...]
    scope: tuple[tuple[str, str | None], ...]
    references: frozenset[str]


@dataclass(frozen=True, slots=True)
class StageMeaning:
    name: str | None
    base: str
    platform: str | None
    instructions: tuple[InstructionMeaning, ...]


def build_meaning(tree: Dockerfile, target_platform: str, build_args: Mapping[str, str] | None = None) -> tuple[StageMeaning, ...]:
    """What each stage builds, as far as the Dockerfile decides it."""
    return _build_meaning(tree, target_platform, tuple(sorted((build_args or {}).items())))


# Several refactors of one tree (the fixes of one check) compare against it.
@lru_cache(maxsize=16)
def _build_meaning(tree: Dockerfile, target_platform: str, build_args: tuple[tuple[str, str], ...]) -> tuple[StageMeaning, ...]:
    model = analyze(tree, build_args=dict(build_args), target_platform=target_platform)
    stages = []
    for stage in model.stages:
        seen: Counter[str] = Counter()
        instructions = []
        for i in stage.instruction_indices[1:]:
            ins = tree.instructions[i]
            text = ins.logical.strip()
            seen[text] += 1
            scope = model.scope_at(i)
            visible = {**{k: v for k, v in scope.args.items()}, **scope.env}
            instructions.append(
                InstructionMeaning(
                    stage=stage.index,
                    index=i,
                    text=text,
                    occurrence=seen[text],
                    flags=tuple(f.unquoted for f in ins.flags),
                    words=_effective_words(model, i),
                    scope=tuple(sorted(visible.items())),
                    references=referenced_names(ins),
                )
            )
        stages.append(StageMeaning(stage.name, stage.expanded_base_name, stage.expanded_platform, tuple(instructions)))
    return tuple(stages)


def _builds(tree: Dockerfile, build_args: Mapping[str, str] | None):
    """The (platform, build args) pairs a rewrite must keep the meaning for."""
    declared = sorted({p.key for ins in tree.instructions if isinstance(ins, ArgInstruction) for p in ins.pairs})
    overridden = {name: f"{name.lower()}-from-build-arg" for name in declared}
    for platform in TARGET_PLATFORMS:
        yield platform, build_args
        if overridden:
            yield platform, {**overridden, **(build_args or {})}


def _effective_words(model, index: int) -> tuple[str, ...]:
    # A word BuildKit would fail on must fail the same way afterwards.
    try:
        return tuple(model.effective_words(index))
    except ExpansionError as error:
        return (f"<error: {error}>",)


def check_same_meaning(
    before: Dockerfile,
    after: Dockerfile,
    *,
    platform_of_stages: frozenset[int] = frozenset(),
    moved_args: frozenset[str] | None = None,
    moved: frozenset[int] = frozenset(),
    rewritten: frozenset[int] = frozenset(),
    build_args: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`RefactorError` if ``after`` builds differently from ``before`` beyond what is declared."""
    for platform, args in _builds(before, build_args):
        old = build_meaning(before, platform, args)
        new = build_meaning(after, platform, args)
        if len(old) != len(new):
            raise RefactorError(f"the number of stages changed from {len(old)} to {len(new)}")
        for index, (a, b) in enumerate(zip(old, new)):
            label = a.name or f"#{index}"
            if (a.name, a.base) != (b.name, b.base):
                raise RefactorError(f"stage {label}: the base image changed ({a.base!r} to {b.base!r}) for {platform}")
            if a.platform != b.platform and index not in platform_of_stages:
                raise RefactorError(f"stage {label}: the platform changed ({a.platform!r} to {b.platform!r}) for {platform}")
            _compare_instructions(label, platform, a.instructions, b.instructions, moved_args, moved, rewritten)


def _compare_instructions(label, platform, old, new, moved_args, moved, rewritten) -> None:
    if moved_args is None:
        if len(old) != len(new):
            raise RefactorError(f"stage {label}: instructions were added or removed")
        pairs = list(zip(old, new))
    else:
        if Counter(i.text for i in old) != Counter(i.text for i in new):
            raise RefactorError(f"stage {label}: instructions were added or removed")
        by_key = {(i.text, i.occurrence): i for i in new}
        pairs = [(a, by_key[(a.text, a.occurrence)]) for a in old]
    for a, b in pairs:
        if a.index in rewritten:
            pass
        elif a.flags != b.flags:
            raise RefactorError(f"stage {label}: the flags of {a.text[:60]!r} would change")
        elif a.words != b.words:
            raise RefactorError(f"stage {label}: {a.text[:60]!r} would expand to {b.words} instead of {a.words} for {platform}")
        old_scope, new_scope = dict(a.scope), dict(b.scope)
        for name in set(old_scope) | set(new_scope):
            if old_scope.get(name) == new_scope.get(name) and (name in old_scope) == (name in new_scope):
                continue
            if moved_args is not None and name not in a.references and (name in moved_args or a.index in moved):
                continue
            raise RefactorError(
                f"stage {label}: {a.text[:60]!r} would see {_shown(new_scope, name)} instead of "
                f"{_shown(old_scope, name)} for {platform}"
            )


def _shown(scope: dict, name: str) -> str:
    if name not in scope:
        return f"{name} unset"
    value = scope[name]
    return f"{name} declared without a value" if value is None else f"{name}={value!r}"
