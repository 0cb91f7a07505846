"""The two children of `cp`: one packs a path into a tar, the other unpacks a tar at a path.

Each is a forked process that first `chroot`s: into the container's root for a container's
side, so its paths, symlinks and `..` resolve as the container sees them and cannot reach the
host; for the host's side of a copy out of a container, into the directory that receives the
copy, and there no entry is ever written through a symlink (the archive's content comes from
the container). The data flows from one child to the other through a pipe; this process only
reads their status lines (JSON): the packer's header `{"kind", "name"}` first, then each
child's `{"ok": true}` or `{"error": "..."}`.

No name lookups after a chroot: archive entries are built from `lstat` with numeric owners
(tarfile's `gettarinfo` would ask NSS, which may load the container's libnss_*.so; that was
CVE-2019-14271 in Docker). Devices and sockets are never copied; setuid/setgid bits are dropped
on the way out of a container.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from supervisor.copy import rawtar
from supervisor.copy.place import HOST, PlaceError, not_found, place, source_name

_CHUNK = 1 << 20
_PR_SET_PDEATHSIG = 1
_F_SETPIPE_SZ = 1031


@dataclass(frozen=True)
class PackJob:
    root: str | None  # chroot here first (a container's root); None: the host as it is
    path: str  # as the user wrote it (a relative one: from `cwd`)
    where: str  # the container's name, or HOST: for messages
    owner: tuple[int, int] | None = None  # uid/gid written into the archive; None: as on disk
    drop_setid: bool = False
    stat_only: bool = False  # the REST face's HEAD archive (issue 18): the header, no tar
    cwd: str = "/"  # in the container: its working directory (Podman's relative paths)


@dataclass(frozen=True)
class UnpackJob:
    root: str | None
    dest: str
    where: str
    src_kind: str | None = None  # "dir" or "file"; None: a tar stream from stdin
    src_name: str = "."
    owner: tuple[int, int] | None = None  # chown everything to this; None: the archive's
    overwrite: bool = False
    follow: bool = True  # a container's side: symlinks resolve inside its root
    cwd: str = "/"  # in the container: its working directory (Podman's relative paths)
    refuse: str = ""  # a host destination that cannot be written: said once the source is found
    # Podman's archive PUT `rename` (podman-remote's `cp` to a new name): an entry named OLD,
    # or below it, is written as NEW (buildah copier's Rename)
    rename: tuple[tuple[str, str], ...] = ()


class CopyError(Exception):
    """What a child reported; the message is the user's line."""


# --- packing ---------------------------------------------------------------------------------


def _kind(mode: int) -> str | None:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISFIFO(mode):
        return "file"
    return None  # devices and sockets are not copied


def _enter(root: str, cwd: str) -> None:
    """Into the container's root, in its working directory (the root if that is missing)."""
    os.chroot(root)
    try:
        os.chdir(cwd)
    except OSError:
        os.chdir("/")


def _pack(job: PackJob, data_fd: int, status: Callable[[dict[str, Any]], None]) -> None:
    if job.root is not None:
        _enter(job.root, job.cwd)
    name = source_name(job.path)
    real = os.path.realpath(job.path)
    try:
        st = os.lstat(real)
    except (FileNotFoundError, NotADirectoryError):
        raise not_found(job.path, job.where) from None
    kind = _kind(st.st_mode)
    if kind is None:
        raise PlaceError(f'"{job.path}" is a device or socket: cp copies files, directories,'
                         " symlinks and fifos")
    link = real if real != os.path.abspath(job.path) else ""
    status({"kind": kind, "name": name, "size": st.st_size, "mode": st.st_mode,
            "mtime": st.st_mtime, "link": link})  # fmt: skip
    if job.stat_only:
        os.close(data_fd)
        return
    tar = rawtar.Writer(data_fd)
    links: dict[tuple[int, int], str] = {}
    for rel in _walk(real, kind == "dir"):
        full = real if not rel else f"{real.rstrip('/')}/{rel}"
        arc = name if not rel else rel if name == "." else f"{name}/{rel}"
        _add(tar, job, full, arc, links)
    tar.close()
    os.close(data_fd)


def _walk(top: str, is_dir: bool) -> Iterator[str]:
    yield ""
    if not is_dir:
        return
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, top)
        rel_dir = "" if rel_dir == "." else rel_dir
        for entry in sorted(dirnames + filenames):
            yield f"{rel_dir}/{entry}" if rel_dir else entry


