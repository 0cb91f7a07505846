"""`wait`, and waiting for a container's or monitor's pid to go (pidfd, no polling).
"""

from __future__ import annotations

import os
import select
import time
from typing import TYPE_CHECKING

from supervisor.errors import (
    NotFoundError,
)
from supervisor.procs import alive, pidfd_open
from supervisor.restarts import in_place, is_service
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def wait_container_gone(ctx: Context, row: ContainerRow, timeout: float) -> bool:
    return wait_pid_gone(row.pid, row.pid_start, timeout)


def wait_monitor_gone(ctx: Context, row: ContainerRow, timeout: float) -> bool:
    return wait_pid_gone(row.monitor_pid, row.monitor_start, timeout)


def wait(ctx: Context, ref: str) -> int:
    row = ctx.find(ref)
    while row.status.is_active:
        if row.pid:
            ctx.wait_container_gone(row, 3600 * 24 * 365)
        if in_place(row):
            code = _final_in_place(ctx, row)
            if code is not None:
                return code
        else:
            ctx.wait_exit_known(row, 60)
        if not is_service(row):
            # issue 16: without a restart policy the record is this run's last word: its code
            # is the answer, and the store is brought in line by the monitor's exit command
            # (or the next reader) instead of a transaction here before `wait` returns
            from supervisor.monitor import read_exit_record

            rec = read_exit_record(ctx.paths.exit_file(row.id))
            if rec is not None and not rec.restart:
                return rec.exit_code
        fresh = ctx.store.get_container(row.id)
        if fresh is None:  # removed by --rm: its cleanup kept the exit code for us
            return _removed_exit_code(ctx, row.id, ref)
        before = (row.pid, row.monitor_pid)
        try:
            row = ctx.refresh(fresh)
        except NotFoundError:  # the --rm cleanup (still running when the record came) ended
            return _removed_exit_code(ctx, row.id, ref)
        if row.status.is_active and (row.pid, row.monitor_pid) == before:
            # A restart policy between two runs: systemd has not started the next
            # monitor yet (RestartSec=), so there is no process to wait on for a moment.
            time.sleep(0.05)
    return row.exit_code


def _final_in_place(ctx: Context, row: ContainerRow) -> int | None:
    """A restart policy without systemd: the monitor lives across the restarts, so its
    record is the answer only once it asks for none (else None: the next run is waited
    for, as under systemd). The monitor's end wakes us at once; a restart at the latest
    after a short while (the pid file is read again then)."""
    from supervisor.monitor import read_exit_record

    rec = read_exit_record(ctx.paths.exit_file(row.id))
    if rec is not None and not rec.restart:
        return rec.exit_code
    wait_pid_gone(row.monitor_pid, row.monitor_start, 0.1)
    return None


def _removed_exit_code(ctx: Context, cid: str, ref: str) -> int:
    code = ctx.removed_exit_code(cid)
    if code is None:
        raise NotFoundError("container", ref)
    return code


def wait_exit_known(ctx: Context, row: ContainerRow, timeout: float) -> bool:
    """Until the monitor's exit record is there or the monitor is gone (False: timed out).

    performance (issue 16): `wait` and `stop` answer once the exit is known, as Podman's
    do, not after the monitor's exit command (the cleanup, a whole CLI start) has run. A
    verb that follows and could race that cleanup (`rm`, `start`, `kill` ... all go
    through `settled`) waits for the monitor's end first (`reconcile.settled`). A record
    that asks for a restart is not the end: then the monitor's end is waited for."""
    from supervisor.exitwatch import wait_exists
    from supervisor.monitor import read_exit_record

    path = ctx.paths.exit_file(row.id)
    deadline = time.monotonic() + timeout
    while True:
        rec = read_exit_record(path)
        left = deadline - time.monotonic()
        if rec is not None:
            if rec.restart:
                return ctx.wait_monitor_gone(row, max(left, 0))
            return True
        if os.path.exists(path):  # a record that is not one: the monitor's end decides
            return ctx.wait_monitor_gone(row, max(left, 0))
        if not alive(row.monitor_pid, row.monitor_start):
            return True
        if left <= 0:
            return False
        # issue 16: woken by the record's rename (inotify), or by the monitor's end
        fd = pidfd_open(row.monitor_pid)
        if fd is None:
            return True
        try:
            if not alive(row.monitor_pid, row.monitor_start):  # reused before the open
                return True
            if not wait_exists(path, left, (fd,)) and not select.select([fd], [], [], 0)[0]:
                return False
        finally:
            os.close(fd)


def removed_exit_code(ctx: Context, cid: str) -> int | None:
    try:
        with open(os.path.join(ctx.paths.runroot, "exits", cid)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def wait_pid_gone(pid: int, started: str, timeout: float) -> bool:
    if not alive(pid, started):
        return True
    fd = pidfd_open(pid)
    if fd is None:
        return True
    try:
        if not alive(pid, started):  # the pid was reused between the check and the open
            return True
        return bool(select.select([fd], [], [], max(timeout, 0))[0])
    finally:
        os.close(fd)
