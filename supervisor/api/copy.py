"""`cp`, `diff`, `mount`/`umount` and `commit`: a container's files (`supervisor/copy/`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supervisor.api import Report, session
from supervisor.errors import ScopeboxError, mapped
from supervisor.records import NamedTuple
from supervisor.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from supervisor.copy.diff import Changes
    from supervisor.copy.mounts import Mounted


@dataclass(frozen=True)
class CopyRequest:
    source: str  # CONTAINER:PATH, a host path, or "-" (a tar on stdin)
    dest: str  # CONTAINER:PATH, a host path, or "-" (a tar on stdout)
    archive: bool = True
    overwrite: bool = False


def cp(settings: Settings, req: CopyRequest) -> None:
    from supervisor.copy import ops
    from supervisor.copy.place import parse_endpoint

    opts = ops.CopyOptions(archive=req.archive, overwrite=req.overwrite)
    with session(settings) as eng:
        ops.copy(eng, parse_endpoint(req.source), parse_endpoint(req.dest), opts)


class PathStat(NamedTuple):
    """A container path as the REST face's archive endpoints describe it (issue 18)."""

    name: str
    size: int
    mode: int  # st_mode
    mtime: float
    link_target: str  # where a symlink led ("": the path is no symlink)


def _path_stat(header: dict[str, Any]) -> PathStat:
    return PathStat(str(header.get("name", "")), int(header.get("size", 0)),
                    int(header.get("mode", 0)), float(header.get("mtime", 0)),
                    str(header.get("link", "")))  # fmt: skip


def _missing(exc: ScopeboxError, path: str) -> ScopeboxError:
    from supervisor.errors import NotFoundError

    if "could not be found" in str(exc):
        return NotFoundError("file", path)
    return exc


def archive_get(settings: Settings, ref: str, path: str, out_fd: int,
                on_stat: Callable[[PathStat], None]) -> None:  # fmt: skip
    """The container's `path` as a tar into `out_fd`; `on_stat` first (a missing path:
    NotFoundError before it)."""
    from supervisor.copy import ops

    with session(settings) as eng:
        try:
            ops.archive_out(eng, ref, path, out_fd, lambda h: on_stat(_path_stat(h)))
        except ScopeboxError as exc:
            raise _missing(exc, path) from None


def archive_stat(settings: Settings, ref: str, path: str) -> PathStat:
    import os

    from supervisor.copy import ops

    got: list[PathStat] = []
    null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    try:
        with session(settings) as eng:
            ops.archive_out(eng, ref, path, null, lambda h: got.append(_path_stat(h)), True)
    except ScopeboxError as exc:
        raise _missing(exc, path) from None
    finally:
        os.close(null)
    return got[0]


def archive_put(settings: Settings, ref: str, path: str, in_fd: int,
                keep_owners: bool = False, overwrite: bool = True,
                rename: dict[str, str] | None = None) -> None:  # fmt: skip
    """A tar from `in_fd` unpacked into the container's directory `path`; not `overwrite`:
    a directory does not replace a file, nor a file a directory."""
    from supervisor.copy import ops

    with session(settings) as eng:
        try:
            ops.archive_in(eng, ref, path, in_fd, keep_owners, overwrite, rename)
        except ScopeboxError as exc:
            raise _missing(exc, path) from None


def diff(settings: Settings, ref: str, what: str = "layer") -> Changes:
    from supervisor.copy import diff as engine_diff

    with session(settings) as eng:
        return engine_diff.diff(eng, ref, what)


def mount(settings: Settings, refs: list[str]) -> list[Report]:
    """`mount CONTAINER...`: each report's `id` is the mount point."""
    from supervisor.copy import mounts

    with session(settings) as eng:
        out = []
        for ref in refs:
            try:
                with mapped():
                    out.append(Report(mounts.mount(eng, ref), ref))
                    _event(eng, ref, "mount")  # events (issue 14)
            except ScopeboxError as exc:
                out.append(Report(ref, ref, exc))
        return out


def mounted(settings: Settings) -> list[Mounted]:
    from supervisor.copy import mounts

    with session(settings) as eng:
        return mounts.mounted(eng)


def umount(settings: Settings, refs: list[str], all_: bool = False,
           force: bool = False) -> list[Report]:
    from supervisor.copy import mounts

    with session(settings) as eng:
        if all_:
            return [Report(cid, cid) for cid in mounts.umount_all(eng, force)]
        out = []
        for ref in refs:
            try:
                with mapped():
                    mounts.umount(eng, ref, force)
                out.append(Report(ref, ref))
            except ScopeboxError as exc:
                out.append(Report(ref, ref, exc))
        return out


@dataclass(frozen=True)
class CommitRequest:
    container: str
    reference: str | None = None
    changes: tuple[str, ...] = ()
    message: str = ""
    author: str = ""
    pause: bool = True
    format: str = "oci"
    include_volumes: bool = False


def commit(settings: Settings, req: CommitRequest) -> str:
    """The new image's id."""
    from supervisor.copy import commit as engine_commit

    opts = engine_commit.CommitOptions(req.reference, list(req.changes), req.message,
                                       req.author, req.pause, req.format, req.include_volumes)
    with session(settings) as eng:
        image_id = engine_commit.commit(eng, req.container, opts)
        _event(eng, req.container, "commit")  # events (issue 14)
        return image_id


def _event(eng: Any, ref: str, status: str) -> None:  # events (issue 14)
    from supervisor.events.write import container

    container(eng, eng.find(ref), status)