def _add(tar: rawtar.Writer, job: PackJob, full: str, arc: str,
         links: dict[tuple[int, int], str]) -> None:
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return  # removed meanwhile (a running container)
    if _kind(st.st_mode) is None:
        return
    info = tarfile.TarInfo(arc)
    info.mtime = int(st.st_mtime)
    info.mode = st.st_mode & (0o1777 if job.drop_setid else 0o7777)
    info.uid, info.gid = job.owner if job.owner is not None else (st.st_uid, st.st_gid)
    if job.owner == (0, 0):
        info.uname = info.gname = "root"
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(st.st_mode):
        info.type, info.linkname = tarfile.SYMTYPE, os.readlink(full)
    elif stat.S_ISFIFO(st.st_mode):
        info.type = tarfile.FIFOTYPE
    elif st.st_nlink > 1 and (st.st_dev, st.st_ino) in links:
        info.type, info.linkname = tarfile.LNKTYPE, links[(st.st_dev, st.st_ino)]
    else:
        if st.st_nlink > 1:
            links[(st.st_dev, st.st_ino)] = arc
        _add_file(tar, info, full)
        return
    tar.add(info)


def _add_file(tar: rawtar.Writer, info: tarfile.TarInfo, full: str) -> None:
    try:
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, OSError) as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP):
            return  # replaced meanwhile
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        info.size = st.st_size
        tar.add_file(info, fd)
    finally:
        os.close(fd)


# --- unpacking -------------------------------------------------------------------------------


def _unpack(job: UnpackJob, data_fd: int, status: Callable[[dict[str, Any]], None]) -> None:
    tar = rawtar.Reader(data_fd, decompress=job.src_kind is None)  # `cp -`: before the chroot
    if job.root is not None:
        _enter(job.root, job.cwd)
        dest = job.dest
        if not dest.endswith("/") and os.path.islink(dest) and not os.path.exists(dest):
            # Podman writes through a dangling symlink: `cp f ctr:/d/x` with x -> /nonesuch
            # makes /nonesuch (resolved inside the container's root, where we are now)
            job = replace(job, dest=os.path.realpath(dest))
    target = place(job.dest, _dest_kind(job), job.src_kind, job.src_name, job.where)
    base = os.path.realpath(target.parent)
    shown = target.parent.rstrip("/") or ""
    if not job.follow:  # the host's side: the copy cannot leave the directory it goes to
        os.chroot(base)
        os.chdir("/")
        base = "/"
    writer = _Writer(base, shown, target.name, job)
    for member in tar:
        writer.extract(tar, member)
    writer.finish_dirs()
    with contextlib.suppress(OSError):  # the rest of the stream (tar's zero blocks)
        while os.read(data_fd, _CHUNK):
            pass


def _dest_kind(job: UnpackJob) -> str | None:
    try:
        st = os.stat(job.dest)
    except (FileNotFoundError, NotADirectoryError):
        parent = job.dest.rstrip("/").rpartition("/")[0] or ("/" if job.dest[:1] == "/" else ".")
        if not os.path.isdir(parent):
            raise not_found(job.dest, job.where) from None
        return None
    return "dir" if stat.S_ISDIR(st.st_mode) else "file"


def _clean(name: str) -> str:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PlaceError(f"refusing archive entry with '..': {name!r}")
    return "/".join(parts)


