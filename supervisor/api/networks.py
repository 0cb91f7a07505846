"""Networks: options in, reports out (`network create/ls/inspect/rm/prune/exists/reload`).

Definitions, leases and port claims live in the store (`supervisor.network.db`); a network
makes nothing in the kernel until a container joins it (Podman's behaviour too), and `rm`
removes what its containers left made (bridge, chains).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.api import InspectReport, Report, session
from supervisor.errors import NotFoundError, ScopeboxError, StateError, UsageError, mapped
from supervisor.settings import Settings
from supervisor.timefmt import created_before

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.network.db import NetworkDB
    from supervisor.network.definition import Network

FILTER_KEYS = ("name", "id", "driver", "label", "label!", "dangling", "until")


@dataclass(frozen=True)
class CreateOptions:
    """Podman's `network create` flags (repeatable ones as lists, in order)."""

    name: str = ""
    driver: str = "bridge"
    subnets: list[str] = field(default_factory=list)
    gateways: list[str] = field(default_factory=list)
    ip_ranges: list[str] = field(default_factory=list)
    internal: bool = False
    disable_dns: bool = False
    ipv6: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    ignore: bool = False  # quadlet (issue 13): an existing network of that name is no error


def _db(eng: Engine) -> NetworkDB:
    from supervisor.network.db import NetworkDB

    return NetworkDB(eng.store)


