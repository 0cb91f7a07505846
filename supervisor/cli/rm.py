"""scopebox rm [-f] [-i] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import print_reports
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("rm", "Remove containers.")
    p.add_argument("-f", "--force", action="store_true", help="kill running containers first")
    p.add_argument("-a", "--all", action="store_true", help="remove all containers")
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    p.add_argument("--cidfile", action="append", default=[], help="read the id from this file")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if not ns.containers and not ns.all and not ns.cidfile:
        p.error("at least one container is required")
    opts = api.RemoveOptions(ns.containers, ns.force, ns.all, ns.ignore, ns.cidfile)
    return print_reports(api.remove(settings, opts))
