"""scopebox secret ls [-q] [--noheading] [--format F] [--filter name=|id=]..."""

from __future__ import annotations

from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.errors import UsageError
from supervisor.settings import Settings

# Podman's own row (secrets/list.go), printed as a table
DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"
# report.Headers(entities.SecretListReport{}), two overrides
HEADER_FIELDS = ("ID", "Name", "Driver", "CreatedAt", "UpdatedAt")
HEADER_OVERRIDES = {"CreatedAt": "CREATED", "UpdatedAt": "UPDATED"}


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
    if ns.quiet and ns.format is None:  # Podman: a --format wins over -q
        for s in found:
            print(s["ID"])
        return 0
    from supervisor.format.table import headers

    print_table(ns.format, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES),
                [item(s) for s in found], found, ns.noheading)
    return 0
