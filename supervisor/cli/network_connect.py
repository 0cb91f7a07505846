"""scopebox network connect [--alias NAME] [--ip IP] [--ip6 IP] [--mac-address MAC]
NETWORK CONTAINER"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network connect", "Connect a container to a network.")
    p.add_argument("--alias", action="append", default=[], help="another name on the network")
    p.add_argument("--ip", default="", help="the container's IPv4 address on the network")
    p.add_argument("--ip6", default="", help="the container's IPv6 address on the network")
    p.add_argument("--mac-address", default="", help="the container's MAC address there")
    p.add_argument("network")
    p.add_argument("container")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    api.connect(settings, ns.network, ns.container,
                api.ConnectOptions(list(ns.alias), ns.ip, ns.mac_address, ns.ip6))
    return 0
