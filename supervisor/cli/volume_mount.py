"""scopebox volume mount VOLUME... (verbs)."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import volumes as api

    p = new_parser("volume mount",
                   "Mount volumes: print their mount points (a type= volume is mounted there).")
    p.add_argument("volumes", nargs="+")
    ns = p.parse_args(argv)
    return print_reports(api.mount(settings, ns.volumes), shown=lambda r: r.id)
