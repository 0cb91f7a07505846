"""`kill`, and the signalling that stop and rm -f share.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import TYPE_CHECKING

from supervisor.container.pause import mark_paused
from supervisor.errors import (
    StateError,
)
from supervisor.model import (
    CgroupsMode,
)
from supervisor.procs import alive
from supervisor.restarts import in_place, is_service, stopped_file, supervised
from supervisor.signals import parse_signal
from supervisor.state import Status, can_kill
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def kill(ctx: Context, ref: str, sig: str = "SIGKILL") -> ContainerRow:
    signum = parse_signal(sig)
    row = ctx.settled(ref)
    if not can_kill(row.status):
        raise StateError(f"container {row.name!r} is not running")
    if signum in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT,
                  row.config.stop_signal):
        # Docker: a fatal signal from `kill` disables the restart policy until the next
        # start (a non-fatal one, e.g. SIGUSR1 or SIGHUP, leaves it in place); the same
        # for --health-on-failure=restart.
        row = mark_stopped(ctx, row)
        if in_place(row) and not alive(row.pid, row.pid_start):  # in a back-off: no
            end_restarts(ctx, row)  # restart comes now
            return row
    signal_container(ctx, row, signum, all_processes=False)
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "kill")
    return row


def signal_container(ctx: Context, row: ContainerRow, signum: int, all_processes: bool) -> None:
    if row.status is Status.PAUSED:
        # Frozen tasks do not die (cgroup v1 freezer) and hold signals: thaw first.
        ctx.run_runtime(row, "resume", row.id)
        mark_paused(ctx, row, False)
        ctx.store.update_container(row.id, status=Status.RUNNING)
    # --all needs the container's own cgroup; without one, killing init is enough (its
    # pid namespace takes every other process with it).
    from supervisor.container.bare import remember_signal  # pods: its exit code

    remember_signal(ctx, row, signum)
    every = all_processes and row.config.cgroups is not CgroupsMode.DISABLED
    if not every and _signal_init(row, signum):
        return
    args = ["kill", *(["--all"] if every else []), row.id, str(signum)]
    res = ctx.run_runtime(row, *args)
    if res.returncode != 0 and alive(row.pid, row.pid_start):
        # The runtime's state may be gone (monitor killed mid-way); the pid is still ours.
        os.kill(row.pid, signum)


def _signal_init(row: ContainerRow, signum: int) -> bool:
    """performance (issue 16: stop): what `runc kill ID SIG` does for a started container
    (the signal to its init), by pidfd_send_signal, without a runtime process; the pidfd
    makes sure it is still our process. False: not sent, let the runtime try."""
    from supervisor.procs import pidfd_open

    if row.status is not Status.RUNNING or not alive(row.pid, row.pid_start):
        return False
    try:
        fd = pidfd_open(row.pid)
    except OSError:  # no pidfd_open (kernel < 5.3), or not permitted
        return False
    if fd is None:
        return False
    try:
        if not alive(row.pid, row.pid_start):  # the pid was reused before the open
            return False
        signal.pidfd_send_signal(fd, signum)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def mark_stopped(ctx: Context, row: ContainerRow) -> ContainerRow:
    """A user's stop, kill or rm -f: `stopped` in the container's dir. Neither a
    service's monitor (restart policy) nor --health-on-failure=restart brings the
    container back after it (both look for it first), and an unless-stopped one stays
    down at boot. Re-read after it: an in-place health restart that finished just before
    has a new pid."""
    service, health = is_service(row), row.config.health_restarts
    if not (supervised(row) or health):
        return row
    with open(stopped_file(ctx.paths, row.id), "w"):
        pass
    return ctx.refresh(row) if not service and row.status.is_active else row


def end_restarts(ctx: Context, row: ContainerRow) -> None:
    """A restart policy without systemd: after `stopped` is written, SIGTERM wakes the
    monitor (in its back-off it would sleep on; with its container running it stops it)
    and it writes the final record and cleans up. Under systemd StopUnit does this."""
    if not in_place(row) or not alive(row.monitor_pid, row.monitor_start):
        return
    from supervisor.procs import pidfd_open

    try:
        fd = pidfd_open(row.monitor_pid)
    except OSError:
        return
    if fd is None:
        return
    try:
        if alive(row.monitor_pid, row.monitor_start):  # no pid reuse before the open
            signal.pidfd_send_signal(fd, signal.SIGTERM)
    except OSError:
        pass
    finally:
        os.close(fd)


def kill_for_good(ctx: Context, row: ContainerRow) -> None:
    """SIGKILL through the runtime; if its init is still there after a while (a runtime
    whose kill did not reach it), SIGKILL the pid itself: its pid namespace follows."""
    from supervisor.stopquick import own_pid_namespace

    # issue 16: in a pid namespace of its own, init's death ends every process: the pidfd's
    # SIGKILL (no runtime process); else `runtime kill --all` reaches the cgroup's
    every = not own_pid_namespace(ctx.paths.container_dir(row.id))
    signal_container(ctx, row, signal.SIGKILL, all_processes=every)
    if not ctx.wait_container_gone(row, 5) and alive(row.pid, row.pid_start):
        with contextlib.suppress(ProcessLookupError):
            os.kill(row.pid, signal.SIGKILL)
        ctx.wait_container_gone(row, 25)
