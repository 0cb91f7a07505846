"""Layer archives <-> overlay-ready layer directories, safely.

Unpacking runs in a forked child that `chroot`s into the new layer directory, so no entry,
symlink or hardlink can reach outside it whatever the archive says. Inside, every entry is
checked by `check_entry` (pure) and extracted by hand (not `TarFile.extractall`): no entry is
written through a symlink, OCI whiteouts become overlayfs whiteouts (`.wh.x` -> char device 0/0,
`.wh..wh..opq` -> `trusted.overlay.opaque=y`), devices and setuid bits need root.

Bounds (a layer exceeding them is refused, nothing is kept): `SCOPEBOX_MAX_LAYER_BYTES`
uncompressed tar bytes per layer (default 32 GiB: a gzip bomb stops there, not at a full disk)
and `SCOPEBOX_MAX_LAYER_ENTRIES` entries (default 2,000,000).
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from supervisor.errors import UsageError

_CHUNK = 1 << 20
_PR_SET_PDEATHSIG = 1
WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
# xattrs a layer may carry (file capabilities, user data); trusted.* would let an archive forge
# overlayfs metadata (redirects, opaque marks) and security.selinux is the host's business.
_XATTR_PREFIXES = ("user.", "security.capability")

MEDIA_TAR = "application/vnd.oci.image.layer.v1.tar"
MEDIA_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
_COMPRESSION = {
    MEDIA_TAR: "none",
    DOCKER_TAR: "none",
    MEDIA_TAR_GZIP: "gzip",
    DOCKER_TAR_GZIP: "gzip",
    MEDIA_TAR_ZSTD: "zstd",
    "application/vnd.docker.image.rootfs.diff.tar.zstd": "zstd",
}


def compression_of(media_type: str) -> str:
    try:
        return _COMPRESSION[media_type]
    except KeyError:
        raise UsageError(f"unsupported layer media type {media_type!r}") from None


def sniff_compression(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return "none"


@dataclass(frozen=True)
class Limits:
    """What an unpacked layer may hold at most."""

    max_bytes: int = 32 << 30
    max_entries: int = 2_000_000

    @classmethod
    def from_env(cls) -> Limits:
        d = cls()
        return cls(
            max_bytes=int(os.environ.get("SCOPEBOX_MAX_LAYER_BYTES", d.max_bytes)),
            max_entries=int(os.environ.get("SCOPEBOX_MAX_LAYER_ENTRIES", d.max_entries)),
        )


@dataclass(frozen=True)
class Unpacked:
    """A layer once unpacked: its diff id and size."""

    diff_id: str  # sha256 hex of the uncompressed tar stream
    size: int  # its length in bytes


class LayerError(Exception):
    """A refused or broken archive (raised in the child, reported to the parent)."""


# --- pure policy ---------------------------------------------------------------------------


def clean_path(name: str) -> str:
    """An archive path made relative to the layer root; `..` anywhere is refused."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise LayerError(f"refusing entry with '..': {name!r}")
    return "/".join(parts)


def check_entry(member: tarfile.TarInfo, is_root: bool) -> int:
    """The mode bits to apply; raises LayerError for what this caller may not create."""
    if member.ischr() or member.isblk():
        if not is_root:
            raise LayerError(f"refusing device node {member.name!r}: only root may create one")
    elif not (member.isfile() or member.isdir() or member.issym() or member.islnk()) and (
        not member.isfifo()
    ):
        raise LayerError(f"unsupported entry type {member.type!r} for {member.name!r}")
    return member.mode & (0o7777 if is_root else 0o1777)


# --- the child: extraction ------------------------------------------------------------------


