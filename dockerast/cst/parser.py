"""From source text to :class:`~dockerast.cst.nodes.Dockerfile`.

Parsing has two steps.  :func:`dockerast.cst.lexer.split` cuts the text into
directives, trivia and logical instructions; that is all :func:`parse` does,
so a parse is one linear pass.  The grammar (grammar/dockerfile.lark) reads an
instruction's logical line the first time something asks for its structure
(:func:`parse_instruction_syntax`); every node caches its own result.

Neither step raises on ``str`` input: what BuildKit would reject becomes a
:class:`~dockerast.cst.nodes.Problem` on the instruction, or a problem of the
file, listed by :attr:`Dockerfile.errors`.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from dockerast.cst.exec_form import NOT_STRING_ARRAY, exec_strings, is_array_of_other_values
from dockerast.cst.grammar import GrammarError, Tree, parse_logical_line, parse_logical_lines
from dockerast.cst.heredoc import HEREDOC_COMMANDS, heredocs_in_line, read_bodies
from dockerast.cst.lexer import split
from dockerast.cst.nodes import (
    INSTRUCTION_TYPES,
    Directive,
    Dockerfile,
    ExecArgument,
    Flag,
    Heredoc,
    Instruction,
    InstructionSyntax,
    KeyValue,
    Problem,
    Span,
    SyntaxIssue,
    UnknownInstruction,
    Word,
    new_dockerfile,
    new_exec_argument,
    new_flag,
    new_instruction,
    new_key_value,
    new_span,
    new_syntax,
    new_word,
    unquote_flag,
)
from dockerast.cst.positions import LineIndex
from dockerast.cst.text import GO_SPACE, go_quote

_SPLIT_SPACE = " \t\v\f\r"
_PLAIN_WORDS = re.compile(r"[^\t\v\f\r ]+")
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")

NO_INSTRUCTIONS = "file with no instructions"


def parse(text: str, previous: Dockerfile | None = None) -> Dockerfile:
    """Parse a Dockerfile; ``str(result) == text`` for every ``text``.

    With ``previous`` (an earlier version of the same document, as an editor
    has), only the instructions around what changed are split and read again
    (:mod:`dockerast.cst.incremental`); the others are the previous nodes.
    """
    if previous is not None:
        from dockerast.cst.incremental import reparse  # noqa: PLC0415  (it calls back into parse)

        tree = reparse(previous, text, parse)
        if tree is not None:
            return tree
    bom, escape, raw_directives, directives_end, raw_instructions, raw_problems = split(text)
    known = _syntax_by_text(previous, escape) if previous is not None else {}
    types = INSTRUCTION_TYPES
    instructions = []
    for leading_start, start, end, segments, body_start, command, heredocs in raw_instructions:
        node = new_instruction(
            types.get(command.lower(), UnknownInstruction),
            text[leading_start:start],
            text[start:end],
            segments,
            body_start - start,
            escape,
            heredocs,
        )
        if known:
            cached = known.get((node.text, segments, node.body_start))
            if cached is not None:
                node._syntax.append(cached)
        instructions.append(node)
    # (Most files have neither directives nor problems: no comprehension runs for them.)
    directives = ()
    if raw_directives:
        directives = tuple(
            [
                Directive(text[d.start : d.end], d.name, d.value, Span(d.value_start - d.start, d.value_start - d.start + len(d.value)))
                for d in raw_directives
            ]
        )
    problems = tuple([(p.start, p.end, p.message) for p in raw_problems]) if raw_problems else ()
    end = raw_instructions[-1].end if raw_instructions else directives_end
    return new_dockerfile(bom, directives, tuple(instructions), text[end:], escape, problems)


def _syntax_by_text(tree: Dockerfile, escape: str) -> dict[tuple, object]:
    """The syntax already read from each instruction of ``tree``, by what it was read from."""
    if tree.escape != escape:
        return {}
    return {(ins.text, ins.segments, ins.body_start): ins._syntax[0] for ins in tree.instructions if ins._syntax}


def parse_bytes(data: bytes) -> Dockerfile:
    """Parse raw bytes; bytes that are not UTF-8 survive :meth:`Dockerfile.to_bytes`."""
    return parse(data.decode("utf-8", "surrogateescape"))


def collect_errors(tree: Dockerfile) -> tuple[SyntaxIssue, ...]:
    """Every syntax error of ``tree`` with its line and column, in source order."""
    found: list[tuple[int, int, str]] = list(tree.split_problems)
    read_instructions(tree.instructions)
    for offset, ins in zip(tree.instruction_offsets(), tree.instructions):
        problem = ins.problem
        if problem is not None:
            found.append((offset + problem.span.start, offset + problem.span.end, problem.message))
    if not tree.instructions:
        end = len(str(tree))
        found.append((end, end, NO_INSTRUCTIONS))
    if not found:
        return ()
    index = LineIndex(str(tree))
    issues = []
    for start, end, message in sorted(found):
        pos = index.position(start)
        issues.append(SyntaxIssue(message, start, end, pos.line, pos.column))
    return tuple(issues)


# -- the structure of one instruction -----------------------------------------


def parse_instruction_syntax(ins: Instruction) -> InstructionSyntax:
    """Read the logical line of ``ins`` with the grammar."""
    logical = ins.logical
    line = logical.lstrip(GO_SPACE)
    lead = len(logical) - len(line)
    if not line:
        return _syntax(Word("", ins.physical_span(lead, lead), lead))
    line = line.rstrip(GO_SPACE)
    try:
        tree = parse_logical_line(line, ins.escape)
        return _Reader().read(ins, logical, -lead, tree)
    except RecursionError:
        # Only ONBUILD nests; BuildKit refuses ``ONBUILD ONBUILD`` when it builds.
        keyword = line.split(None, 1)[0]
        return _syntax(
            Word(keyword, ins.physical_span(lead, lead + len(keyword)), lead),
            problem=Problem("ONBUILD instructions nested too deeply to read", ins.content_span),
        )
    except GrammarError as error:  # pragma: no cover  (the grammar accepts every line)
        keyword = line.split(None, 1)[0]
        return _syntax(
            Word(keyword, ins.physical_span(lead, lead + len(keyword)), lead),
            problem=Problem(f"cannot read this instruction: {error}", ins.content_span),
        )


def read_instructions(instructions: tuple[Instruction, ...] | list[Instruction]) -> None:
    """Read every instruction not read yet, all in one pass of the grammar.

    The same result as reading them one by one (:func:`parse_instruction_syntax`),
    without the cost of starting the parser once per instruction.
    """
    pending = [ins for ins in instructions if not ins._syntax]
    if not pending:
        return
    # (Instruction.logical, without a call for the one-line instructions)
    logicals = [ins.text[s[0][0] : s[0][1]] if len(s := ins.segments) == 1 else ins.logical for ins in pending]
    lines = [logical.strip(GO_SPACE) for logical in logicals]
    escapes = {ins.escape for ins in pending}
    if len(escapes) == 1 and "" not in lines and "\n" not in "".join(lines):
        _read_batch(pending, logicals, lines, escapes.pop())  # the instructions of one file
        return
    # Per escape character: the instructions, their logical and stripped lines.
    batches: dict[str, tuple[list[Instruction], list[str], list[str]]] = {}
    for ins, logical, line in zip(pending, logicals, lines):
        if line and "\n" not in line:
            batch = batches.get(ins.escape)
            if batch is None:
                batch = batches[ins.escape] = ([], [], [])
            batch[0].append(ins)
            batch[1].append(logical)
            batch[2].append(line)
        else:
            ins.syntax  # noqa: B018  (read alone)
    for escape, (batch_pending, batch_logicals, batch_lines) in batches.items():
        _read_batch(batch_pending, batch_logicals, batch_lines, escape)


def _read_batch(pending: list[Instruction], logicals: list[str], lines: list[str], escape: str) -> None:
    """Read instructions with one escape character, from their logical lines
    and those lines stripped (none empty, none holding a newline)."""
    try:
        trees = parse_logical_lines(lines, escape)
        read = _Reader().read
        origin = 0
        for ins, logical, line, tree in zip(pending, logicals, lines, trees):
            if not ins._syntax:
                # The line starts where ``logical`` does, but after a first
                # segment that held only the escape character.
                lead = 0 if logical[0] == line[0] else len(logical) - len(logical.lstrip(GO_SPACE))
                ins._syntax.append(read(ins, logical, origin - lead, tree))
            origin += len(line) + 1
    except (GrammarError, RecursionError):
        # Every line reads alone (deeply nested ONBUILDs report a problem there).
        for ins in pending:
            ins.syntax  # noqa: B018


def _syntax(keyword: Word, **fields) -> InstructionSyntax:
    values = {
        "flags": (),
        "arguments": None,
        "words": (),
        "exec_form": None,
        "key_values": (),
        "heredocs": (),
        "trigger": None,
        "healthcheck_type": None,
        "problem": None,
    }
    values.update(fields)
    return InstructionSyntax(keyword=keyword, **values)


# The keyword Words made so far, by text and place; bounded, since an unknown
# instruction's keyword may be any word.
_KEYWORDS: dict[tuple[str, int, int], Word] = {}
_KEYWORDS_KEPT = 4096


class _Reader:
    """Turns the Lark tree of one logical line into our structure and spans.

    Runs once per instruction, over every word: the common cases (one
    physical line, no flags) take the shortest path.  Offsets here are
    offsets in ``logical``; a token at ``start_pos`` stands at
    ``start_pos - shift``.
    """

    __slots__ = ("base", "ins", "logical", "shift", "starts")

    def span(self, start: int, end: int) -> Span:
        base = self.base
        if base >= 0:
            return new_span((base + start, base + end))
        segments = self.ins.segments
        first, first_end = segments[0]
        if start < end and start < first_end - first:
            if end <= first_end - first:
                return new_span((first + start, first + end))
            # The rest of a continued line: from its first segment to the end
            # of its last one, when that holds the line's last character.
            last, last_end = segments[-1]
            if end == len(self.logical) and last < last_end:
                return new_span((first + start, last_end))
        # Most other words of a continued line lie within one of its segments
        # (Instruction.physical_span, without its calls); the others, and
        # empty spans, which belong to the segment after the one they end,
        # take the general mapping.
        starts = self.starts
        if starts is None:
            starts = self.starts = self.ins._logical_starts()
        i = bisect_right(starts, start)
        if start < end and i < len(starts) and end <= starts[i]:
            i -= 1
            base = self.ins.segments[i][0] - starts[i]
            return new_span((base + start, base + end))
        return self.ins.physical_span(start, end)

    def word(self, text: str, start: int) -> Word:
        """A word at ``start`` of the logical line."""
        base = self.base
        if base >= 0:
            return new_word((text, new_span((base + start, base + start + len(text))), start))
        return new_word((text, self.span(start, start + len(text)), start))

    def read(self, ins: Instruction, logical: str, shift: int, tree: Tree) -> InstructionSyntax:
        """The syntax of ``ins`` from ``tree``, the grammar's reading of its line:
        a token at ``start_pos`` stands at ``start_pos - shift`` in ``logical``."""
        self.ins = ins
        self.logical = logical
        self.shift = shift
        segments = ins.segments
        # With one segment, a logical offset maps to ``base + offset``;
        # otherwise through where each segment starts in ``logical``.
        if len(segments) == 1:
            base = self.base = segments[0][0]
        else:
            base = self.base = -1
            self.starts = None  # where each segment starts in ``logical``, when needed
        children = tree.children
        rule = tree.data
        keyword_token = children[0]
        word = self.word
        text = keyword_token.value
        start = keyword_token.start_pos - shift
        if base >= 0:
            # Keywords repeat from line to line and file to file: one Word
            # (immutable) serves every instruction that has the same.
            key = (text, base + start, start)
            keyword = _KEYWORDS.get(key)
            if keyword is None:
                keyword = new_word((text, new_span((base + start, base + start + len(text))), start))
                if len(_KEYWORDS) < _KEYWORDS_KEPT:
                    _KEYWORDS[key] = keyword
        else:
            keyword = word(text, start)
        flags = []
        words = []
        arguments = None
        healthcheck_type = None
        trigger = None
        problem = None
        exec_form = None
        key_values = ()
        heredocs = ()
        for child in children[1:]:
            kind = getattr(child, "type", None)
            if kind == "ARGUMENTS" or kind == "EXEC_FORM":
                # Both carry the whitespace before them.
                value = child.value
                text = value.lstrip(GO_SPACE)
                start = child.start_pos - shift + len(value) - len(text)
                if base >= 0:
                    arguments = new_word((text, new_span((base + start, base + start + len(text))), start))
                else:
                    arguments = word(text, start)
                if kind == "EXEC_FORM":
                    exec_form = self.exec_form(arguments)
            elif kind == "QUOTED_WORD":
                value = child.value
                text = value.lstrip(GO_SPACE)
                start = child.start_pos - shift + len(value) - len(text)
                if text[-1] == ins.escape and start + len(text) == len(logical.rstrip(GO_SPACE)):
                    text = _without_lone_escape(text, ins.escape)
                if base >= 0:
                    words.append(new_word((text, new_span((base + start, base + start + len(text))), start)))
                else:
                    words.append(word(text, start))
            elif kind == "PLAIN_WORD" or kind == "FIRST_PLAIN_WORD":
                # A later word may start with a Unicode space: only ASCII
                # whitespace separates FROM's and EXPOSE's words.
                value = child.value
                text = value.lstrip(_SPLIT_SPACE if kind == "PLAIN_WORD" else GO_SPACE)
                start = child.start_pos - shift + len(value) - len(text)
                if base >= 0:
                    words.append(new_word((text, new_span((base + start, base + start + len(text))), start)))
                else:
                    words.append(word(text, start))
            elif kind == "FLAG":
                flags.append(self.flag(child))
            elif kind is None:  # the instruction ONBUILD wraps
                trigger = self.trigger(child)
                if trigger.problem is not None:
                    # BuildKit parses the trigger with the ONBUILD: its error is the ONBUILD's.
                    problem = trigger.problem
            elif kind == "HEALTHCHECK_TYPE":
                value = child.value
                text = value.lstrip(GO_SPACE)
                healthcheck_type = word(text, child.start_pos - shift + len(value) - len(text))
            elif kind == "CHECK_ARGUMENTS" or kind == "CHECK_EXEC_FORM":
                value = child.value
                text = value.lstrip(_SPLIT_SPACE)
                arguments = word(text, child.start_pos - shift + len(value) - len(text))
                if kind == "CHECK_EXEC_FORM":
                    exec_form = self.exec_form(arguments)
        if rule == "exec_or_shell" or rule == "json_or_words":
            if exec_form is None:
                if arguments is not None:
                    if arguments.text[0] == "[" and is_array_of_other_values(arguments.text):
                        problem = Problem(NOT_STRING_ARRAY, arguments.span)
                    if rule == "json_or_words":
                        words = self.plain_words(arguments)
                if "<<" in logical and keyword.text.lower() in HEREDOC_COMMANDS:
                    heredocs, error = self.heredocs()
                    if error is not None and problem is None:
                        problem = error
        elif rule == "env" or rule == "label":
            key_values, error = self.name_values(keyword.text, words)
            if error is not None:
                problem = error
        elif rule == "arg":
            key_values = tuple([self.arg_pair(w) for w in words])
        elif rule == "healthcheck" and exec_form is None and arguments is not None:
            if arguments.text[0] == "[" and is_array_of_other_values(arguments.text):
                problem = Problem(NOT_STRING_ARRAY, arguments.span)
        return new_syntax(
            (keyword, tuple(flags), arguments, tuple(words), exec_form, key_values, heredocs, trigger, healthcheck_type, problem)
        )

    def exec_form(self, array: Word) -> tuple[ExecArgument, ...]:
        start = array.logical_start
        if self.base >= 0:
            base = self.base + start
            return tuple([new_exec_argument((value, new_span((base + s, base + e)))) for value, s, e in exec_strings(array.text)])
        span = self.span
        return tuple([new_exec_argument((value, span(start + s, start + e))) for value, s, e in exec_strings(array.text)])

    def plain_words(self, arguments: Word) -> list[Word]:
        """COPY, ADD and VOLUME in shell form: the arguments split at whitespace."""
        start = arguments.logical_start
        if self.base >= 0:
            base = self.base + start
            return [
                new_word((m.group(), new_span((base + s, base + e)), start + s))
                for m in _PLAIN_WORDS.finditer(arguments.text)
                for s, e in (m.span(),)
            ]
        return [self.word(m.group(), start + m.start()) for m in _PLAIN_WORDS.finditer(arguments.text)]

    def flag(self, token) -> Flag:
        value = token.value
        raw = value.lstrip(_SPLIT_SPACE)
        start = token.start_pos - self.shift + len(value) - len(raw)
        unquoted = unquote_flag(raw, self.ins.escape)
        name, eq, value = unquoted[2:].partition("=")
        raw_eq = raw.find("=")
        base = self.base
        if base >= 0:
            at = base + start
            word = new_word((raw, new_span((at, at + len(raw))), start))
            name_span = new_span((at + 2, at + (raw_eq if raw_eq >= 0 else len(raw))))
            value_span = new_span((at + raw_eq + 1, at + len(raw))) if raw_eq >= 0 else None
        else:
            word = self.word(raw, start)
            name_span = self.span(start + 2, start + (raw_eq if raw_eq >= 0 else len(raw)))
            value_span = self.span(start + raw_eq + 1, start + len(raw)) if raw_eq >= 0 else None
        return new_flag((word, unquoted, name, value if eq else None, name_span, value_span))

    def name_values(self, keyword: str, words: list[Word]) -> tuple[tuple[KeyValue, ...], Problem | None]:
        """ENV and LABEL: ``key=value`` words, or the legacy ``key value``."""
        if not words:
            return (), None
        if "=" not in words[0].text:
            first = words[0]
            rest_start = first.logical_start
            rest = self.logical[rest_start:].rstrip(GO_SPACE)
            parts = _WHITESPACE.split(rest, maxsplit=1)
            if len(parts) < 2:
                return (), Problem(f"{keyword.upper()} must have two arguments", first.span)
            value_start = rest_start + len(rest) - len(parts[1])
            pair = KeyValue(
                parts[0],
                parts[1],
                self.span(rest_start, rest_start + len(parts[0])),
                self.span(value_start, value_start + len(parts[1])),
                legacy=True,
            )
            return (pair,), None
        pairs = []
        key_value = self.key_value
        for w in words:
            if "=" not in w.text:
                return tuple(pairs), Problem(
                    f"Syntax error - can't find = in {go_quote(w.text)}. Must be of the form: name=value", w.span
                )
            pairs.append(key_value(w))
        return tuple(pairs), None

    def key_value(self, w: Word) -> KeyValue:
        start = w.logical_start
        key, _, value = w.text.partition("=")
        eq = start + len(key)
        base = self.base
        if base >= 0:
            return new_key_value((key, value, new_span((base + start, base + eq)), new_span((base + eq + 1, base + start + len(w.text))), False))
        return new_key_value((key, value, self.span(start, eq), self.span(eq + 1, start + len(w.text)), False))

    def arg_pair(self, w: Word) -> KeyValue:
        if "=" in w.text:
            return self.key_value(w)
        return new_key_value((w.text, None, w.span, None, False))

    def trigger(self, subtree: Tree) -> Instruction:
        """The instruction ONBUILD wraps, sharing the ONBUILD's text and spans."""
        sub_start = subtree.children[0].start_pos - self.shift
        physical = self.ins.physical_offset(sub_start)
        segments = []
        for s, e in self.ins.segments:
            if e <= physical and not (s == e == physical):
                continue
            segments.append((max(s, physical), e))
        command = subtree.children[0].value.lower()
        cls = INSTRUCTION_TYPES.get(command, UnknownInstruction)
        trigger = cls(leading="", text=self.ins.text, segments=tuple(segments), body_start=self.ins.body_start, escape=self.ins.escape)
        # Read it from the tree the grammar already built: its line starts
        # ``sub_start`` characters into ours.
        trigger._syntax.append(_Reader().read(trigger, trigger.logical, self.shift + sub_start, subtree))
        return trigger

    def heredocs(self) -> tuple[tuple[Heredoc, ...], Problem | None]:
        # What the split found on this very line (a trigger's line is only
        # part of its ONBUILD's: look again there).
        openers = self.ins._heredoc_words or heredocs_in_line(self.logical)
        if not openers:
            return (), None
        text = self.ins.text
        bounds = read_bodies(text, self.ins.body_start, openers)
        found = []
        search_from = 0
        for opener, bound in zip(openers, bounds):
            at = self.logical.find(opener.word, search_from)
            if at < 0:  # pragma: no cover  (raw words are substrings of the line)
                at = search_from
            search_from = at + len(opener.word)
            found.append(
                Heredoc(
                    name=opener.name,
                    file_descriptor=opener.file_descriptor,
                    chomp=opener.chomp,
                    expand=opener.expand,
                    content=text[bound.body_start : bound.body_end],
                    word_span=self.ins.physical_span(at, at + len(opener.word)),
                    body_span=Span(bound.body_start, bound.body_end),
                    terminator_span=Span(bound.body_end, bound.terminator_end),
                )
            )
        last = bounds[-1]
        if not last.terminated:
            name = openers[len(bounds) - 1].name
            return tuple(found), Problem(
                f"unterminated heredoc: no line reads {name!r} before the end of the file",
                Span(last.body_start, last.body_end),
            )
        return tuple(found), None


def _without_lone_escape(word: str, escape: str) -> str:
    """``word`` without an escape character that ends it and escapes nothing
    (outside single quotes): parseWords skips one that ends the line."""
    quote = ""
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
        elif ch == escape:
            if i + 1 == n:
                return word[:-1]
            i += 1
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        i += 1
    return word
