"""scopebox system df [--format F]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings
from supervisor.sizes import human_size

# Podman's own row (system/df.go), printed as a table
DEFAULT = "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
# report.Headers(dfSummary{}), its methods' names as overrides
HEADER_FIELDS = ("Type", "Total", "Active", "RawSize", "RawReclaimable")
HEADER_OVERRIDES = {"Size": "SIZE", "Reclaimable": "RECLAIMABLE"}


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("system df", "Show disk usage of images, containers and volumes.")
    p.add_argument("--format")
    p.add_argument("-v", "--verbose", action="store_true")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    rows = api.disk_usage(settings)
    items = [
        {
            "Type": r.kind,
            "Total": r.total,
            "Active": r.active,
            "Size": human_size(r.size),
            "Reclaimable": f"{human_size(r.reclaimable)} ({_pct(r.reclaimable, r.size)}%)",
            "RawSize": r.size,
            "RawReclaimable": r.reclaimable,
        }
        for r in rows
    ]
    from supervisor.format.table import headers

    print_table(ns.format, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES), items)
    return 0


def _pct(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
