"""scopebox wait CONTAINER...: print each container's exit code when it exits."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("wait", "Block until containers exit, then print their exit codes.")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    code = 0
    for report in api.wait(settings, ns.containers):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        else:
            print(report.exit_code, flush=True)
    return code
