"""scopebox rmi [-f] [-a] [-i] IMAGE..."""

from __future__ import annotations

from supervisor.api import Report
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api
    from supervisor.cli.rm import exit_code

    p = new_parser("rmi", "Remove images.")
    p.add_argument("-f", "--force", action="store_true", help="remove the containers using it too")
    p.add_argument("-a", "--all", action="store_true", help="remove all images")
    p.add_argument("-i", "--ignore", action="store_true", help="no such image is no error")
    p.add_argument("images", nargs="*")
    ns = p.parse_args(argv)
    if not ns.images and not ns.all:
        p.error("at least one image name or id is required")
    reports = api.remove(settings, ns.images, ns.force, ns.all, ns.ignore)
    # Each report's lines ("Untagged: ...", "Deleted: ...") are what it did.
    items = [Report("\n".join(r.lines), r.raw_input, r.err) for r in reports]
    return exit_code(items, show=lambda r: r.id)
