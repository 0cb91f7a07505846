"""scopebox volume ls [-q] [--format F] [--filter K=V]..."""

from __future__ import annotations

from typing import Any

from supervisor.api import group_filters
from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.errors import UsageError
from supervisor.settings import Settings

# Podman's own row (volumes/list.go), printed as a table
DEFAULT = "table {{.Driver}}\t{{.Name}}"
# report.Headers(entities.VolumeListReport{}): define.InspectVolumeData's fields, one override
HEADER_FIELDS = (
    "Name", "Driver", "Mountpoint", "CreatedAt", "Status", "Labels", "Scope", "Options", "UID",
    "GID", "Anonymous", "MountCount", "NeedsCopyUp", "NeedsChown", "Timeout", "StorageID",
)
HEADER_OVERRIDES = {"Name": "VOLUME NAME"}


def go_time(rfc3339: str) -> str:
    """Go's time.Time default format (`2006-01-02 15:04:05.999999999 +0000 UTC`)."""
    date, _, clock = rfc3339.rstrip("Z").partition("T")
    return f"{date} {clock} +0000 UTC"


def item(v: dict[str, Any]) -> dict[str, Any]:
    """Podman's `volume ls` template fields: maps print as Go's map[k:v]."""
    return {**v, "CreatedAt": go_time(v["CreatedAt"]), "Labels": _go_map(v["Labels"]),
            "Options": _go_map(v["Options"])}


def _go_map(m: dict[str, str]) -> str:
    return "map[" + " ".join(f"{k}:{m[k]}" for k in sorted(m)) + "]"


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume ls", "List volumes.")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--format")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--noheading", "-n", action="store_true")
    ns = p.parse_args(argv)
    from supervisor.api import volumes as api
    from supervisor.format.table import headers, is_json

    vols = api.list_volumes(settings, group_filters(ns.filter))
    if ns.quiet and ns.format is not None:
        raise UsageError("quiet and format flags cannot be used together")
    if ns.quiet:
        for v in vols:
            print(v["Name"])
        return 0
    if not vols and (ns.format is None or not is_json(ns.format)):
        return 0  # Podman prints no table, not even its header, for no volumes
    print_table(ns.format, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES),
                [item(v) for v in vols], vols, ns.noheading)
    return 0