def create(settings: Settings, opts: CreateOptions) -> dict[str, Any]:
    """The new network (Podman's JSON); nothing is made in the kernel yet."""
    from supervisor.network import ipam
    from supervisor.network.db import CreateSpec

    spec = CreateSpec(
        name=opts.name, subnets=list(opts.subnets), gateways=list(opts.gateways),
        ip_ranges=list(opts.ip_ranges), internal=opts.internal, dns=not opts.disable_dns,
        ipv6=opts.ipv6, labels=dict(opts.labels), options=dict(opts.options),
        driver=opts.driver, ignore=opts.ignore,
    )
    with session(settings) as eng:
        db = _db(eng)
        # Our own bridges' routes are not the host's: their overlap is checked in the store.
        ours = {n.network_interface for n in db.all()}
        routes = ipam.host_routes(ignore_devices=ours)
        taken = set(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else set()
        return db.create(spec, routes, taken_bridges=taken - ours).to_json()


def list_networks(settings: Settings, filters: dict[str, list[str]] | None = None,
                  ) -> list[dict[str, Any]]:
    """Podman's JSON objects, by name; `filters` as `ls --filter` (AND across keys, OR within)."""
    with session(settings) as eng:
        db = _db(eng)
        nets = db.all()
        used = {lease.network for lease in db.leases()}
    return [n.to_json() for n in nets if _matches(n, filters or {}, n.name in used)]


def _matches(n: Network, filters: dict[str, list[str]], in_use: bool) -> bool:
    checks: dict[str, Callable[[str], bool]] = {
        "name": lambda v: re.search(v, n.name) is not None,
        "id": lambda v: n.id.startswith(v),
        "driver": lambda v: n.driver == v,
        "label": lambda v: _label(n.labels, v),
        "label!": lambda v: not _label(n.labels, v),
        "dangling": lambda v: (v in ("true", "1")) != in_use,
        "until": lambda v: created_before(n.created, v),
    }
    for key, values in filters.items():
        if key not in checks:
            raise UsageError(f"invalid filter {key!r} (one of {', '.join(FILTER_KEYS)})")
        if not any(checks[key](v) for v in values):
            return False
    return True


def _label(labels: dict[str, str], want: str) -> bool:
    key, eq, value = want.partition("=")
    return key in labels and (not eq or labels[key] == value)




def inspect(settings: Settings, refs: list[str]) -> list[InspectReport]:
    out = []
    with session(settings) as eng:
        db = _db(eng)
        for ref in refs:
            try:
                with mapped():
                    out.append(InspectReport(ref, db.get(ref).to_json()))
            except NotFoundError:  # Podman's words for inspect's miss
                out.append(InspectReport(ref, err=NotFoundError("network object", ref)))
            except ScopeboxError as exc:
                out.append(InspectReport(ref, err=exc))
    return out


def exists(settings: Settings, ref: str) -> bool:
    with session(settings) as eng:
        return _db(eng).exists(ref)


def remove(settings: Settings, refs: list[str], force: bool = False) -> list[Report]:
    """`network rm`: -f removes the containers using it first (Podman)."""
    reports = []
    with session(settings) as eng:
        db = _db(eng)
        for ref in refs:
            try:
                with mapped():
                    reports.append(Report(_remove_one(eng, db, ref, force), ref))
            except ScopeboxError as exc:
                reports.append(Report(ref, ref, exc))
    return reports


def _remove_one(eng: Engine, db: NetworkDB, ref: str, force: bool) -> str:
    from supervisor.network.definition import DEFAULT_NAME

    n = db.get(ref)
    if n.name == DEFAULT_NAME:
        raise StateError(f"default network {DEFAULT_NAME} cannot be removed")
    users = db.users(n.name)
    if users and not force:
        raise StateError(f"network {n.name} is being used by {len(users)} container(s):"
                         " remove them first, or use -f")
    for cid in users:
        eng.remove(cid, force=True)
    db.release_all(n.name)  # what a container removed without its teardown left
    db.remove(n.name)
    _unmake(eng, n)
    return n.name


def _unmake(eng: Engine, n: Network) -> None:
    """The network's chains and bridge, if a container made them: they are made together
    with the bridge, and a reboot takes both (nothing of the host's is touched otherwise)."""
    from supervisor.network import dns
    from supervisor.network.resource import in_host

    dns.release(eng.paths, n.name)  # network DNS: its responder or socket unit goes first
    host = _user_netns(eng)
    if host != "":
        in_host(host or None, _remove_bridge, n, eng.paths.locks)


def _remove_bridge(n: Network, locks: str) -> None:
    from supervisor.network import kernel, netlink

    if netlink.link_exists(n.network_interface):  # this netns's (not /sys's: unshare -n)
        kernel.remove_network(n, locks)


def _user_netns(eng: Engine) -> str | None:
    """Rootless (issue 17): a user's bridges are in the user's network namespace ("":
    there is none now, so nothing of a network is in the kernel); root: None, the host's."""
    from supervisor import rootless

    if not rootless.is_rootless():
        return None
    from supervisor.rootless import netns

    host = netns.current(eng.paths)
    return host or ""  # "": gone


def prune(settings: Settings, filters: dict[str, list[str]] | None = None) -> list[str]:
    """The names of the networks removed: every one no container uses (not the default)."""
    from supervisor.network.definition import DEFAULT_NAME

    out = []
    with session(settings) as eng:
        db = _db(eng)
        used = {lease.network for lease in db.leases()}
        for n in db.all():
            if n.name == DEFAULT_NAME or n.name in used or not _matches(n, filters or {}, False):
                continue
            try:
                db.remove(n.name)
            except ScopeboxError:
                continue  # a container joined meanwhile
            _unmake(eng, n)
            out.append(n.name)
    return out


def reload(settings: Settings, refs: list[str] | None = None) -> list[str]:
    """Rebuild bridges and the nftables table from the store (after `nft flush ruleset`, a
    firewall reload, a reboot). Returns the ids of the containers whose state was restored;
    `refs`: those containers' (each must exist and have its network set up). The whole state
    is rebuilt either way: it is one table, and restoring a container's part is idempotent."""
    from supervisor.network import kernel

    with session(settings) as eng:
        wanted = [eng.store.find_container(ref).id for ref in refs or ()]
        db = _db(eng)
        configured = {lease.container for lease in db.leases()}
        if any(cid not in configured for cid in wanted):
            raise StateError("cannot reload network unless container network has been "
                             "configured: container state improper")
        host = _user_netns(eng)
        if host is None:
            kernel.reload(db, eng.paths.locks)
        elif host:  # rootless: what the store says, applied in the user's namespace
            from supervisor.rootless import netns

            netns.run_in(host, kernel.apply_state, None, *kernel.state_of(db, any_address=True),
                         eng.paths.locks)
        return wanted if refs else sorted(configured)


def not_found_exit(err: ScopeboxError) -> int:
    """Podman's `network rm` exits 1 for a network that does not exist (`network inspect`
    125, the engine's code, as measured)."""
    return 1 if isinstance(err, NotFoundError) else err.exit_code


@dataclass(frozen=True)
class ConnectOptions:
    """`network connect`: --alias (repeatable), --ip, --mac-address."""

    aliases: list[str] = field(default_factory=list)
    ip: str = ""
    mac: str = ""
    ip6: str = ""  # net6


def connect(settings: Settings, network: str, container: str, opts: ConnectOptions) -> None:
    """A container (running or not) joins a network; a running one at once."""
    from supervisor.network.connect import connect as connect_
    from supervisor.network.request import NetFlags, build

    flags = NetFlags(ip=opts.ip, mac=opts.mac, aliases=tuple(opts.aliases), ip6=opts.ip6)
    if ":" in network or "," in network:
        raise UsageError(f"invalid network name {network!r}")
    (att,) = build(network, flags, "bridge").networks
    with session(settings) as eng, mapped():
        connect_(eng, container, att)
        _network_event(eng, "connect", container, network)  # events (issue 14)


def _network_event(eng: Any, status: str, ref: str, network: str) -> None:  # events (issue 14)
    """Podman 4.3's: type network, the container's id and name, the network's name."""
    from supervisor.events.write import other

    row = eng.find(ref)
    other(eng.settings, eng.paths, "network", status, id=row.id, name=row.name, network=network)


def disconnect(settings: Settings, network: str, container: str) -> None:
    from supervisor.network.connect import disconnect as disconnect_

    with session(settings) as eng, mapped():
        disconnect_(eng, container, network)
        _network_event(eng, "disconnect", container, network)  # events (issue 14)
