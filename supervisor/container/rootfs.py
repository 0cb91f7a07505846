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
    from supervisor.container.context import Context


def mount_rootfs(ctx: Context, row: ContainerRow) -> str:
    if row.config.rootfs:
        return os.path.abspath(row.image_name)
    from supervisor import images, rootfs

    target = ctx.paths.rootfs(row.id)
    if not is_mountpoint(target):
        img = ctx.store.get_image(row.image_id)
        if img is None:
            raise NotFoundError("image", row.image_name)
        lowers = images.layer_dirs(ctx.paths, img)
        rootfs.mount_layers(lowers, ctx.paths.container_dir(row.id), target)
    return target
