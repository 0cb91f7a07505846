"""`stop`: the stop signal, the grace period, SIGKILL, and a service unit's stop.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from supervisor.container.kill import end_restarts, kill_for_good, mark_stopped, signal_container
from supervisor.errors import (
    RuntimeFailed,
)
from supervisor.procs import alive
from supervisor.restarts import is_service
from supervisor.state import Status
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from supervisor.container.context import Context


def stop(ctx: Context, ref: str, timeout: int | None = None) -> ContainerRow:
    row = mark_stopped(ctx, ctx.settled(ref))
    service = is_service(row)
    if not row.status.is_active:
        return row
    grace = row.config.stop_timeout if timeout is None else timeout
    if alive(row.pid, row.pid_start):
        from supervisor.stopping import Stopping, mark_user_stop

        mark_user_stop(ctx.paths.container_dir(row.id))
        with Stopping(ctx.paths.container_rundir(row.id)):
            gone = False
            if grace > 0:  # Podman's: no grace period, no stop signal (SIGKILL at once)
                signal_container(ctx, row, row.config.stop_signal, all_processes=False)
                gone = ctx.wait_container_gone(row, grace)
        if not gone:
            if grace > 0:  # Podman's warning, in its words (its tests match them)
                _warn_killed(row, grace)
            kill_for_good(ctx, row)
        from supervisor.events.write import container as event  # events (issue 14)

        event(ctx, row, "stop")
    end_restarts(ctx, row)  # the cgroupfs manager: no back-off goes on after a stop
    if service:
        stop_service(ctx, row)
    # performance (issue 16): once the exit is known, stop cleans up itself, as Podman's
    # does, instead of waiting for the monitor's exit command (a second CLI) to do it; that
    # command then finds nothing left to do and ends at once (api.containers.cleanup). The
    # monitor's end is still waited for: its scope is gone when stop returns.
    if ctx.wait_exit_known(row, 30):
        ctx.cleanup(row.id)
    ctx.wait_monitor_gone(row, 30)
    fresh = ctx.store.get_container(row.id)
    if fresh is None:  # --rm: its cleanup removed it
        code = ctx.removed_exit_code(row.id)
        return row._replace(status=Status.EXITED, exit_code=-1 if code is None else code)
    return ctx.refresh(fresh)


def _warn_killed(row: ContainerRow, grace: int) -> None:
    import signal

    from supervisor.notices import notice

    try:
        name = signal.Signals(row.config.stop_signal).name
    except ValueError:
        name = str(row.config.stop_signal)
    notice(f"StopSignal {name} failed to stop container {row.name} in {grace} seconds,"
           " resorting to SIGKILL")


def stop_together(ctx: Context, rows: Sequence[ContainerRow], timeout: int | None) -> None:
    """`pod stop`, `kube down`, `pod rm -f -t N` (issue 15): `stop` of several at once. The
    stop signal goes to every one, then each gets what is left of its grace period (not
    one grace period after another), SIGKILL past it; then each is cleaned up here, as
    `stop` does. Running ones only, without a unit (restart policy under systemd): the
    callers check."""
    import time

    started = time.monotonic()
    signalled = []
    for row in rows:
        row = mark_stopped(ctx, row)
        if row.status.is_active and alive(row.pid, row.pid_start):
            signal_container(ctx, row, row.config.stop_signal, all_processes=False)
            signalled.append(row)
    from supervisor.events.write import container as event  # events (issue 14)

    for row in signalled:
        grace = row.config.stop_timeout if timeout is None else timeout
        if not ctx.wait_container_gone(row, max(started + grace - time.monotonic(), 0)):
            kill_for_good(ctx, row)
        event(ctx, row, "stop")
    for row in rows:  # a restart policy without systemd: a back-off ends now
        end_restarts(ctx, row)
    for row in rows:
        if ctx.wait_exit_known(row, 30):
            ctx.cleanup(row.id)
    for row in rows:
        ctx.wait_monitor_gone(row, 30)


def can_stop_together(row: ContainerRow) -> bool:
    return row.status is Status.RUNNING and not is_service(row)


def stop_service(ctx: Context, row: ContainerRow) -> None:
    """Stop scopebox-<id>.service and wait: a pending restart is cancelled, and the
    monitor (SIGTERM) ends the container and cleans up. A unit already gone is fine."""
    from supervisor.restarts import unit_name
    from units.errors import NoSuchUnitError, UnitsError

    sd = ctx.systemd()
    if sd is None:
        return
    unit = unit_name(row.id)
    try:
        sd.stop_unit(unit, wait=True, timeout=float(row.config.stop_timeout) + 40)
    except NoSuchUnitError:
        return
    except UnitsError as exc:
        raise RuntimeFailed(f"cannot stop unit {unit}: {exc}") from exc
    with contextlib.suppress(UnitsError):
        sd.reset_failed_unit(unit)
