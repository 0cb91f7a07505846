"""The SQLite store under concurrent CLI processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from supervisor.errors import ConflictError, NotFoundError
from supervisor.options import CreateOptions
from supervisor.paths import Paths
from supervisor.state import Status
from supervisor.store import ContainerRow, Store
from tests.unit.configs import config


def row(cid: str, name: str) -> ContainerRow:
    return ContainerRow(
        id=cid,
        name=name,
        image_id="i",
        image_name="img",
        created="t",
        status=Status.CREATED,
        config=config(CreateOptions(image="img", labels={"k": "1 2"})),
    )


def test_roundtrip_and_lookup(tmp_path: Path) -> None:
    store = Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))
    store.add_container(row("a" * 64, "web"))
    got = store.find_container("web")
    assert got.id == "a" * 64 and got.status is Status.CREATED
    assert got.config.options.labels == {"k": "1 2"}
    assert store.find_container("aaaa").name == "web"
    with pytest.raises(ConflictError, match="already in use"):
        store.add_container(row("b" * 64, "web"))
    with pytest.raises(NotFoundError):
        store.find_container("nope")
    store.update_container("a" * 64, status=Status.RUNNING, pid=42)
    assert store.find_container("web").pid == 42


def test_ambiguous_prefix(tmp_path: Path) -> None:
    store = Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))
    store.add_container(row("ab" + "0" * 62, "one"))
    store.add_container(row("ac" + "0" * 62, "two"))
    with pytest.raises(Exception, match="ambiguous"):
        store.find_container("a")


def _bump(root: str, run: str, n: int) -> None:
    store = Store(Paths(root, run))
    for _ in range(n):
        with store.transaction() as db:
            (count,) = db.execute("SELECT restart_count FROM containers").fetchone()
            db.execute("UPDATE containers SET restart_count = ?", (count + 1,))


def test_concurrent_read_modify_write_loses_nothing(tmp_path: Path) -> None:
    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))
    store = Store(paths)
    store.add_container(row("c" * 64, "counter"))
    procs = [
        multiprocessing.Process(target=_bump, args=(paths.root, paths.runroot, 50))
        for _ in range(8)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert store.find_container("counter").restart_count == 400


def test_a_current_store_opens_without_lock_or_ddl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """performance (issue 16): a read verb takes no write lock on a store this release made;
    an older one (no user_version, a missing column) is migrated and then marked."""
    import sqlite3

    from supervisor import store as store_module

    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))
    Store(paths).add_container(row("d" * 64, "old"))
    db = sqlite3.connect(paths.db)
    db.execute("ALTER TABLE containers DROP COLUMN resources")
    db.execute("PRAGMA user_version = 0")
    db.commit()
    db.close()
    migrated = Store(paths)  # an older release's database: migrated, then marked
    assert migrated.find_container("old").resources == ()
    version = migrated._db.execute("PRAGMA user_version").fetchone()[0]
    assert version == store_module.SCHEMA_SUM

    def no_lock(path: str) -> None:
        raise AssertionError("a current store took the directory lock")

    monkeypatch.setattr(store_module, "_dir_lock", no_lock)
    writer = sqlite3.connect(paths.db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a writer mid-transaction does not hold a reader up
    try:
        assert [r.name for r in Store(paths).list_containers()] == ["old"]
    finally:
        writer.execute("ROLLBACK")
