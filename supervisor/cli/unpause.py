"""scopebox unpause [-a] [-l] [--filter F] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    p = new_parser("unpause", "Thaw every process of containers.")
    add_target_flags(p, all="unpause all paused containers", filter=True, cidfile=True)
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    refs = resolve(settings, targets(ns, ns.containers), "paused")
    return print_reports(api.unpause(settings, refs))
