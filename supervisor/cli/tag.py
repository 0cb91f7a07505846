"""scopebox tag IMAGE TARGET..."""

from __future__ import annotations

from supervisor import images
from supervisor.cli.common import engine
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("tag", "Add names to an image.")
    p.add_argument("image")
    p.add_argument("targets", nargs="+")
    ns = p.parse_args(argv)
    with engine(settings) as eng:
        images.tag(eng.store, ns.image, ns.targets)
    return 0
