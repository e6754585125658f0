from __future__ import annotations

from dockerast.cst.nodes import Span
from dockerast.rules.base import CheckContext, Fix, FixSafety, Rule, rule_url
from dockerast.rules.buildkit.expose_proto_casing import expose_indices, port_specs


class ExposeInvalidFormat(Rule):
    """
    ## What it does
    Flags an ``EXPOSE`` port written with an IP address or a host port,
    ``EXPOSE 127.0.0.1:8080:80`` or ``EXPOSE 8080:80``: the publishing syntax
    of ``docker run -p``, which ``EXPOSE`` does not take.  Ports are checked
    after variable expansion.

    ## Why is this bad
    ``EXPOSE`` only documents which ports the container listens on; the
    address and the host port are ignored (BuildKit records only the
    container port), and they will become an error in a future release.
    Publishing is decided when the container runs.

    ## Example
    ``EXPOSE 127.0.0.1:80:80 8080:80/udp`` becomes ``EXPOSE 80 80/udp``.

    ## Fix safety
    Safe: the fix deletes the address and host port, keeping the container
    port and protocol, which is all the image records.  Offered for ports
    written literally (not produced by a variable).
    """

    code = "BK022"
    scope = "stage"
    name = "ExposeInvalidFormat"
    summary = (
        "IP address and host-port mapping should not be used in EXPOSE instruction. "
        "This will become an error in a future release"
    )
    url = rule_url("ExposeInvalidFormat")
    buildkit = True
    fix_safety = FixSafety.SAFE
    bad_example = "FROM alpine\nEXPOSE 127.0.0.1:80:80 8080:80/udp\n"
    good_example = "FROM alpine\nEXPOSE 80 80/udp 8000-8010\n"
    fixed_example = "FROM alpine\nEXPOSE 80 80/udp\n"

    def check(self, ctx: CheckContext):
        for index in expose_indices(ctx):
            for spec in port_specs(ctx, index):
                if not spec.ip and not spec.host_port:
                    continue
                fix = None
                if spec.literal:
                    start = spec.word.span.start
                    edit = ctx.edit(index, Span(start, start + spec.container_start), "")
                    fix = Fix("keep only the container port", (edit,), FixSafety.SAFE)
                yield ctx.finding(
                    index,
                    spec.word.span,
                    f"EXPOSE instruction should not define an IP address or host-port mapping, found '{spec.text}'",
                    fix=fix,
                )
