"""scopebox volume unmount VOLUME... (verbs)."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import volumes as api

    p = new_parser("volume unmount", "Unmount volumes (a type= volume no running container uses).")
    p.add_argument("volumes", nargs="+")
    ns = p.parse_args(argv)
    return print_reports(api.unmount(settings, ns.volumes))
