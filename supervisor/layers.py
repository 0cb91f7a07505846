"""Unpacking a layer tarball safely.

Extraction runs in a forked child that `chroot`s into the new layer directory, so no entry,
symlink or hardlink can reach outside it whatever the archive says. The stdlib's own `data`
filter is not used: it strips setuid bits and ownership that real images need.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile

from supervisor.errors import UsageError

_CHUNK = 1 << 20


class _HashingReader:
    """A file-like reader that hashes and counts what passes through it."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def _entry_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    parts = [p for p in member.name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise tarfile.FilterError(f"refusing entry with '..': {member.name!r}")
    if not parts:
        # The archive's own "./": its mode is the layer root's (we are chrooted into it).
        if member.isdir():
            os.chmod("/", member.mode & 0o7777)
        return None
    member = member.replace(name="/".join(parts), deep=False)
    if member.islnk():
        link = [p for p in member.linkname.split("/") if p not in ("", ".")]
        if ".." in link:
            raise tarfile.FilterError(f"refusing hardlink with '..': {member.linkname!r}")
        member = member.replace(linkname="/".join(link), deep=False)
    return member


def _extract_in_child(tar_path: str, layer_dir: str, result_w: int) -> None:
    """Runs in the forked child: open, chroot, extract, report "sha256hex size"."""
    code = 1
    try:
        # Opened before chroot; the child exits right after, which closes it.
        fd = os.open(tar_path, os.O_RDONLY | os.O_CLOEXEC) if tar_path != "-" else os.dup(0)
        buffered = io.BufferedReader(io.FileIO(fd, "rb"), buffer_size=_CHUNK)
        os.chroot(layer_dir)
        os.chdir("/")
        os.umask(0)
        stream: io.BufferedIOBase = buffered
        if buffered.peek(2)[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=buffered, mode="rb")
        # The layer's diff id is the digest of the uncompressed tar stream.
        hashing = _HashingReader(stream)
        with tarfile.open(fileobj=hashing, mode="r|") as tar:  # type: ignore[call-overload]
            tar.extractall("/", numeric_owner=True, filter=_entry_filter)
        hashing.drain()
        os.write(result_w, f"{hashing.sha.hexdigest()} {hashing.size}".encode())
        code = 0
    except (OSError, tarfile.TarError, EOFError) as exc:
        os.write(result_w, f"error {exc}".encode()[:4000])
    finally:
        os._exit(code)


def unpack_layer(tar_path: str, layer_dir: str) -> tuple[str, int]:
    """Unpack into an existing empty directory; return (sha256 hex of the tar, its size)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _extract_in_child(tar_path, layer_dir, w)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or out.startswith("error") or not out:
        raise UsageError(f"cannot import {tar_path!r}: {out.removeprefix('error ') or 'failed'}")
    digest, size = out.split()
    return digest, int(size)
