"""scopebox stop [-t SECONDS] [-i] [-a] [-l] [--filter F] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    p = new_parser("stop", "Stop containers: the stop signal, then SIGKILL after the timeout.")
    p.add_argument(
        "-t", "--time", "--timeout", type=int, dest="timeout", help="seconds to wait before killing"
    )
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    add_target_flags(p, all="stop all containers", filter=True, cidfile=True)
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    # --cidfile keeps the API's own handling: the other selections become refs
    t = targets(ns, ns.containers, ns.ignore)
    refs = resolve(settings, t._replace(cidfiles=[]))
    opts = api.StopOptions(refs, ns.timeout, ns.ignore, ns.cidfile)
    return print_reports(api.stop(settings, opts))
