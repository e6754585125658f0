from __future__ import annotations

import re
from typing import Callable, Iterator, Mapping

from dockerast.cst.nodes import (
    AddInstruction,
    ArgInstruction,
    CopyInstruction,
    EnvInstruction,
    Flag,
    Instruction,
    LabelInstruction,
    RunInstruction,
    Span,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from dockerast.cst.text import GO_SPACE
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.rules.buildkit.undefined_arg_in_from import deferred_word_place, suggest, undefined_names
from dockerast.semantic.model import SemanticModel, Stage
from dockerast.semantic.references import flag_value_span, mount_fields
from dockerast.semantic.scope import NON_ENV_ARGS
from dockerast.semantic.shell import ExpansionError, ShellLex

# Images whose configuration sets no variable but PATH.  In a stage built
# from one of them (or from scratch) every variable is known here.
PATH_ONLY_IMAGES = frozenset({"alpine", "busybox", "debian", "ubuntu"})
# The PATH BuildKit gives an image that sets none (util/system, DefaultPathEnv).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# A COPY/ADD source that names a heredoc (parser.ParseHeredoc).
_HEREDOC_WORD = re.compile(r"[0-9]*<<-?\s*[^<]*\Z")

Place = Callable[[int, int], Span]
# Heredoc bodies are expanded with a plain backslash lexer that keeps quotes
# (SourcesAndDest.ExpandRaw).
_HEREDOC_LEX = ShellLex("\\", skip_process_quotes=True)


class UndefinedVar(Rule):
    """
    ## What it does
    Flags ``$name`` and ``${name...}`` in a build stage when ``name`` is
    neither an ARG declared in the stage (or in the stage it is built FROM)
    nor a variable set before that point by ``ENV``, an ARG's value, or the
    base image.  When a defined variable is within two edits of the unknown
    name, the message suggests it: ``$PAHT`` gets "did you mean $PATH?".

    The words checked are the ones BuildKit expands itself: ``ENV`` and
    ``LABEL`` keys and values, ``ARG`` defaults, ``COPY``/``ADD`` sources,
    destination, ``--chown``, ``--chmod`` (and ``ADD --checksum``), the bodies
    of their heredocs that expand, ``RUN --mount`` options, ``WORKDIR``,
    ``USER``, ``VOLUME`` and ``STOPSIGNAL``.  Commands of ``RUN``, ``CMD``
    and ``ENTRYPOINT`` are left alone: their shell expands them when the
    container runs, with the container's environment.  ``FROM`` lines are
    ``UndefinedArgInFrom``'s.

    Note that the automatic platform ARGs (``TARGETARCH``...) are defined in
    a stage only after an ``ARG TARGETARCH`` there: without it,
    ``$TARGETARCH`` is empty in the stage and is reported.

    **The base image's environment.**  BuildKit reads the base image's
    configuration and counts its ``ENV`` as defined (``FROM python`` defines
    ``$PYTHON_VERSION``); that configuration is not available here.  So:

    * in stages built from ``scratch``, ``alpine``, ``busybox``, ``debian``
      or ``ubuntu`` (directly or through other stages), whose configuration
      sets only ``PATH``, the check is exactly BuildKit's;
    * in stages built from any other image, a name is reported only when it
      is one typo (a character added, dropped, replaced, or two neighbours
      swapped) away from the defined name the message suggests, such as
      ``$PAHT`` for ``$PATH``: such a near-miss is almost certainly a typo,
      whereas any other unknown name (``$GOPATH`` in a ``golang`` image) may
      well come from the image.

    ``PATH`` is always defined (BuildKit sets a default one), except in a
    stage whose platform is Windows.

    ## Why is this bad
    An undefined variable expands to an empty string without any error:
    ``COPY $SRC_DIR /app`` copies the whole build context, and
    ``ENV PATH=$PAHT:/opt/bin`` throws away the system ``PATH``.

    ## Example
    ```dockerfile
    FROM alpine
    ARG VERSION
    COPY dist-$VERSION.tar.gz /tmp/
    ```
    declares ``VERSION`` before using it.

    ## Fix safety
    No fix: declaring the variable or correcting its name is the author's
    decision.
    """

    code = "BK011"
    scope = "stage"
    name = "UndefinedVar"
    summary = "Variables should be defined before their use"
    url = rule_url("UndefinedVar")
    buildkit = True
    bad_example = "FROM alpine\nCOPY dist-$VERSION.tar.gz /tmp/\n"
    good_example = "FROM alpine\nARG VERSION\nCOPY dist-$VERSION.tar.gz /tmp/\n"

    def check(self, ctx: CheckContext):
        model = ctx.model
        lex = ShellLex(ctx.tree.escape)
        for stage in ctx.stages():
            known_image: bool | None = None  # asked only about an undefined name
            image_env = {} if stage.effective_platform.os == "windows" else {"PATH": DEFAULT_PATH}
            env: dict[str, str] = {}
            env_of: Mapping[str, str] | None = None
            for index, ins in zip(stage.instruction_indices[1:], stage.instructions[1:]):
                if not _may_look_up(ins):
                    continue
                for word_lex, word, place, values, declared in expansions(ins, model, index, lex):
                    if "$" not in word:
                        continue  # it looks nothing up
                    if values is not env_of:  # the words of an instruction share their variables
                        env, env_of = {**image_env, **values}, values
                    for name, span in undefined_names(word_lex, word, env, place):
                        if name in declared or name in NON_ENV_ARGS:
                            continue
                        match = suggest(name, env)
                        if known_image is None:
                            known_image = image_env_known(model, stage)
                        if not known_image and not (match and one_typo_apart(name, match)):
                            continue
                        message = f"Usage of undefined variable '${name}'"
                        if match:
                            message += f" (did you mean ${match}?)"
                        yield ctx.finding(index, span, message)


def _may_look_up(ins: Instruction) -> bool:
    """False when no word :func:`expansions` gives for ``ins`` can hold a ``$``:
    none is written, and no JSON escape (``\\u0024``) of an exec form spells
    one.  A RUN gives only the fields of its ``--mount`` options, pieces of
    their values, never its command."""
    if isinstance(ins, RunInstruction):
        return any(flag.name == "mount" and flag.value and "$" in flag.value for flag in ins.flags)
    text = ins.text
    # (a backslash alone is most often a line continuation)
    return "$" in text or ("\\" in text and "\\u" in ins.logical)


def one_typo_apart(a: str, b: str) -> bool:
    """True when one insertion, deletion, substitution or swap of two
    adjacent characters turns ``a`` into ``b`` (or they are equal)."""
    if abs(len(a) - len(b)) > 1:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    a, b = a[prefix:], b[prefix:]
    if len(a) == len(b):
        return a[1:] == b[1:] or (len(a) >= 2 and a[0] == b[1] and a[1] == b[0] and a[2:] == b[2:])
    return a[1:] == b or b[1:] == a


def image_env_known(model: SemanticModel, stage: Stage) -> bool:
    """True when the stage's variables all come from this Dockerfile: it is
    built, through its base stages, from scratch or from an image that sets
    only PATH."""
    while stage.base_stage is not None:
        stage = model.stages[stage.base_stage]
    name = stage.expanded_base_name
    if name is None:
        return False
    return name == "scratch" or repository(name) in PATH_ONLY_IMAGES


def repository(image: str) -> str:
    """``docker.io/library/alpine:3.20@sha256:...`` -> ``alpine``."""
    image = image.split("@", 1)[0]
    colon = image.rfind(":")
    if colon > image.rfind("/"):
        image = image[:colon]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "library/"):
        if image.startswith(prefix):
            return image[len(prefix) :]
    return image


