"""scopebox pod logs [-f] [--tail N] [--since T] [--until T] [-t] [-n] [-c CTR] POD"""

from __future__ import annotations

import os

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings

# one colour per container, in the order they are first seen (--color)
COLORS = (b"\033[37m", b"\033[32m", b"\033[33m", b"\033[34m", b"\033[35m", b"\033[36m")
RESET = b"\033[0m"


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as capi
    from supervisor.api import pods as api
    from supervisor.api import podtools
    from supervisor.timefmt import parse_since

    p = new_parser("pod logs", "Fetch logs for pod with one or more containers.")
    a = p.add_argument
    a("-f", "--follow", action="store_true", help="follow log output")
    a("--tail", default="-1", help="the last N lines (default -1: all)")
    a("--since", help="logs since TIMESTAMP")
    a("--until", help="logs until TIMESTAMP")
    a("-t", "--timestamps", action="store_true", help="output the timestamps")
    a("-n", "--names", action="store_true", help="container names instead of ids")
    a("-c", "--container", default="", help="only this container of the pod")
    a("--color", action="store_true", help="a colour per container")
    a("-l", "--latest", action="store_true", help="the newest pod")
    a("pod", nargs="?", metavar="POD")
    ns = p.parse_args(argv)
    ref = ns.pod
    if ns.latest:
        if ref:
            raise UsageError("--latest and pods cannot be used together")
        ref = api.latest(settings)
    if not ref:
        raise UsageError("specify at least one pod name or ID to log")
    if ns.tail.lstrip("-").isdigit() and int(ns.tail) < 0:
        ns.tail = "all"
    opts = capi.LogsOptions(
        follow=ns.follow,
        tail=capi.parse_tail(ns.tail),
        since=parse_since(ns.since) if ns.since else None,
        timestamps=ns.timestamps,
        until=parse_since(ns.until, "--until") if ns.until else None,
    )
    prefixed = not ns.container  # Podman: one container's logs carry no prefix
    colors: dict[str, bytes] = {}
    at_start: dict[str, bool] = {}
    for line in podtools.logs(settings, ref, opts, ns.container):
        rec = line.record
        data = rec.data
        if at_start.get(line.id, True):
            if opts.timestamps:
                data = rec.timestamp.encode() + b" " + data
            if prefixed:
                data = (line.name if ns.names else line.id[:12]).encode() + b" " + data
        at_start[line.id] = not rec.partial
        if ns.color:
            color = colors.setdefault(line.id, COLORS[len(colors) % len(COLORS)])
            body = data.rstrip(b"\n")
            data = color + body + RESET + data[len(body):]
        os.write(1 if rec.stream == "stdout" else 2, data)
    return 0
