"""The README's Python examples run as written."""

from __future__ import annotations

import os
import re

from tests.conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_readme_python_examples_run():
    assert len(BLOCKS) >= 3
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in BLOCKS:
            exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
