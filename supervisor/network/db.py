"""Networks, address leases and host-port claims in the store's SQLite database.

Tables of their own beside the store's (made on first use by `NetworkDB`, the store's schema is
not touched). Every claim runs in one `BEGIN IMMEDIATE` transaction (`Store.transaction`): the
check and the insert cannot interleave with another process', so two containers never get one
address or one host port. Rows are recorded before the kernel state is made, so a crash leaves
something `reload` and teardown can find.
"""

from __future__ import annotations

import ipaddress
import json
import random
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from supervisor.errors import ConflictError, NotFoundError, UsageError
from supervisor.network import ipam
from supervisor.network.definition import (
    DEFAULT_NAME,
    DOCKER_ALIAS,
    Network,
    default_network,
    new_id,
)

if TYPE_CHECKING:
    from supervisor.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS networks (
    name TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    bridge TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS net_leases (
    network TEXT NOT NULL,
    address TEXT NOT NULL,
    container TEXT NOT NULL,
    host_iface TEXT NOT NULL,
    PRIMARY KEY (network, address)
);
CREATE TABLE IF NOT EXISTS net_ports (
    proto TEXT NOT NULL,
    host_port INTEGER NOT NULL,
    host_ip TEXT NOT NULL,
    container TEXT NOT NULL,
    network TEXT NOT NULL,
    container_ip TEXT NOT NULL,
    container_port INTEGER NOT NULL,
    PRIMARY KEY (proto, host_port, host_ip)
);
"""
PROTOCOLS = ("tcp", "udp", "sctp")


class Lease(NamedTuple):
    network: str
    address: str
    container: str
    host_iface: str  # the veth's host end, recorded before it is made


class PortClaim(NamedTuple):
    proto: str
    host_port: int
    host_ip: str  # "" = every address of the host
    container: str
    network: str
    container_ip: str
    container_port: int


@dataclass(frozen=True)
class CreateSpec:
    """`network create`'s options, checked by `NetworkDB.create`."""

    name: str = ""
    subnets: list[str] = field(default_factory=list)
    gateways: list[str] = field(default_factory=list)
    ip_ranges: list[str] = field(default_factory=list)
    internal: bool = False
    dns: bool = True
    ipv6: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    driver: str = "bridge"


class PortSpec(NamedTuple):
    container_port: int
    proto: str = "tcp"
    host_port: int = 0  # 0: a free one is chosen
    host_ip: str = ""


def now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class NetworkDB:
    def __init__(self, store: Store) -> None:
        self.store = store
        with store.transaction() as db:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
            if db.execute("SELECT 1 FROM networks WHERE name = ?", (DEFAULT_NAME,)).fetchone() \
                    is None:
                _insert(db, default_network(now()))

    # definitions -------------------------------------------------------------------------

    def all(self) -> list[Network]:
        cur = self._read("SELECT data FROM networks ORDER BY name")
        return [Network.from_json(json.loads(r[0])) for r in cur]

    def get(self, ref: str) -> Network:
        """By name (`bridge` is the default network, as Docker calls it), id or id prefix."""
        name = DEFAULT_NAME if ref == DOCKER_ALIAS else ref
        rows = self._read("SELECT data FROM networks WHERE name = ? OR id = ?", (name, name))
        if not rows and ref and all(c in "0123456789abcdef" for c in ref):
            rows = self._read("SELECT data FROM networks WHERE id LIKE ? || '%'", (ref,))
            if len(rows) > 1:
                raise UsageError(f"network id prefix {ref!r} is ambiguous")
        if not rows:
            raise NotFoundError("network", ref)
        return Network.from_json(json.loads(rows[0][0]))

    def exists(self, ref: str) -> bool:
        try:
            self.get(ref)
        except NotFoundError:
            return False
        return True

    def create(self, spec: CreateSpec, host_routes: list[ipam.Net],
               taken_bridges: Iterable[str] = ()) -> Network:
        """`taken_bridges`: the host's interface names (Podman's own podmanN among them)."""
        _check_spec(spec)
        with self.store.transaction() as db:
            nets = [Network.from_json(json.loads(r[0]))
                    for r in db.execute("SELECT data FROM networks")]
            bridge = _free_bridge({n.network_interface for n in nets} | set(taken_bridges))
            name = spec.name or bridge
            if any(n.name == name for n in nets) or name == DOCKER_ALIAS:
                raise ConflictError(f"network name {name} already used: network already exists")
            used = [s.net for n in nets for s in n.subnets] + list(host_routes)
            network = Network(
                name=name, id=new_id(), network_interface=bridge, created=now(),
                subnets=_subnets(spec, used), internal=spec.internal, dns_enabled=spec.dns,
                labels=dict(spec.labels), options=dict(spec.options), driver=spec.driver,
            )
            _insert(db, network)
        return network

    def remove(self, name: str) -> None:
        with self.store.transaction(reserve=True) as db:
            users = db.execute("SELECT 1 FROM net_leases WHERE network = ?", (name,)).fetchone()
            if users:
                raise ConflictError(f"network {name} is being used by containers")
            db.execute("DELETE FROM networks WHERE name = ?", (name,))

    def release_all(self, network: str) -> None:
        with self.store.transaction(reserve=True) as db:
            db.execute("DELETE FROM net_ports WHERE network = ?", (network,))
            db.execute("DELETE FROM net_leases WHERE network = ?", (network,))

    def users(self, name: str) -> list[str]:
        rows = self._read("SELECT DISTINCT container FROM net_leases WHERE network = ?", (name,))
        return [r[0] for r in rows]

    # leases and port claims ----------------------------------------------------------------

    def lease(self, network: str, container: str, host_iface: str,
              requested: str | None = None) -> Lease:
        """One address of the network's first subnet for the container (idempotent)."""
        with self.store.transaction() as db:
            old = db.execute("SELECT * FROM net_leases WHERE network = ? AND container = ?",
                             (network, container)).fetchone()
            if old is not None:
                return Lease(*old)
            row = db.execute("SELECT data FROM networks WHERE name = ?", (network,)).fetchone()
            if row is None:
                raise NotFoundError("network", network)
            sub = Network.from_json(json.loads(row[0])).subnets[0]
            taken = {ipaddress.ip_address(r[0]) for r in db.execute(
                "SELECT address FROM net_leases WHERE network = ?", (network,))}
            lease = Lease(network, str(ipam.allocate(sub, taken, requested)), container,
                          host_iface)
            db.execute("INSERT INTO net_leases VALUES (?, ?, ?, ?)", lease)
        return lease

    def claim_ports(self, container: str, network: str, container_ip: str,
                    ports: Iterable[PortSpec]) -> list[PortClaim]:
        """All or nothing: a taken port refuses the whole request."""
        out = []
        with self.store.transaction() as db:
            for p in ports:
                port = p.host_port or _random_port(db, p.proto, p.host_ip)
                if _port_taken(db, p.proto, port, p.host_ip):
                    shown = f"{p.host_ip or '0.0.0.0'}:{port}/{p.proto}"
                    raise ConflictError(f"host port {shown} is already claimed by a container")
                claim = PortClaim(p.proto, port, p.host_ip, container, network, container_ip,
                                  p.container_port)
                db.execute("INSERT INTO net_ports VALUES (?, ?, ?, ?, ?, ?, ?)", claim)
                out.append(claim)
        return out

    def release(self, container: str) -> None:
        """Every lease and port claim of the container (idempotent)."""
        with self.store.transaction(reserve=True) as db:
            db.execute("DELETE FROM net_ports WHERE container = ?", (container,))
            db.execute("DELETE FROM net_leases WHERE container = ?", (container,))

    def leases(self, container: str | None = None) -> list[Lease]:
        if container is None:
            return [Lease(*r) for r in self._read("SELECT * FROM net_leases")]
        rows = self._read("SELECT * FROM net_leases WHERE container = ?", (container,))
        return [Lease(*r) for r in rows]

    def port_claims(self, container: str | None = None) -> list[PortClaim]:
        if container is None:
            return [PortClaim(*r) for r in self._read("SELECT * FROM net_ports")]
        rows = self._read("SELECT * FROM net_ports WHERE container = ?", (container,))
        return [PortClaim(*r) for r in rows]

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        # The store's connection is only reached through its transactions (one snapshot).
        with self.store.transaction() as db:
            return list(db.execute(sql, params).fetchall())


def _insert(db: sqlite3.Connection, n: Network) -> None:
    db.execute("INSERT INTO networks VALUES (?, ?, ?, ?, ?)",
               (n.name, n.id, n.network_interface, n.created, json.dumps(n.to_json())))


def _free_bridge(used: set[str]) -> str:
    i = 0
    while f"podman{i}" in used:
        i += 1
    return f"podman{i}"


def _check_spec(spec: CreateSpec) -> None:
    if spec.name:
        ipam.check_name(spec.name)
    if spec.driver != "bridge":
        raise UsageError(f"unsupported driver {spec.driver}: only bridge is supported")
    for key, value in spec.options.items():
        if key not in ("mtu", "isolate"):
            raise UsageError(f"unsupported bridge network option {key}")
        if key == "mtu" and not (value.isdigit() and 68 <= int(value) <= 65535):
            raise UsageError(f"mtu {value!r} is not a number between 68 and 65535")
    if len(spec.gateways) > len(spec.subnets) or len(spec.ip_ranges) > len(spec.subnets):
        raise UsageError("cannot set more gateways or ranges than subnets")


def _subnets(spec: CreateSpec, used: list[ipam.Net]) -> tuple[ipam.Subnet, ...]:
    out: list[ipam.Subnet] = []
    for i, text in enumerate(spec.subnets):
        net = ipam.parse_net(text)
        clash = ipam.overlapping(net, used + [s.net for s in out])
        if clash is not None:
            raise ConflictError(
                f"subnet {net} is already used on the host or by another config ({clash})")
        gw = spec.gateways[i] if i < len(spec.gateways) else None
        rng = spec.ip_ranges[i] if i < len(spec.ip_ranges) else None
        out.append(ipam.make_subnet(net, gw, rng))
    if not out:
        out.append(ipam.make_subnet(ipam.free_subnet(used)))
    if spec.ipv6 and all(s.version == 4 for s in out):
        out.append(ipam.make_subnet(_free_ula(used)))
    return tuple(out)


def _free_ula(used: list[ipam.Net]) -> ipam.Net:
    """Podman's pool for --ipv6 without an IPv6 --subnet: fd00::/8 as /64s, picked at random."""
    while True:
        prefix = random.getrandbits(56) << 8
        net = ipaddress.IPv6Network(((0xFD << 120) | (prefix << 64), 64))
        if ipam.overlapping(net, used) is None:
            return net


def _port_taken(db: sqlite3.Connection, proto: str, port: int, host_ip: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM net_ports WHERE proto = ? AND host_port = ?"
        " AND (host_ip = ? OR host_ip = '' OR ? = '')", (proto, port, host_ip, host_ip)
    ).fetchone()
    return row is not None


def _random_port(db: sqlite3.Connection, proto: str, host_ip: str) -> int:
    lo, hi = _ephemeral_range()
    start = random.randint(lo, hi)
    for i in range(hi - lo + 1):
        port = lo + (start - lo + i) % (hi - lo + 1)
        if not _port_taken(db, proto, port, host_ip):
            return port
    raise ConflictError(f"no free host port left for {proto}")


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999
