"""Both Lark backends read every instruction alike.

The suite runs with lark-cython (the ``fast`` extra, part of the ``test``
extra); an install without it runs the pure-Python backend of the same
grammar.  Tokens of the two backends are different classes, so the reader
must not depend on either: every instruction of the corpus and of BuildKit's
parser cases, ONBUILD triggers included, must read the same with both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import CORPUS, ROOT, corpus_files, require

# Prints, for each file named on the command line, the syntax of every
# instruction (and trigger) as the backend in force reads it.
_DUMP = """
import json, sys
import dockerast
from dockerast.cst.grammar import BACKEND

def syntax(ins):
    read = ins.syntax
    return [repr(read), syntax(read.trigger) if read.trigger is not None else None]

files = {}
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        tree = dockerast.parse_bytes(handle.read())
    files[path] = [syntax(ins) for ins in tree.instructions]
print(json.dumps({"backend": BACKEND, "files": files}))
"""


def _dump(paths: list[str], backend: str | None) -> dict:
    env = dict(os.environ)
    env.pop("DOCKERAST_LARK", None)
    if backend is not None:
        env["DOCKERAST_LARK"] = backend
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, *paths], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout)


def test_pure_python_backend_reads_like_lark_cython():
    require(CORPUS / "real")
    cases = sorted(str(p) for p in (CORPUS / "buildkit-parser").rglob("Dockerfile*") if p.is_file())
    paths = cases + [str(p) for p in corpus_files()]
    fast = _dump(paths, None)
    python = _dump(paths, "python")
    assert fast["backend"] == "lark-cython" and python["backend"] == "python"
    differing = [path for path in paths if fast["files"][path] != python["files"][path]]
    assert not differing, f"{len(differing)} files read otherwise by the pure-Python backend, e.g. {differing[:3]}"


def _shape(node) -> object:
    """A tree of the grammar as plain data: rule names, token types, values and places."""
    if isinstance(node, list):
        return [_shape(child) for child in node]
    if hasattr(node, "children"):
        return (node.data, [_shape(child) for child in node.children])
    return (node.type, node.value, node.start_pos)


def test_rules_compared_by_identity_read_every_line_alike():
    """The parser of the grammar compares its rules by identity (a shortcut of
    dockerast.cst.grammar); a parser of the same grammar whose rules compare by
    value, as Lark makes them, reads every logical line of the corpus alike."""
    require(CORPUS / "real")
    import dockerast  # noqa: PLC0415
    from dockerast.cst import grammar  # noqa: PLC0415
    from dockerast.cst.text import GO_SPACE  # noqa: PLC0415
    from lark.grammar import Rule  # noqa: PLC0415

    for escape in ("\\", "`"):
        assert {type(rule) for rule in grammar._parser(escape).parser.parser_conf.callbacks} == {grammar._Rule}
    by_value = {escape: grammar._new_parser(escape) for escape in ("\\", "`")}
    assert {type(rule) for rule in by_value["\\"].parser.parser_conf.callbacks} == {Rule}
    compared = 0
    for path in corpus_files():
        tree = dockerast.parse_bytes(path.read_bytes())
        lines = [line for line in (ins.logical.strip(GO_SPACE) for ins in tree.instructions) if line and "\n" not in line]
        if not lines:
            continue
        text = "\n".join(lines)
        fast = grammar._parser(tree.escape).parse(text, start="instructions")
        plain = by_value[tree.escape].parse(text, start="instructions")
        assert _shape(fast) == _shape(plain), path
        compared += len(lines)
    assert compared > 10_000
