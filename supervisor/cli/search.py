"""scopebox search [--list-tags] [--limit N] [--filter K=V] [--format F] [--no-trunc]
[--compatible] [--tls-verify=BOOL] [--authfile F] TERM"""

from __future__ import annotations

from typing import Any

from supervisor.cli.common import registry_flags, registry_options
from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, print_table
from supervisor.errors import UsageError
from supervisor.settings import Settings

HEADER = {"Index": "INDEX", "Name": "NAME", "Description": "DESCRIPTION", "Stars": "STARS",
          "Official": "OFFICIAL", "Automated": "AUTOMATED", "Tag": "TAG"}  # fmt: skip
SEARCH = "table {{.Name}}\t{{.Description}}"
COMPATIBLE = "table {{.Name}}\t{{.Description}}\t{{.Stars}}\t{{.Official}}\t{{.Automated}}"
TAGS = "table {{.Name}}\t{{.Tag}}"
LIMIT = 25  # Podman's default number of results per registry


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("search", "Search a registry for images (its catalog), or list a"
                   " repository's tags.")  # fmt: skip
    p.add_argument("--compatible", action="store_true",
                   help="list stars, official and automated columns (Docker's)")  # fmt: skip
    p.add_argument("-f", "--filter", action="append", default=[],
                   help="stars=N, is-official=BOOL, is-automated=BOOL")  # fmt: skip
    p.add_argument("--format", help="json or a Go template")
    p.add_argument("--limit", type=int, default=0, help="results per registry (default 25)")
    p.add_argument("--list-tags", action="store_true", help="list the repository's tags")
    p.add_argument("--no-trunc", action="store_true", help="do not truncate descriptions")
    registry_flags(p, creds=False)
    p.add_argument("term")
    ns = p.parse_args(argv)
    from supervisor.api import registry

    keep = registry.search_filter(ns.filter)
    if ns.list_tags and ns.filter:
        raise UsageError("filters are not applicable to list tags result")

    found = registry.search(settings, ns.term, registry_options(ns), ns.limit or LIMIT,
                            ns.list_tags)  # fmt: skip
    items: list[dict[str, Any]] = [f._asdict() for f in found if keep(f._asdict())]
    if not items:
        return 0  # Podman prints nothing, not even the header
    if ns.list_tags and ns.format == "json":
        by_name: dict[str, list[str]] = {}
        for it in items:
            by_name.setdefault(it["Name"], []).append(it["Tag"])
        print_json([{"Name": n, "Tags": tags} for n, tags in by_name.items()])
        return 0
    if not ns.no_trunc:
        for it in items:
            if len(it["Description"]) > 44:
                it["Description"] = it["Description"][:44] + "..."
    default = TAGS if ns.list_tags else COMPATIBLE if ns.compatible else SEARCH
    print_table(ns.format, default, HEADER, items)
    return 0
