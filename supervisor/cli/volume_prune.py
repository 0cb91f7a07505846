"""scopebox volume prune [-f] [--filter K=V]..."""

from __future__ import annotations

from supervisor.api import group_filters
from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume prune", "Remove every volume no container uses.")
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument("--filter", action="append", default=[])
    ns = p.parse_args(argv)
    from supervisor.api import volumes as api

    filters = group_filters(ns.filter)
    if not ns.force and not confirm(
        "WARNING! This will remove all volumes not used by at least one container. The"
        " following volumes will be removed:\n"
        + "".join(f"{name}\n" for name in api.prunable(settings, filters))
    ):
        return 0
    for name in api.prune(settings, filters):
        print(name)
    return 0
