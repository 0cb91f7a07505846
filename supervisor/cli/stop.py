"""scopebox stop [-t SECONDS] [-i] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import print_reports
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("stop", "Stop containers: the stop signal, then SIGKILL after the timeout.")
    p.add_argument(
        "-t", "--time", "--timeout", type=int, dest="timeout", help="seconds to wait before killing"
    )
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    p.add_argument("--cidfile", action="append", default=[], help="read the id from this file")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if not ns.containers and not ns.cidfile:
        p.error("at least one container is required")
    opts = api.StopOptions(ns.containers, ns.timeout, ns.ignore, ns.cidfile)
    return print_reports(api.stop(settings, opts))