class _Reader:
    """Hashes and counts the uncompressed stream, and enforces the size bound."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n >= 0 else _CHUNK)
        self.size += len(data)
        if self.size > self.limit:
            raise LayerError(f"layer is larger than the limit of {self.limit} bytes uncompressed")
        self.sha.update(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def _decompressor(raw: Any, compression: str) -> IO[bytes]:
    if compression == "auto":
        compression = sniff_compression(raw.peek(4)[:4])
    if compression == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:
            raise LayerError("zstd layers need the Python package 'zstandard'") from None
        return cast(IO[bytes], zstandard.ZstdDecompressor().stream_reader(raw))
    return cast(IO[bytes], raw)


class _Extractor:
    """Writes entries under "/" (the chrooted layer dir)."""

    def __init__(self, is_root: bool) -> None:
        self.is_root = is_root
        self.safe_dirs: set[str] = {""}
        self.dirs: list[tuple[str, tarfile.TarInfo, int]] = []

    def parent_ok(self, path: str) -> None:
        """Every parent is a real directory (made if missing), never a symlink."""
        parent = path.rpartition("/")[0]
        if parent in self.safe_dirs:
            return
        prefix = ""
        for part in parent.split("/"):
            prefix = f"{prefix}/{part}" if prefix else part
            if prefix in self.safe_dirs:
                continue
            try:
                st = os.lstat("/" + prefix)
            except FileNotFoundError:
                os.mkdir("/" + prefix, 0o755)
            else:
                if stat.S_ISLNK(st.st_mode):
                    raise LayerError(f"refusing to write {path!r} through the symlink {prefix!r}")
                if not stat.S_ISDIR(st.st_mode):
                    raise LayerError(f"refusing {path!r}: {prefix!r} is not a directory")
            self.safe_dirs.add(prefix)

    def clear(self, path: str, keep_dir: bool) -> None:
        try:
            st = os.lstat("/" + path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            if keep_dir:
                return
            shutil.rmtree("/" + path)
            self.safe_dirs = {
                d for d in self.safe_dirs if d != path and not d.startswith(path + "/")
            }
        else:
            os.unlink("/" + path)

    def extract(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        path = clean_path(member.name)
        if not path:  # the archive's "./": the layer root's own mode
            if member.isdir():
                mode = check_entry(member, self.is_root)
                self.dirs.append(("", member, mode))
            return
        self.parent_ok(path)
        base = path.rpartition("/")[2]
        if base == OPAQUE:
            os.setxattr("/" + path.rpartition("/")[0], OPAQUE_XATTR, b"y")
            return
        if base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
            return  # other AUFS metadata (.wh..wh.plnk ...): meaningless here
        if base.startswith(WHITEOUT_PREFIX):
            target = path[: len(path) - len(base)] + base[len(WHITEOUT_PREFIX) :]
            self.clear(target, keep_dir=False)
            os.mknod("/" + target, stat.S_IFCHR | 0o000, os.makedev(0, 0))
            return
        mode = check_entry(member, self.is_root)
        self.clear(path, keep_dir=member.isdir())
        full = "/" + path
        if member.isdir():
            if not os.path.isdir(full):
                os.mkdir(full, 0o700)
            self.safe_dirs.add(path)
            self.dirs.append((path, member, mode))
            self._xattrs(full, member)
            return
        if member.isfile():
            src = tar.extractfile(member)
            assert src is not None
            fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
        elif member.issym():
            os.symlink(member.linkname, full)
        elif member.islnk():
            self._hardlink(member, full)
        elif member.isfifo():
            os.mkfifo(full, 0o600)
        else:
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(full, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        self._finish(full, member, mode)

    def _hardlink(self, member: tarfile.TarInfo, full: str) -> None:
        src = clean_path(member.linkname)
        if not src:
            raise LayerError(f"refusing hardlink to the root: {member.name!r}")
        self.parent_ok(src)
        try:
            st = os.lstat("/" + src)
        except FileNotFoundError:
            raise LayerError(
                f"hardlink {member.name!r} points to {member.linkname!r}, not in this layer"
            ) from None
        if stat.S_ISDIR(st.st_mode):
            raise LayerError(f"refusing hardlink to a directory: {member.name!r}")
        os.link("/" + src, full, follow_symlinks=False)

    def _finish(self, full: str, member: tarfile.TarInfo, mode: int) -> None:
        if member.islnk():
            return  # the link shares the inode: its metadata came with the first name
        if self.is_root:
            _chown(full, member, follow_symlinks=False)
        if not member.issym():
            os.chmod(full, mode)  # after chown, which clears setuid
            self._xattrs(full, member)
        os.utime(full, (member.mtime, member.mtime), follow_symlinks=False)

    def _xattrs(self, full: str, member: tarfile.TarInfo) -> None:
        for key, value in member.pax_headers.items():
            name = key.removeprefix("SCHILY.xattr.")
            if name != key and name.startswith(_XATTR_PREFIXES):
                raw = value.encode("utf-8", "surrogateescape")
                try:
                    os.setxattr(full, name, raw, follow_symlinks=False)
                except OSError as exc:
                    if exc.errno not in (errno.ENOTSUP, errno.EPERM):
                        raise

    def finish_dirs(self) -> None:
        """Modes and times of directories last: their contents changed their mtime."""
        for path, member, mode in reversed(self.dirs):
            full = "/" + path
            if self.is_root:
                _chown(full, member)
            os.chmod(full, mode)
            os.utime(full, (member.mtime, member.mtime))


def _chown(full: str, member: tarfile.TarInfo, follow_symlinks: bool = True) -> None:
    try:
        os.chown(full, member.uid, member.gid, follow_symlinks=follow_symlinks)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        # rootless (issue 17): an id the user's namespace does not map (Podman's words too)
        raise LayerError(
            f"potentially insufficient UIDs or GIDs available in user namespace (requested "
            f"{member.uid}:{member.gid} for {full!r}): check /etc/subuid and /etc/subgid"
        ) from None


def _extract_child(fd: int, layer_dir: str, compression: str, limits: Limits, out: int) -> None:
    code = 1
    msg: dict[str, Any] = {"error": "failed"}
    try:
        raw = io.BufferedReader(io.FileIO(fd, "rb"), buffer_size=_CHUNK)
        os.chroot(layer_dir)
        os.chdir("/")
        os.umask(0)
        reader = _Reader(_decompressor(raw, compression), limits.max_bytes)
        ex = _Extractor(is_root=os.geteuid() == 0)
        count = 0
        with tarfile.open(fileobj=reader, mode="r|", bufsize=_CHUNK) as tar:  # type: ignore[call-overload]
            for member in tar:
                count += 1
                if count > limits.max_entries:
                    raise LayerError(f"layer has more than {limits.max_entries} entries")
                ex.extract(tar, member)
        ex.finish_dirs()
        reader.drain()
        if reader.size == 0:
            raise LayerError("empty archive")
        msg = {"diff_id": reader.sha.hexdigest(), "size": reader.size}
        code = 0
    except (LayerError, OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        msg = {"error": str(exc) or type(exc).__name__}
    except Exception as exc:  # zstandard.ZstdError and friends: still one line for the user
        msg = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        try:
            os.write(out, json.dumps(msg).encode()[:60000])
        finally:
            os._exit(code)


def unpack_layer(
    source: str, layer_dir: str, compression: str = "auto", limits: Limits | None = None
) -> Unpacked:
    """Unpack a (compressed) tar into an existing empty directory.

    `source` is a path or "-" (stdin). The caller removes `layer_dir` on error.
    """
    limits = limits or Limits.from_env()
    if compression in ("zstd", "auto"):
        # Imported here: after its chroot the child can import nothing.
        with contextlib.suppress(ImportError):
            import zstandard  # noqa: F401
    import ctypes  # before the fork: the child only calls prctl

    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()
    fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC) if source != "-" else os.dup(0)
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            # Dies with us: an orphan would keep writing (and holding our layer lock).
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(1)
            os.close(r)
            _extract_child(fd, layer_dir, compression, limits, w)
        os.close(w)
    finally:
        os.close(fd)
    try:
        with os.fdopen(r, "rb") as f:
            out = f.read()
    except BaseException:  # Ctrl-C: stop the child before the caller removes its dir
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    try:
        msg = json.loads(out)
    except ValueError:
        msg = {"error": f"unpacking died ({os.waitstatus_to_exitcode(status)})"}
    if "error" in msg or os.waitstatus_to_exitcode(status) != 0:
        raise UsageError(f"cannot unpack layer: {msg.get('error', 'failed')}")
    return Unpacked(msg["diff_id"], int(msg["size"]))


# --- packing a directory back into a layer tar ---------------------------------------------


def write_tar(top: str, out: IO[bytes], layer: bool,
              owner: Callable[[int, int], tuple[int, int]] | None = None) -> None:
    """Tar `top` as a layer (overlay whiteouts -> OCI `.wh.` entries) or as a plain tree;
    `owner`: the ids the tar records for those on disk (a mapped container's, unshifted)."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, bufsize=_CHUNK) as tar:
        for rel in _iter_tree(top):
            full = os.path.join(top, rel) if rel else top
            st = os.lstat(full)
            if layer and stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                wh = os.path.join(os.path.dirname(rel), WHITEOUT_PREFIX + os.path.basename(rel))
                info = tarfile.TarInfo(wh)
                info.mtime, info.mode = int(st.st_mtime), 0o600
                tar.addfile(info)
                continue
            info = tar.gettarinfo(full, arcname=rel or ".")
            info.uname = info.gname = ""
            if owner is not None:
                info.uid, info.gid = owner(info.uid, info.gid)
            _add_xattrs(full, info, st)
            if info.isreg():
                with open(full, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
            if layer and stat.S_ISDIR(st.st_mode) and _is_opaque(full):
                opq = tarfile.TarInfo(os.path.join(rel, OPAQUE) if rel else OPAQUE)
                opq.mtime, opq.mode = int(st.st_mtime), 0o600
                tar.addfile(opq)


def _iter_tree(top: str) -> Iterator[str]:
    yield ""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, top)
        rel_dir = "" if rel_dir == "." else rel_dir
        for name in sorted(dirnames + filenames):
            yield os.path.join(rel_dir, name) if rel_dir else name


def _is_opaque(full: str) -> bool:
    try:
        return os.getxattr(full, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _add_xattrs(full: str, info: tarfile.TarInfo, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        return
    try:
        names = os.listxattr(full, follow_symlinks=False)
    except OSError:
        return
    pax = dict(info.pax_headers)
    for name in names:
        if name.startswith(_XATTR_PREFIXES):
            value = os.getxattr(full, name, follow_symlinks=False)
            pax[f"SCHILY.xattr.{name}"] = value.decode("utf-8", "surrogateescape")
    info.pax_headers = pax
