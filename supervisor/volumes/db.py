"""The `volumes` table, beside the store's own (made on first use; the store's schema is not
touched). A volume's row is written before its directory is made and removed after it is
gone, so a crash leaves at most a row whose directory the next use makes again.

Standard library only: the monitor's exit command (`run --rm`) removes anonymous volumes
under `python3 -I -S`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from supervisor.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS volumes (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    driver TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    options TEXT NOT NULL DEFAULT '{}',
    anonymous INTEGER NOT NULL DEFAULT 0,
    needs_copy_up INTEGER NOT NULL DEFAULT 1,
    needs_chown INTEGER NOT NULL DEFAULT 1
)
"""
_COLS = "name, created, driver, labels, options, anonymous, needs_copy_up, needs_chown"


class NoSuchVolume(NotFoundError):
    def __init__(self, name: str) -> None:
        super().__init__("volume", name)
        self.args = (f'no volume with name "{name}" found: no such volume',)

    def __str__(self) -> str:
        return str(self.args[0])


class VolumeInUse(ConflictError):
    """Podman's wording; `volume rm` exits 2 for it."""

    def __init__(self, name: str, users: list[str]) -> None:
        super().__init__(f"volume {name} is being used by the following container(s):"
                         f" {', '.join(users)}: volume is being used")
        self.users = users


@dataclass(frozen=True)
class Volume:
    """A named or anonymous volume's stored row."""

    name: str
    created: str
    driver: str = "local"
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False
    needs_copy_up: bool = True
    needs_chown: bool = True

    @property
    def needs_mount(self) -> bool:
        """`--opt type=/device=/o=`: mounted while a container uses it (Podman's local driver)."""
        return any(k in self.options for k in ("type", "device", "o"))

    def to_json(self, mountpoint: str, mount_count: int = 0) -> dict[str, Any]:
        """Podman 4.3's `volume inspect` object."""
        return {
            "Name": self.name,
            "Driver": self.driver,
            "Mountpoint": mountpoint,
            "CreatedAt": self.created,
            "Labels": dict(self.labels),
            "Scope": "local",
            "Options": dict(sorted(self.options.items())),
            "MountCount": mount_count,
            "NeedsCopyUp": self.needs_copy_up,
            "NeedsChown": self.needs_chown,
            **({"Anonymous": True} if self.anonymous else {}),
        }


def _row(r: tuple[Any, ...]) -> Volume:
    return Volume(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), bool(r[5]), bool(r[6]),
                  bool(r[7]))


def volume_users(db: sqlite3.Connection, name: str) -> list[str]:
    """Ids of the containers whose config names the volume (the raw stored JSON: no model)."""
    out = []
    for cid, config in db.execute("SELECT id, config FROM containers ORDER BY created"):
        try:
            vols = json.loads(config).get("volumes") or []
        except (ValueError, AttributeError):
            continue
        if any(isinstance(v, dict) and v.get("name") == name for v in vols):
            out.append(cid)
    return out


class VolumeDB:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_table("volumes", SCHEMA)

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.store._db.execute(sql, args).fetchall())

    def all(self) -> list[Volume]:
        return [_row(r) for r in self._read(f"SELECT {_COLS} FROM volumes ORDER BY name")]

    def find(self, name: str) -> Volume | None:
        rows = self._read(f"SELECT {_COLS} FROM volumes WHERE name = ?", (name,))
        return _row(rows[0]) if rows else None

    def get(self, name: str) -> Volume:
        vol = self.find(name)
        if vol is None:
            raise NoSuchVolume(name)
        return vol

    def add(self, vol: Volume, ignore: bool = False) -> Volume:
        """Record a new volume; `ignore`: an existing one of that name is returned instead."""
        with self.store.transaction() as db:
            old = db.execute(f"SELECT {_COLS} FROM volumes WHERE name = ?", (vol.name,)).fetchone()
            if old is not None:
                if ignore:
                    return _row(old)
                raise ConflictError(
                    f"volume with name {vol.name} already exists: volume already exists")
            db.execute(
                f"INSERT INTO volumes ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (vol.name, vol.created, vol.driver, json.dumps(vol.labels),
                 json.dumps(vol.options), int(vol.anonymous), int(vol.needs_copy_up),
                 int(vol.needs_chown)),
            )
        return vol

    def update(self, name: str, **flags: bool) -> None:
        cols = {"needs_copy_up", "needs_chown"}
        with self.store.transaction(reserve=True) as db:
            for key, value in flags.items():
                assert key in cols
                db.execute(f"UPDATE volumes SET {key} = ? WHERE name = ?", (int(value), name))

    def users(self, name: str) -> list[str]:
        return volume_users(self.store._db, name)

    def delete(self, name: str, exclude: frozenset[str] = frozenset()) -> None:
        """Forget a volume no container (other than `exclude`) names; checked in the same
        transaction as the delete, so a concurrent create either sees it or waits."""
        with self.store.transaction(reserve=True) as db:
            users = [u for u in volume_users(db, name) if u not in exclude]
            if users:
                raise VolumeInUse(name, users)
            db.execute("DELETE FROM volumes WHERE name = ?", (name,))

