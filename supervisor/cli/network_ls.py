"""scopebox network ls [-q] [--no-trunc] [--format F] [--filter K=V]..."""

from __future__ import annotations

from typing import Any

from supervisor.api import group_filters
from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings

# Podman's own row (networks/list.go), printed as a table
DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.Driver}}"
# report.Headers(ListPrintReports{}): libnetwork types.Network's fields, four overrides
HEADER_FIELDS = (
    "Name", "ID", "Driver", "NetworkInterface", "Created", "Subnets", "IPv6Enabled", "Internal",
    "DNSEnabled", "Labels", "Options", "IPAMOptions",
)
HEADER_OVERRIDES = {"Name": "name", "Driver": "driver", "Labels": "labels", "ID": "network id"}


def item(n: dict[str, Any], no_trunc: bool) -> dict[str, Any]:
    """Podman's `network ls` template fields."""
    labels = n.get("labels") or {}
    return {
        "ID": n["id"] if no_trunc else n["id"][:12],
        "Name": n["name"],
        "Driver": n["driver"],
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "Created": n["created"],
        "NetworkInterface": n["network_interface"],
        "Internal": n["internal"],
        "IPv6Enabled": n["ipv6_enabled"],
        "DNSEnabled": n["dns_enabled"],
    }


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network ls", "List networks.")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("--noheading", action="store_true", help="no header line")
    p.add_argument("--format")
    p.add_argument("-f", "--filter", action="append", default=[])
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    nets = api.list_networks(settings, group_filters(ns.filter))
    if ns.quiet:
        for n in nets:
            print(n["name"])
        return 0
    from supervisor.format.table import headers

    print_table(ns.format, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES),
                [item(n, ns.no_trunc) for n in nets], nets, ns.noheading)
    return 0