class _Writer:
    """Writes the archive's entries at `base/name/...` (`base` a real directory)."""

    def __init__(self, base: str, shown: str, name: str, job: UnpackJob) -> None:
        self.base = base.rstrip("/")
        self.shown = shown
        self.name = name
        self.job = job
        self.top = _clean(job.src_name) if job.src_kind is not None else None
        # the rename's OLD names as entries are compared (an empty one renames nothing)
        self.renames = [(old, new) for old, new in ((_clean(o), n) for o, n in job.rename) if old]
        self.safe: set[str] = {""}
        self.dirs: list[tuple[str, tarfile.TarInfo]] = []

    def rebase(self, name: str) -> str:
        """The archive's name -> the path below `base`; "" is `base` itself."""
        rel = _clean(name)
        for old, new in self.renames:
            if rel == old or rel.startswith(old + "/"):
                rel = _clean(new + rel[len(old):])
                break
        if self.top:
            if rel == self.top:
                rel = ""
            elif rel.startswith(self.top + "/"):
                rel = rel[len(self.top) + 1 :]
            else:
                raise PlaceError(f"unexpected archive entry {name!r}")
        return "/".join(p for p in (self.name, rel) if p)

    def full(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def parents_ok(self, rel: str) -> None:
        """Every parent below `base` is a directory; on the host's side never a symlink."""
        parent = rel.rpartition("/")[0]
        if parent in self.safe:
            return
        prefix = ""
        for part in parent.split("/"):
            prefix = f"{prefix}/{part}" if prefix else part
            if prefix in self.safe:
                continue
            path = self.full(prefix)
            try:
                st = os.stat(path) if self.job.follow else os.lstat(path)
            except FileNotFoundError:
                os.mkdir(path, 0o755)
            else:
                if not stat.S_ISDIR(st.st_mode):
                    shown = self.show(prefix)
                    raise PlaceError(f'refusing to write below "{shown}": not a directory')
            self.safe.add(prefix)

    def show(self, rel: str) -> str:
        return f"{self.shown}/{rel}"

    def exists(self, rel: str, there: str, given: str) -> str:
        """Podman's "error creating PATH: ...: file exists" (its tests and scripts match it;
        PATH is below the copy's root: the container's, or the host's receiving directory)."""
        path = self.show(rel) if self.job.root is not None else f"/{rel}"
        return (f'copying: error creating "{path}": cannot overwrite {there} "{self.show(rel)}"'
                f" with {given} (--overwrite replaces it): file exists")

    def extract(self, tar: rawtar.Reader, m: tarfile.TarInfo) -> None:
        rel = self.rebase(m.name)
        if not rel:
            return  # the receiving directory itself keeps its own metadata
        if m.ischr() or m.isblk():
            raise PlaceError(f"refusing device node {m.name!r}: cp does not copy devices")
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk() or m.isfifo()):
            raise PlaceError(f"unsupported archive entry type {m.type!r} for {m.name!r}")
        self.parents_ok(rel)
        path = self.full(rel)
        try:
            st: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            st = None
        is_dir = st is not None and (
            stat.S_ISDIR(st.st_mode) or (self.job.follow and os.path.isdir(path))
        )
        if m.isdir():
            self._dir(rel, path, st, is_dir, m)
            return
        if st is not None and is_dir:
            if not self.job.overwrite:
                raise PlaceError(self.exists(rel, "directory", "non-directory"))
            shutil.rmtree(path)
            st = None
        if m.isfile():
            self._file(tar, path, st, m)
        else:
            if st is not None:
                os.unlink(path)
            if m.issym():
                os.symlink(m.linkname, path)
            elif m.islnk():
                self._hardlink(path, m)
            else:
                os.mkfifo(path, 0o600)
        self._finish(path, m)

    def _dir(self, rel: str, path: str, st: os.stat_result | None, is_dir: bool,
             m: tarfile.TarInfo) -> None:
        if st is not None and not is_dir:
            if not self.job.overwrite:
                raise PlaceError(self.exists(rel, "non-directory", "directory"))
            os.unlink(path)
            st = None
        if st is None:
            os.mkdir(path, 0o700)
        self.safe.add(rel)
        self.dirs.append((path, m))

    def _file(self, tar: rawtar.Reader, path: str, st: os.stat_result | None,
              m: tarfile.TarInfo) -> None:
        if st is not None and stat.S_ISREG(st.st_mode):
            # in place: a bind-mounted file (/etc/hosts) cannot be replaced, only rewritten
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC)
        else:
            if st is not None:
                os.unlink(path)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(path, flags, 0o600)
        try:
            tar.copy_to(fd, m.size)
        finally:
            os.close(fd)

    def _hardlink(self, path: str, m: tarfile.TarInfo) -> None:
        rel = self.rebase(m.linkname)
        if not rel:
            raise PlaceError(f"refusing hardlink to the copy's root: {m.name!r}")
        self.parents_ok(rel)
        src = self.full(rel)
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            raise PlaceError(f"hardlink {m.name!r} points to {m.linkname!r}, not copied") from None
        if stat.S_ISDIR(st.st_mode):
            raise PlaceError(f"refusing hardlink to a directory: {m.name!r}")
        os.link(src, path, follow_symlinks=False)

    def _owner(self, m: tarfile.TarInfo) -> tuple[int, int]:
        return self.job.owner if self.job.owner is not None else (m.uid, m.gid)

    def _finish(self, path: str, m: tarfile.TarInfo) -> None:
        if m.islnk():
            return
        os.chown(path, *self._owner(m), follow_symlinks=False)
        if not m.issym():
            os.chmod(path, m.mode & 0o7777)
        os.utime(path, (m.mtime, m.mtime), follow_symlinks=False)

    def finish_dirs(self) -> None:
        for path, m in reversed(self.dirs):
            os.chown(path, *self._owner(m))
            os.chmod(path, m.mode & 0o7777)
            os.utime(path, (m.mtime, m.mtime))


