from __future__ import annotations

from dockerast.cst.nodes import ArgInstruction, FromInstruction, Instruction
from dockerast.rules.base import CheckContext, Rule, rule_url

# Go's unicode.IsSpace for the bytes a line can start with, and strings.TrimSpace.
_GO_SPACE = "\t\n\v\f\r \x85\xa0"


def description_comments(ins: Instruction) -> list[str]:
    """BuildKit's ``PrevComment`` of an instruction: the comments since the previous instruction.

    As in BuildKit's parser, each comment is its line without the first
    character, trimmed; an empty comment (``#`` alone) clears the list, a
    blank line does not.  Parser directives are not in ``leading``.
    """
    comments: list[str] = []
    for line in ins.leading.split("\n"):
        if not line.lstrip(_GO_SPACE).startswith("#"):
            continue
        comment = line[1:].strip(_GO_SPACE)
        if comment:
            comments.append(comment)
        else:
            comments.clear()
    return comments


class InvalidDefinitionDescription(Rule):
    """
    ## What it does
    Flags a comment right before a named ``FROM`` or an ``ARG`` whose first
    word is not the stage's name or one of the argument names.  Such a
    comment is read as the description of the stage or argument (by
    ``docker build --call=outline`` and ``--call=targets``) and should start
    with its name: ``# VERSION the release to build``.

    "Right before" is BuildKit's: the comment lines since the previous
    instruction, of which the last one counts; a comment line holding only
    ``#`` ends the description, but a blank line does not (BuildKit's parser
    keeps comments across blank lines, although its documentation suggests
    otherwise).  Experimental, as in BuildKit: enable it with
    ``experimental=InvalidDefinitionDescription``.

    ## Why is this bad
    The outline shows the comment as the description of the wrong thing, or
    a description meant for the stage is not found.

    ## Example
    ```dockerfile
    # compile the binary
    FROM golang AS build
    ```
    Write ``# build compiles the binary``, or put a ``#`` line between the
    comment and the instruction if it is not a description.

    ## Fix safety
    No automatic fix: the description is the author's to write.
    """

    code = "BK020"
    scope = "stage"
    name = "InvalidDefinitionDescription"
    summary = (
        "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. "
        "If this is not intended to be a description comment, add an empty line or comment between the "
        "instruction and the comment."
    )
    url = rule_url("InvalidDefinitionDescription")
    buildkit = True
    experimental = True
    bad_example = "# a non-descriptive comment\nFROM scratch AS base\n# another one\nARG VERSION=1\n"
    good_example = (
        "# base is a stage for compiling source\nFROM scratch AS base\n"
        "# VERSION the version number\nARG VERSION=1\n"
        "# not a description, ended by the next line\n#\nARG OTHER=2\n"
    )

    def check(self, ctx: CheckContext):
        for index, ins in ctx.instructions(FromInstruction, ArgInstruction):
            if isinstance(ins, FromInstruction):
                if ins.stage_name is None:
                    continue
                kind, names = "FROM", [ins.stage_name.lower()]
            elif isinstance(ins, ArgInstruction) and ins.problem is None:
                kind, names = "ARG", [pair.key for pair in ins.pairs]
            else:
                continue
            comments = description_comments(ins)
            if not comments or not names or comments[-1].split(" ")[0] in names:
                continue
            example = names[0] if len(names) == 1 else "<arg_key>"
            yield ctx.finding(
                index,
                ins.content_span,
                f"Comment for {kind} should follow the format: `# {example} <description>`",
            )
