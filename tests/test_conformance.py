"""BuildKit's own parser test cases, and the PyPI ``dockerfile`` package as an oracle on the corpus."""

from __future__ import annotations

from pathlib import Path

import dockerfile
import pytest

import dockerast
from dockerast import compat
from tests.conftest import CORPUS, ROOT, corpus_files, require

BUILDKIT = CORPUS / "buildkit-parser"
CASES = sorted(p.name for p in (BUILDKIT / "testfiles").iterdir()) if BUILDKIT.exists() else []
NEGATIVE = sorted(p.name for p in (BUILDKIT / "testfiles-negative").iterdir()) if BUILDKIT.exists() else []
EXCEPTIONS_FILE = ROOT / "tests" / "corpus_exceptions.txt"


def _exceptions() -> dict[str, str]:
    """Corpus files allowed to differ from the oracle: ``path<TAB>reason`` lines."""
    found = {}
    for line in EXCEPTIONS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, reason = line.split("\t", 1)
            found[path] = reason
    return found


def test_buildkit_cases_are_present():
    require(BUILDKIT)
    assert len(CASES) >= 30 and len(NEGATIVE) >= 4


@pytest.mark.parametrize("case", CASES)
def test_buildkit_case_dump(case):
    folder = BUILDKIT / "testfiles" / case
    data = (folder / "Dockerfile").read_bytes()
    tree = dockerast.parse_bytes(data)
    assert tree.to_bytes() == data
    assert tree.errors == ()
    assert compat.dump(tree) == (folder / "result").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", NEGATIVE)
def test_buildkit_negative_case_is_an_error(case):
    data = (BUILDKIT / "testfiles-negative" / case / "Dockerfile").read_bytes()
    tree = dockerast.parse_bytes(data)
    assert tree.to_bytes() == data
    assert tree.errors, "BuildKit rejects this file"


def test_buildkit_line_numbers():
    data = (require(BUILDKIT / "testfile-line" / "Dockerfile")).read_text(encoding="utf-8")
    lines = [(c.start_line, c.end_line) for c in compat.parse_string(data)]
    assert lines == [(5, 5), (11, 12), (17, 31)]


CORPUS_FILES = corpus_files()


def test_corpus_is_present():
    require(CORPUS / "real")
    assert len(CORPUS_FILES) > 1500


def _plain(commands) -> list[tuple]:
    return [tuple(tuple(h) if isinstance(h, tuple) else h for h in c) for c in commands]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS / "real")))
def test_corpus_file(path: Path):
    """Round trip, no syntax error, and the oracle's instruction list, for every real file."""
    data = path.read_bytes()
    tree = dockerast.parse_bytes(data)
    assert tree.to_bytes() == data
    key = str(path.relative_to(CORPUS / "real"))
    if key in _exceptions():
        pytest.xfail(_exceptions()[key])
    assert tree.errors == ()
    text = data.decode("utf-8")
    assert _plain(compat.parse_string(text)) == _plain(dockerfile.parse_string(text))
