"""scopebox image inspect [--format F] IMAGE..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, render_each
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("image inspect", "Show an image's configuration and layers.")
    p.add_argument("-f", "--format")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    out: list[dict[str, Any]] = []
    code = 0
    for report in api.inspect(settings, ns.images):
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
