"""scopebox network rm [-f] NETWORK..."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network rm", "Remove networks.")
    p.add_argument("-f", "--force", action="store_true",
                   help="remove the containers using them first")
    p.add_argument("-t", "--time", type=int, help="ignored: containers are removed with -f")
    p.add_argument("networks", nargs="+")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    code = 0
    for report in api.remove(settings, ns.networks, ns.force):
        if report.err is not None:
            from supervisor.errors import NotFoundError

            if ns.force and isinstance(report.err, NotFoundError):
                continue  # Podman's -f: a network that is not there is not an error
            print(f"Error: {report.err}", file=sys.stderr)
            code = api.not_found_exit(report.err)
        else:
            print(report.id, flush=True)
    return code
