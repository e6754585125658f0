"""Quick fixes in a long document, for a client that resolves code actions lazily.

A fix can cost a refactor of the whole file and the check that it keeps the
build's meaning; a code action request comes whenever the cursor moves.  So
above ``SMALL_DOCUMENT`` instructions a fix not computed yet is offered as
its rule declares it and computed on resolve; below, it is computed first.
"""

from __future__ import annotations

from dockerast.rules import CheckConfig
from lsp_server.actions import SMALL_DOCUMENT, Actions
from lsp_server.diagnostics import run_checks
from lsp_server.documents import Snapshot


def _actions(text: str) -> tuple[Snapshot, Actions]:
    snapshot = Snapshot("file:///work/deferred/Dockerfile", text, 1)
    findings = run_checks(snapshot.tree, CheckConfig(), snapshot.model, None).findings
    return snapshot, Actions(snapshot, findings, CheckConfig())


def _builder() -> str:
    return (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "ARG TARGETOS\nARG TARGETARCH\n"
        "WORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n"
        "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n"
        "FROM alpine\nCOPY --from=build /out/app /app\n"
    )


def test_a_long_document_offers_a_pending_fix_without_computing_it():
    text = _builder()
    text += "".join(f"LABEL n{i}={i}\n" for i in range(SMALL_DOCUMENT))  # past the small-document size
    snapshot, actions = _actions(text)
    (finding,) = [f for f in actions.findings if f.code == "DA102"][:1]
    assert callable(finding.fix_or_factory)
    offered = actions.candidates(finding.start, finding.start, (), None, verify_all=False)
    fix = [c for c in offered if c.key[0] == "fix" and c.key[1] == "DA102"][0]
    assert fix.title == "Fix PlatformArgBeforeDependencyStep" and callable(finding.fix_or_factory)
    assert actions.edits(fix.key) == finding.fix.edits != ()  # computed on resolve


def test_a_small_document_computes_the_fix_first():
    snapshot, actions = _actions(_builder())
    (finding,) = [f for f in actions.findings if f.code == "DA102"][:1]
    offered = actions.candidates(finding.start, finding.start, (), None, verify_all=False)
    fix = [c for c in offered if c.key[0] == "fix" and c.key[1] == "DA102"][0]
    assert fix.title.startswith("Move ARG") and not callable(finding.fix_or_factory)
