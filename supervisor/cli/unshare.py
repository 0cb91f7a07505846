"""scopebox unshare [COMMAND [ARG...]]: run a command in the user's namespace (rootless)."""

from __future__ import annotations

import argparse

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("unshare", "Run a command in the user namespace of rootless scopebox "
                   "(as root of it: e.g. to remove files owned by sub-ids).")
    p.add_argument("--rootless-netns", action="store_true",
                   help="join the rootless network namespace of the user's bridge networks")
    p.add_argument("command", nargs=argparse.REMAINDER,
                   help="the command and its arguments (default: $SHELL)")
    ns = p.parse_args(argv)
    from supervisor.api import system

    # replaces this process (with --rootless-netns: waits for it, then its exit code)
    return system.unshare(settings, list(ns.command), ns.rootless_netns)
