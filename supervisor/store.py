"""The state store: SQLite in WAL mode, shared by every concurrent CLI process.

Every read-modify-write runs in `BEGIN IMMEDIATE` (a deferred transaction's read->write upgrade
fails with SQLITE_BUSY without waiting). Long lifecycle operations take a per-container flock
instead of holding a database transaction open.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from contextlib import contextmanager, suppress

from supervisor.errors import ConflictError, NotFoundError, SystemError_, UsageError
from supervisor.paths import Paths
from supervisor.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator
    from typing import Any

    from supervisor.model import ContainerConfig
    from supervisor.state import Status
else:
    # performance (issue 14): the C module `sqlite3` re-exports, without sqlite3.dbapi2's
    # `datetime` (milliseconds of every verb's start, for the date adapters the store never
    # needs: it binds and reads text and numbers only). Everything used here is the same.
    try:
        import _sqlite3 as sqlite3
    except ImportError:
        import sqlite3

# A container row's columns after its name; `removals` holds rows of the same shape (a
# `run --rm` whose teardown its monitor finishes, issue 16), without the unique name.
_ROW_COLUMNS = """\
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
"""
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
{_ROW_COLUMNS});
CREATE TABLE IF NOT EXISTS removals (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
{_ROW_COLUMNS});
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
    ("images", "names_history", "TEXT NOT NULL DEFAULT '[]'"),  # issue 19: images --history
]
# What a database that has SCHEMA and MIGRATIONS records as its user_version (a positive
# 31-bit checksum of both, so a change to either is seen without anyone bumping a number).
SCHEMA_SUM = zlib.crc32(repr((SCHEMA, MIGRATIONS)).encode()) & 0x7FFFFFFF or 1


class ContainerRow(NamedTuple):
    """One row of `containers`. The rows are NamedTuples, not dataclasses: every read verb
    loads this module, and `dataclasses` costs the cold start (issue 16)."""

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


class ImageRow(NamedTuple):
    """`layers`: diff id hexes, base first. `digest`: the manifest's digest ("" for an image
    stored before manifests were kept). `blobs`: every blob digest the image holds on to
    (manifest, config, compressed layers): they are freed with the last image using them."""

    id: str
    names: list[str]
    created: str
    size: int
    layers: list[str]
    # defaults shared by every row: never changed in place (rows are replaced)
    config: dict[str, Any] = {}  # noqa: RUF012
    digest: str = ""
    repo_digests: list[str] = []  # noqa: RUF012
    blobs: list[str] = []  # noqa: RUF012
    names_history: list[str] = []  # noqa: RUF012 (every name it had, newest first)

    @property
    def short_id(self) -> str:
        return self.id[:12]


_CONTAINER_COLS = list(ContainerRow._fields)


# The last config decoded, with its stored text: the same text decodes to an equal config (a
# frozen dataclass), shared by the rows read from it.
# Decoded configs by their stored text: a verb reads its containers' rows a few times
# (issue 16), `pod rm` its pod's members' several times each (issue 15). A config is
# immutable, so a row read again shares the decoded one; bounded for a long-lived face.
_configs: dict[str, Any] = {}
CONFIG_SCHEMA = 2  # the `schema` of the configs model.dump_config writes (model.SCHEMA)
_CONFIGS_KEPT = 256


def _container_from_row(row: sqlite3.Row) -> ContainerRow:
    import json  # performance (issue 16): imported where used, not for an empty store

    from supervisor.model import load_config  # not for a verb that reads no container
    from supervisor.state import Status  # nor enum

    d = dict(row)
    d["status"] = Status(d["status"])
    raw = d["config"]
    config = _configs.get(raw)
    if config is None:
        if len(_configs) >= _CONFIGS_KEPT:
            _configs.clear()
        config = _configs[raw] = load_config(json.loads(raw))
    d["config"] = config
    d["oom_killed"] = bool(d["oom_killed"])
    d["cleaned"] = bool(d["cleaned"])
    d["resources"] = tuple(json.loads(d["resources"]))
    return ContainerRow(**d)


def _container_to_params(c: ContainerRow) -> dict[str, Any]:
    import json

    from supervisor.model import dump_config

    d = {name: getattr(c, name) for name in _CONTAINER_COLS}
    d["status"] = c.status.value
    d["config"] = json.dumps(dump_config(c.config), sort_keys=True)
    d["oom_killed"] = int(c.oom_killed)
    d["cleaned"] = int(c.cleaned)
    d["resources"] = json.dumps(list(c.resources))
    return d


def _merged(old: list[str], new: list[str], first: bool) -> list[str]:
    if first:
        return new + [n for n in old if n not in new]
    return old + [n for n in new if n not in old]


def _image_from_row(row: sqlite3.Row) -> ImageRow:
    import json
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
        names_history=json.loads(row["names_history"]),
    )


def with_history(history: list[str], names: list[str]) -> list[str]:
    """An image's names history after its names became `names`: each goes to the front, as
    containers/storage records it (Podman's `NamesHistory`; a removed name stays)."""
    for name in names:
        history = [name, *(h for h in history if h != name)]
    return history


class LayerBlob(NamedTuple):
    """A compressed (or plain) archive in the blob store and the layer it unpacks to."""

    digest: str
    diff_id: str
    media_type: str
    size: int


class StoreError(SystemError_):
    """The state database cannot be used: corrupt, truncated, or its filesystem is full."""


RESERVE_FILE = ".reserve"
RESERVE_SIZE = 1 << 20
# What a stop or rm needs of a full disk: the WAL index (32 KiB), a few WAL pages, an exit
# record. Below this much free space the reserve is released for them.
LOW_SPACE = 256 << 10
# Entries that exist only once the store was used: a state.db of 0 bytes beside them was
# truncated, not just created.
_USED_MARKS = ("containers", "layers", "blobs", "images")
_CORRUPT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class _Cursor(sqlite3.Cursor):
    """Rows are read lazily: a malformed page shows up here, not in execute. (try/except,
    not a context manager: this is on every query's path.)"""

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise _mapped(self.connection, exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise _mapped(self.connection, exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise _mapped(self.connection, exc) from exc


class _Connection(sqlite3.Connection):
    """Every sqlite error becomes a StoreError that says what to do (no traceback)."""

    db_path = ""

    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise _mapped(self, exc) from exc


def _mapped(conn: sqlite3.Connection, exc: sqlite3.Error) -> StoreError:
    return store_error(getattr(conn, "db_path", "state.db"), exc)


def store_error(db: str, exc: sqlite3.Error) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(_CORRUPT):
        return corrupt_error(db, str(exc))
    root = os.path.dirname(db)
    if name.startswith("SQLITE_FULL") or _free_bytes(root) < LOW_SPACE:
        return full_error(root, str(exc))
    return StoreError(f"state database {db!r}: {exc}")


def full_error(root: str, why: str) -> StoreError:
    return StoreError(
        f"the filesystem of {root!r} is full ({why}): free space there (a container's log,"
        " unused images) and try again"
    )


def corrupt_error(db: str, why: str) -> StoreError:
    return StoreError(
        f"the state database {db!r} is unreadable ({why}): restore it from a backup, or"
        f" move it aside (mv {db} {db}.broken) to start with an empty store (containers it"
        " knew of are then forgotten)"
    )


def _free_bytes(path: str) -> int:
    try:
        st = os.statvfs(path)
    except OSError:
        return 1 << 62
    return st.f_bavail * st.f_frsize


def check_not_truncated(paths: Paths) -> None:
    """SQLite takes a 0-byte file for a new database: refuse that where the store was used."""
    try:
        if os.stat(paths.db).st_size != 0:
            return
    except FileNotFoundError:
        return
    used = [m for m in _USED_MARKS if _nonempty_dir(os.path.join(paths.root, m))]
    if used:
        db = paths.db
        raise StoreError(
            f"the state database {db!r} is empty (0 bytes) but {paths.root!r} holds"
            f" {' and '.join(used)}: it was truncated; restore it from a backup, or move it"
            f" aside (mv {db} {db}.empty) to start with an empty store (containers it knew of"
            " are then forgotten)"
        )


def _nonempty_dir(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            return any(True for _ in it)
    except OSError:
        return False


@contextmanager
def _dir_lock(path: str) -> Iterator[None]:
    """Serialise opening the store: switching a new database to WAL needs an exclusive lock,
    and SQLite answers a second process doing the same at that moment with an immediate
    'database is locked' (no busy wait). flock on the directory: SQLite's own POSIX locks on
    the database file would be dropped by any other descriptor of that file being closed."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Store:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        os.makedirs(paths.root, mode=0o700, exist_ok=True)
        check_not_truncated(paths)
        # Read-only without the WAL index: what a full disk leaves us (see _open_readonly).
        self.read_only = False
        # Container changes a full disk kept from being saved, applied to every read.
        self.unsaved: dict[str, dict[str, Any]] = {}
        try:
            self._db = self._connect(paths.db)
            if self._schema_current():
                self._db.execute("PRAGMA synchronous = FULL")
            else:
                with _dir_lock(paths.root):
                    self._init_schema()
        except StoreError:
            if _free_bytes(paths.root) >= LOW_SPACE or not os.path.exists(paths.db):
                raise
            self._db = self._open_readonly()
        else:
            keep_reserve(paths.root)

    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                target, timeout=60.0, isolation_level=None, factory=_Connection, uri=uri
            )
        except sqlite3.Error as exc:
            raise store_error(self.paths.db, exc) from exc
        assert isinstance(db, _Connection)
        db.db_path = self.paths.db
        db.row_factory = sqlite3.Row
        return db

    def _pragmas(self) -> None:
        self._db.execute("PRAGMA busy_timeout = 60000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")

    def _schema_current(self) -> bool:
        """performance (issue 16): the schema and migrations were applied by a scopebox with
        these same ones (the database's user_version is their checksum): a read verb then takes
        no lock and runs no DDL. Anything else (a new database, an older or newer release)
        applies them again: they are idempotent."""
        row = self._db.execute("PRAGMA user_version").fetchone()
        return row is not None and row[0] == SCHEMA_SUM

    def _init_schema(self) -> None:
        self._pragmas()
        with self.transaction():
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    self._db.execute(stmt)
            for table, column, decl in MIGRATIONS:
                cols = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in cols:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            # in the same transaction: a version is never recorded for a schema half made
            self._db.execute(f"PRAGMA user_version = {SCHEMA_SUM}")

    def _open_readonly(self) -> sqlite3.Connection:
        """A full disk: WAL mode cannot make its index file, so read the database file as it
        is (what the last writer checkpointed). Reads work; the first write reopens it."""
        from urllib.parse import quote

        db = self._connect(f"file:{quote(self.paths.db)}?mode=ro&immutable=1", uri=True)
        self.read_only = True
        return db

    def _writable(self, reserve: bool) -> None:
        """Before a write: on a nearly full disk, stop/rm (`reserve`) may use the reserve
        file's space; other writes (create, pull) fail there instead of taking it."""
        if reserve and self.disk_full():
            release_reserve(self.paths.root)
        if not self.read_only:
            return
        self._db.close()
        try:
            self._db = self._connect(self.paths.db)
            self._pragmas()
        except StoreError:
            self._db = self._open_readonly()  # reads keep working
            raise
        self.read_only = False

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """A plain read (no write lock: works on a read-only store, a full disk) of another
        module's tables (networking: supervisor/network/db.py)."""
        return list(self._db.execute(sql, params).fetchall())

    def disk_full(self) -> bool:
        return _free_bytes(self.paths.root) < LOW_SPACE

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self, reserve: bool = False) -> Iterator[sqlite3.Connection]:
        self._writable(reserve)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            with suppress(sqlite3.Error, StoreError):
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def has_table(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                (name,)).fetchone() is not None  # fmt: skip

    def ensure_table(self, name: str, schema: str) -> None:
        """A concept's own table beside the store's (volumes, secrets), made on first use
        so the store's schema and its checksum stay as they are."""
        if not self.has_table(name):
            with self.transaction() as tx:
                tx.execute(schema)

    # containers ---------------------------------------------------------------------------

    def add_container(self, c: ContainerRow) -> None:
        if self.disk_full():
            # Its start would need more (config, exit record, writes to its upper dir), and
            # the last free space belongs to stop and rm: refuse while nothing is made yet.
            raise full_error(self.paths.root, f"less than {LOW_SPACE >> 10} KiB free")
        cols = ", ".join(_CONTAINER_COLS)
        marks = ", ".join(f":{n}" for n in _CONTAINER_COLS)
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM containers WHERE name = ?", (c.name,)).fetchone():
                raise name_conflict(c.name)
            db.execute(f"INSERT INTO containers ({cols}) VALUES ({marks})", _container_to_params(c))

    def update_container(self, cid: str, **changes: Any) -> ContainerRow:
        """Read-modify-write of some fields in one transaction; returns the new row.

        On a full disk, recording that a container ended (what every reader derives again
        from the kernel and the exit record) is kept in memory only: stop and kill work."""
        try:
            return self._update_container(cid, **changes)
        except StoreError:
            if not (self.disk_full() and _rederivable(changes)):
                raise
        self.unsaved.setdefault(cid, {}).update(changes)
        row = self.get_container(cid)
        if row is None:
            raise NotFoundError("container", cid)
        return row

    def record_exit(self, cid: str, exit_code: int, oom_killed: bool, finished_at: str,
                    error: str) -> None:  # fmt: skip
        """The monitor's exit record into a running (or paused) row, as a reader's
        reconciliation records it, without decoding the config (stop's quick path,
        supervisor/stopquick.py). A full disk keeps it from being saved: every reader derives
        it again from the record."""
        try:
            with self.transaction(reserve=True) as db:
                db.execute("UPDATE containers SET status = 'exited', exit_code = ?,"
                           " oom_killed = ?, finished_at = ?, error = ?"
                           " WHERE id = ? AND status IN ('running', 'paused')",
                           (exit_code, int(oom_killed), finished_at, error, cid))  # fmt: skip
        except StoreError:
            if not self.disk_full():
                raise

    def _container(self, row: sqlite3.Row) -> ContainerRow:
        c = _container_from_row(row)
        changes = self.unsaved.get(c.id)
        return c._replace(**changes) if changes else c

    def _update_container(self, cid: str, **changes: Any) -> ContainerRow:
        with self.transaction(reserve=True) as db:
            row = db.execute("SELECT * FROM containers WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFoundError("container", cid)
            new = _container_from_row(row)._replace(**changes)
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
        try:
            self._delete_container(cid)
        except StoreError:
            if not self.disk_full():
                raise
            # Its log goes with it anyway, and is likely what filled the disk.
            drop_logs(self.paths.container_dir(cid))
            self._delete_container(cid)

    def _delete_container(self, cid: str) -> None:
        with self.transaction(reserve=True) as db:
            db.execute("DELETE FROM containers WHERE id = ?", (cid,))
        self.unsaved.pop(cid, None)

    # issue 16: `run --rm` hands its container's teardown over to the monitor's exit command.
    # The row moves to `removals` in one transaction: gone for every verb (its name free, no
    # `ps -a`, no `inspect`), still there for whoever finishes the teardown (the exit command,
    # else the next create, rm --all or rmi: supervisor.container.remove.finish_removals).

    def hand_off(self, cid: str) -> None:
        cols = ", ".join(_CONTAINER_COLS)
        with self.transaction(reserve=True) as db:
            db.execute(f"INSERT OR REPLACE INTO removals ({cols}) SELECT {cols} FROM containers"
                       " WHERE id = ?", (cid,))  # fmt: skip
            db.execute("DELETE FROM containers WHERE id = ?", (cid,))

    def removal(self, cid: str) -> ContainerRow | None:
        row = self._db.execute("SELECT * FROM removals WHERE id = ?", (cid,)).fetchone()
        return None if row is None else _container_from_row(row)

    def has_removal(self, cid: str) -> bool:
        row = self._db.execute("SELECT 1 FROM removals WHERE id = ?", (cid,)).fetchone()
        return row is not None

    def removal_states(self) -> list[tuple[str, int, str]]:
        """(id, monitor pid, monitor start) of each pending removal; no config decoded."""
        return [tuple(r) for r in self._db.execute(
            "SELECT id, monitor_pid, monitor_start FROM removals").fetchall()]  # fmt: skip

    def forget_removal(self, cid: str) -> None:
        with self.transaction(reserve=True) as db:
            db.execute("DELETE FROM removals WHERE id = ?", (cid,))

    def container_ids(self) -> set[str]:
        """Every container's id and every pending removal's: no config decoded."""
        return {r[0] for r in self._db.execute(
            "SELECT id FROM containers UNION ALL SELECT id FROM removals").fetchall()}  # fmt: skip

    def get_container(self, cid: str) -> ContainerRow | None:
        row = self._db.execute("SELECT * FROM containers WHERE id = ?", (cid,)).fetchone()
        return None if row is None else self._container(row)

    def list_containers(self, statuses: tuple[str, ...] = (),
                        keep: Callable[[str, str], bool] | None = None) -> list[ContainerRow]:
        """Newest first; only those whose stored status is one of `statuses`, if given, and
        whose id and name `keep` keeps, if given (the others' configs are not decoded: `ps`
        of 200 created containers shows none, `ps -a --filter name=web` one)."""
        if not statuses:
            rows = self._db.execute("SELECT * FROM containers ORDER BY created DESC").fetchall()
        else:
            marks = ", ".join("?" * len(statuses))
            rows = self._db.execute(f"SELECT * FROM containers WHERE status IN ({marks})"
                                    " ORDER BY created DESC", statuses).fetchall()  # fmt: skip
        return [self._container(r) for r in rows if keep is None or keep(r["id"], r["name"])]

    def find_container(self, ref: str) -> ContainerRow:
        """By full id, unique id prefix, or name (Docker's lookup order)."""
        return self._container(self._find_container_row(ref))

    def find_container_state(self, ref: str) -> dict[str, Any] | None:
        """find_container's row without its config (not decoded: no model, no dataclasses),
        for `exec`'s quick path (supervisor/execquick.py); None when a change a full disk
        kept from being saved applies to it."""
        row = self._find_container_row(ref)
        d = {k: row[k] for k in row.keys() if k != "config"}  # noqa: SIM118 (sqlite3.Row)
        return None if d["id"] in self.unsaved else d

    def find_container_log(self, ref: str) -> tuple[str, str, str] | None:
        """find_container's id, log driver and log path ("": the default file), read from its
        stored config as JSON, not decoded (no model: `logs`, issue 16); None when the config
        is of another schema than `model.dump_config` writes, or a change a full disk kept
        from being saved applies to the row."""
        row = self._find_container_row(ref)
        if row["id"] in self.unsaved:
            return None
        import json  # once found (a missing name's error needs none)

        config = json.loads(row["config"])
        log = config.get("log")
        if config.get("schema") != CONFIG_SCHEMA or not isinstance(log, dict):
            return None
        return str(row["id"]), str(log.get("driver", "")), str(log.get("path") or "")

    def _find_container_row(self, ref: str) -> sqlite3.Row:
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
        found: sqlite3.Row = row
        return found

    def container_names(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM containers")}

    def container_image_ids(self) -> list[str]:
        """The image of each container, one entry per container: what `images` counts,
        without decoding every container's config (issue 16)."""
        return [r[0] for r in self._db.execute("SELECT image_id FROM containers")]

    # images -------------------------------------------------------------------------------

    def add_image(self, img: ImageRow, first: bool = False) -> ImageRow:
        """Insert, or merge names, repo digests and blobs into an existing image with the same
        id (its manifest is adopted if it had none). Names move from other images. `first`:
        the new names go before the old ones (what pull and load do to a stored image in
        Podman: c/image's storage destination sets the reference's name first); else after
        them (`tag`)."""
        import json
        with self.transaction() as db:
            self._untag(db, img.names, keep=img.id)
            row = db.execute("SELECT * FROM images WHERE id = ?", (img.id,)).fetchone()
            if row is not None:
                old = _image_from_row(row)
                new = old._replace(
                    names=_merged(old.names, img.names, first),
                    repo_digests=old.repo_digests
                    + [d for d in img.repo_digests if d not in old.repo_digests],
                    blobs=old.blobs + [b for b in img.blobs if b not in old.blobs],
                    digest=old.digest or img.digest,
                )
                new = new._replace(names_history=with_history(old.names_history, new.names))
                db.execute(
                    "UPDATE images SET names = ?, repo_digests = ?, blobs = ?, digest = ?,"
                    " names_history = ? WHERE id = ?",
                    (
                        json.dumps(new.names),
                        json.dumps(new.repo_digests),
                        json.dumps(new.blobs),
                        new.digest,
                        json.dumps(new.names_history),
                        img.id,
                    ),
                )
                return new
            img = img._replace(names_history=with_history(img.names_history, img.names))
            db.execute(
                "INSERT INTO images (id, names, created, size, layers, config, digest,"
                " repo_digests, blobs, names_history) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    json.dumps(img.names_history),
                ),
            )
            return img

    def set_image_manifest(self, image_id: str, digest: str, blobs: list[str]) -> None:
        import json
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
        with self.transaction(reserve=True) as db:
            db.execute("DELETE FROM layers WHERE diff_id = ?", (diff_id,))

    def delete_layer_blob(self, digest: str) -> None:
        with self.transaction(reserve=True) as db:
            db.execute("DELETE FROM layer_blobs WHERE digest = ?", (digest,))

    def blob_in_use(self, digest: str) -> bool:
        return any(digest in img.blobs for img in self.list_images())

    def _untag(self, db: sqlite3.Connection, names: list[str], keep: str) -> None:
        import json
        for row in db.execute("SELECT * FROM images WHERE id != ?", (keep,)).fetchall():
            old = _image_from_row(row)
            left = [n for n in old.names if n not in names]
            if left != old.names:
                db.execute("UPDATE images SET names = ?, names_history = ? WHERE id = ?",
                           (json.dumps(left), json.dumps(with_history(old.names_history, left)),
                            old.id))

    def list_images(self) -> list[ImageRow]:
        rows = self._db.execute("SELECT * FROM images ORDER BY created DESC").fetchall()
        return [_image_from_row(r) for r in rows]

    def image_ids_stored_order(self) -> list[str]:
        """Oldest stored first: the order Podman's `rmi -a` goes in (c/storage's list)."""
        return [r[0] for r in self._db.execute("SELECT id FROM images ORDER BY rowid")]

    def intermediate_ids(self) -> set[str]:
        """Images a build step made a stored image from (Podman's intermediate images, in
        supervisor/build's `build_cache`): `images` hides them, `image prune` keeps them."""
        if not self.has_table("build_cache"):
            return set()
        rows = self._db.execute(
            "SELECT parent FROM build_cache WHERE image != parent"
            " AND image IN (SELECT id FROM images)").fetchall()  # fmt: skip
        return {str(r[0]) for r in rows}

    def get_image(self, image_id: str) -> ImageRow | None:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        return None if row is None else _image_from_row(row)

    def delete_image(self, image_id: str) -> None:
        with self.transaction(reserve=True) as db:
            db.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def set_image_names(self, image_id: str, names: list[str]) -> None:
        import json
        with self.transaction(reserve=True) as db:
            row = db.execute("SELECT names_history FROM images WHERE id = ?",
                             (image_id,)).fetchone()
            history = with_history(json.loads(row[0]) if row else [], names)
            db.execute("UPDATE images SET names = ?, names_history = ? WHERE id = ?",
                       (json.dumps(names), json.dumps(history), image_id))

    def set_image_repo_digests(self, image_id: str, digests: list[str]) -> None:
        import json
        with self.transaction(reserve=True) as db:
            db.execute("UPDATE images SET repo_digests = ? WHERE id = ?",
                       (json.dumps(digests), image_id))

    def containers_using_image(self, image_id: str) -> list[str]:
        rows = self._db.execute("SELECT name FROM containers WHERE image_id = ?", (image_id,))
        return [r[0] for r in rows]

    def containers_using_image_ids(self, image_id: str) -> list[str]:
        rows = self._db.execute("SELECT id FROM containers WHERE image_id = ?", (image_id,))
        return [r[0] for r in rows]


# Read again from the run dir (pidfile, monitor.pid, restarts) by every reader.
_FROM_RUNDIR = {"pid", "pid_start", "monitor_pid", "monitor_start", "restart_count"}


def _rederivable(changes: dict[str, Any]) -> bool:
    """An exit being recorded, a teardown done, pids taken from the run dir: facts a later
    reader finds again."""
    status = changes.get("status")
    if status is not None:
        return not status.is_active
    done = changes.get("cleaned") is True and not changes.get("resources", ())
    return (done and set(changes) <= {"cleaned", "resources"}) or set(changes) <= _FROM_RUNDIR


def drop_logs(cdir: str) -> None:
    """Empty the k8s-file logs (current and rotated) of a container about to be removed."""
    with suppress(OSError), os.scandir(cdir) as it:
        for entry in it:
            if entry.name.startswith("ctr.log"):
                with suppress(OSError):
                    os.truncate(entry.path, 0)


def keep_reserve(root: str) -> None:
    """(Re)make the reserve file while there is room for it and more: a full disk can then
    still stop and remove containers (see Store._writable). Costs a stat when it exists."""
    path = os.path.join(root, RESERVE_FILE)
    if os.path.exists(path) or _free_bytes(root) < 2 * RESERVE_SIZE:
        return
    tmp = path + ".tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.posix_fallocate(fd, 0, RESERVE_SIZE)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with suppress(OSError):
            os.unlink(tmp)


def reserve_exit_record(exit_file: str) -> None:
    """Before a start: the monitor's exit record gets its disk space now, so a log that fills
    the disk meanwhile cannot cost the exit code (conmon.record.write_atomic writes into it).
    A disk already full fails the start elsewhere: nothing to report here."""
    from conmon.record import preallocate

    with suppress(OSError):
        preallocate(exit_file)


def release_reserve(root: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(os.path.join(root, RESERVE_FILE))


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
