"""The ``dockerast`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dockerast.cst.nodes import Dockerfile, OnbuildInstruction
from dockerast.cst.parser import parse_bytes
from dockerast.cst.positions import LineIndex


def _describe(tree: Dockerfile, path: str) -> str:
    """The tree, the stages and the syntax errors of one file, for people."""
    index = LineIndex(str(tree))
    lines = []
    if tree.bom:
        lines.append("BOM")
    for d in tree.directives:
        lines.append(f"directive {d.name}={d.value}")
    for offset, ins in zip(tree.instruction_offsets(), tree.instructions):
        pos = index.position(offset + ins.keyword_span.start)
        detail = [type(ins).__name__]
        if ins.flags:
            detail.append("flags=" + " ".join(f.text for f in ins.flags))
        if isinstance(ins, OnbuildInstruction) and ins.trigger is not None:
            detail.append(f"trigger={type(ins.trigger).__name__}")
        heredocs = getattr(ins, "heredocs", ())
        if heredocs:
            detail.append("heredocs=" + ",".join(h.name for h in heredocs))
        lines.append(f"{pos.line + 1}:{pos.column + 1} {' '.join(detail)}: {ins.logical.strip()[:100]}")
    from dockerast.semantic.model import analyze  # noqa: PLC0415

    model = analyze(tree)
    for stage in model.stages:
        name = f" AS {stage.name}" if stage.name else ""
        platform = f" --platform={stage.platform}" if stage.platform else ""
        lines.append(f"stage {stage.index}: FROM{platform} {stage.base_name}{name} ({len(stage.instructions)} instructions)")
    for error in tree.errors:
        lines.append(f"{path}:{error.line + 1}:{error.column + 1}: error: {error.message}")
    return "\n".join(lines)


def _cmd_parse(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as error:
            print(f"{name}: error: {error.strerror}", file=sys.stderr)
            status = 2
            continue
        tree = parse_bytes(data)
        print(_describe(tree, name))
        if tree.errors:
            status = max(status, 1)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dockerast", description="Lossless Dockerfile trees, checks and refactors.")
    commands = parser.add_subparsers(dest="command", required=True)
    parse_cmd = commands.add_parser(
        "parse",
        help="print the tree, the stages and the syntax errors of Dockerfiles",
        description="Print each instruction with its line:column and type, the stages, and any syntax errors.",
        epilog="example: dockerast parse Dockerfile",
    )
    parse_cmd.add_argument("files", nargs="+", metavar="FILE")
    parse_cmd.set_defaults(run=_cmd_parse)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
