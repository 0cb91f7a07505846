"""scopebox network reload [--all | --latest | CONTAINER...]: rebuild bridges and firewall
rules from the store."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network reload",
                   "Rebuild the networks' kernel state (after a firewall reload or flush).")
    p.add_argument("-a", "--all", action="store_true", help="every container")
    p.add_argument("-l", "--latest", action="store_true",
                   help="the latest container created (every network is rebuilt)")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    if ns.all and ns.latest:
        raise UsageError("--all and --latest cannot be used together")
    if ns.containers and ns.latest:  # Podman's words
        raise UsageError("--latest and containers cannot be used together")
    if ns.containers and ns.all:
        raise UsageError("no arguments are needed with --all")
    if not (ns.containers or ns.all or ns.latest):
        raise UsageError("you must provide at least one name or id")
    refs = list(ns.containers)
    if ns.latest:
        from supervisor.api.targets import Targets, resolve

        refs = resolve(settings, Targets(latest=True))[:1]
    for cid in api.reload(settings, refs or None):
        print(cid)
    return 0
