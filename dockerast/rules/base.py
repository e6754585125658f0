"""What a rule is: metadata on the class, a pure check, an optional fix.

Every rule is one small module with one :class:`Rule` subclass.  Its class
attributes say what it is (stable ``code``, CamelCase ``name`` -- BuildKit's
own where it is the same check -- default ``severity``, ``url``) and its
docstring, written under fixed headings (What it does / Why is this bad /
Example / Fix safety), is its documentation.  ``bad_example``,
``good_example`` and ``fixed_example`` are also its tests: the bad one must
trigger exactly this rule, the good one must not, and fixing the bad one must
give the fixed one.

``check`` receives a :class:`CheckContext` and yields findings through
``ctx.finding(...)``; it never edits anything.  A fix is a list of text edits
with a declared :class:`FixSafety`, usually computed by the refactoring API.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Callable, ClassVar, Container, Iterable, Iterator, Mapping

from dockerast.cst.nodes import Dockerfile, Instruction, Span
from dockerast.cst.positions import LineIndex
from dockerast.refactor.edits import TextEdit
from dockerast.semantic.model import SemanticModel, Stage, analyze


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so ``--fail-level`` compares."""

    HINT = 0
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


class FixSafety(enum.Enum):
    """SAFE fixes keep the build's meaning and are applied by ``fix``; UNSAFE ones need ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    edits: tuple[TextEdit, ...]
    safety: FixSafety = FixSafety.SAFE


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at ``[start, end)`` of the file, with its rule and its fix.

    A rule may give its fix as a function: it is computed the first time
    :attr:`fix` is read, so that checking costs nothing for fixes nobody
    applies (an editor asks for one fix at a time).
    """

    code: str
    name: str
    message: str
    start: int
    end: int
    severity: Severity
    url: str
    fix_or_factory: Fix | Callable[[], Fix | None] | None = field(default=None, repr=False)
    instruction_index: int | None = None

    @property
    def fix(self) -> Fix | None:
        value = self.fix_or_factory
        if callable(value):
            value = value()
            object.__setattr__(self, "fix_or_factory", value)
        return value

    def offered_fix_safety(self) -> str | None:
        """"safe" / "unsafe" when a fix is offered, without computing a pending one (its rule declares it)."""
        pending = self.fix_or_factory
        if pending is None:
            return None
        if not callable(pending):
            return pending.safety.value if pending.edits else None
        from dockerast.rules.registry import rule_by_key  # noqa: PLC0415  (the registry imports the rules)

        rule = rule_by_key(self.code)
        return rule.fix_safety.value if rule is not None and rule.fix_safety is not None else "unsafe"

    def __reduce__(self):
        # A computed fix travels between processes; a pending one cannot.
        return (Finding, (self.code, self.name, self.message, self.start, self.end, self.severity, self.url,
                          self.fix, self.instruction_index))


_UNKNOWN = object()


class StageFacts:
    """Facts about single stages that depend only on the stage, the stages it
    reads and the instructions before the first FROM, never on where it stands
    (no offsets, no instruction indices but relative to its FROM): each
    computed once per check, and taken from an earlier version of the document
    for a stage an edit left unchanged."""

    __slots__ = ("_facts", "_earlier", "_unchanged")

    def __init__(self) -> None:
        self._facts: dict[tuple[str, int], object] = {}
        self._earlier: Mapping[tuple[str, int], object] = {}
        self._unchanged: Container[int] = ()

    def carry_over(self, earlier: StageFacts, unchanged: Container[int]) -> None:
        """Take the facts of ``earlier`` about the stages ``unchanged`` since."""
        self._earlier, self._unchanged = earlier._facts, unchanged

    def get(self, key: str, stage: int, compute: Callable[[], object]) -> object:
        """The fact ``key`` about stage ``stage``: ``compute()`` unless known."""
        fact_key = (key, stage)
        # (a sentinel, not KeyError: in a first check most questions are new)
        value = self._facts.get(fact_key, _UNKNOWN)
        if value is not _UNKNOWN:
            return value
        value = self._earlier.get(fact_key, _UNKNOWN) if stage in self._unchanged else _UNKNOWN
        if value is _UNKNOWN:
            value = compute()
        self._facts[fact_key] = value
        return value


