"""`rm`: tear down and forget a container.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from typing import TYPE_CHECKING

from supervisor.container.kill import kill_for_good, mark_stopped
from supervisor.container.resources import teardown
from supervisor.container.stop import stop_service
from supervisor.errors import (
    StateError,
)
from supervisor.procs import alive
from supervisor.restarts import is_service
from supervisor.store import ContainerLock, ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def keep_exit_code(ctx: Context, row: ContainerRow) -> None:
    """An --rm container's exit code outlives it, for `wait` and `stop` (as Podman's
    exits dir). Files older than an hour are pruned; /run is a tmpfs anyway."""
    exits = os.path.join(ctx.paths.runroot, "exits")
    os.makedirs(exits, mode=0o700, exist_ok=True)
    cutoff = time.time() - 3600
    for name in os.listdir(exits):
        path = os.path.join(exits, name)
        with contextlib.suppress(OSError):
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
    tmp = os.path.join(exits, f".{row.id}.tmp")
    with open(tmp, "w") as f:
        f.write(f"{row.exit_code}\n")
    os.replace(tmp, os.path.join(exits, row.id))


def remove(ctx: Context, ref: str, force: bool = False, volumes: bool = False) -> ContainerRow:
    row = ctx.settled(ref)
    from supervisor.depends import check_removable  # helper "flags"

    check_removable(ctx, row)
    if row.status.is_active:
        if not force:
            raise StateError(
                f"cannot remove container {row.name!r} as it is running:"
                " stop it first or use -f"
            )
        row = mark_stopped(ctx, row)
        if alive(row.pid, row.pid_start):
            kill_for_good(ctx, row)
        ctx.wait_monitor_gone(row, 30)
    if is_service(row):
        mark_stopped(ctx, row)
        stop_service(ctx, row)
    with ContainerLock(ctx.paths, row.id) as lock:
        fresh = ctx.store.get_container(row.id)
        if fresh is None:  # removed meanwhile (another rm, or --rm)
            lock.discard()
            return row
        fresh = ctx.refresh(fresh, locked=True)
        if fresh.status.is_active:
            raise StateError(f"container {row.name!r} is still running")
        remove_locked(ctx, fresh, volumes)
        lock.discard()
    return row


def remove_locked(ctx: Context, row: ContainerRow, volumes: bool = False) -> None:
    teardown(ctx, row)
    # mount (supervisor/copy/mounts.py): a root the user mounted goes with the container
    from supervisor.mount import is_mountpoint, umount

    while not row.config.rootfs and is_mountpoint(ctx.paths.rootfs(row.id)):
        umount(ctx.paths.rootfs(row.id), detach=True)
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "remove")  # before the row goes: its pod membership is read from the store
    ctx.store.delete_container(row.id)
    shutil.rmtree(ctx.paths.container_dir(row.id), ignore_errors=True)
    # volumes (issue 14): `rm -v` and `--rm` take the anonymous volumes along
    if volumes or row.config.auto_remove:
        from supervisor.volumes.resource import release_anonymous

        release_anonymous(ctx, row)
    # end volumes
