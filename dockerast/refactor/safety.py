"""Does a rewritten Dockerfile build the same thing?

:func:`build_meaning` evaluates a tree the way BuildKit would for a set of
target platforms and build args: per stage, the effective base image and
platform, and per instruction its expanded words and every ARG/ENV value it
sees.  :func:`check_same_meaning` compares two trees and raises
:class:`RefactorError` on any difference the operation has not declared:

* ``platform_of_stages``: those stages' platform may change (and nothing else);
* ``moved_args``: instructions may change places within their stage, and
  instructions that do not reference one of these names may stop or start
  seeing it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from dockerast.cst.nodes import Dockerfile
from dockerast.refactor.references import referenced_names
from dockerast.refactor.result import RefactorError
from dockerast.semantic.model import analyze

TARGET_PLATFORMS = ("linux/amd64", "linux/arm64")


@dataclass(frozen=True, slots=True)
class InstructionMeaning:
    stage: int
    text: str
    occurrence: int
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
    model = analyze(tree, build_args=build_args, target_platform=target_platform)
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
                    text=text,
                    occurrence=seen[text],
                    words=tuple(model.effective_words(i)),
                    scope=tuple(sorted(visible.items())),
                    references=referenced_names(ins),
                )
            )
        stages.append(StageMeaning(stage.name, stage.expanded_base_name, stage.expanded_platform, tuple(instructions)))
    return tuple(stages)


def check_same_meaning(
    before: Dockerfile,
    after: Dockerfile,
    *,
    platform_of_stages: frozenset[int] = frozenset(),
    moved_args: frozenset[str] | None = None,
    build_args: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`RefactorError` if ``after`` builds differently from ``before`` beyond what is declared."""
    for platform in TARGET_PLATFORMS:
        old = build_meaning(before, platform, build_args)
        new = build_meaning(after, platform, build_args)
        if len(old) != len(new):
            raise RefactorError(f"the number of stages changed from {len(old)} to {len(new)}")
        for index, (a, b) in enumerate(zip(old, new)):
            label = a.name or f"#{index}"
            if (a.name, a.base) != (b.name, b.base):
                raise RefactorError(f"stage {label}: the base image changed ({a.base!r} to {b.base!r}) for {platform}")
            if a.platform != b.platform and index not in platform_of_stages:
                raise RefactorError(f"stage {label}: the platform changed ({a.platform!r} to {b.platform!r}) for {platform}")
            _compare_instructions(label, platform, a.instructions, b.instructions, moved_args)


def _compare_instructions(label, platform, old, new, moved_args) -> None:
    if moved_args is None:
        if [i.text for i in old] != [i.text for i in new]:
            raise RefactorError(f"stage {label}: the instructions or their order changed")
    elif Counter(i.text for i in old) != Counter(i.text for i in new):
        raise RefactorError(f"stage {label}: instructions were added or removed")
    by_key = {(i.text, i.occurrence): i for i in new}
    for a in old:
        b = by_key[(a.text, a.occurrence)]
        if a.words != b.words:
            raise RefactorError(f"stage {label}: {a.text[:60]!r} would expand to {b.words} instead of {a.words} for {platform}")
        old_scope, new_scope = dict(a.scope), dict(b.scope)
        for name in set(old_scope) | set(new_scope):
            if old_scope.get(name) == new_scope.get(name) and (name in old_scope) == (name in new_scope):
                continue
            if moved_args is not None and name in moved_args and name not in a.references:
                continue
            raise RefactorError(
                f"stage {label}: {a.text[:60]!r} would see {name}={new_scope.get(name)!r} instead of "
                f"{old_scope.get(name)!r} for {platform}"
            )