# --- the children ----------------------------------------------------------------------------


class Child:
    """A forked worker: its pid and the read end of its status lines."""

    def __init__(self, pid: int, status_fd: int) -> None:
        self.pid = pid
        self.file = os.fdopen(status_fd, "rb")

    def line(self) -> dict[str, Any] | None:
        raw = self.file.readline()
        return json.loads(raw) if raw else None

    def result(self) -> str | None:
        """The child's error message, or None when it succeeded."""
        last: dict[str, Any] | None = None
        while (msg := self.line()) is not None:
            last = msg
        self.file.close()
        _, status = os.waitpid(self.pid, 0)
        if last is None:
            return f"copying died ({os.waitstatus_to_exitcode(status)})"
        return None if last.get("ok") else str(last.get("error", "failed"))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def spawn(work: Callable[[Any, int, Callable[[dict[str, Any]], None]], None], job: Any,
          data_fd: int, close: tuple[int, ...] = ()) -> Child:
    libc = _libc()  # before the fork: the child cannot load anything after its chroot
    parent = os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (a child)
        code = 1
        try:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(1)
            os.close(r)
            for fd in close:
                os.close(fd)

            def status(msg: dict[str, Any]) -> None:
                os.write(w, json.dumps(msg).encode()[:60000] + b"\n")

            try:
                work(job, data_fd, status)
                status({"ok": True})
                code = 0
            except (PlaceError, OSError, tarfile.TarError, EOFError) as exc:
                status({"error": _message(exc)})
            except Exception as exc:
                status({"error": f"{type(exc).__name__}: {exc}"})
        finally:
            os._exit(code)
    os.close(w)
    return Child(pid, r)


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def pipe() -> tuple[int, int]:
    r, w = os.pipe2(os.O_CLOEXEC)
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.fcntl(w, _F_SETPIPE_SZ, _CHUNK)
    return r, w


def copy(src: PackJob | None, dst: UnpackJob | None, stdin: int = 0, stdout: int = 1) -> None:
    """Run the copy: src None reads a tar from `stdin`, dst None writes it to `stdout`."""
    if src is None:
        assert dst is not None
        if dst.refuse:
            raise CopyError(dst.refuse)
        _finish([spawn(_unpack, dst, stdin)])
        return
    if dst is None:
        packer = spawn(_pack, src, stdout)
        _header(packer)
        _finish([packer])
        return
    r, w = pipe()
    packer = spawn(_pack, src, w, close=(r,))
    os.close(w)
    try:
        header = _header(packer)  # a missing source is the error first (Podman's order)
        if dst.refuse:
            raise CopyError(dst.refuse)
        unpacker = spawn(_unpack, replace(dst, src_kind=header["kind"], src_name=header["name"]),
                         r)
    except BaseException:
        os.close(r)
        raise
    os.close(r)
    _finish([unpacker, packer])


def pack_to(src: PackJob, out_fd: int, on_header: Callable[[dict[str, Any]], None]) -> None:
    """The REST face's archive (issue 18): `src` packed into `out_fd`; `on_header` gets the
    packer's header (kind, name, size, mode, mtime, link) before the tar flows."""
    packer = spawn(_pack, src, out_fd)
    header = _header(packer)  # a failure is reaped and raised there
    try:
        on_header(header)
    except BaseException:
        packer.kill()
        packer.result()
        raise
    _finish([packer])


def _header(child: Child) -> dict[str, Any]:
    msg = child.line()
    if msg is not None and "kind" in msg:
        return msg
    err = child.result()  # reaps it
    raise CopyError(str(msg.get("error", "failed")) if msg is not None else err or "failed")


def _finish(children: list[Child]) -> None:
    """Wait for all; the first one's error (the receiver's: the sender's EPIPE follows it)."""
    try:
        errors = [child.result() for child in children]
    except BaseException:
        for child in children:
            child.kill()
        raise
    for err in errors:
        if err:
            raise CopyError(err)


__all__ = ["HOST", "CopyError", "PackJob", "UnpackJob", "copy"]
