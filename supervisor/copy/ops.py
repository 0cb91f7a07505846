"""`cp` against containers: reach the container's root, then let `stream` do the copy.

A running (or paused) container is reached through `/proc/<pid>/root`: its own mount
namespace, so its volumes and bind-mounted /etc files are what is copied, as Podman's. A
stopped one has its root mounted for the copy under its lock, and unmounted after unless it
was mounted already (`mount`, a start meanwhile is held off by the lock). Copying into a
running container freezes it meanwhile (the runtime's pause: the cgroup freezer), so it cannot
swap a directory for a symlink under the copy, and thaws it after, unless it was paused.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supervisor.copy.place import HOST, Endpoint, PlaceError, container_path
from supervisor.errors import ScopeboxError, UsageError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.copy.stream import PackJob, UnpackJob
    from supervisor.store import ContainerRow


@dataclass(frozen=True)
class CopyOptions:
    archive: bool = True  # Podman's default: chown to the receiving side's user
    overwrite: bool = False


class NoSuchContainer(ScopeboxError):
    def __init__(self, ref: str) -> None:
        super().__init__(f'container "{ref}" does not exist')  # Podman's cp wording


def copy(ctx: Context, src: Endpoint, dest: Endpoint, opts: CopyOptions) -> None:
    from supervisor.copy import stream

    _check(src, dest)
    shown: dict[str, str] = {}  # a path on a mount as the copy saw it -> as the user wrote it
    with contextlib.ExitStack() as stack:
        src_job = dst_job = None
        if not src.is_stream:
            src_job = _pack_job(ctx, stack, src, dest, opts, shown)
        if not dest.is_stream:
            dst_job = _unpack_job(ctx, stack, dest, opts, shown)
        try:
            stream.copy(src_job, dst_job)
        except (stream.CopyError, PlaceError) as exc:
            message = str(exc)
            for inner, path in shown.items():
                message = message.replace(f'"{inner}"', f'"{path}"')
            raise ScopeboxError(message) from None


def _check(src: Endpoint, dest: Endpoint) -> None:
    if src.container is None and dest.container is None:
        raise UsageError("name or ID cannot be empty")  # Podman's words: no container named
    if not src.path or not dest.path:
        raise UsageError(f'invalid arguments "{_show(src)}", "{_show(dest)}": you must'
                         " specify paths")


def _host_destination(path: str) -> tuple[str, str]:
    """A host destination is a directory or a regular file (Podman's rule and words): a
    device, fifo or socket is refused, and a symlink is followed to what it names, never
    replaced (`cp ctr:/f /dev/stdout` replaced that link with a file; /dev/null the same).
    Returns the path to write and, for a refused one, the error (said after the source's)."""
    import stat

    given = path
    if not os.path.islink(path.rstrip("/") or "/"):
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return path, ""  # made by the copy
    else:
        try:
            mode = os.stat(path).st_mode
        except OSError:  # a dangling link: what it names is made
            mode = stat.S_IFREG
        resolved = os.path.realpath(path.rstrip("/"))
        path = resolved + ("/" if path.endswith("/") else "")
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        return path, f'invalid destination: "{given}" must be a directory or a regular file'
    return path, ""


def _show(end: Endpoint) -> str:
    return end.path if end.container is None else f"{end.container}:{end.path}"


def _pack_job(ctx: Context, stack: contextlib.ExitStack, src: Endpoint, dest: Endpoint,
              opts: CopyOptions, shown: dict[str, str] | None = None) -> PackJob:
    from supervisor.copy.stream import PackJob

    if src.container is None:
        if not os.path.lexists(src.path.rstrip("/") or "/"):
            raise PlaceError(f'"{src.path}" could not be found on the host: no such file or'
                             " directory")
        return PackJob(None, src.path, HOST)
    row = _find(ctx, src.container)
    root = stack.enter_context(container_root(ctx, row, freeze=False))
    # out to the host (a file or stdout): owned by the caller, no setuid from a container
    owner = (os.geteuid(), os.getegid()) if opts.archive and dest.container is None else None
    root, path, cwd = on_mounts(ctx, row, root, src.path, _workdir(ctx, row))
    if shown is not None and path != src.path:
        shown[path] = src.path
    return PackJob(root, path, row.name, owner, drop_setid=True, cwd=cwd)


def _unpack_job(ctx: Context, stack: contextlib.ExitStack, dest: Endpoint,
                opts: CopyOptions, shown: dict[str, str] | None = None) -> UnpackJob:
    from supervisor.copy.stream import UnpackJob

    if dest.container is None:
        owner = (os.geteuid(), os.getegid()) if opts.archive else None
        path, refuse = _host_destination(dest.path)
        return UnpackJob(None, path, HOST, owner=owner, overwrite=opts.overwrite,
                         follow=False, refuse=refuse)  # fmt: skip
    row = _find(ctx, dest.container)
    root = stack.enter_context(container_root(ctx, row, freeze=True))
    owner = container_user(ctx, row, root) if opts.archive else None
    root, path, cwd = on_mounts(ctx, row, root, dest.path or ".", _workdir(ctx, row))
    if shown is not None and path != (dest.path or "."):
        shown[path] = dest.path
    return UnpackJob(root, path, row.name, owner=owner, overwrite=opts.overwrite, follow=True,
                     cwd=cwd)  # fmt: skip


def on_mounts(ctx: Context, row: ContainerRow, root: str, path: str,
              cwd: str) -> tuple[str, str, str]:
    """Podman's resolvePath for a container that is not running (a running one's root is
    its own mount namespace, volumes and all): a path on a volume or a bind mount is that
    one's, the innermost mount holding it, on the host; else it is in the root. Returns the
    root to copy in, the path in it and the directory a relative path starts from."""
    import posixpath

    if root.startswith("/proc/"):  # container_root's running container
        return root, path, cwd
    # "//x" stays "//x" under normpath (POSIX): one leading slash, so the walk ends at "/"
    full = posixpath.normpath("/" + posixpath.join(cwd, path).lstrip("/"))
    tail = "/." if path.endswith("/.") else "/" if path.endswith("/") else ""
    volumes = {posixpath.normpath(v.destination): v.name for v in row.config.volumes}
    binds = {posixpath.normpath(m.destination): m.source for m in row.config.mounts
             if m.type == "bind"}
    search = full
    while True:
        host = binds.get(search)
        if search in volumes:
            host = _volume_path(ctx, volumes[search])
        if host is not None:
            rest = posixpath.relpath(full, search)
            inner = "/" if rest == "." else "/" + rest
            return host, (inner.rstrip("/") + tail) or "/", "/"
        parent = posixpath.dirname(search)
        if parent == search:  # "/"
            return root, path, cwd
        search = parent


def _volume_path(ctx: Context, name: str) -> str:
    """A volume's data on the host; a `type=` one only while mounted (Podman's words)."""
    from supervisor.mount import is_mountpoint
    from supervisor.volumes import local
    from supervisor.volumes.db import VolumeDB

    vol = VolumeDB(ctx.store).find(name)
    data = local.data_dir(ctx.paths, name)
    if vol is None or not os.path.isdir(data) or (vol.needs_mount and not is_mountpoint(data)):
        raise ScopeboxError(f"volume {name} is not mounted, cannot copy into it")
    return data


def _workdir(ctx: Context, row: ContainerRow) -> str:
    """Podman's `cp` takes a relative container path from the container's working directory
    (its --workdir, else the image's)."""
    if row.config.options.workdir:
        return row.config.options.workdir
    img = ctx.store.get_image(row.image_id) if row.image_id else None
    img_cfg = (img.config.get("config") or {}) if img else {}
    return str(img_cfg.get("WorkingDir") or "/")


def _find(ctx: Context, ref: str) -> ContainerRow:
    from supervisor.errors import NotFoundError

    try:
        return ctx.find(ref)
    except NotFoundError:
        raise NoSuchContainer(ref) from None


def container_user(ctx: Context, row: ContainerRow, root: str) -> tuple[int, int]:
    """The uid and gid of the container's user (`--user`, else the image's USER)."""
    from supervisor.users import resolve_user

    img = ctx.store.get_image(row.image_id) if row.image_id else None
    img_cfg = (img.config.get("config") or {}) if img else {}
    user = resolve_user(root, row.config.options.user or img_cfg.get("User", ""))
    return user.uid, user.gid


@contextlib.contextmanager
def container_root(ctx: Context, row: ContainerRow, freeze: bool) -> Iterator[str]:
    """A path to the container's root for the copy's children to chroot into."""
    from supervisor.procs import alive
    from supervisor.state import Status

    row = ctx.refresh(row)
    if row.status in (Status.RUNNING, Status.PAUSED) and alive(row.pid, row.pid_start):
        with _frozen(ctx, row, freeze and row.status is Status.RUNNING):
            yield f"/proc/{row.pid}/root"
        return
    with mounted(ctx, row) as root:
        yield root


@contextlib.contextmanager
def _frozen(ctx: Context, row: ContainerRow, freeze: bool) -> Iterator[None]:
    from supervisor.container.oci import runtime_or_fail

    if not freeze:
        yield
        return
    runtime_or_fail(ctx, row, "pause")
    try:
        yield
    finally:
        runtime_or_fail(ctx, row, "resume")


@contextlib.contextmanager
def mounted(ctx: Context, row: ContainerRow) -> Iterator[str]:
    """A stopped container's root, mounted for the while under its lock (as `export`)."""
    from supervisor.mount import is_mountpoint, umount
    from supervisor.store import ContainerLock

    with ContainerLock(ctx.paths, row.id):
        target = ctx.paths.rootfs(row.id)
        was_mounted = bool(row.config.rootfs) or is_mountpoint(target)
        target = ctx.mount_rootfs(row)
        try:
            yield target
        finally:
            if not was_mounted:
                umount(target, detach=True)


def archive_out(ctx: Context, ref: str, path: str, out_fd: int,
                on_header: Callable[[dict[str, Any]], None], stat_only: bool = False) -> None:
    """The REST face's `GET`/`HEAD /containers/{id}/archive` (issue 18): the container's
    path as a tar into `out_fd` (owners as in the container), its header first."""
    from supervisor.copy import stream

    with contextlib.ExitStack() as stack:
        row = _find(ctx, ref)
        root = stack.enter_context(container_root(ctx, row, freeze=False))
        job = stream.PackJob(root, container_path(path), row.name, None, drop_setid=False,
                             stat_only=stat_only)  # fmt: skip
        try:
            stream.pack_to(job, out_fd, on_header)
        except (stream.CopyError, PlaceError) as exc:
            raise ScopeboxError(str(exc)) from None


def archive_in(ctx: Context, ref: str, path: str, in_fd: int, keep_owners: bool,
               overwrite: bool = True, rename: dict[str, str] | None = None) -> None:  # fmt: skip
    """The REST face's `PUT /containers/{id}/archive` (issue 18): a tar (maybe compressed)
    from `in_fd` unpacked into the container's directory `path`; owned by the container's
    user unless `keep_owners` (Docker's copyUIDGID)."""
    from supervisor.copy import stream

    with contextlib.ExitStack() as stack:
        row = _find(ctx, ref)
        root = stack.enter_context(container_root(ctx, row, freeze=True))
        owner = None if keep_owners else container_user(ctx, row, root)
        job = stream.UnpackJob(root, container_path(path), row.name, owner=owner,
                               overwrite=overwrite, follow=True,
                               rename=tuple((rename or {}).items()))  # fmt: skip
        try:
            stream.copy(None, job, stdin=in_fd)
        except (stream.CopyError, PlaceError) as exc:
            raise ScopeboxError(str(exc)) from None
