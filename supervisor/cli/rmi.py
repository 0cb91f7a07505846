"""scopebox rmi [-f] IMAGE..."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("rmi", "Remove images.")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    code = 0
    for report in api.remove(settings, ns.images, ns.force):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        else:
            print("\n".join(report.lines), flush=True)
    return code
