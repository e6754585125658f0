"""CopyIgnoredFile, with a port of moby/patternmatcher, Docker's .dockerignore matching.

No package on PyPI implements exactly Docker's rules (``**``, the parent
directory matching, the pattern cleaning of ``ignorefile.ReadAll``), so the
matcher is written here after github.com/moby/patternmatcher, which BuildKit
uses.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field

from dockerast.cst.nodes import AddInstruction, CopyInstruction, Instruction, Span
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.cst.text import go_quote
from dockerast.semantic.shell import ExpansionError

DOCKERIGNORE = ".dockerignore"
_GO_SPACE = "\t\n\v\f\r \x85\xa0"
_REGEXP_ESCAPED = frozenset(".+()|{}$")  # patternmatcher's ``shouldEscape``
_EXACT, _PREFIX, _SUFFIX, _REGEXP = "exact", "prefix", "suffix", "regexp"
# A heredoc source of COPY/ADD (``<<EOF``, ``2<<-"EOF"``), which is not a path.
_HEREDOC_WORD = re.compile(r"[0-9]*<<-?\s*[^<]*\Z")
# Sources BuildKit fetches rather than reads from the context (ParseGitRef, isHTTPSource).
_URL = re.compile(r"(?i)(?:https?|git|ssh)://")
_SCP_URL = re.compile(r"[a-zA-Z0-9-_]+@[a-zA-Z0-9-.]+:")


def go_clean(path: str) -> str:
    """Go's ``path.Clean`` (``filepath.Clean`` on Unix)."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_dir(path: str) -> str:
    """Go's ``filepath.Dir`` on Unix."""
    return go_clean(path[: path.rfind("/") + 1])


def read_ignore_file(data: bytes) -> list[str]:
    """The patterns of a .dockerignore file, as ``ignorefile.ReadAll`` gives them."""
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    patterns = []
    for line in text.split("\n"):
        if line.endswith("\r"):  # bufio.ScanLines drops a final \r
            line = line[:-1]
        if line.startswith("#"):
            continue
        pattern = line.strip(_GO_SPACE)
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip(_GO_SPACE)
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


class BadPattern(ValueError):
    """A pattern Go's ``filepath.Match`` calls malformed: BuildKit refuses the whole file."""


def _check_syntax(pattern: str) -> None:
    """Raise :class:`BadPattern` where Go's ``filepath.Match`` would (it checks the whole pattern)."""
    i, n = 0, len(pattern)

    def escaped_char(j: int) -> int:  # getEsc: the index after one (possibly escaped) character
        if j >= n or pattern[j] in "-]":
            raise BadPattern(pattern)
        if pattern[j] == "\\":
            j += 1
            if j >= n:
                raise BadPattern(pattern)
        j += 1
        if j >= n:
            raise BadPattern(pattern)
        return j

    while i < n:
        ch = pattern[i]
        if ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and pattern[i] == "]" and ranges > 0:
                    i += 1
                    break
                i = escaped_char(i)
                if pattern[i] == "-":
                    i = escaped_char(i + 1)
                ranges += 1
        elif ch == "\\":
            if i + 1 >= n:
                raise BadPattern(pattern)
            i += 2
        else:
            i += 1


