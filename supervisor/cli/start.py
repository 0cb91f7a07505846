"""scopebox start [-a] CONTAINER..."""

from __future__ import annotations

import sys

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("start", "Start one or more containers.")
    p.add_argument("-a", "--attach", action="store_true", help="attach to the output")
    p.add_argument("-i", "--interactive", action="store_true", help="attach stdin")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        if ns.attach:
            started = eng.start(ns.containers[0], attach=True)
            if started.attach is None:  # it was running already
                return eng.wait(started.row.id)
            rec = started.attach.pump(sys.stdin.fileno() if ns.interactive else None)
            return rec.exit_code if rec else eng.wait(started.row.id)
        return for_each(ns.containers, lambda ref: eng.start(ref) and None)
