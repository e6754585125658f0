"""BuildKit's shell word expansion: quotes, escapes and ``$`` substitutions.

Dockerfile instructions such as ``ENV``, ``ARG``, ``COPY`` or ``WORKDIR`` run
their arguments through a small shell-like word processor before use.  This
module behaves like BuildKit's (``frontend/dockerfile/shell``), down to its
corner cases, so that the library can show users the value BuildKit will use.

Supported syntax:

* ``'single'`` quotes (no escapes inside) and ``"double"`` quotes, in which the
  escape character only escapes ``"``, ``$`` and itself;
* the escape character, ``\\`` or the backtick chosen by the ``escape=``
  parser directive; an escape at the very end of a word is dropped;
* ``$name`` and ``${name}``; positional (``$1``, ``$001``) and special
  parameters (``$@ $* $# $? $- $$ $! $0``) are looked up like any other name,
  so they are normally empty;
* ``${v:-w}`` ``${v-w}`` ``${v:+w}`` ``${v+w}`` ``${v:?w}`` ``${v?w}``,
  where the word ``w`` is itself expanded (always, even when unused);
* ``${v#p}`` ``${v##p}`` ``${v%p}`` ``${v%%p}`` ``${v/p/r}`` ``${v//p/r}``
  where ``p`` is a pattern: ``*`` is any run of characters, ``?`` one
  character, and a backslash (whatever the escape character) escapes ``*``,
  ``?``, ``\\``, ``}`` and ``/``; any other escape is an error.  Neither
  wildcard matches a newline.  ``p`` and ``r`` are expanded first and keep
  their escape characters.  A ``$0`` or ``${0}`` that reaches the replacement
  of ``${v//p/r}`` (from a variable's value, or written ``\\$0``, which
  keeps its backslash) stands for the matched text and ``$$`` for a dollar,
  because BuildKit hands it to Go's regexp template expansion;
* word splitting after expansion (:meth:`ShellLex.process_words`): text that
  came from expansions or unquoted source is split on whitespace, quoted text
  is not, and empty words are dropped.

Quirks of BuildKit that are reproduced on purpose, since Docker builds see
them too:

* in the split words, the text of the current word that precedes a
  ``${v...}`` form with a nested word (``${v:-w}``, ``${v#p}``,
  ``${v/p/r}``...) is lost, because BuildKit reuses one buffer for the nested
  word: ``a${X:-b}c`` splits to ``["bc"]`` while its result is ``"abc"``;
* with ``raw_escapes``, an escape inside double quotes that escapes nothing is
  kept twice (``"\\t"`` gives ``\\\\t``);
* with ``skip_unset_env``, ``${v//p/r}`` of an unset ``v`` is written back as
  ``${v/p/r}``;
* a byte order mark (U+FEFF) as the very first character of a word, or of a
  pattern, is ignored.

Offsets in this module are ``str`` indices (code points), like the rest of
the library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dockerast.cst.text import go_quote
from dataclasses import KW_ONLY, dataclass

__all__ = [
    "ExpansionError",
    "ProcessedWord",
    "ShellLex",
    "VariableReference",
    "find_variable_references",
]

# Characters Go's ``unicode.IsSpace`` accepts: the word separators.
_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Whitespace that a ``<<`` heredoc marker may be followed by.
_HEREDOC_BLANKS = frozenset("\t\r ")
# One-character special parameters (POSIX shell, section 2.5.2).
_SPECIAL_PARAMETERS = frozenset("@*#?-$!0")
_MODIFIERS = frozenset("+-?#%")
_EOF = ""
_BOM = "\ufeff"
# How many ``$`` expansions may be nested inside each other.  BuildKit has no
# limit; Python's stack has one, so deeper input is reported as an error.
_MAX_NESTING = 100


class ExpansionError(ValueError):
    """A word BuildKit refuses to expand, e.g. ``${v:?msg}`` with ``v`` unset,
    ``${}``, an unterminated quote or an unsupported modifier such as ``${v=w}``.

    ``reason`` says what is wrong in BuildKit's wording, except where BuildKit
    would print U+FFFD for the end of input: ``${v`` is reported as
    ``syntax error: missing '}'`` and a pattern ending in a lone backslash as
    ``invalid escape '\\' at end of pattern``.  ``word`` is the input.
    """

    def __init__(self, word: str, reason: str) -> None:
        super().__init__(f"failed to process {go_quote(word)}: {reason}")
        self.word = word
        self.reason = reason


@dataclass(frozen=True)
class ProcessedWord:
    """The outcome of expanding one word.

    ``result`` is the expanded text with quotes removed; ``words`` is the same
    text split into fields (see :meth:`ShellLex.process_words`); ``matched`` and
    ``unmatched`` are the variable names looked up that were / were not set,
    as spelled in the word.
    """

    result: str
    words: tuple[str, ...]
    matched: frozenset[str]
    unmatched: frozenset[str]


@dataclass(frozen=True)
class VariableReference:
    """One ``$name`` or ``${name...}`` in a word, found without expanding it.

    ``word[start:end]`` is the whole reference, from ``$`` to the closing
    ``}`` (nested references inside it are listed separately) and
    ``word[name_start:name_end] == name``.  ``modifier`` is ``""`` for plain
    ``$v`` / ``${v}``, otherwise one of ``":-" "-" ":+" "+" ":?" "?" "#" "##"
    "%" "%%" "/" "//"``; it is read from the source, so ``${v#'#'}`` counts as
    ``"#"`` although BuildKit treats it as ``##``.
    """

    name: str
    modifier: str
    start: int
    end: int
    name_start: int
    name_end: int
    braced: bool

    @property
    def is_special(self) -> bool:
        """True for positional (``$1``) and special (``$@``, ``$?``...) parameters,
        which are never set in a Dockerfile."""
        first = self.name[0]
        return first in _SPECIAL_PARAMETERS or first.isdecimal()


@dataclass(frozen=True)
class ShellLex:
    """BuildKit's word processor, configured once and safe to share.

    ``escape`` is the escape character (``\\`` or, with the ``escape=``
    directive, a backtick).  The flags mirror BuildKit's ``Lex`` fields:

    * ``raw_quotes``: keep quote characters in the output;
    * ``raw_escapes``: keep escape characters in the output;
    * ``skip_process_quotes``: treat quotes as ordinary characters;
    * ``skip_unset_env``: leave references to unset variables as written
      (BuildKit's first pass over ``ARG``/``FROM`` lines uses this).

    Variable names are compared case-sensitively, as BuildKit does on Unix.
    On Windows BuildKit upper-cases names before comparing them; pass
    ``case_insensitive_env=True`` to get that behaviour.
    """

    escape: str = "\\"
    _: KW_ONLY
    raw_quotes: bool = False
    raw_escapes: bool = False
    skip_process_quotes: bool = False
    skip_unset_env: bool = False
    case_insensitive_env: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.escape, str) or len(self.escape) != 1:
            raise ValueError(f"escape must be one character, got {self.escape!r}")

    def process_word(self, word: str, env: Mapping[str, str]) -> ProcessedWord:
        """Expand ``word`` with the variables in ``env``.

        Raises :class:`ExpansionError` where BuildKit reports an error.
        """
        if self._is_plain(word):
            return ProcessedWord(result=word, words=tuple(_plain_fields(word)), matched=frozenset(), unmatched=frozenset())
        expansion = _Expansion(self, word, env)
        result, words = expansion.run()
        return ProcessedWord(
            result=result,
            words=tuple(words),
            matched=frozenset(expansion.matched),
            unmatched=frozenset(expansion.unmatched),
        )

    def expand(self, word: str, env: Mapping[str, str]) -> str:
        """``process_word(word, env).result``: the expanded text alone, for the
        many callers that need nothing else.  Raises like :meth:`process_word`."""
        if self._is_plain(word):
            return word
        # Most other words hold only ``$name`` and ``${name}``, maybe inside a
        # pair of quotes: read those directly.  Where the escape character,
        # unset names kept as written or names folded to upper case come in,
        # the word processor reads them.
        if self.escape not in word and not (self.skip_unset_env or self.case_insensitive_env):
            simple = _expand_simple(word, env, not (self.raw_quotes or self.skip_process_quotes))
            if simple is not None:
                return simple
        return _Expansion(self, word, env).run()[0]

    def _is_plain(self, word: str) -> bool:
        """True when nothing in ``word`` is special: expansion leaves it as it is.

        (Each character is looked for alone: a search for one character is a
        fast scan, where a character class is matched at every position.)
        """
        special = "$" in word or "'" in word or '"' in word or "<" in word or "\ufeff" in word
        return not special and self.escape not in word

    def process_words(self, word: str, env: Mapping[str, str]) -> list[str]:
        """Expand ``word`` and split the outcome into fields.

        Whitespace from unquoted source text and from ``$`` expansions
        separates fields; quoted text (and a ``<<`` heredoc marker with the
        blanks after it) is kept whole.  Empty fields are dropped, so ``''``
        alone gives ``[]``.  Raises :class:`ExpansionError` like
        :meth:`process_word`.
        """
        if self._is_plain(word):
            return _plain_fields(word)
        _, words = _Expansion(self, word, env).run()
        return words

    def find_variable_references(self, word: str) -> tuple[VariableReference, ...]:
        """List the variable references in ``word`` in source order, without
        expanding anything.

        References inside single quotes or after an escaped ``$`` are not
        references.  Nothing is raised: a reference cut short by a syntax
        error is left out, and so is everything after that error, since
        BuildKit would stop there too.  ``${}``-forms without a name (such as
        ``${+x}``) are not listed.
        """
        if "$" not in word:
            return ()
        expansion = _Expansion(self, word, None)
        try:
            expansion.run()
        except ExpansionError:
            pass
        references = expansion.references or []
        return tuple(sorted(references, key=lambda ref: ref.start))


_FIELD_SEPARATORS = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# A name that starts with an ASCII letter or underscore, as far as it is ASCII.
_ASCII_NAME = re.compile("[A-Za-z_][A-Za-z0-9_]*")
_ONE_OF: dict[str, re.Pattern[str]] = {}


def _one_of(chars: str) -> re.Pattern[str]:
    """A pattern matching any one of ``chars``; the readers below jump from one
    character they treat specially to the next with it."""
    pattern = _ONE_OF.get(chars)
    if pattern is None:
        pattern = _ONE_OF[chars] = re.compile("[" + "".join(re.escape(ch) for ch in chars) + "]")
    return pattern


# What a simple word has no room for, outside quotes (see _expand_simple).
_NOT_SIMPLE = re.compile("['\"<\ufeff]")
# ``name`` or ``{name}`` after a ``$``: an ASCII name that ends before a
# character that could continue it (read_name goes on past ASCII).
_SIMPLE_REFERENCE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_]|[^\x00-\x7f])|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_simple(word: str, env: Mapping[str, str], quotes: bool) -> str | None:
    """The result of expanding ``word``, when it is simple; None otherwise.

    For a word without the escape character, looked up with exact names and
    unset names expanding to nothing (the caller checks all three).  Simple
    is: no quote, ``<`` or byte order mark, and every ``$`` starting a
    ``$name`` or ``${name}`` (:func:`_substitute_names`); or, when ``quotes``
    are read, one pair of quotes around the whole word, whose inside a
    single-quoted word keeps as it is and a double-quoted one expands as
    above (in double quotes ``'``, ``<`` and a byte order mark are text).
    These are the words the word processor reads as copied runs, names and
    one quoted string, with no other rule applying.
    """
    if _NOT_SIMPLE.search(word) is None:
        return _substitute_names(word, env)
    if not quotes or len(word) < 2 or word[0] != word[-1]:
        return None
    inside = word[1:-1]
    if word[0] == "'" and "'" not in inside:
        return inside
    if word[0] == '"' and '"' not in inside:
        return _substitute_names(inside, env)
    return None


def _substitute_names(text: str, env: Mapping[str, str]) -> str | None:
    """``text`` with each ``$name`` and ``${name}`` replaced by the value of
    ``name``, or by nothing when it is unset; None if a ``$`` starts anything else."""
    if "$" not in text:
        return text
    head, *pieces = text.split("$")
    out = [head]
    for piece in pieces:
        reference = _SIMPLE_REFERENCE.match(piece)
        if reference is None:
            return None
        name = reference.group(1) or reference.group(2)
        if name in env:  # (an unset name, often $PATH, is common: raising KeyError costs more)
            out.append(env[name])
        out.append(piece[reference.end() :])
    return "".join(out)


def _plain_fields(word: str) -> list[str]:
    return [field for field in _FIELD_SEPARATORS.split(word) if field]


# One default lexer per escape character, for the helper below: it is called
# for every instruction of a file, and a lexer is immutable.
_SCANNERS: dict[str, ShellLex] = {}


def find_variable_references(word: str, escape: str = "\\") -> tuple[VariableReference, ...]:
    """List the variable references in ``word``; see
    :meth:`ShellLex.find_variable_references`."""
    if "$" not in word:
        return ()
    lex = _SCANNERS.get(escape)
    if lex is None:
        lex = _SCANNERS[escape] = ShellLex(escape)
    return lex.find_variable_references(word)


class _Failure(Exception):
    """Internal: aborts an expansion; turned into :class:`ExpansionError`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Fields:
    """Collects the split words of one (possibly nested) stretch of text.

    BuildKit shares one word buffer between a word and the words nested in
    its ``${...}`` forms, and every nested stretch starts by clearing it;
    ``buffer`` is that shared list of pieces.
    """

    __slots__ = ("buffer", "words")

    def __init__(self, buffer: list[str]) -> None:
        buffer.clear()
        self.buffer = buffer
        self.words: list[str] = []

    def add_char(self, ch: str) -> None:
        if ch in _SPACES:
            if self.buffer:
                self.words.append("".join(self.buffer))
                self.buffer.clear()
        else:
            self.buffer.append(ch)

    def add_text(self, text: str) -> None:
        """``add_char`` for each character of ``text``, a run at a time."""
        if not text:
            return
        buffer = self.buffer
        if _FIELD_SEPARATORS.search(text) is None:
            buffer.append(text)
            return
        first, *rest = _FIELD_SEPARATORS.split(text)
        if first:
            buffer.append(first)
        for piece in rest:
            if buffer:
                self.words.append("".join(buffer))
                buffer.clear()
            if piece:
                buffer.append(piece)

    def add_raw(self, text: str) -> None:
        if text:
            self.buffer.append(text)

    def finish(self) -> list[str]:
        if self.buffer:
            self.words.append("".join(self.buffer))
            self.buffer.clear()
        return self.words


class _Expansion:
    """State of one call: the input, a read position, lookups made so far.

    With ``env=None`` it only scans: nothing is looked up, only syntax errors
    stop it, and the references it passes are collected in ``references``.
    """

    def __init__(self, lex: ShellLex, word: str, env: Mapping[str, str] | None) -> None:
        self.lex = lex
        self.escape = lex.escape
        self.word = word
        self.text = word
        # Go's text/scanner skips a byte order mark at the start of its input.
        self.pos = 1 if word.startswith(_BOM) else 0
        self.env = env
        if env is not None and lex.case_insensitive_env:
            self.env = {_upper(key): value for key, value in env.items()}
        self.scan_only = env is None
        self.references: list[VariableReference] | None = [] if self.scan_only else None
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()
        self.field_buffer: list[str] = []
        self.nesting = 0

    # -- reading ---------------------------------------------------------

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        if self.pos < len(self.text):
            self.pos += 1
            return self.text[self.pos - 1]
        return _EOF

    # -- driving ---------------------------------------------------------

    def run(self) -> tuple[str, list[str]]:
        try:
            return self.read_until(None, self.lex.raw_escapes)
        except _Failure as failure:
            raise ExpansionError(self.word, failure.reason) from None
        except RecursionError:
            raise ExpansionError(self.word, "expansions nested too deeply") from None

    def read_until(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        """Expand up to the unescaped, unquoted ``stop`` character (consumed)
        or, with ``stop=None``, to the end of input."""
        out: list[str] = []
        fields = _Fields(self.field_buffer)
        process_quotes = not self.lex.skip_process_quotes
        text = self.text
        size = len(text)
        escape = self.escape
        # Characters that are none of the cases below are copied as they are
        # (a scan, which keeps no text, only skips them).
        interesting = _one_of("$<" + escape + (stop or "") + ("'\"" if process_quotes else ""))
        keep = not self.scan_only
        while self.pos < size:
            found = interesting.search(text, self.pos)
            start = self.pos
            self.pos = size if found is None else found.start()
            if keep and self.pos > start:
                run = text[start : self.pos]
                out.append(run)
                fields.add_text(run)
            if found is None:
                break
            ch = text[self.pos]
            if ch == stop:
                self.pos += 1
                return "".join(out), fields.finish()
            if ch == "$":
                run = self.read_dollar()
                out.append(run)
                fields.add_text(run)
            elif ch == "<":
                run = self.read_heredoc_marker()
                out.append(run)
                fields.add_raw(run)
            elif process_quotes and ch == "'":
                run = self.read_single_quoted()
                out.append(run)
                fields.add_raw(run)
            elif process_quotes and ch == '"':
                run = self.read_double_quoted(raw_escapes)
                out.append(run)
                fields.add_raw(run)
            else:
                self.pos += 1
                if ch == escape:
                    if raw_escapes:
                        fields.add_raw(ch)
                        out.append(ch)
                    ch = self.next()
                    if ch == _EOF:
                        break
                    fields.add_raw(ch)
                else:
                    fields.add_char(ch)
                out.append(ch)
        if stop is not None:
            raise _Failure(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out), fields.finish()

    def read_single_quoted(self) -> str:
        text = self.text
        start = self.pos + 1
        end = text.find("'", start)
        if end < 0:
            self.pos = len(text)
            raise _Failure("unexpected end of statement while looking for matching single-quote")
        self.pos = end + 1
        return text[start - 1 : end + 1] if self.lex.raw_quotes else text[start:end]

    def read_double_quoted(self, raw_escapes: bool) -> str:
        raw = self.lex.raw_quotes
        text = self.text
        escape = self.escape
        interesting = _one_of('"$' + escape)
        quote = self.next()
        out = [quote] if raw else []
        while True:
            found = interesting.search(text, self.pos)
            if found is None:
                self.pos = len(text)
                raise _Failure("unexpected end of statement while looking for matching double-quote")
            if found.start() > self.pos:
                out.append(text[self.pos : found.start()])
                self.pos = found.start()
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                if raw:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.read_dollar())
                continue
            self.pos += 1  # the escape
            if raw_escapes:
                out.append(ch)
            following = self.peek()
            if following == _EOF:
                continue
            if following in ('"', "$", escape):
                ch = self.next()
            out.append(ch)

    def read_heredoc_marker(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        blanks = []
        while self.peek() in _HEREDOC_BLANKS:
            blanks.append(self.next())
        return "<<" + "".join(blanks)

    def read_name(self) -> str:
        """Read a variable name: a run of digits, one special-parameter
        character, or letters, digits and underscores."""
        text = self.text
        ascii_name = _ASCII_NAME.match(text, self.pos)
        if ascii_name is not None:
            end = ascii_name.end()
            # Past the ASCII run, a non-ASCII letter or digit would continue it.
            if end == len(text) or text[end] < "\x80":
                self.pos = end
                return ascii_name.group()
        chars: list[str] = []
        while (ch := self.peek()) != _EOF:
            if not chars and ch.isdecimal():
                while (ch := self.peek()) != _EOF and ch.isdecimal():
                    chars.append(self.next())
                break
            if not chars and ch in _SPECIAL_PARAMETERS:
                return self.next()
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            chars.append(self.next())
        return "".join(chars)

    # -- substitutions ---------------------------------------------------

    def lookup(self, name: str) -> tuple[str, bool]:
        if self.env is None:
            return "", False
        key = _upper(name) if self.lex.case_insensitive_env else name
        try:
            value = self.env[key]
        except KeyError:
            self.unmatched.add(name)
            return "", False
        self.matched.add(name)
        return value, True

    def record(self, name: str, modifier: str, start: int, name_start: int, braced: bool) -> None:
        if self.references is not None and name:
            self.references.append(
                VariableReference(
                    name=name,
                    modifier=modifier,
                    start=start,
                    end=self.pos,
                    name_start=name_start,
                    name_end=name_start + len(name),
                    braced=braced,
                )
            )

    def read_dollar(self) -> str:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise _Failure(f"more than {_MAX_NESTING} nested expansions")
        try:
            return self._read_dollar()
        finally:
            self.nesting -= 1

    def _read_dollar(self) -> str:
        start = self.pos
        self.next()  # the '$'
        if self.peek() != "{":
            name_start = self.pos
            name = self.read_name()
            if not name:
                return "$"
            self.record(name, "", start, name_start, braced=False)
            value, found = self.lookup(name)
            if not found and self.lex.skip_unset_env:
                return "$" + name
            return value

        self.next()  # the '{'
        ch = self.peek()
        if ch == _EOF:
            raise _Failure("syntax error: missing '}'")
        if ch in ("{", "}", ":"):
            raise _Failure("syntax error: bad substitution")
        name_start = self.pos
        name = self.read_name()
        op = self.next()
        if op == "}":
            self.record(name, "", start, name_start, braced=True)
            value, found = self.lookup(name)
            if not found and self.lex.skip_unset_env:
                return "${" + name + "}"
            return value
        if op == _EOF:
            raise _Failure("syntax error: missing '}'")
        if op == "/":
            return self.read_substitution(name, start, name_start)

        modifier = op
        null_is_unset = op == ":"
        if null_is_unset:
            op = self.next()
            modifier += op
        elif op not in _MODIFIERS:
            raise _Failure(f"unsupported modifier ({modifier}) in substitution")
        is_trim = op in ("#", "%")
        if null_is_unset and is_trim:
            raise _Failure(f"unsupported modifier ({modifier}) in substitution")
        doubled = is_trim and self.peek() == op
        try:
            word, _ = self.read_until("}", is_trim)
        except _Failure:
            if self.peek() == _EOF:
                raise _Failure("syntax error: missing '}'") from None
            raise

        if op not in _MODIFIERS:  # ':' followed by something unknown
            value, found = self.lookup(name)
            if not found and self.lex.skip_unset_env and not self.scan_only:
                return "${" + name + modifier + word + "}"
            raise _Failure(f"unsupported modifier ({modifier}) in substitution")
        self.record(name, modifier + op if doubled else modifier, start, name_start, braced=True)
        if self.scan_only:
            return ""

        value, found = self.lookup(name)
        if not found and self.lex.skip_unset_env:
            return "${" + name + modifier + word + "}"
        unset_or_null = not found or (null_is_unset and value == "")
        if op == "-":
            return word if unset_or_null else value
        if op == "+":
            return "" if unset_or_null else word
        if op == "?":
            if not found:
                raise _Failure(f"{name}: {word or 'is not allowed to be unset'}")
            if unset_or_null:
                raise _Failure(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        # '#' removes a prefix, '%' a suffix; doubled, the longest match.
        greedy = word.startswith(op)
        if greedy:
            word = word[1:]
        if op == "%":
            return _trim_suffix(word, value, greedy)
        return _trim_prefix(word, value, greedy)

    def read_substitution(self, name: str, start: int, name_start: int) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        try:
            pattern, _ = self.read_until("/", True)
        except _Failure:
            if self.peek() == _EOF:
                raise _Failure("syntax error: missing '/' in ${}") from None
            raise
        try:
            replacement, _ = self.read_until("}", True)
        except _Failure:
            if self.peek() == _EOF:
                raise _Failure("syntax error: missing '}'") from None
            raise
        self.record(name, "//" if replace_all else "/", start, name_start, braced=True)
        if self.scan_only:
            return ""

        value, found = self.lookup(name)
        if not found and self.lex.skip_unset_env:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        glob = _Glob.compile(pattern, greedy=True, anchored=False)
        if replace_all:
            return glob.replace_all(value, replacement)
        span = glob.search(value)
        if span is None:
            return value
        return value[: span[0]] + replacement + value[span[1] :]


# -- patterns ------------------------------------------------------------

_STAR = object()  # '*': any run of characters except newlines
_ANY = object()  # '?': any one character except a newline


class _Glob:
    """A ``${v#pattern}`` pattern, matched the way BuildKit's regular
    expression (``*`` -> ``.*`` or ``.*?``, ``?`` -> ``.``) matches: the
    leftmost match wins, and among those the one a backtracking matcher finds
    first.  Runs in time proportional to pattern length times text length.
    """

    __slots__ = ("tokens", "greedy", "anchored")

    def __init__(self, tokens: tuple[object, ...], greedy: bool, anchored: bool) -> None:
        self.tokens = tokens
        self.greedy = greedy
        self.anchored = anchored

    @classmethod
    def compile(cls, pattern: str, *, greedy: bool, anchored: bool) -> _Glob:
        tokens: list[object] = []
        # Go's scanner drops a leading byte order mark here too.
        i = 1 if pattern.startswith(_BOM) else 0
        while i < len(pattern):
            ch = pattern[i]
            i += 1
            if ch == "*":
                tokens.append(_STAR)
            elif ch == "?":
                tokens.append(_ANY)
            elif ch == "\\":
                following = pattern[i] if i < len(pattern) else _EOF
                if following in ("}", "/"):
                    continue  # the escape only protected the ${} syntax
                if following not in ("*", "?", "\\"):
                    shown = f"'\\{following}'" if following else "'\\' at end of pattern"
                    raise _Failure(f"invalid pattern ({pattern}) in substitution: invalid escape {shown}")
                tokens.append(following)
                i += 1
            else:
                tokens.append(ch)
        return cls(tuple(tokens), greedy, anchored)

    def _match_end(self, text: str, start: int, memo: dict[tuple[int, int], int | None]) -> int | None:
        """End of the preferred match starting at ``start``, or None.

        ``memo`` maps a (token index, position) state to the end of the
        preferred match from there; that does not depend on how the state was
        reached, so it is shared by every search in the same text.
        """
        tokens = self.tokens
        count = len(tokens)
        size = len(text)
        greedy = self.greedy
        stack = [(0, start)]
        while stack:
            state = stack[-1]
            if state in memo:
                stack.pop()
                continue
            index, pos = state
            if index == count:
                memo[state] = pos
                stack.pop()
                continue
            token = tokens[index]
            takes = pos < size and text[pos] != "\n"
            if token is _STAR:
                advance = (index, pos + 1) if takes else None
                rest = (index + 1, pos)
                choices = (advance, rest) if greedy else (rest, advance)
            elif token is _ANY:
                choices = ((index + 1, pos + 1) if takes else None,)
            else:
                choices = ((index + 1, pos + 1) if pos < size and text[pos] == token else None,)
            # The first choice that leads to a match decides; later ones are
            # only explored when the earlier ones fail.
            end = None
            pending = None
            for choice in choices:
                if choice is None:
                    continue
                if choice not in memo:
                    pending = choice
                    break
                end = memo[choice]
                if end is not None:
                    break
            if pending is not None:
                stack.append(pending)
                continue
            memo[state] = end
            stack.pop()
        return memo[(0, start)]

    def search(
        self, text: str, start: int = 0, memo: dict[tuple[int, int], int | None] | None = None
    ) -> tuple[int, int] | None:
        """Leftmost match at or after ``start`` as a (start, end) span."""
        if memo is None:
            memo = {}
        last_start = 0 if self.anchored else len(text)
        for begin in range(start, last_start + 1):
            end = self._match_end(text, begin, memo)
            if end is not None:
                return begin, end
        return None

    def replace_all(self, text: str, template: str) -> str:
        """Replace every match like Go's ``Regexp.ReplaceAllString``: an empty
        match right after a previous match is not replaced, and ``$0`` in the
        template stands for the matched text."""
        out: list[str] = []
        memo: dict[tuple[int, int], int | None] = {}
        last_end = 0
        search_from = 0
        size = len(text)
        while search_from <= size:
            span = self.search(text, search_from, memo)
            if span is None:
                break
            begin, end = span
            out.append(text[last_end:begin])
            if end > last_end or begin == 0:
                out.append(_expand_template(template, text[begin:end]))
            last_end = end
            step = 1 if search_from < size else 0
            if search_from + step > end:
                search_from += step
            elif search_from + 1 > end:
                search_from += 1
            else:
                search_from = end
        out.append(text[last_end:])
        return "".join(out)


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    span = _Glob.compile(pattern, greedy=greedy, anchored=True).search(value)
    return value if span is None else value[span[1] :]


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # Shortest/longest rightmost matches are found as leftmost matches of the
    # reversed pattern in the reversed value.
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern keeping each ``\\x`` escape pair in order."""
    pieces = []
    i = 0
    last = len(pattern) - 1
    while i <= last:
        if pattern[i] == "\\" and i != last:
            pieces.append(pattern[i : i + 2])
            i += 2
        else:
            pieces.append(pattern[i])
            i += 1
    return "".join(reversed(pieces))


def _expand_template(template: str, matched: str) -> str:
    """Go's regexp template expansion for a regexp without groups: ``$0`` and
    ``${0}`` are the match, ``$$`` is ``$``, other ``$name`` are empty and a
    ``$`` that starts no name is kept."""
    out: list[str] = []
    while (dollar := template.find("$")) >= 0:
        out.append(template[:dollar])
        template = template[dollar + 1 :]
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        braced = template.startswith("{")
        rest = template[1:] if braced else template
        length = 0
        while length < len(rest) and (
            rest[length].isalpha() or rest[length].isdecimal() or rest[length] == "_"
        ):
            length += 1
        if length == 0 or (braced and rest[length : length + 1] != "}"):
            out.append("$")
            continue
        if rest[:length] == "0":
            out.append(matched)
        template = rest[length + 1 :] if braced else rest[length:]
    out.append(template)
    return "".join(out)


# -- small helpers -------------------------------------------------------


def _upper(name: str) -> str:
    """Upper-case one character at a time with Unicode's simple mappings, as
    Go's ``strings.ToUpper`` does: ``ß`` stays ``ß`` instead of becoming ``SS``."""
    return "".join(_upper_char(ch) for ch in name)


def _upper_char(ch: str) -> str:
    upper = ch.upper()
    if len(upper) == 1:
        return upper
    # Python only exposes full mappings.  Where the full upper case is longer,
    # the simple one is the title case (Greek letters with iota subscript) or
    # the character itself.
    title = ch.title()
    return title if len(title) == 1 else ch


