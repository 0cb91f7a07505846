"""scopebox images [-a] [-q] [--digests] [--no-trunc] [--format F] [REFERENCE]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings

DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
DIGESTS = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
HEADER = {
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "ID": "IMAGE ID",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Digest": "DIGEST",
}


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("images", "List images.")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-a", "--all", action="store_true", help="also intermediate images (none here)")
    p.add_argument("--digests", action="store_true")
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("reference", nargs="?")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    entries = api.list_images(settings, ns.reference)
    items = [item for entry in entries for item in entry.items]
    if ns.no_trunc:
        for i in items:
            i["ID"] = f"sha256:{i['Id']}"
    if ns.quiet:
        for i in dict.fromkeys(i["ID"] for i in items):
            print(i)
        return 0
    json_items = [entry.json for entry in entries]
    print_table(ns.format, DIGESTS if ns.digests else DEFAULT, HEADER, items, json_items)
    return 0
