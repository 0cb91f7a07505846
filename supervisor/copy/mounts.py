"""`mount` and `umount`: a container's root filesystem left mounted for the user's tools.

Counted as Podman counts: each `mount` adds one, each `umount` takes one off, the root is
unmounted when the count reaches 0 (or with `--force`) and the container is not running. The
count lives in `$ROOT/containers/<id>/mounts`; while it exists the run's teardown leaves the
rootfs mounted (`container/resources.py`) and `rm` unmounts it (`container/remove.py`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.store import ContainerLock

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow

COUNT_FILE = "mounts"


@dataclass(frozen=True)
class Mounted:
    id: str
    name: str
    mountpoint: str


def _count_path(ctx: Context, row: ContainerRow) -> str:
    return os.path.join(ctx.paths.container_dir(row.id), COUNT_FILE)


def _count(ctx: Context, row: ContainerRow) -> int:
    try:
        with open(_count_path(ctx, row)) as f:
            return int(f.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _write_count(ctx: Context, row: ContainerRow, count: int) -> None:
    path = _count_path(ctx, row)
    if count <= 0:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    with open(path + ".tmp", "w") as f:
        f.write(f"{count}\n")
    os.replace(path + ".tmp", path)


def mount(ctx: Context, ref: str) -> str:
    row = ctx.find(ref)
    with ContainerLock(ctx.paths, row.id):
        # counted first: a mount made and not counted would be unmounted by the next cleanup
        _write_count(ctx, row, _count(ctx, row) + 1)
        try:
            return ctx.mount_rootfs(row)
        except BaseException:
            _write_count(ctx, row, _count(ctx, row) - 1)
            raise


def umount(ctx: Context, ref: str, force: bool = False) -> None:
    from supervisor.mount import is_mountpoint
    from supervisor.mount import umount as umount2
    from supervisor.state import Status

    row = ctx.refresh(ctx.find(ref))
    with ContainerLock(ctx.paths, row.id):
        left = 0 if force else _count(ctx, row) - 1
        _write_count(ctx, row, left)
        if left > 0 or row.config.rootfs or row.status in (Status.RUNNING, Status.PAUSED):
            return
        target = ctx.paths.rootfs(row.id)
        while is_mountpoint(target):
            umount2(target, detach=True)


def mounted(ctx: Context) -> list[Mounted]:
    """Every container whose root is mounted (running ones too, as Podman lists them)."""
    from supervisor.mount import is_mountpoint

    out = []
    for row in ctx.list():
        target = ctx.paths.rootfs(row.id)
        if not row.config.rootfs and is_mountpoint(target):
            out.append(Mounted(row.id, row.name, target))
    return out


def umount_all(ctx: Context, force: bool = False) -> list[str]:
    """The containers the user mounted (a running one's root is the run's, not theirs)."""
    done = []
    for m in mounted(ctx):
        if not os.path.exists(os.path.join(ctx.paths.container_dir(m.id), COUNT_FILE)):
            continue
        umount(ctx, m.id, force)
        done.append(m.id)
    return done
