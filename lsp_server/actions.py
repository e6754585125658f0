"""Code actions: quick fixes, fix-all, suppressions and refactors, each resolved lazily.

Every action names what it does with a small JSON ``key``; its edits are
computed from the library (a rule's fix, ``fix_all``, a refactor) when the
client resolves it, or at once for a client that cannot resolve.  Edits are
the library's minimal :class:`~dockerast.refactor.TextEdit` s, converted to
ranges here; no action ever replaces the whole document.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lsprotocol import types

from dockerast.cst.nodes import (
    ArgInstruction,
    CmdInstruction,
    EntrypointInstruction,
    FromInstruction,
    RunInstruction,
)
from dockerast.cst.parser import parse
from dockerast.refactor import (
    ImageReference,
    RefactorError,
    Selector,
    TextEdit,
    apply_edits,
    builder_stages,
    minimal_edits,
    move_instructions,
    pin_build_platform,
    set_base_image,
    sink_args,
    to_exec_form,
)
from dockerast.refactor.exec_form import exec_words
from dockerast.refactor.references import PLATFORM_ARGS
from dockerast.rules import Finding, FixSafety, fix_all, rule_by_key

from lsp_server.diagnostics import finding_diagnostic
from lsp_server.documents import Snapshot

log = logging.getLogger(__name__)

FIX_ALL = "source.fixAll.dockerast"
QUICKFIX = types.CodeActionKind.QuickFix.value
REWRITE = types.CodeActionKind.RefactorRewrite.value
MOVE = "refactor.move"
KINDS = [QUICKFIX, REWRITE, MOVE, FIX_ALL]

# Steps that download dependencies: their layer should not depend on the target platform.
DEPENDENCY_STEP = re.compile(
    r"go mod download|npm ci|npm install|yarn install|pnpm install|pip install -r \S+|cargo fetch|bundle install"
    r"|composer install|mvn [^\n]*dependency:go-offline|dotnet restore|poetry install|uv sync|apk add|apt-get install"
)
# Up to this many instructions, every refactor offered is computed first (a few milliseconds each).
SMALL_DOCUMENT = 150
_CHECK_LINE = re.compile(r"^([ \t]*#[ \t]*check[ \t]*=[ \t]*)(\S+)", re.I)
_PRAGMA_LINE = re.compile(r"^[ \t]*#[ \t]*dockerast:[ \t]*ignore\[([^\]]*)\]")


@dataclass(frozen=True)
class Candidate:
    key: tuple  # hashable: tuples inside too (a client sends it back with lists: see action_key)
    title: str
    kind: str
    diagnostics: tuple[types.Diagnostic, ...] = ()
    preferred: bool = False

    @cached_property
    def identity(self) -> tuple:
        """What makes this action what it is, hashable: its key, title, kind, preference and diagnostics
        (by identity: each finding's diagnostic is made once per snapshot)."""
        return (self.key, self.title, self.kind, self.preferred, tuple(map(id, self.diagnostics)))


def action_key(key) -> tuple:
    """An action's key as :class:`Candidate` holds it: the lists of one sent back by a client as tuples."""
    return tuple(tuple(k) if isinstance(k, list) else k for k in key)


def finding_keys(diagnostics) -> tuple[tuple, ...]:
    """The findings that diagnostics sent back by a client name by their ``data`` (code, start, end).

    ``diagnostics`` are :class:`types.Diagnostic` or their JSON data; one without our data names none.
    """
    keys = []
    for diag in diagnostics or ():
        data = diag.get("data") if isinstance(diag, dict) else getattr(diag, "data", None)
        if isinstance(data, dict) and "code" in data:
            keys.append((data.get("code"), data.get("start"), data.get("end")))
    return tuple(keys)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _wanted(kind: str, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(kind == o or kind.startswith(o + ".") for o in only)


def _stage_selector(stage) -> str:
    return stage.name if stage.name else str(stage.index)


class Actions:
    """The code actions of one snapshot; ``findings`` are the rule findings under the current settings.

    Everything that does not depend on the range asked for is worked out once
    and kept here: the actions of each finding and of each instruction,
    whether each applies, and each one's JSON.  The server keeps one
    ``Actions`` per snapshot and settings generation, so a request does little
    more than find the findings and instructions its range touches.
    """

    def __init__(self, snapshot: Snapshot, findings: list[Finding], config) -> None:
        self.snapshot = snapshot
        self.findings = findings
        self.config = config
        self._finding_candidates: dict[tuple[int, bool], list[Candidate]] = {}
        self._instruction_candidates: dict[int, list[Candidate]] = {}
        self._applies: dict[tuple, bool] = {}
        self.encoded: dict[tuple, str] = {}  # (:func:`encoded_code_action`)

    # -- listing ------------------------------------------------------------------

    def candidates(
        self, start: int, end: int, context_findings: tuple[tuple, ...], only: list[str] | None, *, verify_all: bool = True
    ) -> list[Candidate]:
        """The actions that apply at ``[start, end]``; ``context_findings`` are the :func:`finding_keys` of the
        diagnostics the client sent.

        Suppressions are always checked by computing their edits (cheap).
        Quick fixes, fix-all and refactors are checked too when ``verify_all``
        (a client that cannot resolve lazily needs the edits anyway) or the
        document is small; otherwise they are offered from cheap
        preconditions and computed on resolve, which reports the library's
        reason if one turns out not to apply.  (A fix can cost a refactor of
        the whole file and the check that it keeps the build's meaning:
        hundreds of milliseconds in a long file, too much for a request sent
        whenever the cursor moves.)
        """
        applies = self.applies
        out: list[Candidate] = []
        verify = verify_all or self._small
        if _wanted(QUICKFIX, only):
            out.extend(
                c for c in self._quick_fixes(start, end, context_findings, verify) if (c.key[0] == "fix" and not verify) or applies(c)
            )
        if _wanted(FIX_ALL, only) and (self._has_safe_fix() if verify else self._offers_safe_fix) and (not verify or applies(self._fix_all)):
            out.append(self._fix_all)
        if self._refactorable:
            out.extend(c for c in self._refactors(start, end) if _wanted(c.kind, only) and (not verify or applies(c)))
        return out

    def applies(self, candidate: Candidate) -> bool:
        """Whether the action has edits (computed once per action)."""
        try:
            return self._applies[candidate.key]
        except KeyError:
            found = self._applies[candidate.key] = bool(self.edits(candidate.key))
            return found

    @cached_property
    def _small(self) -> bool:
        return len(self.snapshot.tree.instructions) <= SMALL_DOCUMENT

    @cached_property
    def _refactorable(self) -> bool:
        return bool(self.snapshot.valid and self.snapshot.model is not None)

    @cached_property
    def _fix_all(self) -> Candidate:
        return Candidate(("fixAll",), "Fix all auto-fixable problems (dockerast)", FIX_ALL)

    def _matching_findings(self, start: int, end: int, context_findings: tuple[tuple, ...]) -> list[int]:
        """The positions in ``findings`` of those the range overlaps or the client's diagnostics name, in order."""
        findings = self.findings
        order, starts, reach, by_key = self._finding_index
        # Only findings starting at most ``reach`` before the range can overlap it.
        hits = [
            order[k]
            for k in range(bisect_left(starts, start - reach), bisect_right(starts, end))
            if findings[order[k]].end >= start
        ]
        for key in context_findings:
            hits.extend(by_key.get(key, ()))
        return sorted(set(hits)) if len(hits) > 1 else hits

    @cached_property
    def _finding_index(self) -> tuple[list[int], list[int], int, dict[tuple, list[int]]]:
        """The findings' positions in the list ordered by start, those starts, the longest finding's length, and positions by key."""
        findings = self.findings
        order = sorted(range(len(findings)), key=lambda n: findings[n].start)
        reach = max((f.end - f.start for f in findings), default=0)
        by_key: dict[tuple, list[int]] = {}
        for n, f in enumerate(findings):
            by_key.setdefault((f.code, f.start, f.end), []).append(n)
        return order, [findings[n].start for n in order], max(reach, 0), by_key

    def _quick_fixes(self, start: int, end: int, context_findings: tuple[tuple, ...], verify: bool) -> list[Candidate]:
        matching = self._matching_findings(start, end, context_findings)
        if len(matching) <= 1:
            return self._finding_actions(matching[0], verify) if matching else []
        # One suppression per rule and place is enough.
        seen, unique = set(), []
        for n in matching:
            for c in self._finding_actions(n, verify):
                if c.key not in seen:
                    seen.add(c.key)
                    unique.append(c)
        return unique

    def _finding_actions(self, n: int, verify: bool) -> list[Candidate]:
        """The quick fix and suppressions of finding ``n`` (once: they depend on nothing else)."""
        try:
            return self._finding_candidates[n, verify]
        except KeyError:
            out = self._finding_candidates[n, verify] = self._compute_finding_actions(n, verify)
            return out

    def _compute_finding_actions(self, n: int, verify: bool) -> list[Candidate]:
        """Without ``verify``, a fix not computed yet is offered as its rule
        declares it, titled after the rule, and computed on resolve."""
        finding = self.findings[n]
        diag = finding_diagnostic(self.snapshot, finding)
        out = []
        key = ("fix", finding.code, finding.start, finding.end)
        if not verify and callable(finding.fix_or_factory):
            safety = finding.offered_fix_safety()
            unsafe = safety == FixSafety.UNSAFE.value
            title = f"Fix {finding.name}" + (" (unsafe)" if unsafe else "")
            out.append(Candidate(key, title, QUICKFIX, (diag,), not unsafe))
        elif (fix := finding.fix) is not None and fix.edits:
            unsafe = fix.safety is FixSafety.UNSAFE
            title = _capitalized(fix.description) + (" (unsafe)" if unsafe else "")
            out.append(Candidate(key, title, QUICKFIX, (diag,), not unsafe))
        if finding.name == "UnusedSuppression" or finding.instruction_index is None:
            return out
        rule = rule_by_key(finding.code)
        index = finding.instruction_index
        if rule is not None and getattr(rule, "buildkit", False):
            out.append(Candidate(("skip", finding.name, index), f"Suppress {finding.name} for this instruction (# check=skip)", QUICKFIX, (diag,)))
        out.append(Candidate(("pragma", finding.name, index), f"Suppress {finding.name} for this instruction (# dockerast: ignore)", QUICKFIX, (diag,)))
        if rule is not None and getattr(rule, "buildkit", False):
            out.append(Candidate(("skipFile", finding.name), f"Suppress {finding.name} in this file (# check=skip)", QUICKFIX, (diag,)))
        return out

    def _has_safe_fix(self) -> bool:
        """Whether some finding's fix is safe, computing as few pending fixes as possible (once per findings)."""
        return self.snapshot.memo(("hasSafeFix", id(self.findings)), self._find_safe_fix)

    @cached_property
    def _offers_safe_fix(self) -> bool:
        """Whether some finding offers a safe fix, as its rule declares it (nothing computed)."""
        return any(f.offered_fix_safety() == FixSafety.SAFE.value for f in self.findings)

    def _find_safe_fix(self) -> bool:
        # Fixes already computed first, then those whose rule declares them safe: a pending fix
        # can cost a refactor of the whole file, and the first safe one found settles the answer.
        ready = [f for f in self.findings if not callable(f.fix_or_factory)]
        pending = [f for f in self.findings if callable(f.fix_or_factory)]
        pending.sort(key=lambda f: f.offered_fix_safety() != FixSafety.SAFE.value)
        return any(f.fix is not None and f.fix.edits and f.fix.safety is FixSafety.SAFE for f in ready + pending)

    def _touched(self, start: int, end: int) -> list[int]:
        snap = self.snapshot
        first = snap.instruction_at(start, with_leading=True)
        last = snap.instruction_at(end, with_leading=True)
        if first is None and last is None:
            return []
        first = last if first is None else first
        last = first if last is None else last
        return list(range(first, last + 1))

    def _refactors(self, start: int, end: int) -> list[Candidate]:
        touched = self._touched(start, end)
        if not touched:
            return []
        stage_of = self.snapshot.model.stage_of
        builders = self._builder_stages
        out: list[Candidate] = []
        if builders and any((stage := stage_of(i)) is not None and stage.index in builders for i in touched):
            out.append(self._pin)
        for i in touched:
            out.extend(self._instruction_actions(i))
        return out

    def _instruction_actions(self, i: int) -> list[Candidate]:
        """The refactors offered on instruction ``i`` (kept with the snapshot too: they do not depend on the settings)."""
        try:
            return self._instruction_candidates[i]
        except KeyError:
            out = self._instruction_candidates[i] = self.snapshot.memo(("refactors", i), lambda: self._instruction_refactors(i))
            return out

    @cached_property
    def _builder_stages(self) -> frozenset[int]:
        snap = self.snapshot
        return frozenset(snap.memo(("builderStages",), lambda: builder_stages(snap.tree, snap.model)))

    @cached_property
    def _pin(self) -> Candidate:
        return Candidate(("pin",), "Pin builder stages to $BUILDPLATFORM", REWRITE)

    def _instruction_refactors(self, i: int) -> list[Candidate]:
        """The refactors offered on instruction ``i``: they depend on the document only, not on the settings."""
        snap = self.snapshot
        ins = snap.tree.instructions[i]
        stage = snap.model.stage_of(i)
        out: list[Candidate] = []
        if isinstance(ins, ArgInstruction) and stage is not None:
            out.extend(self._arg_moves(i, ins, stage))
        elif isinstance(ins, FromInstruction) and stage is not None:
            out.append(Candidate(("sink", None, stage.index), "Move this stage's ARGs to their first use", MOVE))
            out.extend(self._tag_choices(stage))
        elif isinstance(ins, (CmdInstruction, EntrypointInstruction, RunInstruction)) and not ins.is_exec_form and not ins.heredocs:
            line = snap.positions.line_of(snap.offsets[i]) + 1
            run = isinstance(ins, RunInstruction)
            if exec_words(ins.arguments):
                out.append(Candidate(("exec", line, run, False), f"Convert {ins.command} to exec form", REWRITE))
            if not run:
                out.append(Candidate(("exec", line, run, True), f"Convert {ins.command} to exec form (keep the shell)", REWRITE))
        return out

    def _arg_moves(self, i: int, ins: ArgInstruction, stage) -> list[Candidate]:
        tree = self.snapshot.tree
        out = []
        names = [p.key for p in ins.pairs]
        if not names:
            return out
        platform = [n for n in names if n in PLATFORM_ARGS]
        if platform:
            later = [j for j in stage.instruction_indices if j > i]
            step = next(
                (j for j in later if isinstance(tree.instructions[j], RunInstruction) and DEPENDENCY_STEP.search(tree.instructions[j].logical)),
                None,
            )
            if step is not None:
                moved = sorted(
                    {
                        p.key
                        for j in stage.instruction_indices
                        if j < step and isinstance(tree.instructions[j], ArgInstruction)
                        for p in tree.instructions[j].pairs
                        if p.key in PLATFORM_ARGS
                    }
                )
                prefix = _stage_selector(stage)
                match = DEPENDENCY_STEP.search(tree.instructions[step].logical).group()
                anchor = f"{prefix}/run:{match}"
                try:
                    if Selector.parse(anchor).resolve_one(tree, self.snapshot.model) != step:
                        raise RefactorError("another step")
                except RefactorError:
                    layer = sum(1 for j in stage.instruction_indices if j <= step and type(tree.instructions[j]).__name__ in ("RunInstruction", "CopyInstruction", "AddInstruction"))
                    anchor = f"{prefix}/layer:{layer}"
                out.append(
                    Candidate(
                        ("move", f"{prefix}/arg:{','.join(moved)}", anchor),
                        f"Move platform ARGs after the dependency step ({match})",
                        MOVE,
                    )
                )
        label = ", ".join(names)
        out.append(Candidate(("sink", tuple(names), stage.index), f"Move ARG {label} to its first use", MOVE))
        return out

    def _tag_choices(self, stage) -> list[Candidate]:
        model = self.snapshot.model
        if stage.base_stage is not None or "$" in stage.base_name or not stage.base_name:
            return []
        ref = ImageReference.parse(stage.base_name)
        out = []
        seen = set()
        for other in model.stages:
            if other.index == stage.index or other.base_stage is not None or "$" in other.base_name:
                continue
            theirs = ImageReference.parse(other.base_name)
            if theirs.name != ref.name or not theirs.tag or theirs.tag == ref.tag or theirs.tag in seen:
                continue
            seen.add(theirs.tag)
            out.append(
                Candidate(
                    ("tag", stage.index, theirs.tag),
                    f"Set base image tag to '{theirs.tag}' (as stage {other.display_name!r})",
                    REWRITE,
                )
            )
        return out

    # -- edits ----------------------------------------------------------------------

    def edits(self, key: tuple) -> tuple[TextEdit, ...]:
        """The edits of an action (memoized per snapshot); empty when it does not apply."""
        key = action_key(key)
        return self.snapshot.memo(("action", key, id(self.config)), lambda: self._compute(key))

    def _compute(self, key: tuple) -> tuple[TextEdit, ...]:
        try:
            return tuple(self._compute_unsafe(key))
        except RefactorError as error:
            log.info("action %s does not apply: %s", key, error)
            reason = str(error)
            self.snapshot.memo(("action-error", key), lambda: reason)
        except Exception as error:  # noqa: BLE001  (a refactor that fails must not take the server down)
            log.exception("action %s failed", key)
            reason = f"internal error: {error}"
            self.snapshot.memo(("action-error", key), lambda: reason)
        return ()

    def why_not(self, key: tuple) -> str | None:
        """Why an action gave no edits, when the library said."""
        key = action_key(key)
        return self.snapshot._memo.get(("action-error", key))

    def _compute_unsafe(self, key: tuple):
        snap = self.snapshot
        tree = snap.tree
        kind = key[0]
        if kind == "fix":
            _, code, start, end = key
            for f in self.findings:
                if f.code == code and f.start == start and f.end == end and f.fix is not None:
                    return f.fix.edits
            return ()
        if kind == "fixAll":
            fixed, _ = fix_all(tree, self.config)
            return minimal_edits(snap.text, str(fixed))
        if kind == "skip":
            return self._suppress_edits(key[2], key[1], pragma=False)
        if kind == "pragma":
            return self._suppress_edits(key[2], key[1], pragma=True)
        if kind == "skipFile":
            return self._file_skip_edits(key[1])
        if kind == "pin":
            return pin_build_platform(tree).edits
        if kind == "move":
            return move_instructions(tree, key[1], after=key[2]).edits
        if kind == "sink":
            names = list(key[1]) if key[1] else None
            return sink_args(tree, names=names, stage=key[2]).edits
        if kind == "exec":
            _, line, run, wrap = key
            return to_exec_form(tree, include_run=bool(run), wrap_in_shell=bool(wrap), lines={int(line)}).edits
        if kind == "tag":
            return set_base_image(tree, int(key[1]), tag=str(key[2])).edits
        return ()

    def _keeps_directives(self, index: int, edits: list[TextEdit]) -> bool:
        """Whether a comment line put above instruction ``index`` leaves the directives alone and the file valid."""
        before = self.snapshot.tree
        if index > 0 and not before.errors:
            # Below an instruction the line is outside the header, where directives are read,
            # and a comment line between two instructions changes how neither is read.
            return True
        after = parse(apply_edits(self.snapshot.text, edits), previous=before)
        return [d.text for d in after.directives] == [d.text for d in before.directives] and not after.errors

    def _suppress_edits(self, index: int, name: str, *, pragma: bool) -> list[TextEdit]:
        snap = self.snapshot
        if not 0 <= index < len(snap.tree.instructions):
            return []
        ins = snap.tree.instructions[index]
        at = snap.offsets[index]
        lines = ins.leading.split("\n")[:-1]  # the leading ends with a newline when it is not empty
        pos = at
        # The comment block directly above: extend an existing suppression there.
        for line in reversed(lines):
            pos -= len(line) + 1
            if not line.strip().startswith("#"):
                break
            if pragma:
                match = _PRAGMA_LINE.match(line)
                if match:
                    names = [n.strip() for n in match.group(1).split(",") if n.strip()]
                    if name in names:
                        return []
                    close = pos + match.end(1)
                    return [TextEdit(close, close, (", " if names else "") + name)]
            else:
                match = _CHECK_LINE.match(line)
                if match:
                    value = match.group(2)
                    value_at = pos + match.start(2)
                    skip = re.search(r"(?:^|;)\s*skip\s*=([^;]*)", value, re.I)
                    if skip:
                        names = [n.strip() for n in skip.group(1).split(",") if n.strip()]
                        if name in names:
                            return []
                        end = value_at + skip.end(1)
                        return [TextEdit(end, end, ("," if names else "") + name)]
                    return [TextEdit(value_at, value_at, f"skip={name};")]
        first_line = ins.text.split("\n", 1)[0]
        indent = first_line[: len(first_line) - len(first_line.lstrip(" \t"))]
        text = f"{indent}# dockerast: ignore[{name}]\n" if pragma else f"{indent}# check=skip={name}\n"
        edits = [TextEdit(at, at, text)]
        return edits if self._keeps_directives(index, edits) else []

    def _file_skip_edits(self, name: str) -> list[TextEdit]:
        tree = self.snapshot.tree
        pos = len(tree.bom)
        for directive in tree.directives:
            if directive.name == "check":
                value_at = pos + directive.value_span.start
                value = directive.value
                skip = re.search(r"(?:^|;)\s*skip\s*=([^;\s]*)", value, re.I)
                if skip:
                    names = [n.strip() for n in skip.group(1).split(",") if n.strip()]
                    if name in names or "all" in {n.lower() for n in names}:
                        return []
                    end = value_at + skip.end(1)
                    return [TextEdit(end, end, ("," if names else "") + name)]
                return [TextEdit(value_at, value_at, f"skip={name};")]
            pos += len(directive.text)
        at = tree.header_length
        return [TextEdit(at, at, f"# check=skip={name}\n")]


# -- LSP conversion -------------------------------------------------------------------


def workspace_edit(snapshot: Snapshot, edits, document_changes: bool) -> types.WorkspaceEdit:
    lsp_edits = [types.TextEdit(range=snapshot.range(e.start, e.end), new_text=e.new_text) for e in sorted(edits)]
    if document_changes:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=snapshot.uri, version=snapshot.version),
                    edits=lsp_edits,
                )
            ]
        )
    return types.WorkspaceEdit(changes={snapshot.uri: lsp_edits})


