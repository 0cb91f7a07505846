"""scopebox rm [-f] [-i] [-t N] [-v] [--depend] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from supervisor.cli.main import new_parser
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.errors import UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.api import Report


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("rm", "Remove containers.")
    p.add_argument("-f", "--force", action="store_true", help="kill running containers first")
    p.add_argument("-a", "--all", action="store_true", help="remove all containers")
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    p.add_argument("--cidfile", action="append", default=[], help="read the id from this file")
    p.add_argument("-t", "--time", type=int, help="with -f: seconds to stop gracefully first")
    p.add_argument("-v", "--volumes", action="store_true", help="remove anonymous volumes too")
    p.add_argument("--depend", action="store_true",
                   help="remove the containers that depend on it first")
    add_target_flags(p, filter=True, short_filter=False)  # helper "flags": --latest, --filter
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if not ns.containers and not ns.all and not ns.cidfile and not ns.latest and not ns.filter:
        p.error("at least one container is required")
    if ns.all and ns.containers:
        raise UsageError("--all and containers cannot be used together")
    refs = ns.containers
    if ns.latest or ns.filter:  # helper "flags"
        from supervisor.api.targets import resolve

        refs = resolve(settings, targets(ns, ns.containers, ns.ignore))
    opts = api.RemoveOptions(refs, ns.force, ns.all, ns.ignore, ns.cidfile, ns.time,
                             volumes=ns.volumes, depend=ns.depend)
    reports = api.remove(settings, opts)
    # Podman prints the ids of what --depend removed, else the names as given.
    return exit_code(reports, show=(lambda r: r.id) if ns.depend else None)


def exit_code(reports: list[Report], show: Callable[[Report], str] | None = None) -> int:
    """Podman's rm/rmi codes: 1 when something did not exist (and nothing else failed), 2
    when something is in use (running, or an image used), 125 for anything else."""
    from supervisor.errors import ConflictError, NotFoundError, StateError

    codes = {0}
    for report in reports:
        if report.err is None:
            print(report.raw_input if show is None else show(report), flush=True)
            continue
        print(f"Error: {report.err}", file=sys.stderr)
        if isinstance(report.err, NotFoundError):
            codes.add(1)
        elif isinstance(report.err, StateError | ConflictError):
            codes.add(2)
        else:
            codes.add(report.err.exit_code)
    if codes - {0, 1, 2}:
        return 125
    return 1 if 1 in codes else max(codes)  # a missing one decides, as in Podman
