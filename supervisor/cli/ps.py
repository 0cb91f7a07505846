"""scopebox ps [-a] [-q] [--filter K=V] [--format F] [--no-trunc]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings

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


def truncated_command(command: str, width: int = 20) -> str:
    return command if len(command) <= width else command[: width - 3] + "..."


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("ps", "List containers.")
    p.add_argument(
        "-a", "--all", action="store_true", help="show all containers (default: running)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only ids")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    ns = p.parse_args(argv)
    opts = api.ListOptions(all=ns.all, filters=api.parse_filters(ns.filter))
    entries = api.list_containers(settings, opts)
    items = []
    for entry in entries:
        item = dict(entry.fields)
        if ns.no_trunc:
            item["ID"] = entry.id
        elif ns.format is None or ns.format.startswith("table"):
            item["Command"] = truncated_command(item["Command"])
        items.append(item)
    if ns.quiet:
        for item in items:
            print(item["ID"])
        return 0
    print_table(ns.format, DEFAULT, HEADER, items, [e.json for e in entries])
    return 0
