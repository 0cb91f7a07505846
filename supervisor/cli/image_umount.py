"""scopebox image umount [-a] [-f] IMAGE..."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("image unmount", "Unmount an image's root filesystem.")
    p.add_argument("-a", "--all", action="store_true", help="unmount every mounted image")
    p.add_argument("-f", "--force", action="store_true",
                   help="unmount however many times it was mounted")
    p.add_argument("images", nargs="*")
    ns = p.parse_args(argv)
    if not ns.images and not ns.all:
        raise UsageError("image name or ID must be specified")
    if ns.all and ns.images:
        raise UsageError("when using the --all switch, you may not pass any image names or IDs")
    code = 0
    for r in api.unmount(settings, ns.images, ns.all, ns.force or ns.all):
        if r.err is not None:
            print(f"Error: {r.err}", file=sys.stderr)
            code = 125  # Podman's, for a missing image too
        elif r.id:  # what was unmounted now (nothing for a mount still counted)
            print(r.id)
    return code
