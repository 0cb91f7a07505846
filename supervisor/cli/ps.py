"""scopebox ps [-a] [-q] [--filter K=V] [--format F] [--no-trunc]"""

from __future__ import annotations

from typing import Any

from supervisor.cli.common import engine, print_table
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.health import STATUSES
from supervisor.paths import Paths
from supervisor.state import Status
from supervisor.store import ContainerRow
from supervisor.views import health_status, ps_item, ps_json, truncated_command

DEFAULT = (
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
)
HEADER = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "RunningFor": "CREATED",
    "CreatedAt": "CREATED AT",
    "Status": "STATUS",
    "Ports": "PORTS",
    "Names": "NAMES",
    "State": "STATE",
    "Labels": "LABELS",
    "Mounts": "MOUNTS",
    "Networks": "NETWORKS",
    "ExitCode": "EXIT CODE",
    "Pid": "PID",
    "Size": "SIZE",
}


def matches(row: ContainerRow, filters: list[tuple[str, str]], paths: Paths | None = None) -> bool:
    """Docker's rule: the same key ORs, different keys AND."""
    by_key: dict[str, list[str]] = {}
    for key, value in filters:
        by_key.setdefault(key, []).append(value)
    return all(
        any(_match_one(row, key, v, paths) for v in values) for key, values in by_key.items()
    )


def _match_one(row: ContainerRow, key: str, value: str, paths: Paths | None) -> bool:
    if key == "health":
        return paths is not None and health_status(paths, row) == value
    if key == "name":
        return value in row.name
    if key == "id":
        return row.id.startswith(value)
    if key == "status":
        return row.status.value == value
    if key == "label":
        k, eq, v = value.partition("=")
        labels = row.config.options.labels
        return k in labels and (not eq or labels[k] == v)
    if key == "ancestor":
        return value in (row.image_name, row.image_id, row.image_name.rsplit("/", 1)[-1])
    raise UsageError(f"unsupported filter {key!r} (name, id, status, label, ancestor, health)")


def parse_filters(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid filter {item!r}: expected key=value")
        if key == "status" and value not in {s.value for s in Status}:
            raise UsageError(f"invalid status filter {value!r}")
        if key == "health" and value not in STATUSES:
            raise UsageError(f"invalid health filter {value!r} ({', '.join(STATUSES)})")
        out.append((key, value))
    return out


def main(argv: list[str]) -> int:
    p = new_parser("ps", "List containers.")
    p.add_argument(
        "-a", "--all", action="store_true", help="show all containers (default: running)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only ids")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    ns = p.parse_args(argv)
    filters = parse_filters(ns.filter)
    with engine() as eng:
        rows = [
            r
            for r in eng.list()
            if ns.all or r.status.is_active or any(k == "status" for k, _ in filters)
        ]
        rows = [r for r in rows if matches(r, filters, eng.paths)]
        items: list[dict[str, Any]] = []
        json_items = []
        for row in rows:
            item = ps_item(row, eng.store.get_image(row.image_id), eng.paths)
            json_items.append(ps_json(item, row))
            if ns.no_trunc:
                item["ID"] = row.id
            elif ns.format is None or ns.format.startswith("table"):
                item["Command"] = truncated_command(item["Command"])
            items.append(item)
    if ns.quiet:
        for item in items:
            print(item["ID"])
        return 0
    print_table(ns.format, DEFAULT, HEADER, items, json_items)
    return 0
