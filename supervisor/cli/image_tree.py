"""scopebox image tree [--whatrequires] IMAGE (verbs): the image's layers, as Podman 4.3
draws them."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api
    from supervisor.sizes import human_size

    p = new_parser("image tree", "Print the layers of an image as a tree.")
    p.add_argument("--whatrequires", action="store_true",
                   help="also the layers of the images built on this one")
    p.add_argument("image")
    ns = p.parse_args(argv)
    tree = api.tree(settings, ns.image, ns.whatrequires)
    lines = [f"Image ID: {tree.id[:12]}", f"Tags:     [{' '.join(tree.names)}]",
             f"Size:     {human_size(tree.size)}", "Image Layers"]
    for i, layer in enumerate(tree.layers):
        branch = "└── " if i == len(tree.layers) - 1 else "├── "
        line = f"{branch}ID: {layer.id[:12]} Size: {human_size(layer.size):>7}"
        if layer.top_of:
            line += f" Top Layer of: [{' '.join(layer.top_of)}]"
        lines.append(line)
    sys.stdout.write("\n".join(lines) + "\n\n")
    return 0

