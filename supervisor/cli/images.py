"""scopebox images [-a] [-q] [--digests] [--no-trunc] [--format F] [REFERENCE]"""

from __future__ import annotations

from collections import Counter

from supervisor.cli.common import engine, print_table
from supervisor.cli.main import new_parser
from supervisor.settings import Settings
from supervisor.views import image_items, image_json

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
    with engine(settings) as eng:
        imgs = eng.store.list_images()
        used = Counter(c.image_id for c in eng.store.list_containers())
    if ns.reference:
        ref = ns.reference
        imgs = [
            i
            for i in imgs
            if any(
                ref in (n.rsplit(":", 1)[0], n.rsplit(":", 1)[0].rsplit("/", 1)[-1], n)
                or n.endswith("/" + ref)
                for n in i.names
            )
        ]
    items = [item for img in imgs for item in image_items(img, used[img.id])]
    if ns.no_trunc:
        for i in items:
            i["ID"] = f"sha256:{i['Id']}"
    if ns.quiet:
        for i in dict.fromkeys(i["ID"] for i in items):
            print(i)
        return 0
    json_items = [image_json(img, used[img.id]) for img in imgs]
    print_table(ns.format, DIGESTS if ns.digests else DEFAULT, HEADER, items, json_items)
    return 0
