"""scopebox network disconnect [-f] NETWORK CONTAINER"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network disconnect", "Disconnect a container from a network.")
    p.add_argument("-f", "--force", action="store_true", help="accepted (Podman's: no effect)")
    p.add_argument("network")
    p.add_argument("container")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    api.disconnect(settings, ns.network, ns.container)
    return 0