@dataclass
class Pattern:
    """One pattern of a :class:`PatternMatcher` (patternmatcher's ``Pattern``)."""

    cleaned: str
    exclusion: bool
    kind: str = field(init=False)
    regexp: re.Pattern[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.kind, source = _compile(self.cleaned)
        if self.kind == _REGEXP:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    self.regexp = re.compile(source)
                except re.error:
                    self.regexp = None  # Go's regexp refuses it too, or one of its dialect's few extras

    def match(self, path: str) -> bool:
        """Raises :class:`BadPattern` when the pattern's regular expression did not compile."""
        if self.kind == _EXACT:
            return path == self.cleaned
        if self.kind == _PREFIX:
            return path.startswith(self.cleaned[:-2])
        if self.kind == _SUFFIX:
            suffix = self.cleaned[2:]
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        if self.regexp is None:
            raise BadPattern(self.cleaned)
        return self.regexp.match(path) is not None


def _compile(pattern: str) -> tuple[str, str]:
    """patternmatcher's ``Pattern.compile``: the kind of match and, for a regexp, its source."""
    source = "^"
    kind = _EXACT
    pos, n, step = 0, len(pattern), 0
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":
                pos += 1
                if pos < n and pattern[pos] == "/":
                    pos += 1
                if pos >= n:
                    if kind == _EXACT:
                        kind = _PREFIX
                    else:
                        source += ".*"
                        kind = _REGEXP
                else:
                    source += "(.*/)?"
                    kind = _REGEXP
                if step == 0:
                    kind = _SUFFIX
            else:
                source += "[^/]*"
                kind = _REGEXP
        elif ch == "?":
            source += "[^/]"
            kind = _REGEXP
        elif ch in _REGEXP_ESCAPED:
            source += "\\" + ch
        elif ch == "\\":
            if pos < n:
                source += "\\" + pattern[pos]
                pos += 1
                kind = _REGEXP
            else:
                source += "\\\\"
        elif ch in "[]":
            source += ch
            kind = _REGEXP
        else:
            source += ch
        step += 1
    return kind, source + r"\Z"


class PatternMatcher:
    """Docker's .dockerignore matcher (moby/patternmatcher ``PatternMatcher``)."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns: list[Pattern] = []
        self.exclusions = False
        for text in patterns:
            text = text.strip(_GO_SPACE)
            if not text:
                continue
            text = go_clean(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise BadPattern('illegal exclusion pattern: "!"')
                text = text[1:]
                self.exclusions = True
            _check_syntax(text)
            self.patterns.append(Pattern(text, exclusion))

    def matches_or_parent_matches(self, path: str) -> bool:
        """Whether ``path`` (slash-separated) or one of its parent directories is excluded."""
        matched = False
        parent = go_dir(path)
        parent_parts = parent.split("/")
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            try:
                match = pattern.match(path)
            except BadPattern:
                return False
            if not match and parent != ".":
                for end in range(1, len(parent_parts) + 1):
                    try:
                        match = pattern.match("/".join(parent_parts[:end]))
                    except BadPattern:
                        match = False
                    if match:
                        break
            if match:
                matched = not pattern.exclusion
        return matched

    def root_ignored(self) -> bool:
        """Whether a pattern excludes every entry of the context (``copySourceRootIgnored``)."""
        return any(not p.exclusion and p.cleaned in ("*", "**", "**/*") for p in self.patterns)


def load_matcher(context_dir: str, dockerfile_path: str | None = None) -> PatternMatcher | None:
    """The matcher BuildKit builds for a context: ``<Dockerfile>.dockerignore`` next to the
    Dockerfile if there is one, else ``.dockerignore`` in the context; None without patterns."""
    candidates = [os.path.join(context_dir, DOCKERIGNORE)]
    if dockerfile_path:
        candidates.insert(0, dockerfile_path + DOCKERIGNORE)
    for candidate in candidates:
        try:
            with open(candidate, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        patterns = read_ignore_file(data)
        return PatternMatcher(patterns) if patterns else None
    return None


def _local_path(source: str) -> bool:
    return not (_URL.match(source) or _SCP_URL.match(source))


class CopyIgnoredFile(Rule):
    """
    ## What it does
    Flags a ``COPY`` or ``ADD`` source from the build context that the
    context's ``.dockerignore`` excludes: the file, or a directory above it,
    matches one of its patterns.

    The rule reads ``.dockerignore`` in ``context_dir`` (or
    ``<Dockerfile>.dockerignore`` beside the Dockerfile, which BuildKit
    prefers, when the Dockerfile's path is known) and matches patterns as
    Docker does (``*``, ``?``, ``[...]``, ``**``; a leading ``/`` is dropped).
    It is skipped without ``context_dir``, and, as in BuildKit, when the file
    has no pattern or has exclusions (``!pattern``), since a file inside an
    excluded directory may be brought back.  ``COPY --from`` and URL or Git
    sources do not read the context and are not checked; sources are checked
    as written, after variable expansion, without expanding wildcards.  The
    context itself (``COPY . .``) is flagged only when a pattern such as
    ``*`` excludes everything.

    ## Why is this bad
    Excluded files are not sent to the builder: the instruction fails with
    "not found", or, with a wildcard, silently copies less than expected.

    ## Example
    With a ``.dockerignore`` holding ``*.md``, ``COPY README.md /docs/`` is
    flagged: remove the pattern, or stop copying the file.

    ## Fix safety
    No automatic fix: either the ignore file or the Dockerfile is wrong.
    """

    code = "BK019"
    scope = "stage"
    name = "CopyIgnoredFile"
    summary = "Attempting to Copy file that is excluded by .dockerignore"
    url = rule_url("CopyIgnoredFile")
    buildkit = True
    needs = ("context_dir",)
    # The .dockerignore the examples are meant to be checked with.
    example_dockerignore = "*.md\nsecrets/\n"
    bad_example = "FROM alpine\nCOPY README.md /docs/\nADD secrets/key.pem /etc/\n"
    good_example = "FROM alpine\nCOPY src/ /app/\nCOPY . /app/\n"

    def check(self, ctx: CheckContext):
        if not ctx.context_dir:
            return
        try:
            matcher = load_matcher(ctx.context_dir, getattr(ctx, "dockerfile_path", None))
        except BadPattern:
            return  # BuildKit fails the build on a malformed pattern
        if matcher is None or matcher.exclusions:
            return
        model = ctx.model
        for index, ins in ctx.instructions(CopyInstruction, AddInstruction):
            if model.stage_of(index) is None or ins.problem is not None:
                continue
            if isinstance(ins, CopyInstruction):
                verb = "Copy"
                flag = ins.flag("from")
                if flag is not None and flag.value:
                    continue
            elif isinstance(ins, AddInstruction):
                verb = "Add"
            else:
                continue
            sources = _sources(ctx, index, ins)
            if sources is None:
                continue
            for span, source in sources:
                if not _local_path(source):
                    continue
                path = go_clean(source)
                if path in (".", "/") and not matcher.root_ignored():
                    continue
                if matcher.matches_or_parent_matches(path):
                    yield ctx.finding(
                        index,
                        span,
                        f"Attempting to {verb} file {go_quote(path)} that is excluded by .dockerignore",
                    )


def _sources(ctx: CheckContext, index: int, ins: Instruction) -> list[tuple[Span, str]] | None:
    """The expanded sources of a COPY/ADD with their spans; None where BuildKit's expansion fails."""
    exec_form = ins.exec_form  # type: ignore[attr-defined]
    if exec_form is not None:
        words = [(a.span, a.value) for a in exec_form]
    else:
        words = [(w.span, w.text) for w in ins.syntax.words]
    heredocs = bool(ins.heredocs)  # type: ignore[attr-defined]
    found = []
    for span, word in words[:-1]:
        if heredocs and exec_form is None and _HEREDOC_WORD.match(word):
            continue
        try:
            found.append((span, ctx.model.expand(index, word)))
        except ExpansionError:
            return None
    return found
