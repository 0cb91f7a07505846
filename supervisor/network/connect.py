"""`network connect` / `disconnect`: a container joins or leaves a network, running or not.

The config's network list changes under the container's lock. A running container gets (or
loses) one veth at once: the lease is recorded first (the run's `network` resource is already
recorded, and its teardown removes whatever the store lists), then the veth, addresses and
the source element; /etc/hosts is rewritten in place (it is bind-mounted).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from supervisor.errors import ConflictError, NotFoundError, StateError, UsageError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.network import nft
    from supervisor.network.db import Lease, NetworkDB
    from supervisor.network.request import Attach
    from supervisor.store import ContainerRow


def connect(ctx: Context, ref: str, att: Attach) -> None:
    from supervisor.network.db import NetworkDB
    from supervisor.store import ContainerLock

    row = ctx.store.find_container(ref)
    with ContainerLock(ctx.paths, row.id):
        row = ctx.refresh(ctx.store.get_container(row.id) or row, locked=True)
        net = row.config.net
        if not net.bridged:
            # Podman 4.3's words (e.g. a rootless container on slirp4netns)
            raise StateError(f'"{net.mode}" is not supported: invalid network mode')
        ndb = NetworkDB(ctx.store)
        n = ndb.get(att.network)
        att = replace(att, network=n.name)
        if any(a.network == n.name for a in net.networks):
            raise ConflictError(f"container {row.name} is already connected to network "
                                f"{n.name}")
        if row.status.is_active:
            _attach_live(ctx, ndb, row, att)
        cfg = replace(row.config, net=replace(net, networks=(*net.networks, att)))
        row = ctx.store.update_container(row.id, config=cfg)
        if row.status.is_active:
            _rewrite_etc(ctx, ndb, row)


def disconnect(ctx: Context, ref: str, network: str) -> None:
    from supervisor.network.db import NetworkDB
    from supervisor.store import ContainerLock

    row = ctx.store.find_container(ref)
    with ContainerLock(ctx.paths, row.id):
        row = ctx.refresh(ctx.store.get_container(row.id) or row, locked=True)
        net = row.config.net
        ndb = NetworkDB(ctx.store)
        try:
            name = ndb.get(network).name
        except NotFoundError:
            name = network
        if not net.bridged or all(a.network != name for a in net.networks):
            raise UsageError(f"container {row.name} is not connected to network {network}")
        if row.status.is_active:
            _detach_live(ctx, ndb, row, name)
        cfg = replace(row.config, net=replace(
            net, networks=tuple(a for a in net.networks if a.network != name)))
        row = ctx.store.update_container(row.id, config=cfg)
        if row.status.is_active:
            _rewrite_etc(ctx, ndb, row)


def _attach_live(ctx: Context, ndb: NetworkDB, row: ContainerRow, att: Attach) -> None:
    from supervisor.network import kernel, netlink, nft
    from supervisor.network.resource import in_host, netns_path, user_netns

    n = ndb.get(att.network)
    used = {lease.host_iface for lease in ndb.leases(row.id)}
    index = next(i for i in range(16) if kernel.host_iface(row.id, i) not in used)
    leases = ndb.leases_for(n.name, row.id, kernel.host_iface(row.id, index), att.ip or None,
                       att.ip6 or None)
    path = netns_path(ctx.paths, row.id)
    try:
        fwds = _reclaim_ports(ndb, row, n.name, leases)
        plan = kernel.Plan(path, (kernel.rules_of(n),), (kernel.attachment_of(
            n, leases, path, f"eth{index}", first=False, mac=att.mac),), fwds,
            tuple(nft.Source(lease.address, n.network_interface) for lease in leases))
        host = user_netns(ctx, ndb, make=True)  # rootless (issue 17): the user's namespace
        if host and fwds:
            plan = plan._replace(forwards=_user_forwards(fwds))
        in_host(host or None, kernel.setup, plan, ctx.paths.locks)
        if host and fwds:
            from supervisor.rootless import netns

            netns.publish(ctx.paths, [c for c in ndb.port_claims(row.id) if c.network == n.name])
    except (netlink.NetlinkError, nft.NftError) as exc:
        _undo(ctx, ndb, row, n.name)
        raise StateError(f"cannot connect {row.name} to {n.name}: {exc}") from exc
    except (ConflictError, UsageError):
        _undo(ctx, ndb, row, n.name)
        raise


def _reclaim_ports(ndb: NetworkDB, row: ContainerRow, network: str,
                   leases: list[Lease]) -> tuple[nft.Forward, ...]:
    """The published ports follow the container: when `disconnect` took them with their
    network, the next network it joins (or stays on) forwards them (Podman 4.3: curl works
    again)."""
    from supervisor.network import kernel
    from supervisor.network.resource import port_specs

    ports = port_specs(row.config.net)
    if not ports or ndb.port_claims(row.id):
        return ()
    v4 = [lease.address for lease in leases if ":" not in lease.address]
    v6 = [lease.address for lease in leases if ":" in lease.address]
    claims = ndb.claim_ports(row.id, network, (v4 or v6)[0], ports, v6[0] if v6 else "")
    return tuple(kernel.forwards_of(claims, leases))


def _detach_live(ctx: Context, ndb: NetworkDB, row: ContainerRow, name: str) -> None:
    """Its published ports follow it to the first network it stays on (Podman 4.3: curl
    still works after the ports' network is disconnected)."""
    from supervisor.network import kernel, netlink, nft
    from supervisor.network.resource import in_host, netns_path, user_netns

    _undo(ctx, ndb, row, name)
    stays = [a.network for a in row.config.net.networks if a.network != name]
    if not stays:
        return
    leases = [lease for lease in ndb.leases(row.id) if lease.network == stays[0]]
    fwds = _reclaim_ports(ndb, row, stays[0], leases) if leases else ()
    if not fwds:
        return
    plan = kernel.Plan(netns_path(ctx.paths, row.id), (), (), fwds, ())
    host = user_netns(ctx, ndb, make=False)  # rootless (issue 17): the user's namespace
    try:
        if host:
            plan = plan._replace(forwards=_user_forwards(fwds))
        in_host(host or None, kernel.setup, plan, ctx.paths.locks)
        if host:
            from supervisor.rootless import netns

            netns.publish(ctx.paths, [c for c in ndb.port_claims(row.id)
                                      if c.network == stays[0]])
    except (netlink.NetlinkError, nft.NftError) as exc:
        raise StateError(f"cannot forward the published ports of {row.name} to "
                         f"{stays[0]}: {exc}") from exc


def _undo(ctx: Context, ndb: NetworkDB, row: ContainerRow, name: str) -> None:
    """One network's part of a running container: forwards, source element, veth, lease."""
    from supervisor.network import kernel, netlink, nft

    leases = [lease for lease in ndb.leases(row.id) if lease.network == name]
    bridge = ndb.get(name).network_interface
    claims = [c for c in ndb.port_claims(row.id) if c.network == name]
    plan = kernel.Plan(
        "", (), tuple(netlink.Attachment("", "", iface, "", (), ())
                      for iface in dict.fromkeys(lease.host_iface for lease in leases)),
        tuple(kernel.forwards_of(claims, leases)),
        tuple(nft.Source(lease.address, bridge) for lease in leases))
    from supervisor.network.resource import in_host, user_netns

    host = user_netns(ctx, ndb, make=False, unpublish=claims)  # rootless (issue 17)
    if host != "":  # "": the user's namespace is gone, and all that was in it
        in_host(host or None, kernel.teardown,
                plan._replace(forwards=_user_forwards(plan.forwards)), ctx.paths.locks)
    ndb.release_network(row.id, name)


def _user_forwards(fwds: tuple[nft.Forward, ...]) -> tuple[nft.Forward, ...]:
    from supervisor.rootless import is_rootless, netns

    return netns.user_forwards(fwds) if is_rootless() else fwds


def _rewrite_etc(ctx: Context, ndb: NetworkDB, row: ContainerRow) -> None:
    from supervisor.network import etc
    from supervisor.network.resource import dns_servers, hosts_conf, user_netns

    by_net: dict[str, list[str]] = {}
    for lease in ndb.leases(row.id):
        by_net.setdefault(lease.network, []).append(lease.address)
    names = [a.network for a in row.config.net.networks]
    addresses = [addr for n in names for addr in by_net.get(n, [])]
    gateway = ""
    if names and names[0] in by_net:
        first = ndb.get(names[0])
        gateway = "" if first.internal else str(first.subnets[0].gateway)
    host = user_netns(ctx, ndb, make=False)  # rootless: a DNS responder binds its gateway
    etc.write_for_run(ctx.paths.container_dir(row.id), row, addresses, gateway,
                      dns_servers(ctx, row, host or None), *hosts_conf())
