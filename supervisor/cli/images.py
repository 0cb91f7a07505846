"""scopebox images [-q] [--format F]"""

from __future__ import annotations

from supervisor.cli.common import engine, print_table
from supervisor.cli.main import new_parser
from supervisor.views import image_items

DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
HEADER = {
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "ID": "IMAGE ID",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Digest": "DIGEST",
}


def main(argv: list[str]) -> int:
    p = new_parser("images", "List images.")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("reference", nargs="?")
    ns = p.parse_args(argv)
    with engine() as eng:
        imgs = eng.store.list_images()
    items = [item for img in imgs for item in image_items(img)]
    if ns.reference:
        items = [
            i
            for i in items
            if ns.reference in (i["Repository"], i["Repository"].rsplit("/", 1)[-1])
        ]
    if ns.no_trunc:
        for i in items:
            i["ID"] = f"sha256:{i['Id']}"
    if ns.quiet:
        for i in dict.fromkeys(i["ID"] for i in items):
            print(i)
        return 0
    json_items = [{k: v for k, v in i.items() if k not in ("Repository", "Tag")} for i in items]
    print_table(ns.format, DEFAULT, HEADER, items, json_items)
    return 0