def encoded_code_action(
    snapshot: Snapshot, actions: Actions, candidate: Candidate, encode, *, lazy: bool, document_changes: bool
) -> str:
    """The JSON text of :func:`to_code_action` (``encode``: to :class:`~lsp_server.wire.Encoded`), once per
    snapshot, configuration and client: an editor asks for the actions at the cursor again and again."""
    key = (candidate.identity, lazy, document_changes)
    try:
        return actions.encoded[key]
    except KeyError:
        text = actions.encoded[key] = encode(
            to_code_action(snapshot, actions, candidate, lazy=lazy, document_changes=document_changes)
        ).text
        return text


def to_code_action(snapshot: Snapshot, actions: Actions, candidate: Candidate, *, lazy: bool, document_changes: bool) -> types.CodeAction:
    key = [list(k) if isinstance(k, tuple) else k for k in candidate.key]
    data: dict[str, Any] = {"uri": snapshot.uri, "version": snapshot.version, "key": key}
    action = types.CodeAction(
        title=candidate.title,
        kind=candidate.kind,
        diagnostics=list(candidate.diagnostics) or None,
        is_preferred=candidate.preferred or None,
        data=data,
    )
    if not lazy:
        action.edit = workspace_edit(snapshot, actions.edits(candidate.key), document_changes)
    return action
