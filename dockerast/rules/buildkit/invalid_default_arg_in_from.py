from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from dockerast.cst.nodes import ArgInstruction
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.semantic.model import Stage
from dockerast.semantic.shell import ExpansionError, ShellLex

# github.com/distribution/reference, regexp.go: Go's ``\w`` and ``[[:xdigit:]]`` are ASCII-only.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = r"(?:" + _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN_AND_PORT = _HOST + r"(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
_REFERENCE = re.compile(
    r"((?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?\Z"
)
_ANCHORED_NAME = re.compile(r"(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")\Z")
_IDENTIFIER = re.compile(r"[a-f0-9]{64}\Z")
_DIGEST_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}  # go-digest's registered algorithms
_ALGORITHM = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*\Z")
_REPOSITORY_NAME_MAX = 255
DEFAULT_DOMAIN = "docker.io"


@dataclass(frozen=True, slots=True)
class NamedReference:
    """An image reference as ``reference.ParseNormalizedNamed`` reads it."""

    domain: str
    path: str
    tag: str | None
    digest: str | None

    def canonical(self) -> str:
        """``docker.io/library/alpine:latest``: the full name, ``:latest`` added when nothing pins it."""
        text = f"{self.domain}/{self.path}"
        tag = self.tag if self.tag is not None or self.digest is not None else "latest"
        if tag is not None:
            text += f":{tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_normalized_named(text: str) -> NamedReference:
    """Read an image name the way BuildKit does (distribution/reference
    ``ParseNormalizedNamed``); ValueError with its reason when it is not one."""
    if _IDENTIFIER.match(text):
        raise ValueError(f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    domain, remainder = _split_docker_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ValueError(f"invalid reference format: repository name ({remote}) must be lowercase")
    full = f"{domain}/{remainder}"
    match = _REFERENCE.match(full)
    if match is None:
        if _REFERENCE.match(full.lower()):
            raise ValueError("invalid reference format: repository name must be lowercase")
        raise ValueError("invalid reference format")
    name = _ANCHORED_NAME.match(match.group(1))
    assert name is not None
    path = name.group(2)
    if len(path) > _REPOSITORY_NAME_MAX:
        raise ValueError("repository name must not be more than 255 characters")
    digest = match.group(3)
    if digest is not None:
        algorithm, _, encoded = digest.partition(":")
        if not _ALGORITHM.match(algorithm) or algorithm not in _DIGEST_ALGORITHMS:
            raise ValueError("unsupported digest algorithm")
        if len(encoded) != _DIGEST_ALGORITHMS[algorithm] or not re.fullmatch(r"[a-f0-9]+", encoded):
            raise ValueError("invalid checksum digest format")
    return NamedReference(name.group(1) or "", path, match.group(2), digest)


def _split_docker_domain(name: str) -> tuple[str, str]:
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, "library/" + name
    if maybe_domain == "localhost":
        domain, remote = maybe_domain, maybe_remote
    elif maybe_domain == "index.docker.io":
        domain, remote = DEFAULT_DOMAIN, maybe_remote
    elif any(c in maybe_domain for c in ".:") or maybe_domain.lower() != maybe_domain:
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = "library/" + remote
    return domain, remote


class InvalidDefaultArgInFrom(Rule):
    """
    ## What it does
    Expands each ``FROM`` image name with the meta ``ARG`` defaults alone, as
    if no ``--build-arg`` were given, and flags the names that come out empty
    or not a valid image reference (``busybox:`` from ``busybox:$VERSION``
    when ``VERSION`` has no default).

    As in BuildKit, any name is checked this way, not only those with
    variables, so ``FROM Ubuntu`` (a repository name must be lowercase) is
    flagged too.  When a meta ``ARG`` default or an image name cannot be
    expanded at all, BuildKit stops this check, and so does this rule.

    ## Why is this bad
    A build should work without build arguments.  A base image that is only
    valid when ``--build-arg`` is passed fails for everyone who does not know
    that, with an error far from the cause.

    ## Example
    ```dockerfile
    ARG TAG
    FROM busybox:${TAG}
    ```
    Give the ``ARG`` a default (``ARG TAG=latest``), or a fallback in place
    (``FROM busybox:${TAG:-latest}``).  An empty default is fine when the name
    stays valid: ``FROM busybox:stable${VARIANT}``.

    ## Fix safety
    No automatic fix: the right default is the author's choice.
    """

    code = "BK017"
    name = "InvalidDefaultArgInFrom"
    summary = "Default value for global ARG results in an empty or invalid base image name"
    url = rule_url("InvalidDefaultArgInFrom")
    buildkit = True
    bad_example = "ARG TAG\nFROM busybox:${TAG}\n"
    good_example = "ARG TAG=latest\nARG VARIANT\nFROM busybox:${TAG}\nFROM busybox:stable${VARIANT}\n"

    def check(self, ctx: CheckContext):
        from dockerast.semantic.model import analyze  # noqa: PLC0415

        model = ctx.model
        if model.build_args:  # this check uses the defaults alone
            model = analyze(ctx.tree, target_platform=str(model.target_platform))
        first_from = model.stages[0].from_index if model.stages else len(ctx.tree.instructions)
        for problem in model.problems:
            if problem.instruction_index < first_from and isinstance(
                ctx.tree.instructions[problem.instruction_index], ArgInstruction
            ):
                return  # buildMetaArgs fails: BuildKit abandons the check
        lex = ShellLex(ctx.tree.escape)
        values = model.global_scope.values
        verdicts: dict[str, bool | None] = {}  # stages often share a base name

        def verdict(stage: Stage) -> bool | None:
            """Whether the default base name is valid; None: it cannot be expanded."""
            name = stage.base_name
            if name not in verdicts:
                verdicts[name] = _valid_default(lex, name, values)
            return verdicts[name]

        for stage in model.stages:
            # (with build args, another model than the one per-stage facts are kept for)
            valid = verdict(stage) if model is not ctx.model else ctx.stage_fact(
                "default-base-valid", stage.index, lambda stage=stage: verdict(stage)
            )
            if valid is None:
                return
            if not valid:
                ins = ctx.tree.instructions[stage.from_index]
                yield ctx.finding(
                    stage.from_index,
                    stage.base_name_span or ins.content_span,
                    f"Default value for ARG {stage.base_name} results in empty or invalid base image name",
                )


def _valid_default(lex: ShellLex, base_name: str, values: Mapping[str, str]) -> bool | None:
    """Whether ``base_name`` expands to a valid image name; None: it cannot be expanded."""
    try:
        result = lex.process_word(base_name, values).result
    except ExpansionError:
        return None
    try:
        parse_normalized_named(result)
    except ValueError:
        return False
    return True