Expansion = tuple[ShellLex, str, Place, Mapping[str, str], Mapping[str, object]]


def expansions(ins: Instruction, model: SemanticModel, index: int, lex: ShellLex) -> Iterator[Expansion]:
    """The words of ``ins`` BuildKit expands, each with the lexer it uses, a
    mapping of its offsets to spans, the variables it is expanded with, and
    the ARGs declared at that point (convert.go ``dispatch``/``dispatchArg``;
    instructions/commands.go, the ``Expand`` methods)."""
    scope = model.scope_at(index)
    values, declared = scope.values, scope.args

    def item(word: str, span: Span) -> Expansion:
        return lex, word, deferred_word_place(ins, span, word), values, declared

    if isinstance(ins, (EnvInstruction, LabelInstruction)):
        # Every pair sees the variables as they were before the instruction.
        for pair in ins.pairs:
            yield item(pair.key, pair.key_span)
            if pair.value is not None and pair.value_span is not None:
                yield item(pair.value, pair.value_span)
    elif isinstance(ins, ArgInstruction):
        yield from _arg_expansions(ins, model, scope, lex)
    elif isinstance(ins, (CopyInstruction, AddInstruction)):
        names = ("chown", "chmod", "checksum") if isinstance(ins, AddInstruction) else ("chown", "chmod")
        for name in names:
            flag = ins.flag(name)
            if flag is not None and flag.value:
                yield lex, flag.value, _flag_place(ins, flag, 0), values, declared
        if ins.exec_form is not None:
            words = [(a.value, a.span) for a in ins.exec_form]
        else:
            words = [(w.text, w.span) for w in ins.syntax.words]
        heredocs = bool(ins.heredocs)
        for position, (word, span) in enumerate(words):
            if position < len(words) - 1 and heredocs and _HEREDOC_WORD.match(word):
                continue
            yield item(word, span)
        for heredoc in ins.heredocs:
            if heredoc.expand:
                place = _body_place(ins, heredoc.body_span, heredoc.content)
                yield _HEREDOC_LEX, heredoc.content, place, values, declared
    elif isinstance(ins, (WorkdirInstruction, UserInstruction, StopsignalInstruction)):
        if ins.arguments_span is not None:
            yield item(ins.arguments, ins.arguments_span)
    elif isinstance(ins, VolumeInstruction):
        if ins.exec_form is not None:
            words = [(a.value, a.span) for a in ins.exec_form]
        else:
            words = [(w.text, w.span) for w in ins.syntax.words]
        for word, span in words:
            yield item(word.strip(GO_SPACE), span)
    elif isinstance(ins, RunInstruction):
        # Only the --mount options; the command is the shell's business.
        for flag in ins.flags:
            if flag.name != "mount" or flag.value is None:
                continue
            try:
                fields = mount_fields(flag.value)
            except ValueError:
                continue
            for field in fields:
                if field.value is None:
                    continue
                if flag.value[field.start : field.end] == field.value:
                    place = _flag_place(ins, flag, field.start)
                else:
                    whole = flag_value_span(ins, flag, field.start, field.end)
                    place = lambda s, e, whole=whole: whole  # noqa: E731
                yield lex, field.value, place, values, declared


def _arg_expansions(ins: ArgInstruction, model: SemanticModel, scope, lex: ShellLex) -> Iterator[Expansion]:
    """An ARG's defaults, each expanded with the variables its earlier names
    have set; a name counts as declared only after its own default."""
    values = dict(scope.values)
    declared = dict(scope.args)
    global_values = model.global_scope.values
    for pair in ins.pairs:
        if pair.value is not None:
            span = pair.value_span or pair.key_span
            yield lex, pair.value, deferred_word_place(ins, span, pair.value), dict(values), dict(declared)
            try:
                value: str | None = lex.process_word(pair.value, values).result
            except ExpansionError:
                return  # BuildKit's build stops here
        else:
            value = global_values.get(pair.key)
        if value is not None and pair.key not in NON_ENV_ARGS:
            values[pair.key] = value
        declared[pair.key] = value


def _flag_place(ins: Instruction, flag: Flag, offset: int) -> Place:
    return lambda s, e: flag_value_span(ins, flag, offset + s, offset + e)


def _body_place(ins: Instruction, body: Span, content: str) -> Place:
    if ins.text[body.start : body.end] == content:
        return lambda s, e: Span(body.start + s, body.start + e)
    return lambda s, e: body
