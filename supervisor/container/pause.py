"""`pause` and `unpause` (the cgroup freezer, through the runtime).
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from supervisor.container.oci import runtime_or_fail
from supervisor.errors import (
    ScopeboxError,
    StateError,
)
from supervisor.state import Status
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def pause(ctx: Context, ref: str) -> ContainerRow:
    from supervisor.rootless import refuse_without_cgroup_v2  # issue 17

    refuse_without_cgroup_v2("pause is not supported for cgroupv1 rootless containers")
    row = ctx.settled(ref)
    # Podman's words, "container state improper" included: podman-remote's pause --all
    # skips a container whose error says it (this one names the state, as Podman's does)
    if row.status is Status.PAUSED:
        raise StateError(f'"{row.id}" is already paused: container state improper')
    if row.status is not Status.RUNNING:
        raise StateError(f'"{row.status.value}" is not running, can\'t pause: '
                         "container state improper")
    mark_paused(ctx, row, True)
    try:
        runtime_or_fail(ctx, row, "pause")
    except ScopeboxError:
        mark_paused(ctx, row, False)
        raise
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "pause")
    return ctx.store.update_container(row.id, status=Status.PAUSED)


def unpause(ctx: Context, ref: str) -> ContainerRow:
    row = ctx.settled(ref)
    if row.status is not Status.PAUSED:
        raise StateError(f'"{row.id}" is not paused, can\'t unpause: container state improper')
    runtime_or_fail(ctx, row, "resume")
    mark_paused(ctx, row, False)
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "unpause")
    return ctx.store.update_container(row.id, status=Status.RUNNING)


def mark_paused(ctx: Context, row: ContainerRow, paused: bool) -> None:
    """`paused` in the run dir: the monitor skips healthchecks (an exec cannot run in a
    frozen container; its failure must not count)."""
    if row.config.healthcheck is None:
        return
    path = os.path.join(ctx.paths.container_rundir(row.id), "paused")
    if paused:
        with contextlib.suppress(FileNotFoundError), open(path, "w"):
            pass
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
