"""scopebox start [-a] CONTAINER... | start --all [--filter restart-policy=POLICY]..."""

from __future__ import annotations

import sys

from supervisor.cli.common import print_reports
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
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
    from supervisor.api import containers as api

    if ns.all:
        return print_reports(api.start_all(settings, policies))
    if ns.attach:
        stdin_fd = sys.stdin.fileno() if ns.interactive else None
        return api.start_attach(settings, ns.containers[0], stdin_fd)
    return print_reports(api.start(settings, ns.containers))
