"""The state store: SQLite in WAL mode, shared by every concurrent CLI process.

Every read-modify-write runs in `BEGIN IMMEDIATE` (a deferred transaction's read->write upgrade
fails with SQLITE_BUSY without waiting). Long lifecycle operations take a per-container flock
instead of holding a database transaction open.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from supervisor.errors import ConflictError, NotFoundError, UsageError
from supervisor.paths import Paths
from supervisor.state import Status

if TYPE_CHECKING:
    from supervisor.model import ContainerConfig

SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    image_id TEXT NOT NULL,
    image_name TEXT NOT NULL,
    created TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    pid INTEGER NOT NULL DEFAULT 0,
    pid_start TEXT NOT NULL DEFAULT '',
    monitor_pid INTEGER NOT NULL DEFAULT 0,
    monitor_start TEXT NOT NULL DEFAULT '',
    boot_id TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL DEFAULT '',
    finished_at TEXT NOT NULL DEFAULT '',
    exit_code INTEGER NOT NULL DEFAULT 0,
    oom_killed INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    cleaned INTEGER NOT NULL DEFAULT 1,
    restart_count INTEGER NOT NULL DEFAULT 0,
    resources TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    names TEXT NOT NULL,
    created TEXT NOT NULL,
    size INTEGER NOT NULL,
    layers TEXT NOT NULL,
    config TEXT NOT NULL,
    digest TEXT NOT NULL DEFAULT '',
    repo_digests TEXT NOT NULL DEFAULT '[]',
    blobs TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS layers (
    diff_id TEXT PRIMARY KEY,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS layer_blobs (
    digest TEXT PRIMARY KEY,
    diff_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL
);
"""
# Columns added after the first release: (table, column, declaration) for older databases.
MIGRATIONS = [
    ("images", "digest", "TEXT NOT NULL DEFAULT ''"),
    ("images", "repo_digests", "TEXT NOT NULL DEFAULT '[]'"),
    ("images", "blobs", "TEXT NOT NULL DEFAULT '[]'"),
    ("containers", "resources", "TEXT NOT NULL DEFAULT '[]'"),
]


@dataclass
class ContainerRow:
    id: str
    name: str
    image_id: str
    image_name: str
    created: str
    status: Status
    config: ContainerConfig
    pid: int = 0
    pid_start: str = ""
    monitor_pid: int = 0
    monitor_start: str = ""
    boot_id: str = ""
    started_at: str = ""
    finished_at: str = ""
    exit_code: int = 0
    oom_killed: bool = False
    error: str = ""
    cleaned: bool = True
    restart_count: int = 0
    # Names of the resources of the current run, recorded before they are made
    # (supervisor.container.resources): what a teardown must undo.
    resources: tuple[str, ...] = ()

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass
class ImageRow:
    """`layers`: diff id hexes, base first. `digest`: the manifest's digest ("" for an image
    stored before manifests were kept). `blobs`: every blob digest the image holds on to
    (manifest, config, compressed layers): they are freed with the last image using them."""

    id: str
    names: list[str]
    created: str
    size: int
    layers: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    repo_digests: list[str] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)

    @property
    def short_id(self) -> str:
        return self.id[:12]


_CONTAINER_COLS = [f.name for f in fields(ContainerRow)]


def _container_from_row(row: sqlite3.Row) -> ContainerRow:
    from supervisor.model import load_config  # not for a verb that reads no container

    d = dict(row)
    d["status"] = Status(d["status"])
    d["config"] = load_config(json.loads(d["config"]))
    d["oom_killed"] = bool(d["oom_killed"])
    d["cleaned"] = bool(d["cleaned"])
    d["resources"] = tuple(json.loads(d["resources"]))
    return ContainerRow(**d)


def _container_to_params(c: ContainerRow) -> dict[str, Any]:
    from supervisor.model import dump_config

    d = {name: getattr(c, name) for name in _CONTAINER_COLS}
    d["status"] = c.status.value
    d["config"] = json.dumps(dump_config(c.config), sort_keys=True)
    d["oom_killed"] = int(c.oom_killed)
    d["cleaned"] = int(c.cleaned)
    d["resources"] = json.dumps(list(c.resources))
    return d


def _image_from_row(row: sqlite3.Row) -> ImageRow:
    return ImageRow(
        id=row["id"],
        names=json.loads(row["names"]),
        created=row["created"],
        size=row["size"],
        layers=json.loads(row["layers"]),
        config=json.loads(row["config"]),
        digest=row["digest"],
        repo_digests=json.loads(row["repo_digests"]),
        blobs=json.loads(row["blobs"]),
    )


