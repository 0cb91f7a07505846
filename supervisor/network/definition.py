"""A network's definition in Podman 4.3's JSON shape (`podman network inspect`, netavark)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any

from supervisor.network.ipam import Subnet, make_subnet, parse_net

DEFAULT_NAME = "podman"
DOCKER_ALIAS = "bridge"  # Docker's name for the default network
# The default network's id in every Podman 4 installation: scripts that hard-code it work.
DEFAULT_ID = "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9"
DEFAULT_SUBNET = "10.88.0.0/16"
# Not Podman's podman0: a real Podman on the same host owns that bridge (docs/DIFFERENCES.md).
DEFAULT_BRIDGE = "scopebox0"
OPTIONS = ("mtu", "isolate")


@dataclass(frozen=True)
class Network:
    """A network's definition, as stored."""

    name: str
    id: str
    network_interface: str
    created: str
    subnets: tuple[Subnet, ...]
    internal: bool = False
    dns_enabled: bool = True
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    driver: str = "bridge"

    @property
    def ipv6_enabled(self) -> bool:
        return any(s.version == 6 for s in self.subnets)

    @property
    def mtu(self) -> int:
        return int(self.options.get("mtu", "0") or 0)

    @property
    def isolate(self) -> bool:
        return self.options.get("isolate", "") in ("true", "1", "strict")

    def to_json(self) -> dict[str, Any]:
        """Podman's key order; `labels` and `options` only when set, as Podman prints."""
        out: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "driver": self.driver,
            "network_interface": self.network_interface,
            "created": self.created,
            "subnets": [_subnet_json(s) for s in self.subnets],
            "ipv6_enabled": self.ipv6_enabled,
            "internal": self.internal,
            "dns_enabled": self.dns_enabled,
        }
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.options:
            out["options"] = dict(sorted(self.options.items()))
        out["ipam_options"] = {"driver": "host-local"}
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Network:
        subnets = []
        for s in d.get("subnets", []):
            net = parse_net(s["subnet"])
            sub = make_subnet(net, s.get("gateway"))
            rng = s.get("lease_range")
            if rng:
                sub = sub._replace(start=ipaddress.ip_address(rng["start_ip"]),
                                   end=ipaddress.ip_address(rng["end_ip"]))
            subnets.append(sub)
        return cls(
            name=d["name"], id=d["id"], network_interface=d["network_interface"],
            created=d["created"], subnets=tuple(subnets), internal=bool(d.get("internal")),
            dns_enabled=bool(d.get("dns_enabled")), labels=dict(d.get("labels") or {}),
            options=dict(d.get("options") or {}), driver=d.get("driver", "bridge"),
        )


def _subnet_json(s: Subnet) -> dict[str, Any]:
    out: dict[str, Any] = {"subnet": str(s.net), "gateway": str(s.gateway)}
    default = make_subnet(s.net, str(s.gateway))
    if (s.start, s.end) != (default.start, default.end):
        out["lease_range"] = {"start_ip": str(s.start), "end_ip": str(s.end)}
    return out


def new_id() -> str:
    import hashlib  # performance: OpenSSL's load only when a network is made, not at every ps

    return hashlib.sha256(os.urandom(32)).hexdigest()


def default_network(created: str, subnet: str = DEFAULT_SUBNET) -> Network:
    """`subnet`: Podman's 10.88.0.0/16 unless another program (a real Podman's podman0)
    routes it here already (then a free one: see `db.NetworkDB`)."""
    return Network(
        name=DEFAULT_NAME, id=DEFAULT_ID, network_interface=DEFAULT_BRIDGE, created=created,
        subnets=(make_subnet(parse_net(subnet)),), dns_enabled=False,
    )
