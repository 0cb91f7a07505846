"""scopebox volume import VOLUME SOURCE: unpack a tar archive (a file, or - for stdin)."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume import", "Unpack a tar archive into a volume.")
    p.add_argument("volume")
    p.add_argument("source")
    ns = p.parse_args(argv)
    from supervisor.api import volumes as api

    if ns.source == "-":
        api.import_(settings, ns.volume, sys.stdin.buffer)
        return 0
    try:
        f = open(ns.source, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"open {ns.source}: {(exc.strerror or '').lower()}") from None
    with f:
        api.import_(settings, ns.volume, f)
    return 0
