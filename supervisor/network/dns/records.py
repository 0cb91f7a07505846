"""The responder's view of the store: who is on the network, read fresh on every query.

A container resolves as long as it holds a lease on the network (`net_leases`, made by the
network resource before the container starts, removed by its teardown): by its name (the
store's `containers` table), its short id and its aliases on that network. Aliases live in a
table of their own, `net_dns_aliases(network, container, alias)`, written by the network
resource through `set_aliases` (stale rows are invisible: they only count joined with a lease,
and the next `set_aliases` sweeps them).

Each query is one SELECT on a read-only connection: with the store in WAL mode a reader sees
the last commit and never blocks a writer, so a container started after the responder
resolves at once, with no reload and no change stamp. stdlib only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from supervisor.network.dns.message import Records

if TYPE_CHECKING:
    from supervisor.store import Store

ALIASES_SCHEMA = """CREATE TABLE IF NOT EXISTS net_dns_aliases (
    network TEXT NOT NULL,
    container TEXT NOT NULL,
    alias TEXT NOT NULL,
    PRIMARY KEY (network, container, alias)
)"""

_LEASES = """SELECT l.address, l.container, c.name FROM net_leases l
LEFT JOIN containers c ON c.id = l.container WHERE l.network = ?"""
_ALIASES = "SELECT container, alias FROM net_dns_aliases WHERE network = ?"


def connect(db_path: str) -> sqlite3.Connection:
    """Read-only: the responder never writes the store (and cannot create it by mistake)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5,
                           isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


def read(conn: sqlite3.Connection, network: str, peer: str = "") -> Records:
    """The network's names; with `peer` (the querying address), also those of the other
    DNS-enabled networks the querying container is on, after this network's (as Podman's
    aardvark-dns answers: a container on two networks resolves its peers on both, whichever
    nameserver it asks)."""
    networks = [network]
    if peer:
        networks += [n for (n,) in conn.execute(_PEER_NETWORKS, (network, peer, network))
                     if (network_info(conn, n) or (False, False))[0]]  # fmt: skip
    return Records.build(entry for n in networks for entry in _entries(conn, n))


_PEER_NETWORKS = """SELECT DISTINCT network FROM net_leases WHERE container =
(SELECT container FROM net_leases WHERE network = ? AND address = ? LIMIT 1)
AND network != ? ORDER BY network"""


def _entries(conn: sqlite3.Connection, network: str) -> list[tuple[str, list[str]]]:
    leases = conn.execute(_LEASES, (network,)).fetchall()
    aliases: dict[str, list[str]] = {}
    try:
        for cid, alias in conn.execute(_ALIASES, (network,)):
            aliases.setdefault(cid, []).append(alias)
    except sqlite3.OperationalError:  # no alias was ever set: the table is not made yet
        pass
    return [(address, [name or "", cid[:12], *aliases.get(cid, ())])
            for address, cid, name in leases]


def network_info(conn: sqlite3.Connection, network: str) -> tuple[bool, bool] | None:
    """(dns_enabled, internal) of the network; None once it is removed."""
    row = conn.execute("SELECT data FROM networks WHERE name = ?", (network,)).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    return bool(data.get("dns_enabled")), bool(data.get("internal"))


def users(conn: sqlite3.Connection, network: str) -> int:
    row = conn.execute("SELECT COUNT(DISTINCT container) FROM net_leases WHERE network = ?",
                       (network,)).fetchone()
    return int(row[0])


def set_aliases(store: Store, network: str, container: str, aliases: Iterable[str]) -> None:
    """The container's aliases on the network (replacing earlier ones; idempotent). Call it
    after the lease is recorded: the same transaction sweeps aliases of unleased containers."""
    with store.transaction() as db:
        db.execute(ALIASES_SCHEMA)
        db.execute("DELETE FROM net_dns_aliases WHERE container NOT IN"
                   " (SELECT container FROM net_leases)")
        db.execute("DELETE FROM net_dns_aliases WHERE network = ? AND container = ?",
                   (network, container))
        db.executemany("INSERT OR IGNORE INTO net_dns_aliases VALUES (?, ?, ?)",
                       [(network, container, a) for a in aliases])
