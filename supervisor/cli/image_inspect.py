"""scopebox image inspect [--format F] IMAGE..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_inspected
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("image inspect", "Show an image's configuration and layers.")
    p.add_argument("-f", "--format")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    return print_inspected(api.inspect(settings, ns.images), ns.format)
