"""scopebox mount [--format json] [--no-trunc] [-a | -l | CONTAINER...]"""

from __future__ import annotations

import json
import sys

from supervisor.cli.main import new_parser
from supervisor.cli.targets import add_target_flags, targets
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import copy as api
    from supervisor.api.targets import resolve

    p = new_parser("mount", "Mount a container's root filesystem (no argument: list them).")
    p.add_argument("--format", default="")
    p.add_argument("--no-trunc", "--notruncate", dest="no_trunc", action="store_true")
    add_target_flags(p, all="mount every container")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if ns.format not in ("", "json"):
        raise UsageError(f"unknown --format {ns.format!r}: only json")
    if ns.all or ns.latest:
        ns.containers = resolve(settings, targets(ns, ns.containers))
    elif not ns.containers:
        rows = api.mounted(settings)
        if ns.format == "json":
            doc = [{"id": m.id, "Names": [m.name], "mountpoint": m.mountpoint} for m in rows]
            print(json.dumps(doc, indent=1))
        for m in rows if ns.format != "json" else []:
            print(f"{m.id if ns.no_trunc else m.id[:12]}  {m.mountpoint}")
        return 0
    code = 0
    for report in api.mount(settings, ns.containers):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        else:
            print(report.id, flush=True)
    return code
