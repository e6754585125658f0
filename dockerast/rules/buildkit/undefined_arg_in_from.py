from __future__ import annotations

from typing import Callable, Iterable, Mapping

from dockerast.cst.nodes import FromInstruction, Instruction, Span
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.semantic.shell import ExpansionError, ShellLex


class UndefinedArgInFrom(Rule):
    """
    ## What it does
    Flags a variable used in a ``FROM`` line (in the base image or in
    ``--platform``) that no ARG before the first ``FROM`` declares and that
    is not one of BuildKit's automatic platform ARGs (``BUILDPLATFORM``,
    ``TARGETARCH``...).  An ARG declared without a default counts as
    declared.

    When a declared name is within two edits of the unknown one, the message
    suggests it, as BuildKit does: ``$BULIDPLATFORM`` gets "did you mean
    BUILDPLATFORM?".

    ## Why is this bad
    ``FROM`` only sees the global scope: the meta ARGs and the platform
    ARGs.  An undeclared name expands to an empty string, so
    ``FROM node:22${VARIANT}`` silently builds from ``node:22``, and a
    misspelt ``$BULIDPLATFORM`` empties the platform.

    ## Example
    ```dockerfile
    ARG VARIANT=-alpine
    FROM node:22${VARIANT}
    ```
    declares the ARG the line uses.

    ## Fix safety
    No fix: whether to declare the name or correct it is the author's call.
    """

    code = "BK009"
    scope = "stage"
    name = "UndefinedArgInFrom"
    summary = "FROM command must use declared ARGs"
    url = rule_url("UndefinedArgInFrom")
    buildkit = True
    bad_example = "FROM node:22${VARIANT}\nRUN node --version\n"
    good_example = "ARG VARIANT=-alpine\nFROM node:22${VARIANT}\nRUN node --version\n"

    def check(self, ctx: CheckContext):
        lex = ShellLex(ctx.tree.escape)
        # FROM lines repeat their words (``alpine:${ALPINE_VERSION}``) and
        # mostly share one scope: what a word looks up is read once per scope.
        lookups: dict[str, Lookups] = {}
        lookups_of: Mapping[str, str] | None = None
        suggestions: dict[str, str] = {}  # likewise, for the names of one scope
        suggestions_of: Mapping[str, object] | None = None
        for stage in ctx.stages():
            index = stage.from_index
            ins = ctx.tree.instructions[index]
            assert isinstance(ins, FromInstruction)
            scope = ctx.model.scope_at(index)
            if scope.values is not lookups_of:
                lookups, lookups_of = {}, scope.values
            if scope.args is not suggestions_of:
                suggestions, suggestions_of = {}, scope.args
            words = []
            if ins.image_span is not None:
                words.append((ins.image, ins.image_span))
            flag = ins.flag("platform")
            if flag is not None and flag.value:
                words.append((flag.value, flag.value_span or flag.span))
            for word, span in words:
                if "$" not in word:
                    continue  # it looks nothing up
                found = lookups.get(word)
                if found is None:
                    found = lookups[word] = undefined_lookups(lex, word, scope.values)
                if not found[0]:
                    continue  # every name it looks up is defined
                for name, name_span in placed(found, word, deferred_word_place(ins, span, word)):
                    if name in scope.args:
                        continue
                    message = f"FROM argument '{name}' is not declared"
                    # The names BuildKit accepts: every meta ARG (with a value or
                    # not) and the platform ARGs (convert.go, unusedFromArgsCheckKeys).
                    match = suggestions.get(name)
                    if match is None:
                        match = suggestions[name] = suggest(name, scope.args)
                    if match:
                        message += f" (did you mean {match}?)"
                    yield ctx.finding(index, name_span, message)


# The names a word looks up that its variables lack, and the offsets in the
# word of the first reference to each (the empty name of ``${+x}`` has none).
Lookups = tuple[frozenset[str], dict[str, tuple[int, int]]]


