"""Content-addressed blobs (manifests, configs, layer archives) as an OCI layout keeps them.

`$ROOT/blobs/sha256/<hex>`: a blob is visible only once complete and verified. Writers stream
into a temporary file in `$ROOT/blobs/.tmp/`, hashing as they go; `commit` checks digest and size,
fsyncs and renames. Two processes writing the same blob both succeed: the rename is atomic and
the content is the same by definition.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from supervisor.errors import ScopeboxError, UsageError
from supervisor.paths import Paths

_HEX = frozenset("0123456789abcdef")


class DigestMismatch(ScopeboxError):
    """Content that does not match its digest or size: stored nowhere."""


def parse_digest(digest: str) -> str:
    """The hex of a `sha256:<64 hex>` digest; anything else is refused."""
    algo, sep, hexpart = digest.partition(":")
    if not sep or algo != "sha256":
        raise UsageError(f"unsupported digest {digest!r} (only sha256 is supported)")
    if len(hexpart) != 64 or not set(hexpart) <= _HEX:
        raise UsageError(f"malformed digest {digest!r}")
    return hexpart


class BlobWriter:
    """Streams one blob to a temporary file; `commit` verifies and publishes it."""

    def __init__(self, store: BlobStore, expected: str | None, size: int | None) -> None:
        self._store = store
        self._expected = expected
        self._size = size
        self._sha = hashlib.sha256()
        self.written = 0
        self._committed = False
        os.makedirs(store.tmp, mode=0o700, exist_ok=True)
        fd, self.tmp_path = tempfile.mkstemp(dir=store.tmp, prefix="blob-")
        self._file = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        if self._size is not None and self.written + len(data) > self._size:
            raise DigestMismatch(
                f"blob {self._expected or ''} is larger than its declared size {self._size}"
            )
        self._sha.update(data)
        self._file.write(data)
        self.written += len(data)

    def commit(self) -> str:
        """Verify, publish and return the digest."""
        digest = "sha256:" + self._sha.hexdigest()
        if self._size is not None and self.written != self._size:
            raise DigestMismatch(
                f"blob {self._expected or digest} is {self.written} bytes, expected {self._size}"
            )
        if self._expected is not None and digest != self._expected:
            raise DigestMismatch(f"blob content has digest {digest}, expected {self._expected}")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        final = self._store.path(digest)
        os.makedirs(os.path.dirname(final), mode=0o700, exist_ok=True)
        os.rename(self.tmp_path, final)
        self._committed = True
        return digest

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        if self._committed:
            return
        with suppress(FileNotFoundError):
            os.unlink(self.tmp_path)


class BlobStore:
    def __init__(self, paths: Paths) -> None:
        self.base = os.path.join(paths.root, "blobs")
        self.tmp = os.path.join(self.base, ".tmp")

    def path(self, digest: str) -> str:
        return os.path.join(self.base, "sha256", parse_digest(digest))

    def has(self, digest: str) -> bool:
        return os.path.isfile(self.path(digest))

    @contextmanager
    def writer(self, expected: str | None = None, size: int | None = None) -> Iterator[BlobWriter]:
        """`with store.writer(digest, size) as w: w.write(...); w.commit()`.

        Leaving the block without `commit` (or by an exception) removes the temporary file.
        """
        if expected is not None:
            parse_digest(expected)
        w = BlobWriter(self, expected, size)
        try:
            yield w
        finally:
            w.abort()

    def put_bytes(self, data: bytes, expected: str | None = None) -> str:
        with self.writer(expected, len(data) if expected else None) as w:
            w.write(data)
            return w.commit()

    def read_bytes(self, digest: str, limit: int) -> bytes:
        """A small blob (manifest, config), refusing one over `limit` bytes."""
        with open(self.path(digest), "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise UsageError(f"blob {digest} is larger than {limit} bytes")
        return data

    def remove(self, digest: str) -> None:
        with suppress(FileNotFoundError):
            os.unlink(self.path(digest))

    def prune_tmp(self, age: float = 3600.0) -> None:
        """Temporary files of writers killed half-way (a live writer's file is younger)."""
        try:
            entries = list(os.scandir(self.tmp))
        except FileNotFoundError:
            return
        cutoff = time.time() - age
        for entry in entries:
            if entry.stat().st_mtime < cutoff:
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)
