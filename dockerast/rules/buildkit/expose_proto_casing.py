from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockerast.cst.nodes import ExposeInstruction, Span, Word
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url
from dockerast.semantic.shell import ExpansionError, ShellLex

_PROTOCOLS = ("tcp", "udp", "sctp")
_PORT_NUMBER = re.compile(r"[+-]?[0-9]+\Z")  # strconv.ParseInt(s, 10, 0)


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One port of an EXPOSE as BuildKit's ``parsePort`` splits it: ``[ip:][host_port:]port[/proto]``.

    ``text`` is the port after expansion; ``word`` is the word it came from,
    and ``literal`` says whether that word is exactly ``text`` (no variable,
    quote or escape), so that an edit of ``text`` is an edit of the source.
    """

    word: Word
    text: str
    literal: bool
    ip: str
    host_port: str
    container_port: str  # with its protocol, as written
    protocol: str  # "" when none is written

    @property
    def container_start(self) -> int:
        """Where ``container_port`` starts in ``text``."""
        return len(self.text) - len(self.container_port)


def port_specs(ctx: CheckContext, index: int) -> Iterator[PortSpec]:
    """The ports of the EXPOSE at ``index`` that BuildKit lints, in its order.

    BuildKit sorts the words, expands and splits each, then parses the ports
    one by one; the first port it cannot parse fails the build, so the ports
    after it are never linted.  A port whose protocol part is invalid fails
    before its own lint; other errors come after it.
    """
    ins = ctx.tree.instructions[index]
    assert isinstance(ins, ExposeInstruction)
    lex = ShellLex(ctx.tree.escape)
    values = ctx.model.scope_at(index).values
    expanded: list[tuple[Word, str, bool]] = []
    for word in sorted(ins.ports, key=lambda w: w.text.encode("utf-8", "surrogateescape")):
        try:
            parts = lex.process_words(word.text, values)
        except ExpansionError:
            return
        literal = parts == [word.text] and len(word.span) == len(word.text) and "$" not in word.text
        expanded.extend((word, part, literal) for part in parts)
    for word, text, literal in expanded:
        ip, host_port, container = _split_parts(text)
        port, _, protocol = container.partition("/")
        if not port or protocol.lower() not in ("", *_PROTOCOLS):
            return
        yield PortSpec(word, text, literal, ip, host_port, container, protocol)
        if not _valid_after_lint(ip, host_port, port):
            return


def _split_parts(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _valid_after_lint(ip: str, host_port: str, port: str) -> bool:
    """The checks ``parsePort`` makes after its lint; False where the build fails."""
    if ip.startswith("["):  # net.SplitHostPort(ip + ":")
        if not ip.endswith("]") or "[" in ip[1:] or "]" in ip[1:-1]:
            return False
        ip = ip[1:-1]
    if ip and not _is_ip(ip):
        return False
    container = _port_range(port)
    if container is None:
        return False
    if host_port:
        host = _port_range(host_port)
        if host is None:
            return False
        if container[1] - container[0] != host[1] - host[0] and container[1] != container[0]:
            return False
    return True


def _is_ip(text: str) -> bool:
    """Go's ``net.ParseIP``: dotted IPv4 or IPv6, no zone."""
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _port_range(text: str) -> tuple[int, int] | None:
    if not text:
        return None
    start_text, dash, end_text = text.partition("-")
    start = _port_number(start_text)
    if start is None:
        return None
    if not dash or start_text == end_text:
        return start, start
    end = _port_number(end_text)
    if end is None or end < start:
        return None
    return start, end


def _port_number(text: str) -> int | None:
    if not _PORT_NUMBER.match(text):
        return None
    number = int(text)
    return number if 0 <= number <= 65535 else None


def expose_indices(ctx: CheckContext) -> Iterator[int]:
    """The EXPOSE instructions BuildKit dispatches: those of a stage, not ONBUILD triggers."""
    model = ctx.model
    for index, ins in ctx.instructions(ExposeInstruction):
        if ins.problem is None and model.stage_of(index) is not None:
            yield index


class ExposeProtoCasing(Rule):
    """
    ## What it does
    Flags an ``EXPOSE`` port whose protocol is not lowercase:
    ``EXPOSE 80/TCP``.  Ports are checked after variable expansion.

    ## Why is this bad
    BuildKit lowercases the protocol anyway; writing it in lowercase keeps
    the Dockerfile consistent with what the image records.

    ## Example
    ``EXPOSE 80/TcP 53/UDP`` becomes ``EXPOSE 80/tcp 53/udp``.

    ## Fix safety
    Safe: the image records the same lowercase protocol either way.  Offered
    for ports written literally (not produced by a variable).
    """

    code = "BK021"
    scope = "stage"
    name = "ExposeProtoCasing"
    summary = "Protocol in EXPOSE instruction should be lowercase"
    url = rule_url("ExposeProtoCasing")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine\nEXPOSE 80/TcP 53/UDP\n"
    good_example = "FROM alpine\nEXPOSE 80/tcp 53/udp 8080\n"
    fixed_example = "FROM alpine\nEXPOSE 80/tcp 53/udp\n"

    def check(self, ctx: CheckContext):
        for index in expose_indices(ctx):
            for spec in port_specs(ctx, index):
                if spec.protocol == spec.protocol.lower():
                    continue
                fix = None
                if spec.literal:
                    start = spec.word.span.end - len(spec.protocol)
                    edit = ctx.edit(index, Span(start, spec.word.span.end), spec.protocol.lower())
                    fix = Fix("lowercase the protocol", (edit,), FixSafety.SAFE)
                yield ctx.finding(
                    index,
                    spec.word.span,
                    f"Defined protocol '{spec.text}' in EXPOSE instruction should be lowercase",
                    fix=fix,
                )
