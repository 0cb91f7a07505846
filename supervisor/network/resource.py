"""The per-container network resource (bridge mode): namespace, veths, leases, port forwards.

Setup records first (the resource's name in the row, then leases and port claims in the
store, `kernel.make_plan`), then makes (`kernel.setup`), then writes the container's
/etc/hosts and resolv.conf for its addresses. Teardown needs only the store and the
container's id: the namespace file's path is fixed ($RUNROOT/netns/<id>), the veths' host
ends are in the leases, the forwards in the port claims. Standard library only (the
monitor's exit command runs it under `python3 -I -S`).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from supervisor.errors import ConflictError, ScopeboxError, SystemError_

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.network.db import NetworkDB, PortClaim, PortSpec
    from supervisor.network.kernel import Plan
    from supervisor.network.request import NetConfig
    from supervisor.paths import Paths
    from supervisor.store import ContainerRow

T = TypeVar("T")


def netns_path(paths: Paths, cid: str) -> str:
    return os.path.join(paths.runroot, "netns", cid)


class NetworkResource:
    name: ClassVar[str] = "network"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        from supervisor.network import kernel, netlink, nft
        from supervisor.network.db import NetworkDB

        net = row.config.net
        ndb = NetworkDB(ctx.store)
        try:
            plan = kernel.make_plan(ndb, row.id, netns_path(ctx.paths, row.id),
                                    [a.network for a in net.networks], port_specs(net),
                                    [a.ip or None for a in net.networks],
                                    [a.mac for a in net.networks],
                                    [a.ip6 or None for a in net.networks])
            claims = ndb.port_claims(row.id)
            check_host_ports(claims)
            host = None
            if _rootless():  # issue 17: the user's namespace holds the bridges (leases first)
                from supervisor.rootless import netns

                host = netns.ensure(ctx.paths, ndb, publishing=row.id)
                plan = plan._replace(forwards=netns.user_forwards(plan.forwards))
            in_host(host, kernel.setup, plan, ctx.paths.locks)
            if host is not None:
                netns.publish(ctx.paths, claims)
        except ScopeboxError:
            raise
        except (netlink.NetlinkError, nft.NftError) as exc:
            raise SystemError_(f"network setup failed: {exc}") from exc
        write_etc(ctx, row, plan, host)

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        teardown_container(ctx, row.id)


def teardown_container(ctx: Context, cid: str) -> None:
    """Idempotent: what the store says this container has (or nothing) is removed."""
    from supervisor.network import kernel, netlink, nft
    from supervisor.network.db import NetworkDB
    from supervisor.store import StoreError

    ndb = NetworkDB(ctx.store)
    leases = ndb.leases(cid)
    atts = tuple(netlink.Attachment("", "", iface, "", (), ())  # one per network (net6)
                 for iface in dict.fromkeys(lease.host_iface for lease in leases))
    claims = ndb.port_claims(cid)
    fwds = tuple(kernel.forwards_of(claims, leases))
    nets = ndb.all()
    bridges = {n.name: n.network_interface for n in nets}
    srcs = tuple(nft.Source(lease.address, bridges[lease.network]) for lease in leases
                 if lease.network in bridges)
    plan = kernel.Plan(netns_path(ctx.paths, cid), (), atts, fwds, srcs)
    rootless = _rootless()
    if not rootless:
        kernel.teardown(plan, ctx.paths.locks)
    else:  # issue 17: in the user's namespace; when it is gone, so is all but the file
        from supervisor.rootless import netns

        netns.unpublish(ctx.paths, claims)
        host = netns.current(ctx.paths)
        if host is None:
            netlink.remove_netns(plan.netns)
        else:
            netns.run_in(host, kernel.teardown,
                         plan._replace(forwards=netns.user_forwards(fwds)), ctx.paths.locks)
    try:
        ndb.release(cid)
    except StoreError:
        if not ctx.store.disk_full():
            raise
        # A full disk: the kernel's part is gone; the leases and claims stay recorded with
        # the row's uncleaned record, and the next reader tears down (and releases) again.
        return
    # DNS (helper "netdns"): a network's responder may go with its last container; a network
    # without DNS (the default one) never had one
    with_dns = {n.name for n in nets if n.dns_enabled} & {lease.network for lease in leases}
    try:
        if not with_dns:
            return
        try:
            from supervisor.network import dns  # type: ignore[attr-defined,unused-ignore]
        except ImportError:
            return
        for name in sorted(with_dns):
            if not ndb.users(name):
                dns.release(ctx.paths, name)
    finally:
        if rootless:  # the user's last container on a bridge network takes it along
            from supervisor.rootless import netns

            netns.release(ctx.paths, ndb)


def _rootless() -> bool:
    from supervisor.rootless import is_rootless

    return is_rootless()


def user_netns(ctx: Context, ndb: NetworkDB, make: bool,
               unpublish: Sequence[PortClaim] = ()) -> str | None:
    """`network connect`/`disconnect` (rootless, issue 17): the user's network namespace
    (made if `make`; `unpublish`'s forwards gone first), or "" when it is gone (nothing
    of it to undo). As root: None, the host's."""
    if not _rootless():
        return None
    from supervisor.rootless import netns

    netns.unpublish(ctx.paths, unpublish)
    host = netns.ensure(ctx.paths, ndb) if make else netns.current(ctx.paths)
    return host or ""  # "": gone


