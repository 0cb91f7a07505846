"""scopebox exec [-i] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]"""

from __future__ import annotations

import argparse

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


class _NoTty(argparse.Action):
    def __call__(self, *args: object, **kw: object) -> None:
        raise UsageError("-t/--tty is not supported by scopebox yet")


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("exec", "Run a command in a running container.")
    p.add_argument("-i", "--interactive", action="store_true", help="keep stdin open")
    p.add_argument("-d", "--detach", action="store_true", help="run it in the background")
    p.add_argument("-e", "--env", action="append", default=[], help="set environment variables")
    p.add_argument("-u", "--user", help="user[:group] to run as")
    p.add_argument("-w", "--workdir", help="working directory inside the container")
    p.add_argument("-t", "--tty", nargs=0, action=_NoTty, help=argparse.SUPPRESS)
    p.add_argument("container")
    p.add_argument("command", nargs=argparse.REMAINDER)
    ns = p.parse_args(argv)
    req = api.ExecRequest(ns.command, ns.env, ns.user, ns.workdir, ns.interactive, ns.detach)
    return api.exec_(settings, ns.container, req)
