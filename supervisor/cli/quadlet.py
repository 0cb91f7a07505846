"""scopebox quadlet [--dryrun] [--user] [OUTPUT_DIR]: what the systemd generator makes of the
Quadlet files (`.container`, ...), with every problem as FILE:LINE: MESSAGE on stderr."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import units

    p = new_parser("quadlet", "Convert Quadlet files into systemd services.")
    p.add_argument("--dryrun", action="store_true", help="print the units instead of writing")
    p.add_argument("--user", action="store_true", help="the user directories (~/.config/...)")
    p.add_argument("output", nargs="?", help="directory for the units (not with --dryrun)")
    ns = p.parse_args(argv)
    if not ns.dryrun and not ns.output:
        p.error("an output directory is required without --dryrun")
    report = units.quadlet(ns.user, None if ns.dryrun else ns.output)
    if ns.dryrun:
        for name, text in report.units:
            sys.stdout.write(f"---{name}---\n{text}\n")
    for line in report.problems:
        print(line, file=sys.stderr)
    return 125 if report.problems else 0
