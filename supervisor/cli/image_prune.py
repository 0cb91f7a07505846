"""scopebox image prune [-a] [-f]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("image prune", "Remove dangling images (no name), or with -a all unused.")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    ns = p.parse_args(argv)
    if not ns.force:
        what = "all images without at least one container" if ns.all else "all dangling images"
        if not confirm(f"WARNING! This command removes {what}.\n"):
            return 0
    from supervisor.api import images as api

    for image_id in api.prune(settings, ns.all):
        print(image_id)
    return 0
