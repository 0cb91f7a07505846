"""scopebox pod stats [-a] [--no-stream] [--format F] [-l] [POD...]"""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.errors import UsageError
from supervisor.settings import Settings

# Podman's own table (pods/stats.go defaultTemplate): a fixed header row
DEFAULT = ("table {{.Pod}}\t{{.CID}}\t{{.Name}}\t{{.CPU}}\t{{.MemUsage}}\t{{.Mem}}"
           "\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}")
HEADER = {
    "Pod": "POD", "CID": "CID", "Name": "NAME", "CPU": "CPU %", "MemUsage": "MEM USAGE/ LIMIT",
    "Mem": "MEM %", "NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDS": "PIDS",
}
# a user's template: report.Headers(entities.PodStatsReport{}) with pods/stats.go's overrides
# (its "MEM" and "NET IO" keys match no field: `{{.Mem}}` is headed MEM)
HEADER_FIELDS = ("CPU", "MemUsage", "MemUsageBytes", "Mem", "NetIO", "BlockIO", "PIDS", "Pod",
                 "CID", "Name")
HEADER_OVERRIDES = {"CPU": "CPU %", "MemUsage": "MEM USAGE/ LIMIT",
                    "MemUsageBytes": "MEM USAGE/ LIMIT", "MEM": "MEM %", "NET IO": "NET IO",
                    "BlockIO": "BLOCK IO"}
INTERVAL = 1.0
CLEAR = "\033[2J\033[H"


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod stats", "Display a live stream of resource usage statistics for the "
                   "containers in one or more pods.")
    a = p.add_argument
    a("-a", "--all", action="store_true", help="all pods (default: those running)")
    a("--format", help="table (default), json or a Go template")
    a("-l", "--latest", action="store_true", help="the newest pod")
    a("--no-reset", action="store_true", help="do not clear the screen in between")
    a("--no-stream", action="store_true", help="print one reading and exit")
    a("pods", nargs="*", metavar="POD")
    ns = p.parse_args(argv)
    from supervisor.api import pods as api
    from supervisor.api import podtools

    refs = list(ns.pods)
    if sum((bool(refs), ns.all, ns.latest)) > 1:
        raise UsageError("--all, --latest and arguments cannot be used together")
    if ns.latest:
        refs = [api.latest(settings)]
    # as `stats`: into a pipe or file a single reading is what anyone wants
    stream = not ns.no_stream and sys.stdout.isatty()
    from supervisor.format.table import headers, is_json

    # a user's template always gets its header row (unaligned unless a table), as Podman's
    user_header = headers(HEADER_FIELDS, HEADER_OVERRIDES)
    for readings in podtools.stats(settings, refs, ns.all, INTERVAL):
        items = [podtools.stats_item(r) for r in readings]
        if stream and not ns.no_reset:
            sys.stdout.write(CLEAR)
        if ns.format is None:  # no pods: one row of dashes
            print_table(None, DEFAULT, HEADER, items or [dict.fromkeys(HEADER, "--")])
        elif items or is_json(ns.format):
            print_table(ns.format, DEFAULT, user_header, items, always_header=True)
        sys.stdout.flush()
        if not stream:
            return 0
    return 0
