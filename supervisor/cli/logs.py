"""scopebox logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER"""

from __future__ import annotations

import os

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.timefmt import parse_since

    p = new_parser("logs", "Show a container's output.")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("--since")
    p.add_argument("--until")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("container")
    ns = p.parse_args(argv)
    opts = api.LogsOptions(
        follow=ns.follow,
        tail=api.parse_tail(ns.tail),
        since=parse_since(ns.since) if ns.since else None,
        timestamps=ns.timestamps,
        until=parse_since(ns.until, "--until") if ns.until else None,
    )
    at_line_start = True
    for rec in api.logs(settings, ns.container, opts):
        data = rec.data
        if opts.timestamps and at_line_start:
            data = rec.timestamp.encode() + b" " + data
        at_line_start = not rec.partial
        os.write(1 if rec.stream == "stdout" else 2, data)
    return 0
