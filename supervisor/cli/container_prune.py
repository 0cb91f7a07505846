"""scopebox container prune [-f] [--filter K=V]..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("container prune", "Remove every container that is not running.")
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument("--filter", action="append", default=[],
                   help="label=K[=V], label!=K[=V], until=TIME")  # fmt: skip
    ns = p.parse_args(argv)
    from supervisor.api import containers as api

    api.prune_filter(ns.filter)  # a bad filter fails before the question
    if not ns.force and not confirm("WARNING! This will remove all non running containers.\n"):
        return 0
    for cid in api.prune(settings, ns.filter):
        print(cid)
    return 0
