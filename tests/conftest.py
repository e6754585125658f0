"""Shared test fixtures: where the corpus lives, and hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCKERAST_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
FIXTURES = SHARED / "fixtures"

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def require(path: Path) -> Path:
    """``path`` if it exists; otherwise fail in CI and skip elsewhere."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"test data missing: {path}")
        pytest.skip(f"test data missing: {path}")
    return path


def corpus_files() -> list[Path]:
    real = CORPUS / "real"
    if not real.exists():
        return []
    return sorted(p for p in real.rglob("*") if p.is_file())


def model_state(model) -> tuple:
    """Everything a model says, as plain values."""
    count = len(model.tree.instructions)
    return (
        model.meta_args,
        model.global_scope,
        model.stages,
        model.stage_references,
        model.problems,
        tuple(model.scope_at(i) for i in range(count)),
        tuple(model.stage_of(i) for i in range(count)),
        # (an expansion error is an exception object: compared by its message)
        tuple((i, [(d.name, d.value, str(d.error)) for d in declared]) for i, declared in sorted(model._declared.items())),
        tuple(model.final_scope(s.index) for s in model.stages),
        tuple(model.dependencies(s.index) for s in model.stages),
    )
