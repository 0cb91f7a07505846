"""scopebox network reload [--all]: rebuild bridges and firewall rules from the store."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network reload",
                   "Rebuild the networks' kernel state (after a firewall reload or flush).")
    p.add_argument("-a", "--all", action="store_true", help="every container (the default)")
    ns = p.parse_args(argv)
    del ns
    from supervisor.api import networks as api

    for cid in api.reload(settings):
        print(cid)
    return 0
