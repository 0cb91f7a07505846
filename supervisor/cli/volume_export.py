"""scopebox volume export [-o FILE] VOLUME: the volume's content as a tar archive."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume export", "Write a volume's content as a tar archive.")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.add_argument("volume")
    ns = p.parse_args(argv)
    from supervisor.api import volumes as api

    if ns.output:
        with open(ns.output, "wb") as f:
            api.export(settings, ns.volume, f)
        return 0
    if sys.stdout.isatty():
        raise UsageError("expected the output to be redirected (or use -o FILE)")
    api.export(settings, ns.volume, sys.stdout.buffer)
    return 0
