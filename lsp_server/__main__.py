"""``dockerast-lsp``: the language server over stdio (default) or TCP."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dockerast-lsp", description="The dockerast language server for Dockerfiles.")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    transport.add_argument("--tcp", nargs=2, metavar=("HOST", "PORT"), help="listen on HOST PORT instead")
    parser.add_argument("--log-file", help="write the server's log there instead of stderr")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)")
    args = parser.parse_args(argv)

    level = logging.WARNING - 10 * min(args.verbose, 2)
    handler: logging.Handler = logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])

    from lsp_server.server import server  # noqa: PLC0415  (after logging is set up)

    if args.tcp:
        host, port = args.tcp
        try:
            port_number = int(port)
        except ValueError:
            parser.error(f"PORT must be a number, not {port!r}")
        server.start_tcp(host, port_number)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