class CheckContext:
    """What a rule sees: the tree, its semantic model and helpers to report findings."""

    def __init__(self, tree: Dockerfile, model: SemanticModel | None = None, *, context_dir: str | None = None,
                 image_platforms: dict[str, list[str]] | None = None) -> None:
        self.tree = tree
        self._model = model
        self.context_dir = context_dir
        self.image_platforms = image_platforms
        self._rule: type[Rule] | None = None
        # The stages a stage-scoped rule looks at (None: all of them); see Rule.scope.
        self._units: frozenset[int] | None = None
        self.stage_facts = StageFacts()
        self._by_kinds: dict[tuple[type[Instruction], ...], list[tuple[int, Instruction]]] = {}

    def restricted(self, rule: type[Rule], units: frozenset[int] | None) -> CheckContext:
        """This context for one rule, looking at the stages ``units`` only (None: all),
        sharing everything already computed."""
        clone = object.__new__(CheckContext)
        clone.__dict__.update(self.__dict__)
        clone._rule = rule
        clone._units = units
        return clone

    @cached_property
    def model(self) -> SemanticModel:
        return self._model or analyze(self.tree)

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        return self.tree.instruction_offsets()

    @cached_property
    def text(self) -> str:
        return str(self.tree)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    def absolute(self, index: int, span: Span) -> tuple[int, int]:
        base = self.offsets[index]
        return base + span.start, base + span.end

    def edit(self, index: int, span: Span, new_text: str) -> TextEdit:
        start, end = self.absolute(index, span)
        return TextEdit(start, end, new_text)

    def finding(
        self,
        index: int | None,
        span: Span | None,
        message: str,
        *,
        fix: Fix | Callable[[], Fix | None] | None = None,
        absolute: tuple[int, int] | None = None,
    ) -> Finding:
        """A finding of the running rule on instruction ``index`` at ``span`` (relative to it)."""
        rule = self._rule
        assert rule is not None
        if absolute is not None:
            start, end = absolute
        elif index is not None:
            ins = self.tree.instructions[index]
            start, end = self.absolute(index, span if span is not None else ins.content_span)
        else:
            start = end = 0
        return Finding(rule.code, rule.name, message, start, end, rule.severity, rule.url, fix, index)

    def stage_fact(self, key: str, stage: int, compute: Callable[[], object]) -> object:
        """See :class:`StageFacts`."""
        return self.stage_facts.get(key, stage, compute)

    def instructions(self, *kinds: type[Instruction]) -> Iterator[tuple[int, Instruction]]:
        """Every instruction with its index, or those of the classes ``kinds``; for a
        stage-scoped rule in an incremental check, those before the first FROM and
        those of the stages to look at."""
        if self._units is not None:
            found = self._unit_instructions()
            return ((i, ins) for i, ins in found if isinstance(ins, kinds)) if kinds else found
        if not kinds:
            return enumerate(self.tree.instructions)
        return iter(self._of_kinds(kinds))

    def _of_kinds(self, kinds: tuple[type[Instruction], ...]) -> list[tuple[int, Instruction]]:
        known = self._by_kinds.get(kinds)
        if known is None:
            lists = [pairs for cls, pairs in self._by_class.items() if issubclass(cls, kinds)]
            known = self._by_kinds[kinds] = lists[0] if len(lists) == 1 else sorted(chain.from_iterable(lists))
        return known

    @cached_property
    def _by_class(self) -> dict[type[Instruction], list[tuple[int, Instruction]]]:
        # Most rules look at one or two kinds of instructions: the file is sorted
        # by class once, not walked again by each of them.
        found: dict[type[Instruction], list[tuple[int, Instruction]]] = {}
        for pair in enumerate(self.tree.instructions):
            found.setdefault(type(pair[1]), []).append(pair)
        return found

    def _unit_instructions(self) -> Iterator[tuple[int, Instruction]]:
        instructions = self.tree.instructions
        stages = self.model.stages
        yield from enumerate(instructions[: stages[0].from_index if stages else len(instructions)])
        for stage in self.stages():
            yield from zip(stage.instruction_indices, stage.instructions)

    def stages(self) -> Iterator[Stage]:
        """The stages of the model; for a stage-scoped rule in an incremental check,
        those to look at."""
        stages = self.model.stages
        if self._units is None:
            return iter(stages)
        return (stages[i] for i in sorted(self._units))


class Rule:
    """Base class of every rule: override the class attributes and :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    url: ClassVar[str] = ""
    buildkit: ClassVar[bool] = False
    experimental: ClassVar[bool] = False
    fix_safety: ClassVar[FixSafety | None] = None
    bad_example: ClassVar[str] = ""
    good_example: ClassVar[str] = ""
    fixed_example: ClassVar[str | None] = None
    # Inputs a rule needs to run at all ("image_platforms", "context_dir"),
    # and what its examples run with.
    needs: ClassVar[tuple[str, ...]] = ()
    # "stage": what the rule finds in a stage depends only on that stage, the
    # stages it reads (``SemanticModel.dependencies``), the instructions before
    # the first FROM and the stage names, and it walks the file through
    # ``ctx.instructions()`` / ``ctx.stages()``; an incremental check then runs
    # it on the stages an edit changed and reuses its findings elsewhere.
    # "file": it reads the whole file (a majority, the final stage, who uses a
    # stage...) and always runs on all of it.
    scope: ClassVar[str] = "file"
    # Messages that cite line numbers are reused only where the stage has not
    # moved to other lines.
    cites_lines: ClassVar[bool] = False
    example_image_platforms: ClassVar[dict[str, list[str]] | None] = None
    example_dockerignore: ClassVar[str | None] = None

    def check(self, ctx: CheckContext) -> Iterable[Finding]:  # pragma: no cover  (abstract)
        raise NotImplementedError

    @classmethod
    def docs(cls) -> str:
        import inspect  # noqa: PLC0415

        return inspect.cleandoc(cls.__doc__ or "")


_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def rule_url(name: str) -> str:
    """BuildKit's docs link for one of its checks: ``JSONArgsRecommended`` -> ``.../json-args-recommended/``."""
    return f"https://docs.docker.com/go/dockerfile/rule/{_WORD_BOUNDARY.sub('-', name).lower()}/"