def in_host(host: str | None, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the user's network namespace (rootless: a thread of its own, see
    `rootless.netns.run_in`), else here."""
    if host is None:
        return fn(*args)
    from supervisor.rootless import netns

    return netns.run_in(host, fn, *args)


def port_specs(net: NetConfig) -> list[PortSpec]:
    from supervisor.network.db import PortSpec
    from supervisor.network.request import exposed_ports

    ports = list(net.ports)
    if net.publish_all:
        ports += exposed_ports(net, None)
    return [PortSpec(p.container_port, p.proto, p.host_port, p.host_ip) for p in ports]


def check_host_ports(claims: list[PortClaim]) -> None:
    """A host port another program holds is one clear error before the container starts
    (the forward would silently steal or lose its traffic). Only tcp and udp can be probed."""
    import socket  # performance: not for every `ps` (netns_path lives here too)

    for c in claims:
        kind = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}.get(c.proto)
        if kind is None:
            continue
        family = socket.AF_INET6 if ":" in c.host_ip else socket.AF_INET  # net6
        with socket.socket(family, kind) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((c.host_ip or "0.0.0.0", c.host_port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    continue  # e.g. a host address not configured: nothing listens there
                where = f"{c.host_ip or '0.0.0.0'}:{c.host_port}/{c.proto}"
                raise ConflictError(f"cannot publish {where}: the host port is already in "
                                    "use by another program") from None


def write_etc(ctx: Context, row: ContainerRow, plan: Plan, host: str | None = None) -> None:
    """/etc/hosts with the container's addresses, its aliases and host.containers.internal;
    resolv.conf naming the networks' DNS responders (when helper module
    `supervisor.network.dns` exists), else the host's servers."""
    from supervisor.network import etc

    cdir = ctx.paths.container_dir(row.id)
    try:
        etc.write_for_run(cdir, row, *etc.addresses_of(plan), dns_servers(ctx, row, host),
                          *hosts_conf())
    except OSError as exc:
        raise SystemError_(f"cannot write the container's /etc files in {cdir!r}: "
                           f"{exc.strerror}") from exc


def hosts_conf() -> tuple[str, str]:
    """containers.conf's base_hosts_file and host_containers_internal_ip, as the process
    that starts the container reads them (Podman's)."""
    from supervisor.settings import conf_string

    return (conf_string(os.environ, "base_hosts_file"),
            conf_string(os.environ, "host_containers_internal_ip"))


def dns_servers(ctx: Context, row: ContainerRow, host: str | None = None) -> list[str]:
    """DNS (helper "netdns" owns `supervisor/network/dns/`): its responder is asked for on
    each DNS-enabled network joined; the one call site of its lifecycle besides `release`."""
    from supervisor.network.db import NetworkDB

    ndb = NetworkDB(ctx.store)
    joined = [(att, ndb.get(att.network)) for att in row.config.net.networks]
    if not any(n.dns_enabled for _, n in joined):
        return []  # performance: the default network has none (the import costs ~3 ms)
    try:
        from supervisor.network import dns  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return []
    from supervisor.network.dns import records

    out: list[str] = []
    for att, n in joined:
        if n.dns_enabled:
            # the lease is recorded (make_plan): its aliases go beside it, then the responder
            records.set_aliases(ctx.store, n.name, row.id, att.aliases)
            try:
                in_host(host, dns.ensure, ctx.paths, n.name)  # rootless: binds there
            except dns.DNSError as exc:  # one line for the user; launch tears down
                raise SystemError_(str(exc)) from exc
            gws = [str(s.gateway) for s in n.subnets]
            out += [g for g in gws if ":" not in g][:1] or gws[:1]  # (net6) IPv6-only too
    return out
