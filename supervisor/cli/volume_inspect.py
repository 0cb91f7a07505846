"""scopebox volume inspect [-a] [--format F] VOLUME..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, render_each
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume inspect", "Show volumes' details.")
    p.add_argument("-f", "--format")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("volumes", nargs="*")
    ns = p.parse_args(argv)
    if not ns.volumes and not ns.all:
        raise UsageError("provide one or more volume names or use --all")
    from supervisor.api import volumes as api

    out: list[dict[str, Any]] = []
    code = 0
    for report in api.inspect(settings, ns.volumes, ns.all):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        elif report.data is not None:
            out.append(report.data)
    if ns.format and ns.format != "json":
        render_each(ns.format, out)
    else:
        print_json(out)
    return code