def undefined_names(
    lex: ShellLex, word: str, values: Mapping[str, str], place: Callable[[int, int], Span]
) -> list[tuple[str, Span]]:
    """The names ``word`` looks up that ``values`` lacks, once each, in the
    order they first appear, with the span of their first reference given by
    ``place`` (offsets in ``word`` to a span of the instruction).

    A word BuildKit cannot expand fails its build; the names referenced in
    it (up to the syntax error, if any) are reported all the same.
    """
    return placed(undefined_lookups(lex, word, values), word, place)


def undefined_lookups(lex: ShellLex, word: str, values: Mapping[str, str]) -> Lookups:
    """What :func:`undefined_names` finds, as offsets in ``word``."""
    try:
        names: Iterable[str] = lex.process_word(word, values).unmatched
    except ExpansionError:
        names = {ref.name for ref in lex.find_variable_references(word) if ref.name not in values}
    first: dict[str, tuple[int, int]] = {}
    if names:
        for ref in lex.find_variable_references(word):
            if ref.name in names and ref.name not in first:
                first[ref.name] = (ref.start, ref.end)
    return frozenset(names), first


def placed(lookups: Lookups, word: str, place: Callable[[int, int], Span]) -> list[tuple[str, Span]]:
    """:func:`undefined_names` from :func:`undefined_lookups`."""
    names, offsets = lookups
    if not names:
        return []
    first = {name: place(start, end) for name, (start, end) in offsets.items()}
    fallback = place(0, len(word))
    ordered = sorted(names, key=lambda n: (first[n].start, n) if n in first else (fallback.end, n))
    return [(name, first.get(name, fallback)) for name in ordered]


def deferred_word_place(ins: Instruction, span: Span, word: str) -> Callable[[int, int], Span]:
    """:func:`word_place`, worked out on first use: most words name no undefined variable."""
    mapping: list[Callable[[int, int], Span]] = []

    def place(start: int, end: int) -> Span:
        if not mapping:
            mapping.append(word_place(ins, span, word))
        return mapping[0](start, end)

    return place


def word_place(ins: Instruction, span: Span, word: str) -> Callable[[int, int], Span]:
    """Maps offsets in ``word`` to spans of ``ins``, ``word`` being what is
    written at ``span`` (possibly between quotes, possibly continued over
    several lines).  When the text there differs from ``word`` (escapes,
    quotes inside), every offset maps to the whole ``span``."""
    logical = ins.logical
    start = _logical_offset(ins, span.start)
    if start is not None:
        for base in (start, start + 1):
            if logical[base : base + len(word)] == word:
                return lambda s, e: ins.physical_span(base + s, base + e)
    return lambda s, e: span


def _logical_offset(ins: Instruction, physical: int) -> int | None:
    consumed = 0
    for start, end in ins.segments:
        if start <= physical <= end:
            return consumed + physical - start
        consumed += end - start
    return None


def suggest(value: str, options: Iterable[str]) -> str:
    """The option closest to ``value`` with fewer than three edits, or "" --
    BuildKit's ``suggest.Search`` (util/suggest), case-sensitive as on Linux.

    The first option at the smallest distance wins; an option equal to
    ``value`` means there is nothing to suggest.
    """
    match = ""
    best = 3
    for option in options:
        if option == value:
            return ""
        if abs(len(option) - len(value)) >= best:
            continue  # that many insertions or deletions at least
        distance = levenshtein(value, option, best)
        if distance < best:
            match, best = option, distance
    return match


def levenshtein(a: str, b: str, limit: int | None = None) -> int:
    """Edit distance with unit costs for insertion, deletion and substitution.

    With ``limit``, a distance of ``limit`` or more may be returned as
    ``limit``: the count stops as soon as a whole row of the table reaches it
    (no later row is smaller).
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if limit is not None and min(current) >= limit:
            return limit
        previous = current
    return previous[-1]
