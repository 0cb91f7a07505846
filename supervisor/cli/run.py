"""scopebox run [OPTIONS] IMAGE [COMMAND [ARG...]]"""

from __future__ import annotations

import sys

from supervisor.cli.common import add_create_flags, create_request, new_create_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_create_parser("run", "Create and start a container.")
    add_create_flags(p)
    p.add_argument("-d", "--detach", action="store_true", help="run in the background")
    ns = p.parse_args(argv)
    req = create_request(ns)
    stdin_fd = sys.stdin.fileno() if req.options.interactive else None
    report = api.run(settings, req, ns.detach, stdin_fd)
    if report.exit_code is None:
        print(report.id)
        return 0
    return report.exit_code
