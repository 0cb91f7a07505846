"""scopebox image tree [--whatrequires] IMAGE (verbs): the image's layers, as Podman 4.3
draws them."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("image tree", "Print the layers of an image as a tree.")
    p.add_argument("--whatrequires", action="store_true",
                   help="also the layers of the images built on this one")
    p.add_argument("image")
    ns = p.parse_args(argv)
    sys.stdout.write(api.tree_text(api.tree(settings, ns.image, ns.whatrequires)) + "\n")
    return 0
