"""scopebox untag IMAGE [NAME...] (also `image untag`)"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("untag", "Remove names from an image (every name when none is given).")
    p.add_argument("image")
    p.add_argument("names", nargs="*")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    api.untag(settings, ns.image, ns.names)
    return 0
