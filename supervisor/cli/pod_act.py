"""pod start|stop|kill|restart|pause|unpause POD... [--all] [--latest]: shared by their
modules (one per verb below)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from supervisor.cli.main import new_parser
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.api import Report


def run(verb: str, argv: list[str], settings: Settings,
        act: Callable[[list[str], argparse.Namespace], list[Report]],
        extra: Callable[[argparse.ArgumentParser], None] | None = None) -> int:
    p = new_parser(f"pod {verb}", f"{verb.capitalize()} one or more pods.")
    p.add_argument("-a", "--all", action="store_true", help=f"{verb} all pods")
    p.add_argument("-l", "--latest", action="store_true", help="the newest pod")
    # helper podsx: generated units name their pod by the file `pod create --pod-id-file` wrote
    p.add_argument("--pod-id-file", action="append", default=[], help="read the pod id here")
    if extra is not None:
        extra(p)
    p.add_argument("pods", nargs="*")
    ns = p.parse_args(argv)
    from supervisor.api import pods as api
    from supervisor.errors import UsageError

    for path in ns.pod_id_file:  # helper podsx
        try:
            with open(path) as f:
                ns.pods.append(f.read().strip())
        except OSError as exc:  # Podman: an error even with --ignore
            raise UsageError(f"reading pod ID file: open {path}: "
                             f"{(exc.strerror or '').lower()}") from exc
    # Podman's words (its 015-help test reads them)
    if ns.all and ns.latest:
        raise UsageError("--all and --latest cannot be used together")
    if ns.latest and ns.pods:
        raise UsageError("--latest and containers cannot be used together")
    if ns.all and ns.pods:
        raise UsageError("no arguments are needed with --all")
    if not (ns.all or ns.latest or ns.pods):
        raise UsageError("you must provide at least one pod name or id")
    refs = api.all_ids(settings) if ns.all else [api.latest(settings)] if ns.latest else ns.pods
    code = 0
    for report in act(refs, ns):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        else:
            print(report.id, flush=True)
    return code
