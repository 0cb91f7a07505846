"""The `secrets` table, beside the store's own (made on first use; the store's schema is not
touched): what `secret inspect` shows, never the data (`data.py`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.errors import ConflictError, NotFoundError, UsageError

if TYPE_CHECKING:
    from supervisor.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    labels TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
)
"""
_COLS = "id, name, driver, options, labels, created, updated"


class NoSuchSecret(NotFoundError):
    def __init__(self, ref: str, prefix: str = "") -> None:
        super().__init__("secret", ref)
        self.args = (f'{prefix}no secret with name or id "{ref}": no such secret',)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Secret:
    """A secret's stored row (its value is kept apart)."""

    id: str
    name: str
    driver: str
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    created: str = ""
    updated: str = ""

    def to_json(self) -> dict[str, Any]:
        """Podman 4.3's `secret inspect` object."""
        return {
            "ID": self.id,
            "CreatedAt": self.created,
            "UpdatedAt": self.updated,
            "Spec": {
                "Name": self.name,
                "Driver": {"Name": self.driver, "Options": dict(self.options)},
                "Labels": dict(self.labels),
            },
        }


def _row(r: tuple[Any, ...]) -> Secret:
    return Secret(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5], r[6])


class SecretDB:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_table("secrets", SCHEMA)

    def all(self) -> list[Secret]:
        rows = self.store._db.execute(f"SELECT {_COLS} FROM secrets ORDER BY created, id")
        return [_row(r) for r in rows.fetchall()]

    def find(self, ref: str) -> Secret | None:
        """By name, else by id, else by a unique prefix of an id (Podman's lookup)."""
        db = self.store._db
        for sql, arg in ((f"SELECT {_COLS} FROM secrets WHERE name = ?", ref),
                         (f"SELECT {_COLS} FROM secrets WHERE id = ?", ref)):
            row = db.execute(sql, (arg,)).fetchone()
            if row is not None:
                return _row(row)
        rows = [r for r in db.execute(f"SELECT {_COLS} FROM secrets").fetchall()
                if r[0].startswith(ref)]
        if len(rows) > 1:
            raise UsageError(f"more than one result secret with prefix {ref}: secret is"
                             " ambiguous")
        return _row(rows[0]) if rows else None

    def get(self, ref: str) -> Secret:
        found = self.find(ref)
        if found is None:
            raise NoSuchSecret(ref)
        return found

    def add(self, secret: Secret) -> None:
        """A name may not be another secret's name or id (Podman's rule)."""
        with self.store.transaction() as db:
            taken = db.execute("SELECT 1 FROM secrets WHERE name = ? OR id = ?",
                               (secret.name, secret.name)).fetchone()
            if taken is not None:
                raise ConflictError(f"{secret.name}: secret name in use")
            db.execute(f"INSERT INTO secrets ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (secret.id, secret.name, secret.driver, json.dumps(secret.options),
                        json.dumps(secret.labels), secret.created, secret.updated))

    def delete(self, sid: str) -> bool:
        with self.store.transaction() as db:
            return db.execute("DELETE FROM secrets WHERE id = ?", (sid,)).rowcount > 0
