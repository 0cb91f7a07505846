"""scopebox volume exists VOLUME: exit 0 if it exists, 1 if not."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume exists", "Exit 0 if the volume exists, 1 if not.")
    p.add_argument("volume")
    ns = p.parse_args(argv)
    from supervisor.api import volumes as api

    return 0 if api.exists(settings, ns.volume) else 1
