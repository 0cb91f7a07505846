"""scopebox secret ls [-q] [--noheading] [--format F] [--filter name=|id=]..."""

from __future__ import annotations

from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.errors import UsageError
from supervisor.settings import Settings

DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"
HEADER = {"ID": "ID", "Name": "NAME", "Driver": "DRIVER", "CreatedAt": "CREATED",
          "UpdatedAt": "UPDATED"}


def item(s: dict[str, Any]) -> dict[str, Any]:
    """Podman's `secret ls` template fields: times as how long ago."""
    from supervisor.timefmt import ago

    return {"ID": s["ID"], "Name": s["Spec"]["Name"], "Driver": s["Spec"]["Driver"]["Name"],
            "CreatedAt": ago(s["CreatedAt"]), "UpdatedAt": ago(s["UpdatedAt"])}


def parse_filters(items: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in items:
        for one in value.split(","):
            key, eq, val = one.partition("=")
            if not eq:
                raise UsageError(f"filter input must be in the form of filter=value: {one} is"
                                 " invalid")
            out.setdefault(key, []).append(val)
    return out


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("secret ls", "List secrets.")
    p.add_argument("-f", "--filter", action="append", default=[], help="name=, id=")
    p.add_argument("--format", help="Go template (json: the inspect objects)")
    p.add_argument("--noheading", action="store_true", help="do not print headers")
    p.add_argument("-q", "--quiet", action="store_true", help="print secret IDs only")
    ns = p.parse_args(argv)
    from supervisor.api import secrets as api

    found = api.list_secrets(settings, parse_filters(ns.filter))
    if ns.quiet:
        for s in found:
            print(s["ID"])
        return 0
    fmt = ns.format
    if ns.noheading and (fmt is None or fmt.strip() in ("", "table")):
        _print_rows([item(s) for s in found])  # Podman's: the table's columns, no header
        return 0
    print_table(fmt, DEFAULT, HEADER, [item(s) for s in found], found)
    return 0


def _print_rows(items: list[dict[str, Any]]) -> None:
    import sys

    from supervisor import format as fmt

    if items:
        sys.stdout.write(fmt.format_items(DEFAULT, items, HEADER).split("\n", 1)[1])
