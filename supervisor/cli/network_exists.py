"""scopebox network exists NETWORK: exit 0 if it exists, 1 if not."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network exists", "Exit 0 if the network exists, 1 if not.")
    p.add_argument("network")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    return 0 if api.exists(settings, ns.network) else 1
