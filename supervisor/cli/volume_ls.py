"""scopebox volume ls [-q] [--format F] [--filter K=V]..."""

from __future__ import annotations

from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.network_ls import parse_filters
from supervisor.cli.output import print_table
from supervisor.settings import Settings

DEFAULT = "table {{.Driver}}\t{{.Name}}"
HEADER = {
    "Name": "VOLUME NAME",
    "Driver": "DRIVER",
    "Mountpoint": "MOUNTPOINT",
    "CreatedAt": "CREATED AT",
    "Labels": "LABELS",
    "Scope": "SCOPE",
    "Options": "OPTIONS",
    "MountCount": "MOUNT COUNT",
    "NeedsCopyUp": "NEEDS COPY UP",
    "NeedsChown": "NEEDS CHOWN",
}


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

    vols = api.list_volumes(settings, parse_filters(ns.filter))
    if ns.quiet:
        for v in vols:
            print(v["Name"])
        return 0
    fmt = ns.format
    if ns.noheading and (fmt is None or fmt.strip() in ("", "table")):
        fmt = DEFAULT.removeprefix("table ")
    print_table(fmt, DEFAULT, HEADER, [item(v) for v in vols], vols)
    return 0
