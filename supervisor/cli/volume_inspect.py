"""scopebox volume inspect [-a] [--format F] VOLUME..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_inspected
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume inspect", "Show volumes' details.")
    p.add_argument("-f", "--format")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("volumes", nargs="*")
    ns = p.parse_args(argv)
    if not ns.volumes and not ns.all:
        raise UsageError("provide one or more volume names or use --all")
    from supervisor.api import volumes as api

    return print_inspected(api.inspect(settings, ns.volumes, ns.all), ns.format)
