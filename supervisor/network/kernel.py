"""A container's network state made and unmade, and the whole state rebuilt from the store.

`setup` is what the per-container network resource will call after recording its leases and
port claims (`db.NetworkDB`); `teardown` takes only what was recorded (interface names,
forwards, the namespace path) and uses the standard library only, so the monitor's exit
command (`python3 -I -S`) can run it. nft writes take `network.lock` (flock): a `reload`
reads the store and replaces the table while no element is being added or removed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from supervisor.network import netlink, nft

if TYPE_CHECKING:
    from supervisor.network.db import NetworkDB, PortClaim, PortSpec
    from supervisor.network.definition import Network


class Plan(NamedTuple):
    """Everything a container's network resource makes, as recorded before it is made."""

    netns: str
    networks: tuple[nft.NetRules, ...]
    attachments: tuple[netlink.Attachment, ...]
    forwards: tuple[nft.Forward, ...]

    def encode(self) -> list[object]:
        """Plain lists for the resource record (json): what teardown reads back."""
        return [self.netns, [list(n) for n in self.networks],
                [list(a) for a in self.attachments], [list(f) for f in self.forwards]]

    @classmethod
    def decode(cls, data: list[object]) -> Plan:
        netns, nets, atts, fwds = data
        assert isinstance(netns, str) and isinstance(nets, list)
        assert isinstance(atts, list) and isinstance(fwds, list)
        return cls(
            netns,
            tuple(nft.NetRules(n[0], tuple(n[1]), n[2], tuple(n[3])) for n in nets),
            tuple(netlink.Attachment(a[0], a[1], a[2], a[3], tuple(a[4]), tuple(a[5]), a[6])
                  for a in atts),
            tuple(nft.Forward(*f) for f in fwds),
        )


@contextmanager
def nft_lock(locks_dir: str) -> Iterator[None]:
    os.makedirs(locks_dir, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(locks_dir, "network.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def rules_of(n: Network) -> nft.NetRules:
    return nft.NetRules(n.network_interface, tuple(str(s.net) for s in n.subnets), n.internal,
                        tuple(f"{s.gateway}/{s.net.prefixlen}" for s in n.subnets))


def forward_of(c: PortClaim) -> nft.Forward:
    return nft.Forward(c.proto, c.host_port, c.host_ip, c.container_ip, c.container_port)


def setup(plan: Plan, locks_dir: str, host: str | None = None) -> None:
    """Bridges (made once), the namespace, veths and addresses, then one nft transaction:
    the skeleton and the networks' chains (idempotent) and the container's map elements."""
    with nft_lock(locks_dir):  # one process makes a missing bridge, the others wait
        for n, a in zip(plan.networks, plan.attachments, strict=True):
            netlink.ensure_bridge(n.bridge, n.gateways, a.mtu, host)
    if not os.path.exists(plan.netns):
        netlink.create_netns(plan.netns)
    for a in plan.attachments:
        netlink.attach(a, host)
    text = nft.skeleton() + "".join(nft.network_add(n) for n in plan.networks)
    with nft_lock(locks_dir):
        nft.apply(text + nft.forwards_add(plan.forwards), host)


def teardown(plan: Plan, locks_dir: str, host: str | None = None) -> None:
    """The reverse; every step is idempotent, so a teardown that was interrupted runs again.
    Network chains and bridges stay (made once per network; `network rm` removes them)."""
    if plan.forwards:
        with nft_lock(locks_dir):
            try:
                nft.apply(nft.forwards_remove(plan.forwards), host)
            except nft.NftError:
                if nft.table_exists(host):  # no table: nothing of ours to remove
                    raise
    for a in plan.attachments:
        netlink.detach(a.host_iface, host)
    netlink.remove_netns(plan.netns)


def reload(ndb: NetworkDB, locks_dir: str, host: str | None = None) -> Sequence[str]:
    """Rebuild the kernel state from the store: bridges of networks in use, and the whole
    table in one transaction (what `nft flush ruleset` or a firewall reload removed).
    Returns the bridges of networks in use."""
    in_use = {lease.network for lease in ndb.leases()}
    nets = [n for n in ndb.all() if n.name in in_use]
    for n in nets:
        netlink.ensure_bridge(n.network_interface, rules_of(n).gateways, n.mtu, host)
    with nft_lock(locks_dir):
        nft.apply(nft.full([rules_of(n) for n in nets], _forwards(ndb.port_claims())), host)
    return [n.network_interface for n in nets]


def _forwards(claims: Iterable[PortClaim]) -> list[nft.Forward]:
    return [forward_of(c) for c in claims]


def remove_network(n: Network, locks_dir: str, host: str | None = None) -> None:
    """`network rm`: its chains and elements, then its bridge (idempotent)."""
    with nft_lock(locks_dir):
        if nft.table_exists(host):
            nft.apply(nft.network_remove(rules_of(n)), host)
    netlink.remove_bridge(n.network_interface, host)


def host_iface(cid: str, index: int) -> str:
    """The veth's host end: unique per container and network, within IFNAMSIZ (15)."""
    return f"sb{cid[:11]}{index:x}"


def make_plan(ndb: NetworkDB, cid: str, netns: str, networks: Sequence[str],
              ports: Sequence[PortSpec] = (), ips: Sequence[str | None] = ()) -> Plan:
    """Record the container's leases and port claims (atomically, before anything is made)
    and return what `setup` makes of them. Ports go to the first network."""
    nets, atts, fwds = [], [], []
    for i, name in enumerate(networks):
        n = ndb.get(name)
        lease = ndb.lease(n.name, cid, host_iface(cid, i), ips[i] if i < len(ips) else None)
        sub = n.subnets[0]
        nets.append(rules_of(n))
        atts.append(netlink.Attachment(
            netns, n.network_interface, lease.host_iface, f"eth{i}",
            (f"{lease.address}/{sub.net.prefixlen}",),
            (str(sub.gateway),) if i == 0 and not n.internal else (), n.mtu))
        if i == 0 and ports:
            fwds = [forward_of(c) for c in ndb.claim_ports(cid, n.name, lease.address, ports)]
    return Plan(netns, tuple(nets), tuple(atts), tuple(fwds))
