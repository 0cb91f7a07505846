"""scopebox network inspect [--format F] NETWORK..."""

from __future__ import annotations

from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_inspected
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network inspect", "Show networks' definitions.")
    p.add_argument("-f", "--format")
    p.add_argument("networks", nargs="+")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    return print_inspected(api.inspect(settings, ns.networks), ns.format, view=_template_view)


def _template_view(n: dict[str, Any]) -> dict[str, Any]:
    """Go template names of Podman's types.Network ({{.Name}}, {{.NetworkInterface}}, ...)
    beside the JSON keys."""
    view = dict(n)
    view.update({
        "Name": n["name"], "ID": n["id"], "Driver": n["driver"],
        "NetworkInterface": n["network_interface"], "Created": n["created"],
        "Subnets": [_subnet_view(s) for s in n["subnets"]], "IPv6Enabled": n["ipv6_enabled"],
        "Internal": n["internal"],
        "DNSEnabled": n["dns_enabled"], "Labels": n.get("labels") or {},
        "Options": n.get("options") or {}, "IPAMOptions": n["ipam_options"],
    })
    return view


def _subnet_view(s: dict[str, Any]) -> dict[str, Any]:
    """Podman's types.Subnet: {{.Subnet}}, {{.Gateway}}, {{.LeaseRange}} beside the JSON's."""
    return {**s, "Subnet": s.get("subnet", ""), "Gateway": s.get("gateway", ""),
            "LeaseRange": s.get("lease_range")}
