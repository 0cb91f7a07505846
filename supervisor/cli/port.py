"""scopebox port [-a] [CONTAINER] [PRIVATE_PORT[/PROTO]]: the published ports."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("port", "List a container's port mappings.")
    p.add_argument("-a", "--all", action="store_true", help="every container's")
    p.add_argument("-l", "--latest", action="store_true", help="the newest container's")
    p.add_argument("container", nargs="?")
    p.add_argument("port", nargs="?")
    ns = p.parse_args(argv)
    if not ns.container and not ns.all and not ns.latest:
        p.error("a container name or id is required (or --all)")
    if ns.all or ns.latest:  # the one argument is the port
        if ns.port is not None:
            p.error("--all and --latest take at most a port")
        ns.container, ns.port = None, ns.container
    lines = api.port(settings, ns.container, ns.port or "", ns.latest)
    if ns.port and not lines:
        print(f"Error: failed to find published port \"{ns.port}\"", file=sys.stderr)
        return 125
    for line in lines:
        print(line)
    return 0
