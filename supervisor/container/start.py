"""start (see supervisor/container/launch.py for the monitor and runtime sequence).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from supervisor.container.launch import Started, launch, launch_service, start_initialized
from supervisor.container.resources import teardown
from supervisor.errors import (
    StateError,
    UsageError,  # helper "flags"
)
from supervisor.model import SdNotify, notify_socket
from supervisor.procs import alive
from supervisor.restarts import is_service, stopped_file
from supervisor.state import Status, can_init, can_start
from supervisor.store import ContainerLock, ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def start(ctx: Context, ref: str, attach: bool = False, preserve_fds: int = 0,
          tty_size: tuple[int, int] | None = None) -> Started:
    """`tty_size`: an attaching caller's terminal (rows, cols), the container's terminal's
    size before its process starts (Podman's: `stty size` as the first command reads it)."""
    row = ctx.store.find_container(ref)
    if row.monitor_pid and not row.cleaned and alive(row.monitor_pid, row.monitor_start):
        # A run that ended (`wait` answered at its exit record) may still be cleaning up:
        # the previous monitor's exit command ends first (settled waits for it).
        row = ctx.settled(row.id)
    # pods (issue 15): a pod's member needs its infra container (the namespaces) running
    from supervisor.pods.join import before_start

    before_start(ctx, row)

    from supervisor.depends import start_dependencies  # helper "flags"

    start_dependencies(ctx, row)
    with ContainerLock(ctx.paths, row.id):
        row = ctx.refresh(ctx.store.get_container(row.id) or row, locked=True)
        if row.status is Status.INITIALIZED:
            started = start_initialized(ctx, row)
            _notify_caller(ctx, started.row)
            return started
        if row.status.is_active:
            return Started(row)
        if not can_start(row.status):
            raise StateError(
                f"container {row.name!r} cannot be started from state {row.status.value}"
            )
        if not row.cleaned:
            teardown(ctx, row)
        started = _start_locked(ctx, row, attach, preserve_fds, tty_size)
    _notify_caller(ctx, started.row)
    return started


def init(ctx: Context, ref: str) -> ContainerRow:
    """`init`: the runtime creates the container (its monitor watches it), `start` starts it
    (Podman's "initialized" state). Containers with a restart policy under systemd, and
    pods' infra containers, are made by their unit or without a monitor: refused."""
    row = ctx.settled(ref)
    from supervisor.pods.join import before_start

    before_start(ctx, row)
    with ContainerLock(ctx.paths, row.id):
        row = ctx.refresh(ctx.store.get_container(row.id) or row, locked=True)
        if not can_init(row.status):
            raise StateError(f"container {row.id} has already been created in runtime:"
                             " container state improper")
        from supervisor.container.bare import is_bare

        if is_service(row) or is_bare(row):
            raise UsageError(f"container {row.name!r}: init of a container with a restart"
                             " policy under systemd, or of a pod's infra, is not supported")
        if not row.cleaned:
            teardown(ctx, row)
        return launch(ctx, row, attach=False, init_only=True).row


def _notify_caller(ctx: Context, row: ContainerRow) -> None:
    """--sdnotify for a CLI run by a Type=notify unit (Podman's semantics): the unit's
    main pid becomes the monitor's; with `conmon` the container is ready now, with
    `container` the container sends READY=1 itself (through the runtime's proxy)."""
    mode = row.config.sdnotify
    address = notify_socket(row.config)
    if not address:
        return
    from units.notify import sd_notify

    # (a container without a monitor of its own, a pod's bare infra, has no pid to name)
    lines = [] if is_service(row) or not row.monitor_pid else [f"MAINPID={row.monitor_pid}"]
    if mode is SdNotify.CONMON:
        lines.append("READY=1")
    if lines:
        # The container runs either way; a unit that cannot hear us times out on its own.
        with contextlib.suppress(OSError):
            sd_notify("\n".join(lines), address)


def _start_locked(ctx: Context, row: ContainerRow, attach: bool, preserve_fds: int,
                  tty_size: tuple[int, int] | None = None) -> Started:
    if is_service(row):
        if preserve_fds:  # helper "flags"
            raise UsageError("--preserve-fds cannot be used with a restart policy under"
                             " systemd: systemd starts the container's monitor, and the"
                             " descriptors cannot be handed over to it")
        return launch_service(ctx, row, attach, tty_size)
    from supervisor.container.bare import is_bare, launch_bare  # pods: an infra, no monitor

    if is_bare(row):
        return Started(launch_bare(ctx, row))
    return launch(ctx, row, attach, preserve_fds, tty_size=tty_size)


def startable(ctx: Context, policies: Sequence[str]) -> Sequence[ContainerRow]:
    """`start --all [--filter restart-policy=P]`: containers not running whose policy is
    one of `policies` (any if empty); unless-stopped ones only if no user stopped them."""
    from supervisor.restarts import policy_of

    out = []
    for row in ctx.list():
        name = policy_of(row).name
        if row.status.is_active or (policies and name not in policies):
            continue
        if name == "unless-stopped" and os.path.exists(stopped_file(ctx.paths, row.id)):
            continue
        out.append(row)
    return out
