"""scopebox image prune [-a] [-f]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("image prune", "Remove dangling images (no name), or with -a all unused.")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument("--filter", action="append", default=[],
                   help="until=TIME, label=K[=V], label!=K[=V], dangling=BOOL")
    # Podman: also images other tools' containers (Buildah's) use; scopebox's store has none
    p.add_argument("--external", action="store_true",
                   help="also images of other tools' containers (none in scopebox's store)")
    ns = p.parse_args(argv)
    if not ns.force:
        what = "all images without at least one container" if ns.all else "all dangling images"
        if not confirm(f"WARNING! This command removes {what}.\n"):
            return 0
    from supervisor.api import images as api

    for image_id in api.prune(settings, ns.all, ns.filter):
        print(image_id)
    return 0
