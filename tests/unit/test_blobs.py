"""The blob store publishes only verified content and leaves no temporary file behind."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from supervisor.blobs import BlobStore, DigestMismatch, parse_digest
from supervisor.errors import UsageError
from supervisor.paths import Paths


def _store(tmp_path: Path) -> BlobStore:
    return BlobStore(Paths(root=str(tmp_path), runroot=str(tmp_path / "run")))


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_put_and_read_back(tmp_path: Path) -> None:
    bs = _store(tmp_path)
    d = bs.put_bytes(b"hello", _digest(b"hello"))
    assert d == _digest(b"hello") and bs.has(d)
    assert bs.read_bytes(d, 10) == b"hello"
    assert os.listdir(bs.tmp) == []


def test_wrong_content_is_not_stored(tmp_path: Path) -> None:
    bs = _store(tmp_path)
    with pytest.raises(DigestMismatch, match="expected"):
        bs.put_bytes(b"evil", _digest(b"good"))
    assert not bs.has(_digest(b"good")) and not bs.has(_digest(b"evil"))
    assert os.listdir(bs.tmp) == []


def test_oversized_stream_stops_at_declared_size(tmp_path: Path) -> None:
    bs = _store(tmp_path)
    with pytest.raises(DigestMismatch, match="larger"), bs.writer(_digest(b"ab"), 2) as w:
        w.write(b"abc")
    assert os.listdir(bs.tmp) == []


def test_short_stream_is_refused(tmp_path: Path) -> None:
    bs = _store(tmp_path)
    with pytest.raises(DigestMismatch, match="expected 3"), bs.writer(None, 3) as w:
        w.write(b"ab")
        w.commit()


def test_read_limit(tmp_path: Path) -> None:
    bs = _store(tmp_path)
    d = bs.put_bytes(b"x" * 100)
    with pytest.raises(UsageError, match="larger than 10"):
        bs.read_bytes(d, 10)


@pytest.mark.parametrize("bad", ["md5:abc", "sha256:xyz", "sha256:" + "A" * 64, "nocolon"])
def test_bad_digests(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_digest(bad)
