"""scopebox logs [-f] [--tail N] [--since T] [-t] CONTAINER"""

from __future__ import annotations

import os

from supervisor.cli.common import engine
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.logs import LogQuery, read_logs
from supervisor.procs import alive
from supervisor.restarts import is_service
from supervisor.timefmt import parse_since


def main(argv: list[str]) -> int:
    p = new_parser("logs", "Show a container's output.")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("--since")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("container")
    ns = p.parse_args(argv)
    tail = None
    if ns.tail != "all":
        if not ns.tail.lstrip("-").isdigit():
            raise UsageError(f"invalid --tail {ns.tail!r}: a number or 'all'")
        tail = max(int(ns.tail), 0) if int(ns.tail) >= 0 else None
    q = LogQuery(
        follow=ns.follow,
        tail=tail,
        since=parse_since(ns.since) if ns.since else None,
        timestamps=ns.timestamps,
    )
    with engine() as eng:
        row = eng.find(ns.container)
        log_path = row.config.log.path or eng.paths.log_file(row.id)

        monitor_pid = row.monitor_pid

        def running() -> bool:
            return alive(row.monitor_pid, row.monitor_start)

        if is_service(row):
            # A restart policy: monitors come and go; follow until the last run is over.
            monitor_pid = 0  # no pidfd to wake on: the journal reader checks periodically

            def running() -> bool:
                fresh = eng.store.get_container(row.id)
                return fresh is not None and eng.refresh(fresh).status.is_active

        at_line_start = True
        for rec in read_logs(row, log_path, q, running, monitor_pid):
            data = rec.data
            if q.timestamps and at_line_start:
                data = rec.timestamp.encode() + b" " + data
            at_line_start = not rec.partial
            os.write(1 if rec.stream == "stdout" else 2, data)
    return 0
