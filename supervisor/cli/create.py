"""scopebox create [OPTIONS] IMAGE [COMMAND [ARG...]]"""

from __future__ import annotations

from supervisor.cli.common import add_create_flags, create_request, new_create_parser
from supervisor.cli.streamflags import add_stream_flags  # terminals: -a
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_create_parser("create", "Create a container without starting it.")
    add_create_flags(p)
    add_stream_flags(p)  # terminals: -a, accepted unchecked as Podman's (it matters to run)
    p.add_argument("--init-ctr", default="", metavar="TYPE",
                   help="run it to completion at each start of its pod, before the others"
                   " (always), or at the next start only, then remove it (once)")
    ns = p.parse_args(argv)
    print(api.create(settings, create_request(ns)))
    return 0
