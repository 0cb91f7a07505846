"""scopebox quadlet [--dryrun] [--user] [OUTPUT_DIR]: what the systemd generator makes of the
Quadlet files (`.container`, ...), with every problem as FILE:LINE: MESSAGE on stderr."""

from __future__ import annotations

import os
import sys

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor import quadlet, unitgen

    p = new_parser("quadlet", "Convert Quadlet files into systemd services.")
    p.add_argument("--dryrun", action="store_true", help="print the units instead of writing")
    p.add_argument("--user", action="store_true", help="the user directories (~/.config/...)")
    p.add_argument("output", nargs="?", help="directory for the units (not with --dryrun)")
    ns = p.parse_args(argv)
    if not ns.dryrun and not ns.output:
        p.error("an output directory is required without --dryrun")
    problems: list[str] = []
    dirs = quadlet.unit_dirs(ns.user, dict(os.environ))
    services = quadlet.convert_all(dirs, [unitgen.scopebox_binary()], problems.append)
    if ns.dryrun:
        for s in services:
            sys.stdout.write(f"---{s.name}---\n{s.unit.render()}\n")
    else:
        quadlet.write(services, ns.output, problems.append)
    for line in problems:
        print(line, file=sys.stderr)
    return 125 if problems else 0
