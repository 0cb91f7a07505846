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
    from supervisor.network.db import Lease, NetworkDB, PortClaim, PortSpec
    from supervisor.network.definition import Network
    from supervisor.network.ipam import Subnet


class Plan(NamedTuple):
    """Everything a container's network resource makes, as recorded before it is made."""

    netns: str
    networks: tuple[nft.NetRules, ...]
    attachments: tuple[netlink.Attachment, ...]
    forwards: tuple[nft.Forward, ...]
    sources: tuple[nft.Source, ...] = ()  # the container's addresses -> its networks' nat

    def encode(self) -> list[object]:
        """Plain lists for the resource record (json): what teardown reads back."""
        return [self.netns, [list(n) for n in self.networks],
                [list(a) for a in self.attachments], [list(f) for f in self.forwards],
                [list(s) for s in self.sources]]

    @classmethod
    def decode(cls, data: list[object]) -> Plan:
        netns, nets, atts, fwds = data[:4]
        srcs = data[4] if len(data) > 4 else []
        assert isinstance(netns, str) and isinstance(nets, list) and isinstance(srcs, list)
        assert isinstance(atts, list) and isinstance(fwds, list)
        return cls(
            netns,
            tuple(nft.NetRules(n[0], tuple(n[1]), n[2], tuple(n[3])) for n in nets),
            tuple(netlink.Attachment(a[0], a[1], a[2], a[3], tuple(a[4]), tuple(a[5]), *a[6:])
                  for a in atts),
            tuple(nft.Forward(*f) for f in fwds),
            tuple(nft.Source(*s) for s in srcs),
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
        netlink.create_attached(plan.netns, plan.attachments, host)
    else:  # `network connect` of a running container (its namespace exists)
        for a in plan.attachments:
            netlink.attach(a, host)
    elems = nft.forwards_add(plan.forwards) + nft.sources_add(plan.sources)
    with nft_lock(locks_dir), nft.Session(host) as session:
        if elems:
            # The table and the networks' chains exist almost always: the elements alone
            # are one small transaction (~0.3 ms against ~2 for the whole skeleton). A source
            # element jumps to its network's chain, so a missing table or chain refuses it.
            try:
                session.run(elems)
                return
            except nft.NftError:
                pass
        text = nft.skeleton() + "".join(nft.network_add(n) for n in plan.networks)
        session.run(text + elems)


def teardown(plan: Plan, locks_dir: str, host: str | None = None) -> None:
    """The reverse; every step is idempotent, so a teardown that was interrupted runs again.
    Network chains and bridges stay (made once per network; `network rm` removes them)."""
    session = None
    try:
        if plan.forwards or plan.sources:
            text = (nft.forwards_remove(plan.forwards) if plan.forwards else "") + \
                (nft.sources_remove(plan.sources) if plan.sources else "")
            with nft_lock(locks_dir):
                session = nft.Session(host)
                try:
                    session.run(text)
                except nft.NftError:
                    if session.table_exists():  # no table: nothing of ours to remove
                        raise
        netlink.remove_netns(plan.netns)  # the kernel deletes the veth pairs with it
        # The elements are deleted (the transaction is committed); the kernel frees them
        # after a grace period, which the socket's last close waits for: the detached
        # `ip link del` inherits it and closes it last, off the caller's way.
        keep = (session.fd,) if session is not None and session.fd >= 0 else ()
        for a in plan.attachments:
            if plan.netns:
                netlink.detach_later(a.host_iface, host, keep)
            else:  # `network disconnect`: the namespace stays, the veth goes now
                netlink.detach(a.host_iface, host)
    finally:
        if session is not None:
            session.close()


def reload(ndb: NetworkDB, locks_dir: str, host: str | None = None) -> Sequence[str]:
    """Rebuild the kernel state from the store: bridges of networks in use, and the whole
    table in one transaction (what `nft flush ruleset` or a firewall reload removed).
    Returns the bridges of networks in use."""
    nets, fwds, sources = state_of(ndb)
    apply_state(host, nets, fwds, sources, locks_dir)
    return [n.network_interface for n in nets]


def state_of(ndb: NetworkDB, any_address: bool = False) -> tuple[
        list[Network], list[nft.Forward], list[nft.Source]]:
    """What `reload` makes, read from the store: networks in use, forwards, sources.
    `any_address`: forwards match the port alone (rootless: slirp4netns delivers every host
    address's traffic to one address in the user's namespace)."""
    leases = ndb.leases()
    in_use = {lease.network for lease in leases}
    nets = [n for n in ndb.all() if n.name in in_use]
    bridges = {n.name: n.network_interface for n in nets}
    sources = [nft.Source(lease.address, bridges[lease.network]) for lease in leases
               if lease.network in bridges]
    fwds = []
    for claim in ndb.port_claims():
        fwds += forwards_of([claim], [lease for lease in leases
                                      if lease.container == claim.container])
    if any_address:
        fwds = [f._replace(host_ip="") for f in fwds]
    return nets, fwds, sources


def apply_state(host: str | None, nets: Sequence[Network], fwds: Sequence[nft.Forward],
                sources: Sequence[nft.Source], locks_dir: str) -> None:
    """Bridges and the whole table (no store: a rootless caller runs it in a thread that
    entered the user's namespace, host None there)."""
    for n in nets:
        netlink.ensure_bridge(n.network_interface, rules_of(n).gateways, n.mtu, host)
    with nft_lock(locks_dir):
        nft.apply(nft.full([rules_of(n) for n in nets], fwds, sources), host)


def remove_network(n: Network, locks_dir: str, host: str | None = None) -> None:
    """`network rm`: its chains and elements, then its bridge (idempotent)."""
    with nft_lock(locks_dir):
        if nft.table_exists(host):
            nft.apply(nft.network_remove(rules_of(n)), host)
    netlink.remove_bridge(n.network_interface, host)


def derived_mac(address: str) -> str:
    """Docker's rule: 02:42 and the IPv4 address (stable, shown by inspect without asking
    the kernel); IPv6 leases get the kernel's random one."""
    if not address or ":" in address:
        return ""
    return "02:42:" + ":".join(f"{int(b):02x}" for b in address.split("."))


def host_iface(cid: str, index: int) -> str:
    """The veth's host end: unique per container and network, within IFNAMSIZ (15)."""
    return f"sb{cid[:11]}{index:x}"


def make_plan(ndb: NetworkDB, cid: str, netns: str, networks: Sequence[str],
              ports: Sequence[PortSpec] = (), ips: Sequence[str | None] = (),
              macs: Sequence[str] = (), ip6s: Sequence[str | None] = ()) -> Plan:
    """Record the container's leases and port claims (atomically, before anything is made)
    and return what `setup` makes of them. Ports go to the first network; a network with
    an IPv6 subnet (net6) gives an address of each family, a default route of each (the
    first network), a source element of each and a forward of each for a port published
    on every host address."""
    nets, atts, fwds, srcs = [], [], [], []
    for i, name in enumerate(networks):
        n = ndb.get(name)
        leases = ndb.leases_for(n.name, cid, host_iface(cid, i), ips[i] if i < len(ips) else None,
                           ip6s[i] if i < len(ip6s) else None)
        nets.append(rules_of(n))
        srcs += [nft.Source(lease.address, n.network_interface) for lease in leases]
        atts.append(attachment_of(n, leases, netns, f"eth{i}", first=i == 0,
                                  mac=macs[i] if i < len(macs) else ""))
        if i == 0 and ports:
            v4 = [lease.address for lease in leases if ":" not in lease.address]
            v6 = [lease.address for lease in leases if ":" in lease.address]
            claims = ndb.claim_ports(cid, n.name, (v4 or v6)[0], ports, v6[0] if v6 else "")
            fwds = forwards_of(claims, leases)
    return Plan(netns, tuple(nets), tuple(atts), tuple(fwds), tuple(srcs))


def attachment_of(n: Network, leases: Sequence[Lease], netns: str, iface: str, first: bool,
                  mac: str = "") -> netlink.Attachment:
    """A network's interface in the container: an address per lease, with its subnet's
    prefix; default routes (the first network, not --internal) through each family's
    gateway."""
    addrs, gws = [], []
    for lease in leases:
        sub = subnet_of(n, lease.address)
        addrs.append(f"{lease.address}/{sub.net.prefixlen}")
        if first and not n.internal and str(sub.gateway) not in gws:
            gws.append(str(sub.gateway))
    v4 = next((lease.address for lease in leases if ":" not in lease.address), "")
    return netlink.Attachment(netns, n.network_interface, leases[0].host_iface, iface,
                              tuple(addrs), tuple(gws), n.mtu, mac or derived_mac(v4))


def subnet_of(n: Network, address: str) -> Subnet:
    import ipaddress

    ip = ipaddress.ip_address(address)
    return next((s for s in n.subnets if ip in s.net), n.subnets[0])


def forwards_of(claims: Iterable[PortClaim], leases: Iterable[Lease]) -> list[nft.Forward]:
    """A claim's forward to the address it names, and (net6) to the container's address of
    the other family on the same network when the port is published on every host address:
    `-p 8080:80` on a dual-stack network answers on the host's IPv4 and IPv6 addresses."""
    by_net: dict[str, list[str]] = {}
    for lease in leases:
        by_net.setdefault(lease.network, []).append(lease.address)
    out = []
    for c in claims:
        out.append(forward_of(c))
        if c.host_ip:
            continue
        v6 = ":" in c.container_ip
        other = next((a for a in by_net.get(c.network, []) if (":" in a) != v6), None)
        if other is not None:
            out.append(nft.Forward(c.proto, c.host_port, "", other, c.container_port))
    return out
