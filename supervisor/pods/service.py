"""`kube play --service-container` (Podman 4.3): one container standing for the pods a YAML
file made, for a systemd unit to follow. It runs the pause image's catatonit, with no
network; it starts with the first of its pods, stops when all of them have stopped, and goes
when the last of them goes. `rm` refuses it while a pod of it remains.

Its pods name it (`PodConfig.service_container`); it carries SERVICE_LABEL, which `inspect`
shows as `IsService`. Imported by the exit command (pods/join.py): the engine by its Context
Protocol only."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from supervisor.errors import ScopeboxError
from supervisor.pods import SERVICE_LABEL
from supervisor.pods.db import PodDB

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.options import CreateOptions
    from supervisor.pods.db import PodRow
    from supervisor.store import ContainerRow, Store


def name_for(text: str) -> str:
    """Podman's predictable name: the YAML's sha256, 12 hex digits, then `-service`."""
    import hashlib  # play only: not for every rm and exit command that loads this module

    return hashlib.sha256(text.encode()).hexdigest()[:12] + "-service"


def options(root: str, store: Store, name: str) -> CreateOptions:
    """The service container's: the infra's catatonit and pause image, no network, no log."""
    from supervisor.options import CreateOptions
    from supervisor.pods.infra import INFRA_COMMAND, ensure_pause_image, ensure_rootfs

    tree = ensure_rootfs(root)
    return CreateOptions(
        image=tree, rootfs=True, rootfs_image=ensure_pause_image(store, tree),
        command=list(INFRA_COMMAND), name=name, network="none", log_driver="none",
        labels={SERVICE_LABEL: "true"},
        stop_timeout=0,  # Podman's: SIGKILL at once (exit 137, its unit then fails)
        sdnotify="ignore",  # Podman's: play itself tells a unit (api/kube.py)
    )


def is_service(row: ContainerRow) -> bool:
    return SERVICE_LABEL in row.config.options.labels


def pods_of(ctx: Context, cid: str) -> list[PodRow]:
    return [p for p in PodDB(ctx.store).list() if p.config.service_container == cid]


def check_removal(ctx: Context, row: ContainerRow) -> None:
    """Podman's rule: not while a pod of it remains (`pod rm` takes it with the last)."""
    if not is_service(row):
        return
    pods = pods_of(ctx, row.id)
    if pods:
        raise ScopeboxError(  # 125, as the infra's refusal (Podman's)
            f"container {row.id} is the service container of pod(s) "
            f"{', '.join(p.id for p in pods)} and cannot be removed without removing the pod(s)")


def maybe_start(ctx: Context, pod: PodRow) -> None:
    """Before a pod of it starts: the service container runs again if it had stopped."""
    row = _service(ctx, pod)
    if row is not None and not ctx.refresh(row).status.is_active:
        ctx.start(row.id)


def maybe_stop(ctx: Context, pod: PodRow) -> None:
    """After a pod of it stopped: the service container stops when none of its pods has a
    running container left (their infras included)."""
    row = _service(ctx, pod)
    if row is None or not ctx.refresh(row).status.is_active:
        return
    db = PodDB(ctx.store)
    for other in pods_of(ctx, row.id):
        for cid in db.members(other.id):
            member = ctx.store.get_container(cid)
            if member is not None and ctx.refresh(member).status.is_active:
                return
    with contextlib.suppress(ScopeboxError):  # another exit may have stopped it first
        ctx.stop(row.id)


def maybe_remove(ctx: Context, service_id: str) -> None:
    """After a pod of it was removed: the service container goes with the last of them."""
    if not service_id or pods_of(ctx, service_id):
        return
    with contextlib.suppress(ScopeboxError):  # gone already
        ctx.remove(service_id, force=True)


def _service(ctx: Context, pod: PodRow) -> ContainerRow | None:
    cid = pod.config.service_container
    return ctx.store.get_container(cid) if cid else None
