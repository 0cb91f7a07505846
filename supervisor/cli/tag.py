"""scopebox tag IMAGE TARGET..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("tag", "Add names to an image.")
    p.add_argument("image")
    p.add_argument("targets", nargs="+")
    ns = p.parse_args(argv)
    api.tag(settings, ns.image, ns.targets)
    return 0
