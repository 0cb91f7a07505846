"""scopebox network reload [--all]: rebuild bridges and firewall rules from the store."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.errors import StateError, UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network reload",
                   "Rebuild the networks' kernel state (after a firewall reload or flush).")
    p.add_argument("-a", "--all", action="store_true", help="every container (the default)")
    p.add_argument("-l", "--latest", action="store_true",
                   help="the latest container created (every network is rebuilt)")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    if ns.all and ns.latest:
        raise UsageError("--all and --latest cannot be used together")
    latest = None
    if ns.latest:
        from supervisor.api.targets import Targets, resolve

        latest = resolve(settings, Targets(latest=True))[0]
    restored = api.reload(settings)
    if latest is not None and latest not in restored:
        raise StateError("cannot reload network unless container network has been configured:"
                         " container state improper")
    for cid in [latest] if latest is not None else restored:
        print(cid)
    return 0
