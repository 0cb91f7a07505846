"""`export`: the container's filesystem as a tar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from supervisor.mount import is_mountpoint, umount
from supervisor.store import ContainerLock

if TYPE_CHECKING:
    from supervisor.container.context import Context


def export(ctx: Context, ref: str, out: BinaryIO) -> None:
    """The container's filesystem as a tar; a stopped one is mounted for the while."""
    from supervisor.layers import write_tar

    row = ctx.find(ref)
    with ContainerLock(ctx.paths, row.id):  # no start/cleanup mounts or unmounts meanwhile
        target = ctx.paths.rootfs(row.id)
        was_mounted = row.config.rootfs or is_mountpoint(target)
        target = ctx.mount_rootfs(row)
        try:
            userns = row.config.userns  # issues 17/19: the ids as the container sees them
            write_tar(target, out, layer=False,
                      owner=userns.to_container if userns.mapped else None)
        finally:
            if not was_mounted:
                umount(target, detach=True)
