"""scopebox unpause CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import print_reports
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("unpause", "Thaw every process of containers.")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    return print_reports(api.unpause(settings, ns.containers))
