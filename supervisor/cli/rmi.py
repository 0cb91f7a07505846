"""scopebox rmi [-f] IMAGE..."""

from __future__ import annotations

from supervisor import images
from supervisor.cli.common import engine
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("rmi", "Remove images.")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        for ref in ns.images:
            for line in images.remove_image(eng.store, ref, ns.force):
                print(line)
    return 0
