"""Pods and their members in the store's SQLite database: tables of their own, made on first
use (the store's schema is untouched; an old store opens and gains them). A pod is recorded
before its infra container is made, a member after it is created: a crash leaves a pod row a
`pod rm` can find, never a container that names a pod that does not exist."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.errors import ConflictError, NotFoundError, ScopeboxError

if TYPE_CHECKING:
    from supervisor.store import Store

class PodNotFound(NotFoundError):
    """Podman's wording (scripts match on it)."""

    def __init__(self, ref: str) -> None:
        self.kind = "pod"
        self.ref = ref
        ScopeboxError.__init__(self, f"no pod with name or ID {ref} found: no such pod")


SCHEMA = """
CREATE TABLE IF NOT EXISTS pods (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    infra_id TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS pod_members (
    container TEXT PRIMARY KEY,
    pod TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class PodConfig:
    """What `pod create` asked for (stored as JSON; new fields get defaults)."""

    share: tuple[str, ...] = ("uts", "ipc", "net")
    infra: bool = True
    infra_image: str = ""
    infra_command: tuple[str, ...] = ()
    infra_name: str = ""
    hostname: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    network: str = ""
    ports: tuple[str, ...] = ()
    add_hosts: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    exit_policy: str = "continue"
    create_command: tuple[str, ...] = ()
    # the pod's cgroup (helper podsx, pods/cgroup.py): limits, the user's parent, and the
    # slice or path its containers go under ("" for pods made before pods had one)
    cpus: float = 0.0
    memory: int = 0
    cgroup_parent: str = ""
    cgroup: str = ""
    infra_conmon_pidfile: str = ""  # helper podsx: the infra's monitor pid, for units
    share_parent: bool = True  # helper podsx: members go under the pod's cgroup
    # issue 19 (helper "flags"): the infra's network flags and namespace settings
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    no_hosts: bool = False
    aliases: tuple[str, ...] = ()
    ip: str = ""
    ip6: str = ""
    mac: str = ""
    sysctls: tuple[str, ...] = ()
    shm_size: str = ""
    userns: str = ""  # issues 17/19: pod create --userns (the infra's; members join it)
    # issue 19: the other limits of Podman 4.3's pod create, on the pod's cgroup
    cpu_shares: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    memory_swap: int = 0  # memory plus swap; -1 unlimited; 0: not set
    # helper pods: Podman 4.3's other pod create flags: the infra's, some inherited
    pid: str = ""  # --pid: the infra's PID namespace (members join it with --share pid)
    uts: str = ""  # --uts: the infra's UTS namespace (members join it with --share uts)
    devices: tuple[str, ...] = ()  # --device: the infra's and every member's
    volumes: tuple[str, ...] = ()  # -v: the infra's and every member's
    volumes_from: tuple[str, ...] = ()  # --volumes-from: the infra's only (as Podman 4.3)
    security_opt: tuple[str, ...] = ()  # --security-opt: the infra's only (as Podman 4.3)
    uidmap: tuple[str, ...] = ()  # --uidmap/--gidmap/--sub*name: the infra's user
    gidmap: tuple[str, ...] = ()  # namespace, joined by the members
    subuidname: str = ""
    subgidname: str = ""
    service_container: str = ""  # kube play --service-container: its id (pods/service.py)


@dataclass(frozen=True)
class PodRow:
    """A pod's stored row."""

    id: str
    name: str
    created: str
    infra_id: str
    config: PodConfig

    @property
    def short_id(self) -> str:
        return self.id[:12]


def _load(data: str) -> PodConfig:
    raw: dict[str, Any] = json.loads(data or "{}")
    known = PodConfig.__dataclass_fields__
    kept: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                            for k, v in raw.items() if k in known}
    return PodConfig(**kept)


def _row(r: sqlite3.Row) -> PodRow:
    return PodRow(r["id"], r["name"], r["created"], r["infra_id"], _load(r["data"]))


class PodDB:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._made = False

    def _ensure(self) -> None:
        """The tables, on the first write (reads of a store without them find nothing)."""
        if self._made:
            return
        with self.store.transaction() as db:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
        self._made = True

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self.store.query(sql, params)
        except Exception as exc:  # a read-only store made before pods existed
            if "no such table" in str(exc):
                return []
            raise

    def add(self, name: str, created: str, config: PodConfig, pod_id: str = "") -> PodRow:
        import os  # performance: not `secrets` (hmac, OpenSSL) for 32 random bytes

        pid = pod_id or os.urandom(32).hex()  # helper podsx: an id chosen beforehand
        self._ensure()
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM pods WHERE name = ?", (name,)).fetchone():
                raise ConflictError(f"{name}: the pod name {name!r} is already in use: "
                                    "remove that pod first or use --replace")
            db.execute("INSERT INTO pods (id, name, created, data) VALUES (?, ?, ?, ?)",
                       (pid, name, created, json.dumps(asdict(config))))
        return PodRow(pid, name, created, "", config)

    def set_infra(self, pod_id: str, infra_id: str) -> None:
        self._ensure()
        with self.store.transaction() as db:
            db.execute("UPDATE pods SET infra_id = ? WHERE id = ?", (infra_id, pod_id))

    def delete(self, pod_id: str) -> None:
        self._ensure()
        with self.store.transaction() as db:
            db.execute("DELETE FROM pod_members WHERE pod = ?", (pod_id,))
            db.execute("DELETE FROM pods WHERE id = ?", (pod_id,))

    def add_member(self, pod_id: str, container: str) -> None:
        self._ensure()
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO pod_members (container, pod) VALUES (?, ?)",
                       (container, pod_id))

    def drop_member(self, container: str) -> None:
        self._ensure()
        with self.store.transaction() as db:
            db.execute("DELETE FROM pod_members WHERE container = ?", (container,))

    def members(self, pod_id: str) -> list[str]:
        rows = self._query("SELECT container FROM pod_members WHERE pod = ?", (pod_id,))
        return [r[0] for r in rows]

    def pod_of(self, container: str) -> str:
        rows = self._query("SELECT pod FROM pod_members WHERE container = ?", (container,))
        return str(rows[0][0]) if rows else ""

    def pod_row_of(self, container: str) -> PodRow | None:
        """The pod `container` is a member of (its infra included), or None."""
        pod_id = self.pod_of(container)
        return self.get(pod_id) if pod_id else None

    def all_members(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._query("SELECT container, pod FROM pod_members")}

    def list(self) -> list[PodRow]:
        return [_row(r) for r in self._query("SELECT * FROM pods ORDER BY created")]

    def get(self, pod_id: str) -> PodRow | None:
        rows = self._query("SELECT * FROM pods WHERE id = ?", (pod_id,))
        return _row(rows[0]) if rows else None

    def find(self, ref: str) -> PodRow:
        """By full name, full id or a unique id prefix (Podman's lookup)."""
        rows = self._query("SELECT * FROM pods WHERE name = ? OR id = ?", (ref, ref))
        if not rows and ref and all(c in "0123456789abcdef" for c in ref):
            rows = self._query("SELECT * FROM pods WHERE id LIKE ?", (ref + "%",))
            if len(rows) > 1:
                raise ConflictError(f"more than one result for pod ID {ref}")
        if not rows:
            raise PodNotFound(ref)
        return _row(rows[0])
