"""A member's start starts its pod's infra container first (the namespaces it joins).
Imported by `container/start.py`: this module names the engine by its Context Protocol only."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supervisor.pods.db import PodDB

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.pods.db import PodRow
    from supervisor.store import ContainerRow


def before_start(ctx: Context, row: ContainerRow) -> None:
    """A member's start starts its pod's infra first: its namespaces must exist."""
    pods = PodDB(ctx.store)
    pod_id = pods.pod_of(row.id)
    if not pod_id:
        return
    pod = pods.get(pod_id)
    if pod is not None and pod.config.cgroup:  # helper podsx: the pod's slice or cgroup first
        from supervisor.pods.cgroup import ensure, is_slice

        ensure(ctx.systemd() if is_slice(pod.config.cgroup) else None, pod.config, pod.name)
    if pod is None or not pod.infra_id or pod.infra_id == row.id:
        return
    infra = ctx.refresh(ctx.find(pod.infra_id))
    if not infra.status.is_active:
        ctx.start(infra.id)
        infra_started(ctx, pod)  # helper podsx


def pod_of(ctx: Context, cid: str) -> str:
    """The pod a container belongs to ('' for none): read before a --rm container goes."""
    return PodDB(ctx.store).pod_of(cid)


def after_exit(ctx: Context, pod_id: str) -> None:
    """`pod create --exit-policy stop` (Podman 4.3): when the last of its containers has
    exited, the pod's infra is stopped too, and then a `kube play --service-container`
    service container whose pods have all stopped. Called by the exit command (cleanup)."""
    if not pod_id:
        return
    pods = PodDB(ctx.store)
    pod = pods.get(pod_id)
    if pod is None or not (pod.config.exit_policy == "stop" or pod.config.service_container):
        return
    for cid in pods.members(pod.id):
        if cid == pod.infra_id:
            continue
        row = ctx.store.get_container(cid)
        if row is not None and ctx.refresh(row).status.is_active:
            return
    infra = ctx.store.get_container(pod.infra_id) if pod.infra_id else None
    if (pod.config.exit_policy == "stop" and infra is not None
            and ctx.refresh(infra).status.is_active):
        import contextlib

        from supervisor.errors import ScopeboxError

        # another member's exit may have stopped it first, or it is gone
        with contextlib.suppress(ScopeboxError):
            ctx.stop(infra.id)
    if pod.config.service_container:  # kube play --service-container (pods/service.py)
        from supervisor.pods import service

        service.maybe_stop(ctx, pod)


def infra_started(ctx: Context, pod: PodRow) -> None:
    """`pod create --infra-conmon-pidfile` (helper podsx): the infra's monitor pid, written
    after each start (a generated pod unit's PIDFile=)."""
    path = pod.config.infra_conmon_pidfile
    if not path or not pod.infra_id:
        return
    row = ctx.store.get_container(pod.infra_id)
    # an infra without a monitor (container/bare.py): catatonit itself stands for it
    pid = row.monitor_pid or row.pid if row is not None else 0
    if not pid:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{pid}\n")
    os.replace(tmp, path)
