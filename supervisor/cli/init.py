"""scopebox init [-a] [-l] CONTAINER...: the runtime creates it, `start` starts it."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.cli.targets import add_target_flags, targets
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    p = new_parser("init", "Initialize one or more containers: created in the OCI runtime"
                           " (its process waits for `start`), not started.")
    add_target_flags(p, all="initialize all containers")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    refs = resolve(settings, targets(ns, ns.containers), "initable")
    return print_reports(api.init(settings, refs))
