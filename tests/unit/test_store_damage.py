"""A damaged state database is refused in words, never taken for an empty store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supervisor.paths import Paths
from supervisor.state import Status
from supervisor.store import RESERVE_FILE, Store, StoreError, _rederivable
from tests.unit.test_store import row


def paths(tmp_path: Path) -> Paths:
    return Paths(str(tmp_path / "root"), str(tmp_path / "run"))


def test_zero_byte_db_of_a_used_store_is_refused(tmp_path: Path) -> None:
    p = paths(tmp_path)
    Store(p).close()
    os.makedirs(p.container_dir("c" * 64))
    Path(p.db).write_bytes(b"")
    with pytest.raises(StoreError, match=r"empty \(0 bytes\).*containers.*mv "):
        Store(p)
    assert Path(p.db).stat().st_size == 0


def test_zero_byte_db_of_a_new_store_is_a_new_store(tmp_path: Path) -> None:
    """A create killed right after sqlite made the file: nothing was lost."""
    p = paths(tmp_path)
    os.makedirs(p.root)
    Path(p.db).write_bytes(b"")
    assert Store(p).list_containers() == []


def test_garbage_and_malformed_dbs_are_refused(tmp_path: Path) -> None:
    p = paths(tmp_path)
    store = Store(p)
    for i in range(50):  # enough rows for several pages
        store.add_container(row(f"{i:064x}", f"n{i}"))
    store.close()
    good = Path(p.db).read_bytes()
    Path(p.db).write_bytes(os.urandom(len(good)))
    with pytest.raises(StoreError, match=r"unreadable.*not a database.*restore.*mv "):
        Store(p)
    Path(p.db).write_bytes(good[:4096] + b"\xff" * (len(good) - 4096))
    with pytest.raises(StoreError, match="unreadable"):
        Store(p).list_containers()


def test_reserve_is_made_on_open(tmp_path: Path) -> None:
    p = paths(tmp_path)
    Store(p).close()
    assert os.path.getsize(os.path.join(p.root, RESERVE_FILE)) == 1 << 20


def test_only_facts_a_reader_finds_again_may_stay_unsaved() -> None:
    assert _rederivable({"status": Status.EXITED, "exit_code": 137, "error": ""})
    assert _rederivable({"cleaned": True})
    assert _rederivable({"pid": 3, "pid_start": "9"})
    assert not _rederivable({"status": Status.RUNNING})
    assert not _rederivable({"cleaned": False})
    assert not _rederivable({"name": "x"})
