"""scopebox secret inspect [--format F] [--pretty] SECRET..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_inspected
from supervisor.errors import UsageError
from supervisor.settings import Settings

PRETTY = """\
ID:              {ID}
Name:              {Name}
Driver:            {Driver}
Created at:        {Created}
Updated at:        {Updated}
"""


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("secret inspect", "Show secrets' details (never their data).")
    p.add_argument("-f", "--format", help="Go template")
    p.add_argument("--pretty", action="store_true", help="human-readable")
    p.add_argument("secrets", nargs="*")
    ns = p.parse_args(argv)
    if not ns.secrets:
        raise UsageError("requires at least 1 arg(s), only received 0")
    from supervisor.api import secrets as api

    reports = api.inspect(settings, ns.secrets)
    if ns.pretty and not ns.format:
        return _pretty(reports)
    return print_inspected(reports, ns.format)


def _pretty(reports: list[Any]) -> int:
    from supervisor.cli.volume_ls import go_time

    code = 0
    for report in reports:
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
            continue
        d = report.data
        sys.stdout.write(PRETTY.format(ID=d["ID"], Name=d["Spec"]["Name"],
                                       Driver=d["Spec"]["Driver"]["Name"],
                                       Created=go_time(d["CreatedAt"]),
                                       Updated=go_time(d["UpdatedAt"])))
    return code
