"""scopebox network prune [-f] [--filter K=V]..."""

from __future__ import annotations

from supervisor.api import group_filters
from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network prune", "Remove every network no container uses.")
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument("--filter", action="append", default=[])
    ns = p.parse_args(argv)
    if not ns.force and not confirm(
        "WARNING! This will remove all networks not used by at least one container.\n"
    ):
        return 0
    from supervisor.api import networks as api

    for name in api.prune(settings, group_filters(ns.filter)):
        print(name)
    return 0
