"""Undo what start made, idempotently.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from supervisor.mount import is_mountpoint, umount
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.engine import Engine


def teardown(ctx: Engine, row: ContainerRow) -> None:
    """Undo what start did: runtime state, rootfs mount, run dir. Idempotent."""
    ctx.run_runtime(row, "delete", "--force", row.id)
    if not row.config.rootfs:
        rootfs = ctx.paths.rootfs(row.id)
        while is_mountpoint(rootfs):
            umount(rootfs, detach=True)
    shutil.rmtree(ctx.paths.container_rundir(row.id), ignore_errors=True)
    if ctx.store.get_container(row.id) is not None:
        ctx.store.update_container(row.id, cleaned=True)