@dataclass(frozen=True)
class LayerBlob:
    """A compressed (or plain) archive in the blob store and the layer it unpacks to."""

    digest: str
    diff_id: str
    media_type: str
    size: int


class Store:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        os.makedirs(paths.root, mode=0o700, exist_ok=True)
        self._db = sqlite3.connect(paths.db, timeout=60.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 60000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        with self.transaction():
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    self._db.execute(stmt)
            for table, column, decl in MIGRATIONS:
                cols = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in cols:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # containers ---------------------------------------------------------------------------

    def add_container(self, c: ContainerRow) -> None:
        cols = ", ".join(_CONTAINER_COLS)
        marks = ", ".join(f":{n}" for n in _CONTAINER_COLS)
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM containers WHERE name = ?", (c.name,)).fetchone():
                raise name_conflict(c.name)
            db.execute(f"INSERT INTO containers ({cols}) VALUES ({marks})", _container_to_params(c))

    def update_container(self, cid: str, **changes: Any) -> ContainerRow:
        """Read-modify-write of some fields in one transaction; returns the new row."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM containers WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFoundError("container", cid)
            new = replace(_container_from_row(row), **changes)
            params = _container_to_params(new)
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            db.execute(f"UPDATE containers SET {sets} WHERE id = :id", params)
            return new

    def rename_container(self, cid: str, new_name: str) -> None:
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM containers WHERE name = ?", (new_name,)).fetchone():
                raise name_conflict(new_name)
            db.execute("UPDATE containers SET name = ? WHERE id = ?", (new_name, cid))

    def delete_container(self, cid: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM containers WHERE id = ?", (cid,))

    def get_container(self, cid: str) -> ContainerRow | None:
        row = self._db.execute("SELECT * FROM containers WHERE id = ?", (cid,)).fetchone()
        return None if row is None else _container_from_row(row)

    def list_containers(self) -> list[ContainerRow]:
        rows = self._db.execute("SELECT * FROM containers ORDER BY created DESC").fetchall()
        return [_container_from_row(r) for r in rows]

    def find_container(self, ref: str) -> ContainerRow:
        """By full id, unique id prefix, or name (Docker's lookup order)."""
        if not ref:
            raise UsageError("a container name or id is required")
        db = self._db
        row = db.execute("SELECT * FROM containers WHERE id = ?", (ref,)).fetchone()
        if row is None:
            row = db.execute("SELECT * FROM containers WHERE name = ?", (ref,)).fetchone()
        if row is None and all(ch in "0123456789abcdef" for ch in ref):
            rows = db.execute("SELECT * FROM containers WHERE id LIKE ? || '%'", (ref,)).fetchall()
            if len(rows) > 1:
                raise UsageError(f"container id prefix {ref!r} is ambiguous")
            row = rows[0] if rows else None
        if row is None:
            raise NotFoundError("container", ref)
        return _container_from_row(row)

    def container_names(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM containers")}

    # images -------------------------------------------------------------------------------

    def add_image(self, img: ImageRow) -> ImageRow:
        """Insert, or merge names, repo digests and blobs into an existing image with the same
        id (its manifest is adopted if it had none). Names move from other images."""
        with self.transaction() as db:
            self._untag(db, img.names, keep=img.id)
            row = db.execute("SELECT * FROM images WHERE id = ?", (img.id,)).fetchone()
            if row is not None:
                old = _image_from_row(row)
                new = replace(
                    old,
                    names=old.names + [n for n in img.names if n not in old.names],
                    repo_digests=old.repo_digests
                    + [d for d in img.repo_digests if d not in old.repo_digests],
                    blobs=old.blobs + [b for b in img.blobs if b not in old.blobs],
                    digest=old.digest or img.digest,
                )
                db.execute(
                    "UPDATE images SET names = ?, repo_digests = ?, blobs = ?, digest = ?"
                    " WHERE id = ?",
                    (
                        json.dumps(new.names),
                        json.dumps(new.repo_digests),
                        json.dumps(new.blobs),
                        new.digest,
                        img.id,
                    ),
                )
                return new
            db.execute(
                "INSERT INTO images (id, names, created, size, layers, config, digest,"
                " repo_digests, blobs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    img.id,
                    json.dumps(img.names),
                    img.created,
                    img.size,
                    json.dumps(img.layers),
                    json.dumps(img.config),
                    img.digest,
                    json.dumps(img.repo_digests),
                    json.dumps(img.blobs),
                ),
            )
            return img

    def set_image_manifest(self, image_id: str, digest: str, blobs: list[str]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE images SET digest = ?, blobs = ? WHERE id = ?",
                (digest, json.dumps(blobs), image_id),
            )

    # layers and their archives ------------------------------------------------------------

    def add_layer(self, diff_id: str, size: int, blob: LayerBlob | None) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO layers (diff_id, size) VALUES (?, ?)", (diff_id, size)
            )
            if blob is not None:
                db.execute(
                    "INSERT OR REPLACE INTO layer_blobs (digest, diff_id, media_type, size)"
                    " VALUES (?, ?, ?, ?)",
                    (blob.digest, blob.diff_id, blob.media_type, blob.size),
                )

    def add_layer_blob(self, blob: LayerBlob) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO layer_blobs (digest, diff_id, media_type, size)"
                " VALUES (?, ?, ?, ?)",
                (blob.digest, blob.diff_id, blob.media_type, blob.size),
            )

    def layer_size(self, diff_id: str) -> int | None:
        row = self._db.execute("SELECT size FROM layers WHERE diff_id = ?", (diff_id,)).fetchone()
        return None if row is None else int(row[0])

    def layer_blob(self, digest: str) -> LayerBlob | None:
        row = self._db.execute("SELECT * FROM layer_blobs WHERE digest = ?", (digest,)).fetchone()
        return None if row is None else LayerBlob(**dict(row))

    def blobs_of_layer(self, diff_id: str) -> list[LayerBlob]:
        rows = self._db.execute("SELECT * FROM layer_blobs WHERE diff_id = ?", (diff_id,))
        return [LayerBlob(**dict(r)) for r in rows]

    def delete_layer(self, diff_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM layers WHERE diff_id = ?", (diff_id,))

    def delete_layer_blob(self, digest: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM layer_blobs WHERE digest = ?", (digest,))

    def blob_in_use(self, digest: str) -> bool:
        return any(digest in img.blobs for img in self.list_images())

    def _untag(self, db: sqlite3.Connection, names: list[str], keep: str) -> None:
        for row in db.execute("SELECT * FROM images WHERE id != ?", (keep,)).fetchall():
            old = _image_from_row(row)
            left = [n for n in old.names if n not in names]
            if left != old.names:
                db.execute("UPDATE images SET names = ? WHERE id = ?", (json.dumps(left), old.id))

    def list_images(self) -> list[ImageRow]:
        rows = self._db.execute("SELECT * FROM images ORDER BY created DESC").fetchall()
        return [_image_from_row(r) for r in rows]

    def get_image(self, image_id: str) -> ImageRow | None:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        return None if row is None else _image_from_row(row)

    def delete_image(self, image_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def set_image_names(self, image_id: str, names: list[str]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE images SET names = ? WHERE id = ?", (json.dumps(names), image_id))

    def containers_using_image(self, image_id: str) -> list[str]:
        rows = self._db.execute("SELECT name FROM containers WHERE image_id = ?", (image_id,))
        return [r[0] for r in rows]

    def containers_using_image_ids(self, image_id: str) -> list[str]:
        rows = self._db.execute("SELECT id FROM containers WHERE image_id = ?", (image_id,))
        return [r[0] for r in rows]


def name_conflict(name: str) -> ConflictError:
    return ConflictError(
        f"the container name {name!r} is already in use; remove that container or choose"
        " another name"
    )


class FileLock:
    """An exclusive flock on a file; the kernel releases it if the holder dies."""

    def __init__(self, paths: Paths, name: str) -> None:
        os.makedirs(paths.locks, mode=0o700, exist_ok=True)
        self._path = os.path.join(paths.locks, name)
        self._fd = -1

    def __enter__(self) -> FileLock:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def try_acquire(self) -> bool:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def discard(self) -> None:
        """Remove the lock file while holding it (what it guarded is gone)."""
        with suppress(FileNotFoundError):
            os.unlink(self._path)


class ImagesLock(FileLock):
    """Changes to images and layers (import, rmi, create's lookup): a layer being reused is
    never deleted under it."""

    def __init__(self, paths: Paths) -> None:
        super().__init__(paths, "images.lock")


class ContainerLock(FileLock):
    """One container's lifecycle operations."""

    def __init__(self, paths: Paths, cid: str) -> None:
        super().__init__(paths, f"{cid}.lock")
