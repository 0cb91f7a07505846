"""scopebox images [-a] [-q] [--digests] [--no-trunc] [--format F] [REFERENCE]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.cli.quick import APPEND, BOOL, VALUE, Quick, parse
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from supervisor.cli.argparser import Parser

# Podman's own row (images/list.go lsFormatFromFlags), printed as a table
DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
DIGESTS = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
# report.Headers(imageReporter{}): its fields and entities.ImageSummary's, two overrides
HEADER_FIELDS = (
    "Repository", "Tag", "ID", "ParentId", "RepoTags", "RepoDigests", "Created", "Size",
    "SharedSize", "VirtualSize", "Labels", "Containers", "ReadOnly", "Dangling", "Names",
    "Digest", "History",
)
HEADER_OVERRIDES = {"ID": "IMAGE ID", "ReadOnly": "R/O"}


def parser() -> Parser:
    p = new_parser("images", "List images.")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-a", "--all", action="store_true", help="also a build's intermediate images")
    p.add_argument("--digests", action="store_true")
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[],
                   help="reference=, before=, after=/since=, dangling=, id=, intermediate=,"
                   " label=, until=, containers=, readonly=")
    p.add_argument("--sort", choices=SORT_KEYS, default="created")
    p.add_argument("-n", "--noheading", action="store_true", help="no header line")
    p.add_argument("--history", action="store_true",
                   help="a column of the names each image has had, newest first")
    p.add_argument("reference", nargs="?")
    return p


# performance (issue 16): the flags `images` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={
        "-q": ("quiet", BOOL), "--quiet": ("quiet", BOOL), "-a": ("all", BOOL),
        "--all": ("all", BOOL), "--digests": ("digests", BOOL), "--format": ("format", VALUE),
        "--no-trunc": ("no_trunc", BOOL), "-f": ("filter", APPEND),
        "--filter": ("filter", APPEND), "-n": ("noheading", BOOL),
        "--noheading": ("noheading", BOOL), "--history": ("history", BOOL),
    },
    defaults={
        "quiet": False, "all": False, "digests": False, "format": None, "no_trunc": False,
        "filter": [], "sort": "created", "noheading": False, "history": False,
        "reference": None,
    },
    positional=("reference", "?"),
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    ns = parse(argv, QUICK) or parser().parse_args(argv)
    from supervisor.api import images as api

    reference = _reference(ns.reference, ns.filter)
    others = [f for f in ns.filter if not f.startswith("reference=")]
    entries = api.list_images(settings, reference, ns.all, others)
    items = [item for entry in entries for item in entry.items]
    items.sort(key=SORT_KEYS[ns.sort], reverse=ns.sort in ("created", "size"))
    if ns.no_trunc:
        for i in items:
            i["ID"] = f"sha256:{i['Id']}"
    if ns.quiet:
        for i in dict.fromkeys(i["ID"] for i in items):
            print(i)
        return 0
    json_items = [entry.json for entry in entries]
    default = (DIGESTS if ns.digests else DEFAULT) + ("\t{{.History}}" if ns.history else "")
    from supervisor.format.table import headers
    from supervisor.sizes import spaced_size

    for i in items:  # imageReporter.Size: Podman's size
        i["Size"] = spaced_size(i["VirtualSize"])
    print_table(ns.format, default, headers(HEADER_FIELDS, HEADER_OVERRIDES), items, json_items,
                ns.noheading)
    return 0


# Podman's sort keys; newest first for created, biggest first for size.
SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "created": lambda i: i["CreatedAt"],  # Go's layout in UTC: sorts as the time
    "id": lambda i: i["Id"],
    "repository": lambda i: (i["Repository"], i["Tag"]),
    "size": lambda i: i["VirtualSize"],
    "tag": lambda i: i["Tag"],
}


def _reference(positional: str | None, filters: list[str]) -> str | None:
    refs = [positional] if positional else []
    for item in filters:
        key, eq, value = item.partition("=")
        if key == "reference" and eq:
            refs.append(value)
    if len(set(refs)) > 1:
        raise UsageError("only one image reference (or reference= filter) is supported")
    return refs[0] if refs else None
