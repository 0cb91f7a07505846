"""scopebox pod rm [-f] [-t S] [--ignore] [--all | --latest | POD...]"""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.errors import NotFoundError, UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod rm", "Remove one or more stopped pods and their containers.")
    p.add_argument("-f", "--force", action="store_true", help="stop running containers first")
    p.add_argument("-a", "--all", action="store_true", help="remove all pods")
    p.add_argument("-l", "--latest", action="store_true", help="the newest pod")
    p.add_argument("-i", "--ignore", action="store_true", help="no such pod is no error")
    p.add_argument("-t", "--time", type=int, default=None, help="seconds before SIGKILL")
    p.add_argument("--pod-id-file", action="append", default=[], help="read the pod id here")
    p.add_argument("pods", nargs="*")
    ns = p.parse_args(argv)
    from supervisor.api import pods as api

    refs = list(ns.pods)
    for path in ns.pod_id_file:
        try:
            with open(path) as f:
                refs.append(f.read().strip())
        except OSError as exc:  # Podman: an error even with --ignore
            raise UsageError(f"reading pod ID file: open {path}: "
                             f"{(exc.strerror or '').lower()}") from exc
    if ns.all and ns.latest:
        raise UsageError("--all and --latest cannot be used together")
    if ns.latest and refs:
        raise UsageError("--latest and containers cannot be used together")
    if ns.all and refs:
        raise UsageError("when using the --all switch, you may not pass any pods names or IDs")
    if ns.all:
        refs = api.all_ids(settings)
    elif ns.latest:
        try:
            refs = [api.latest(settings)]
        except NotFoundError:  # Podman: the exit code of a pod that does not exist
            print("Error: no such pod", file=sys.stderr)
            return 1
    elif not refs:
        raise UsageError("must specify at least one pod name or id, or use --all")
    code = 0
    opts = api.RemoveOptions(force=ns.force, ignore=ns.ignore, timeout=ns.time)
    for report in api.remove(settings, refs, opts):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            # Podman: a pod that does not exist is exit 1, others the engine's
            code = 1 if isinstance(report.err, NotFoundError) else report.err.exit_code
        else:
            print(report.id, flush=True)
    return code
