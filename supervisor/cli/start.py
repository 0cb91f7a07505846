"""scopebox start [-a] CONTAINER... | start --all [--filter restart-policy=POLICY]..."""

from __future__ import annotations

import sys

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError


def main(argv: list[str]) -> int:
    p = new_parser("start", "Start one or more containers.")
    p.add_argument("-a", "--attach", action="store_true", help="attach to the output")
    p.add_argument("-i", "--interactive", action="store_true", help="attach stdin")
    p.add_argument("--all", action="store_true", help="start all (matching) stopped containers")
    p.add_argument(
        "--filter", action="append", default=[], help="with --all: restart-policy=POLICY"
    )
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if ns.all == bool(ns.containers):
        p.error("give container names or --all, not both" if ns.all else "at least one container")
    policies = []
    for item in ns.filter:
        key, eq, value = item.partition("=")
        if key != "restart-policy" or not eq:
            raise UsageError(f"unsupported --filter {item!r} (restart-policy=POLICY)")
        policies.append(value)
    with engine() as eng:
        if ns.all:
            # unless-stopped: not those a user stopped (Docker's rule, also at boot).
            refs = [row.id for row in eng.startable(policies)]
            return for_each(refs, lambda ref: eng.start(ref) and None)
        if ns.attach:
            started = eng.start(ns.containers[0], attach=True)
            if started.attach is None:  # it was running already
                return eng.wait(started.row.id)
            rec = started.attach.pump(sys.stdin.fileno() if ns.interactive else None)
            return rec.exit_code if rec else eng.wait(started.row.id)
        return for_each(ns.containers, lambda ref: eng.start(ref) and None)
