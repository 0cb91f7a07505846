"""scopebox wait CONTAINER...: print each container's exit code when it exits."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.cli.targets import add_target_flags, check_interval, targets  # helper "flags"
from supervisor.errors import UsageError
from supervisor.settings import Settings

WAIT_STATES = ("configured", "created", "exited", "healthy", "initialized", "paused", "removing",
               "running", "stopped", "stopping", "unhealthy")


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    p = new_parser("wait", "Block until containers exit, then print their exit codes.")
    p.add_argument("containers", nargs="*")
    # helper "flags": --latest; --interval is validated (scopebox waits for the exit event,
    # it does not poll)
    add_target_flags(p)
    p.add_argument("-i", "--interval", default="250ms", help="polling interval (not needed)")
    # fidelity: Podman's --condition; scopebox waits for the exit only
    p.add_argument("--condition", action="append", default=[], help="stopped or exited")
    ns = p.parse_args(argv)
    check_interval(ns.interval)
    refs = resolve(settings, targets(ns, ns.containers))
    for condition in ns.condition:
        if condition not in WAIT_STATES:
            raise UsageError(f"unknown container state: {condition}: invalid argument")
        if condition not in ("stopped", "exited"):
            raise UsageError(f"--condition {condition} is not supported yet (stopped, exited)")
    code = 0
    for report in api.wait(settings, refs):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        else:
            print(report.exit_code, flush=True)
    return code
