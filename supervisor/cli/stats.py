"""scopebox stats [-a] [--no-stream] [--format F] [CONTAINER...]"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.errors import UsageError
from supervisor.settings import Settings
from supervisor.sizes import bytes_size as bytes_size  # re-exported
from supervisor.sizes import human_size

if TYPE_CHECKING:
    from supervisor.api.stats import Stats

# Podman's own row (containers/stats.go outputStats), printed as a table
DEFAULT = (
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}"
    "\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t{{.AVGCPU}}"
)
# report.Headers(define.ContainerStats{}) with stats.go's overrides
HEADER_FIELDS = (
    "AvgCPU", "ContainerID", "Name", "PerCPU", "CPU", "CPUNano", "CPUSystemNano", "SystemNano",
    "MemUsage", "MemLimit", "MemPerc", "NetInput", "NetOutput", "BlockInput", "BlockOutput",
    "PIDs", "UpTime", "Duration",
)
HEADER_OVERRIDES = {
    "ID": "ID", "UpTime": "CPU TIME", "CPUPerc": "CPU %", "AVGCPU": "Avg CPU %",
    "MemUsage": "MEM USAGE / LIMIT", "MemUsageBytes": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
    "NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDS": "PIDS",
}
INTERVAL = 1.0  # seconds between readings, as Docker's
CLEAR = "\033[2J\033[H"


def go_duration(ns: int) -> str:
    """CPU time as Podman prints it: Go's time.Duration, rounded to microseconds."""
    from supervisor.timefmt import go_duration as exact

    return exact((ns + 500) // 1000 * 1000)


def stats_item(s: Stats, trunc: bool = True) -> dict[str, Any]:
    return {
        "ID": s.id[:12] if trunc else s.id,
        "Container": s.name,
        "Name": s.name,
        "CPUPerc": f"{s.cpu_percent:.2f}%",
        "AVGCPU": f"{s.avg_cpu_percent:.2f}%",
        "CPU": go_duration(s.cpu_ns),
        "CPUNano": s.cpu_ns,
        # Podman's MemUsage is go-units HumanSize (decimal), MemUsageBytes BytesSize
        "MemUsage": f"{human_size(s.mem_usage)} / {human_size(s.mem_limit)}",
        "MemUsageBytes": f"{bytes_size(s.mem_usage)} / {bytes_size(s.mem_limit)}",
        "MemLimit": s.mem_limit,
        "MemPerc": f"{s.mem_percent:.2f}%",
        "NetIO": "--",
        "BlockIO": f"{human_size(s.block_read)} / {human_size(s.block_write)}",
        "BlockInput": s.block_read,
        "BlockOutput": s.block_write,
        "PIDs": str(s.pids),
        "PIDS": str(s.pids),
        "UpTime": go_duration(s.cpu_ns),  # Podman's CPU TIME column
        "ContainerID": s.id,
    }


def stats_json(item: dict[str, Any], s: Stats) -> dict[str, Any]:
    """Podman's `stats --format json` object (strings as the table shows them)."""
    return {
        "id": item["ID"],
        "name": s.name,
        "cpu_time": item["CPU"],
        "cpu_percent": item["CPUPerc"],
        "avg_cpu": item["AVGCPU"],
        "mem_usage": item["MemUsage"],
        "mem_percent": item["MemPerc"],
        "net_io": item["NetIO"],
        "block_io": item["BlockIO"],
        "pids": item["PIDs"],
    }


def _show(template: str | None, readings: list[Stats], no_trunc: bool) -> None:
    items = [stats_item(s, not no_trunc) for s in readings]
    json_items = [stats_json(i, s) for i, s in zip(items, readings, strict=True)]
    from supervisor.format.table import headers

    print_table(template, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES), items, json_items)


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.cli.argparser import go_uint

    p = new_parser("stats", "Display a live stream of containers' resource usage.")
    p.add_argument("-a", "--all", action="store_true", help="all containers (default: running)")
    p.add_argument("--no-stream", action="store_true", help="print one reading and exit")
    p.add_argument("--no-trunc", action="store_true", help="full container ids")
    p.add_argument("--format", help="table (default), json or a Go template")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")
    # helper "flags": --latest, --interval (seconds between readings), --no-reset
    add_target_flags(p)
    p.add_argument("-i", "--interval", type=go_uint("--interval"), default=INTERVAL,
                   help="seconds between readings (default 1, as Docker)")
    p.add_argument("--no-reset", action="store_true", help="do not clear the screen in between")
    ns = p.parse_args(argv)
    if ns.latest:
        from supervisor.api.targets import resolve

        ns.containers = resolve(settings, targets(ns, ns.containers))
    if ns.interval < 1:
        raise UsageError("invalid interval, must be a positive number greater zero")
    # Docker streams forever; into a pipe or file a single reading is what anyone wants.
    stream = not ns.no_stream and sys.stdout.isatty()
    from supervisor.api import stats as api

    for readings in api.stream(settings, ns.containers, ns.all, ns.interval):
        if not stream:
            _show(ns.format, readings, ns.no_trunc)
            return 0
        if not ns.no_reset:
            sys.stdout.write(CLEAR)
        _show(ns.format, readings, ns.no_trunc)
        sys.stdout.flush()
    return 0
