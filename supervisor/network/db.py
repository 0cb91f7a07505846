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
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

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
CREATE TABLE IF NOT EXISTS net_last_ip (
    network TEXT NOT NULL,
    subnet TEXT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (network, subnet)
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
    ignore: bool = False  # quadlet (issue 13): an existing network of that name is returned


class PortSpec(NamedTuple):
    container_port: int
    proto: str = "tcp"
    host_port: int = 0  # 0: a free one is chosen
    host_ip: str = ""


def now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class NetworkDB:
    _ready: ClassVar[set[str]] = set()  # databases this process made the tables in already

    def __init__(self, store: Store) -> None:
        self.store = store
        key = store.paths.db
        if key in NetworkDB._ready or self._made():
            NetworkDB._ready.add(key)
            return
        with store.transaction() as db:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
            if db.execute("SELECT 1 FROM networks WHERE name = ?", (DEFAULT_NAME,)).fetchone() \
                    is None:
                _insert(db, default_network(now(), _default_subnet()))
        NetworkDB._ready.add(key)

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
            name = spec.name or bridge.replace("scopebox", "podman", 1)  # Podman's podmanN
            # quadlet (issue 13): `--ignore` returns the existing network, made by nothing
            existing = [n for n in nets if n.name == name]
            if existing and spec.ignore:
                return existing[0]
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
            db.execute("DELETE FROM net_last_ip WHERE network = ?", (name,))

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
        """The container's address on the network's first subnet (see `leases_for`)."""
        return self.leases_for(network, container, host_iface, requested)[0]

    def leases_for(self, network: str, container: str, host_iface: str,
                   requested: str | None = None, requested6: str | None = None) -> list[Lease]:
        """One address of each of the network's subnets (in their order: IPv4 first as
        Podman makes them), idempotent. `requested`/`requested6`: --ip/--ip6 (ip=/ip6=)."""
        with self.store.transaction() as db:
            row = db.execute("SELECT data FROM networks WHERE name = ?", (network,)).fetchone()
            if row is None:
                raise NotFoundError("network", network)
            n = Network.from_json(json.loads(row[0]))
            old = [Lease(*r) for r in db.execute(
                "SELECT * FROM net_leases WHERE network = ? AND container = ?",
                (network, container))]
            taken = {ipaddress.ip_address(r[0]) for r in db.execute(
                "SELECT address FROM net_leases WHERE network = ?", (network,))}
            wanted = [ipam.parse_addr(w, flag) for w, flag in
                      ((requested, "--ip"), (requested6, "--ip6")) if w]
            for w in wanted:
                if not any(w in sub.net for sub in n.subnets):
                    raise UsageError(f"requested static ip {w} not in any subnet on network "
                                     f"{network}")
            out: list[Lease] = []
            for sub in n.subnets:
                mine = [lease for lease in old if ipaddress.ip_address(lease.address) in sub.net]
                if mine:
                    out.append(mine[0])
                    continue
                want = next((str(w) for w in wanted if w in sub.net), None)
                last = db.execute("SELECT address FROM net_last_ip WHERE network = ? AND "
                                  "subnet = ?", (network, str(sub.net))).fetchone()
                addr = ipam.allocate(sub, taken, want,
                                     ipaddress.ip_address(last[0]) if last else None)
                if want is None:  # as Podman's: only a chosen address moves the start
                    db.execute("INSERT OR REPLACE INTO net_last_ip VALUES (?, ?, ?)",
                               (network, str(sub.net), str(addr)))
                lease = Lease(network, str(addr), container, host_iface)
                wanted = [w for w in wanted if str(w) != want]
                taken.add(ipaddress.ip_address(lease.address))
                db.execute("INSERT INTO net_leases VALUES (?, ?, ?, ?)", lease)
                out.append(lease)
        return out

    def claim_ports(self, container: str, network: str, container_ip: str,
                    ports: Iterable[PortSpec], container_ip6: str = "") -> list[PortClaim]:
        """All or nothing: a taken port refuses the whole request. A port on an IPv6 host
        address (net6) goes to `container_ip6`, one on an IPv4 one to an IPv4 address."""
        out = []
        with self.store.transaction() as db:
            for p in ports:
                target = container_ip6 if ":" in p.host_ip else container_ip
                if p.host_ip and (not target or (":" in p.host_ip) != (":" in target)):
                    family = "IPv6" if ":" in p.host_ip else "IPv4"
                    raise UsageError(f"cannot publish on {family} host address {p.host_ip}: "
                                     f"network {network} gives the container no {family} "
                                     "address")
                port = p.host_port or _random_port(db, p.proto, p.host_ip)
                if _port_taken(db, p.proto, port, p.host_ip):
                    shown = f"{p.host_ip or '0.0.0.0'}:{port}/{p.proto}"
                    raise ConflictError(f"host port {shown} is already claimed by a container")
                claim = PortClaim(p.proto, port, p.host_ip, container, network, target,
                                  p.container_port)
                db.execute("INSERT INTO net_ports VALUES (?, ?, ?, ?, ?, ?, ?)", claim)
                out.append(claim)
        return out

    def release(self, container: str) -> None:
        """Every lease and port claim of the container (idempotent)."""
        with self.store.transaction(reserve=True) as db:
            db.execute("DELETE FROM net_ports WHERE container = ?", (container,))
            db.execute("DELETE FROM net_leases WHERE container = ?", (container,))

    def release_network(self, container: str, network: str) -> None:
        """The container's lease and port claims on one network (`network disconnect`)."""
        with self.store.transaction(reserve=True) as db:
            db.execute("DELETE FROM net_ports WHERE container = ? AND network = ?",
                       (container, network))
            db.execute("DELETE FROM net_leases WHERE container = ? AND network = ?",
                       (container, network))

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

    def _made(self) -> bool:
        """The tables and the default network exist: nothing to write (a read-only store on a
        full disk still answers `ps` and `inspect`)."""
        from supervisor.store import StoreError

        try:
            tables = {r[0] for r in self.store.query(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"networks", "net_leases", "net_ports", "net_last_ip"} <= tables:
                return False
            return bool(self.store.query("SELECT 1 FROM networks WHERE name = ?",
                                         (DEFAULT_NAME,)))
        except (sqlite3.Error, StoreError):
            return False

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        # One statement is one snapshot; no write lock (reads work on a full disk).
        return self.store.query(sql, params)


def _insert(db: sqlite3.Connection, n: Network) -> None:
    db.execute("INSERT INTO networks VALUES (?, ?, ?, ?, ?)",
               (n.name, n.id, n.network_interface, n.created, json.dumps(n.to_json())))


def _free_bridge(used: set[str]) -> str:
    """scopeboxN, not Podman's podmanN: a real Podman on this host makes those."""
    i = 1
    while f"scopebox{i}" in used:
        i += 1
    return f"scopebox{i}"


def _default_subnet() -> str:
    """Podman's 10.88.0.0/16, unless a device not ours routes into it (a real Podman's
    podman0 on this host): then the first free subnet of the pool, so both keep working."""
    from supervisor.network.definition import DEFAULT_BRIDGE, DEFAULT_SUBNET

    try:
        routes = ipam.host_routes(ignore_devices={DEFAULT_BRIDGE})
    except OSError:
        return DEFAULT_SUBNET
    if ipam.overlapping(ipam.parse_net(DEFAULT_SUBNET), routes) is None:
        return DEFAULT_SUBNET
    return str(ipam.free_subnet(routes))


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
    if (spec.ipv6 or any(":" in s for s in spec.subnets)) and not ipv6_available():
        raise UsageError("IPv6 is disabled in this kernel (ipv6.disable=1 or no IPv6 module): "
                         "cannot create an IPv6 network")


def ipv6_available() -> bool:
    """net6: the kernel has IPv6 (a network namespace gets it unless it is off at boot)."""
    import os

    return os.path.exists("/proc/net/if_inet6")


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
    import random  # performance: ~1 ms, for network create and -p without a host port only

    while True:
        prefix = random.getrandbits(56)  # fd + 40 bits of global id + 16 of subnet id
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
    import random

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
