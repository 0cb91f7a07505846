"""scopebox secret rm [-a] SECRET..."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("secret rm", "Remove secrets (containers keep their copies).")
    p.add_argument("-a", "--all", action="store_true", help="remove all secrets")
    p.add_argument("secrets", nargs="*")
    ns = p.parse_args(argv)
    if bool(ns.secrets) == ns.all:
        raise UsageError("`scopebox secret rm` requires one argument, or the --all flag")
    from supervisor.api import secrets as api

    code = 0
    for report in api.remove(settings, ns.secrets, ns.all):
        if report.err is None:
            print(report.id, flush=True)
        else:
            print(f"Error: {report.err}", file=sys.stderr)
            code = 125
    return code
