"""The container's root filesystem: an overlay of the image's layers, or a --rootfs dir.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supervisor.errors import (
    NotFoundError,
)
from supervisor.mount import is_mountpoint
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from collections.abc import Callable

    from supervisor.container.context import Context
    from supervisor.idmaps import Userns


def mount_rootfs(ctx: Context, row: ContainerRow) -> str:
    if row.config.rootfs:
        if row.config.userns.private:  # issues 17/19: used as it is, but reachable
            _searchable(os.path.abspath(row.image_name))
        return os.path.abspath(row.image_name)
    from supervisor import images, rootfs

    target = ctx.paths.rootfs(row.id)
    if not is_mountpoint(target):
        if row.config.options.rootfs:  # --rootfs DIR:O: the tree is the one lower layer
            lowers = [os.path.abspath(row.config.options.image)]
        else:
            img = ctx.store.get_image(row.image_id)
            if img is None:
                raise NotFoundError("image", row.image_name)
            lowers = images.layer_dirs(ctx.paths, img)
        cdir = ctx.paths.container_dir(row.id)
        shift = _shift(row.config.userns)  # issues 17/19: owned through the container's map
        if shift is not None:
            _searchable(cdir)
        rootfs.mount_layers(lowers, cdir, target, shift)
    return target


def _shift(userns: Userns) -> Callable[[int, int], tuple[int, int]] | None:
    """How the image's ids are owned on disk for this container: through its maps, or the
    maps of the namespace file it joins (ns:PATH, read when its rootfs is first made)."""
    if userns.mode == "ns":
        from dataclasses import replace

        from supervisor.idmaps import read_ns_maps

        uids, gids = read_ns_maps(userns.target)
        userns = replace(userns, mode="private", uid_map=tuple(uids), gid_map=tuple(gids))
    return userns.to_host if userns.mapped else None


def _searchable(cdir: str) -> None:
    """issues 17/19: the runtime mounts the rootfs as the container's root, a host id with
    no rights here: it must be able to walk to it. Podman makes each directory above its
    store searchable too (0711: no listing)."""
    path = cdir
    while True:
        mode = os.stat(path).st_mode
        if mode & 0o011 != 0o011:
            os.chmod(path, (mode & 0o7777) | 0o011)
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent
