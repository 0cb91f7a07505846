"""The per-run resource of containers with volumes, and the release of anonymous volumes.

`volumes` (in `container/resources.py:for_run`): setup mounts the file systems of the
container's `--opt type=` volumes that are not mounted yet; teardown unmounts those no other
running container uses (a container counts while its run's record names this resource: the
record is written before setup, so a starting container is never unmounted under).

Standard library only (teardown and `run --rm`'s release run in the monitor's exit command
under `python3 -I -S`).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from supervisor.errors import ConflictError
from supervisor.volumes import local
from supervisor.volumes.db import VolumeDB

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow


def _active(ctx: Context) -> set[str]:
    rows = ctx.store._db.execute(
        "SELECT id FROM containers WHERE resources LIKE '%\"volumes\"%'").fetchall()
    return {r[0] for r in rows}


class VolumeMounts:
    name: ClassVar[str] = "volumes"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        db = VolumeDB(ctx.store)
        for v in row.config.volumes:
            vol = db.find(v.name)
            if vol is not None and vol.needs_mount:
                local.make(ctx.paths, vol)
                with local.volume_lock(ctx.paths, v.name):
                    local.mount_volume(ctx.paths, vol)

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        names = [v.name for v in row.config.volumes]
        if names:
            local.teardown_mounts(ctx.paths, VolumeDB(ctx.store), names, row.id, _active(ctx))


VOLUMES = VolumeMounts()


def release_anonymous(ctx: Context, row: ContainerRow) -> None:
    """`rm -v`, `run --rm`: the container's anonymous volumes go with it (one another
    container still uses, through --volumes-from, stays)."""
    anonymous = [v.name for v in row.config.volumes if v.anonymous]
    if not anonymous:
        return
    db = VolumeDB(ctx.store)
    from supervisor.events.write import other  # events (issue 14)

    for name in anonymous:
        with contextlib.suppress(ConflictError):
            local.remove(ctx.paths, db, name, exclude=frozenset([row.id]))
            other(ctx.settings, ctx.paths, "volume", "remove", name=name)
