"""Volumes in containers, the engine's side: `create` names anonymous volumes, resolves
`--volumes-from` and records the volumes it needs; `start` fills new ones from the image
(copy-up), chowns `:U` ones and binds each volume's data dir into the container.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from supervisor.errors import ConflictError, NotFoundError, UsageError
from supervisor.spec import Mount
from supervisor.volumes import local
from supervisor.volumes.db import Volume, VolumeDB
from supervisor.volumes.mounts import VolumeMount, parse_volumes_from, with_mode

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.model import ContainerConfig
    from supervisor.store import ContainerRow


def now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def prepare(ctx: Context, config: ContainerConfig) -> ContainerConfig:
    """`--volumes-from` resolved (the other container's volumes and binds, its mode unless
    `:ro`/`:rw` says otherwise; the new container's own mounts win), anonymous volumes named."""
    mounts, volumes = list(config.mounts), list(config.volumes)
    taken = {m.destination for m in mounts} | {v.destination for v in volumes}
    for ref in config.options.volumes_from:
        name, ro = parse_volumes_from(ref)
        try:
            other = ctx.store.find_container(name)
        except NotFoundError:
            raise UsageError(f"--volumes-from {name!r}: no such container") from None
        for v in other.config.volumes:
            if v.destination not in taken:
                taken.add(v.destination)
                volumes.append(replace(v, options=with_mode(v.options, ro), copy=False))
        for m in other.config.mounts:
            if m.type == "bind" and m.destination not in taken:
                taken.add(m.destination)
                mounts.append(Mount(m.destination, m.source, m.type, with_mode(m.options, ro)))
    volumes = [replace(v, name=os.urandom(32).hex()) if not v.name else v for v in volumes]
    return replace(config, mounts=tuple(mounts), volumes=tuple(volumes))


def make_volumes(ctx: Context, config: ContainerConfig) -> list[str]:
    """Record and make the volumes the container names that do not exist yet; returns the
    names of those made (for `discard` if the container's own record fails)."""
    db = VolumeDB(ctx.store)
    made = []
    for v in config.volumes:
        if db.find(v.name) is not None:
            continue
        try:
            vol = db.add(Volume(v.name, now(), anonymous=v.anonymous))
        except ConflictError:
            continue  # made meanwhile by another create: theirs
        made.append(v.name)
        local.make(ctx.paths, vol)
    return made


def discard(ctx: Context, names: list[str]) -> None:
    db = VolumeDB(ctx.store)
    for name in names:
        local.remove(ctx.paths, db, name)


def run_mounts(ctx: Context, row: ContainerRow, rootfs: str, uid: int, gid: int) -> list[Mount]:
    """The OCI binds of the container's volumes; a new volume is filled from the image first
    (unless `nocopy`), a `:U` one chowned to the container's user."""
    if not row.config.volumes:
        return []
    db = VolumeDB(ctx.store)
    out = []
    for v in row.config.volumes:
        vol = db.find(v.name)
        if vol is None:  # removed with `volume rm -f` meanwhile, or by hand: made again
            vol = db.add(Volume(v.name, now(), anonymous=v.anonymous), ignore=True)
        data = local.data_dir(ctx.paths, v.name)
        if not os.path.isdir(data):
            local.make(ctx.paths, vol)
        out.append(_first_use(ctx, db, vol, v, rootfs, data, (uid, gid)))
    return out


def _first_use(ctx: Context, db: VolumeDB, vol: Volume, v: VolumeMount, rootfs: str,
               data: str, owner: tuple[int, int]) -> Mount:
    # Podman 4.3: a copy-up is owed until an image has content at the mount point
    if vol.needs_copy_up and v.copy and rootfs and local.image_has(rootfs, v.destination):
        local.copy_up(rootfs, v.destination, data)
        db.update(vol.name, needs_copy_up=False)
    elif vol.needs_copy_up and not (v.copy and rootfs):
        db.update(vol.name, needs_copy_up=False)
    if v.chown:
        local.chown_tree(data, *owner)
    if vol.needs_chown and not v.chown and owner != (0, 0) and not os.listdir(data):
        os.chown(data, *owner)  # Podman: a new empty volume belongs to the container's user
    if vol.needs_chown:
        db.update(vol.name, needs_chown=False)
    if v.overlay:  # :O
        from supervisor.volumes.overlay import stored

        return stored(v.destination, data, v.options)
    return Mount(v.destination, data, "bind", v.options)
