"""Reconciliation: bring the stored state in line with the kernel and the monitor's exit record.

There is no daemon: truth about running containers comes from the kernel (pids with their
start times) and from the monitor's exit record; the store is brought in line on every read.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from supervisor.errors import (
    NotFoundError,
)
from supervisor.monitor import log_error_text, read_exit_record
from supervisor.procs import alive, start_time
from supervisor.restarts import is_service, supervised
from supervisor.state import ExitRecord, Facts, reconcile
from supervisor.store import ContainerLock, ContainerRow
from supervisor.timefmt import now_rfc3339

if TYPE_CHECKING:
    from supervisor.container.context import Context


def find(ctx: Context, ref: str) -> ContainerRow:
    return ctx.refresh(ctx.store.find_container(ref))


def settled(ctx: Context, ref: str) -> ContainerRow:
    """The container's state once no other CLI is in the middle of starting it.

    Taking the lock waits out a concurrent start (which holds it until the pid is known).
    The lock is released again: waiting for an exit must not hold it, because the
    monitor's exit command needs it. An exit whose cleanup has not run yet is waited out.
    """
    with ctx.locked_row(ref) as row:
        pass
    if row.status.is_active or row.cleaned:
        return row
    if alive(row.monitor_pid, row.monitor_start):
        # The exit is known (`wait` and `stop` answer at the monitor's exit record) but the
        # monitor's exit command (the cleanup) may still be running: wait for the monitor's
        # end, so that what follows a `wait` (an `rm`, a `start`) does not race the cleanup.
        ctx.wait_monitor_gone(row, 60)
        fresh = ctx.store.get_container(row.id)
        if fresh is None:  # --rm: the cleanup removed it
            raise NotFoundError("container", ref)
        row = fresh
    return ctx.refresh(row)


@contextlib.contextmanager
def locked_row(ctx: Context, ref: str) -> Iterator[ContainerRow]:
    """The container's reconciled row, with its lock held for the block's duration."""
    row = ctx.store.find_container(ref)
    with ContainerLock(ctx.paths, row.id) as lock:
        fresh = ctx.store.get_container(row.id)
        if fresh is None:  # removed while we waited for the lock
            lock.discard()
            raise NotFoundError("container", ref)
        yield ctx.refresh(fresh, locked=True)


def gather_facts(ctx: Context, row: ContainerRow) -> tuple[ContainerRow, int, str, Facts]:
    pid, pid_start = row.pid, row.pid_start
    service = supervised(row)  # a restart policy: the monitor may have made a new container
    if pid == 0:
        pid, pid_start = pid_from_pidfile(ctx, row)
    elif not service and row.config.health_restarts and not alive(pid, pid_start):
        row = _adopt_health_restart(ctx, row)
        pid, pid_start = row.pid, row.pid_start
    exit_record = read_exit_record(ctx.paths.exit_file(row.id))
    between_runs = False
    if service and row.boot_id == ctx.boot_id:
        row, exit_record, between_runs = _refresh_service(ctx, row, exit_record)
        pid, pid_start = row.pid, row.pid_start
    facts = Facts(
        status=row.status,
        same_boot=row.boot_id == ctx.boot_id,
        exit_record=exit_record,
        container_alive=alive(pid, pid_start),
        # Between two runs the unit stands for the monitor systemd is about to start.
        monitor_alive=between_runs or alive(row.monitor_pid, row.monitor_start),
    )
    if exit_record is None and not facts.container_alive and not facts.monitor_alive \
            and facts.same_boot:
        from supervisor.container.bare import exit_record as bare_exit
        from supervisor.container.bare import is_bare

        if is_bare(row):  # pods: an infra without a monitor ended (supervisor/container/bare.py)
            facts = facts._replace(exit_record=bare_exit(ctx, row))
    return row, pid, pid_start, facts


def _refresh_service(ctx: Context, row: ContainerRow, rec: ExitRecord | None
) -> tuple[ContainerRow, ExitRecord | None, bool]:
    """A monitor run by systemd changes pid at each restart (one that restarts in place
    keeps its pid, the container's changes): take the current monitor and container from
    the run dir, the count from the monitor's file. While a restart is pending (the record
    says so) and the monitor or its unit still lives, the container counts as running: the
    previous run's record is not the final one."""
    from supervisor import restarts as R

    rundir = ctx.paths.container_rundir(row.id)
    mpid = R.read_pid(os.path.join(rundir, "monitor.pid"))
    mstart = start_time(mpid) if mpid else ""
    pid, pid_start = pid_from_pidfile(ctx, row)
    if not alive(pid, pid_start):
        pid, pid_start = row.pid, row.pid_start
    count = R.read_restarts(ctx.paths, row.id)
    changes: dict[str, Any] = {}
    if mstart and (mpid, mstart) != (row.monitor_pid, row.monitor_start):
        changes.update(monitor_pid=mpid, monitor_start=mstart)
    if (pid, pid_start) != (row.pid, row.pid_start):
        changes.update(pid=pid, pid_start=pid_start)
        if row.pid and R.in_place(row):  # a restart: Podman's StartedAt is the last run's
            changes["started_at"] = _process_started_at(pid_start)
    if count != row.restart_count:
        changes["restart_count"] = count
    if changes:
        row = ctx.store.update_container(row.id, **changes)
    if rec is not None and not rec.restart:
        return row, rec, False
    # No record: the monitor runs, or died and systemd is starting the next one, which
    # adopts the container or records its lost exit (conmon.adopt).
    if alive(row.monitor_pid, row.monitor_start) or (
            is_service(row) and _unit_alive(ctx, R.unit_name(row.id))):
        return row, None, True  # between two runs
    # The unit is gone, so what it left is final; it may have run to the end since the
    # first look: read again.
    rec = read_exit_record(ctx.paths.exit_file(row.id))
    count = R.read_restarts(ctx.paths, row.id)
    if count != row.restart_count:
        row = ctx.store.update_container(row.id, restart_count=count)
    return row, rec, False


def _process_started_at(pid_start: str) -> str:
    """When a process started (its start ticks since boot, /proc/stat's btime), RFC 3339."""
    from supervisor.timefmt import rfc3339_ns

    try:
        with open("/proc/stat") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        ticks = int(pid_start)
    except (OSError, StopIteration, ValueError):
        return now_rfc3339()
    hz = os.sysconf("SC_CLK_TCK")
    return rfc3339_ns(btime * 1_000_000_000 + ticks * 1_000_000_000 // hz)


def _unit_alive(ctx: Context, unit: str) -> bool:
    sd = ctx.systemd()
    if sd is None:
        return False
    return sd.get_unit_state(unit) in ("active", "activating", "reloading", "deactivating")


def restarting(ctx: Context, row: ContainerRow) -> bool:
    """Between two runs of a restart policy (inspect's State.Restarting, and no Pid): the
    row is still active (its monitor lives) but its container is gone; the record asks for
    a restart, or is not there (not written yet, or removed for the next run)."""
    if not supervised(row) or not row.status.is_active or alive(row.pid, row.pid_start):
        return False
    rec = read_exit_record(ctx.paths.exit_file(row.id))
    return rec is None or rec.restart


def list_containers(ctx: Context) -> list[ContainerRow]:
    return [ctx.refresh(row) for row in ctx.store.list_containers()]


def refresh(ctx: Context, row: ContainerRow, *, locked: bool = False) -> ContainerRow:
    """Bring the stored state in line with the kernel and the exit record.

    `locked`: the caller holds the container's lock and does its own teardown.
    """
    if not row.status.is_active:
        if not row.cleaned and not locked and not alive(row.monitor_pid, row.monitor_start):
            # A cleanup (the monitor's exit command) died half-way: finish it.
            ctx.cleanup(row.id)
            return ctx.store.get_container(row.id) or row
        return row
    row, pid, pid_start, facts = gather_facts(ctx, row)
    if facts.exit_record is None and not facts.monitor_alive and not facts.container_alive:
        # The monitor may have written its record and exited after our first look:
        # look once more before calling it dead.
        row, pid, pid_start, facts = gather_facts(ctx, row)
    verdict = reconcile(facts)
    if not verdict.changed:
        if pid != row.pid:
            row = ctx.store.update_container(row.id, pid=pid, pid_start=pid_start)
        return row
    rec = verdict.exit_record
    assert rec is not None
    row = ctx.store.update_container(
        row.id,
        status=verdict.status,
        exit_code=rec.exit_code,
        oom_killed=rec.oom_killed,
        finished_at=rec.finished_at or now_rfc3339(),
        error=verdict.error or log_error_text(rec, ctx.paths.container_dir(row.id)),
    )
    if not facts.monitor_alive and not row.monitor_pid and verdict.error == "":
        from supervisor.container.bare import is_bare

        if is_bare(row):  # pods: no monitor wrote the infra's died event
            from supervisor.events.write import container as event

            event(ctx, row, "died", exit_code=rec.exit_code)
    if not facts.monitor_alive and not locked:
        # Nobody else will clean up after a dead monitor.
        ctx.cleanup(row.id)
        row = ctx.store.get_container(row.id) or row
    return row


def _adopt_health_restart(ctx: Context, row: ContainerRow) -> ContainerRow:
    """--health-on-failure=restart: the monitor re-created the container in place (same
    id, bundle and log); take its new pid, start time and the restarts not counted yet
    (the monitor's `restarted` says how many it made, `restarted.counted` how many the
    store has)."""
    pid, pid_start = pid_from_pidfile(ctx, row)
    if pid in (0, row.pid) or not alive(pid, pid_start):
        return row
    rundir = ctx.paths.container_rundir(row.id)
    made, started_at = _read_words(os.path.join(rundir, "restarted"), "0", now_rfc3339())
    counted, _ = _read_words(os.path.join(rundir, "restarted.counted"), "0", "")
    new = max(int(made) - int(counted), 1) if made.isdigit() and counted.isdigit() else 1
    row = ctx.store.update_container(
        row.id,
        pid=pid,
        pid_start=pid_start,
        started_at=started_at,
        restart_count=row.restart_count + new,
    )
    counted_file = os.path.join(rundir, "restarted.counted")
    with open(counted_file + ".tmp", "w") as f:
        f.write(made + "\n")
    os.replace(counted_file + ".tmp", counted_file)
    return row


def pid_from_pidfile(ctx: Context, row: ContainerRow) -> tuple[int, str]:
    try:
        with open(os.path.join(ctx.paths.container_rundir(row.id), "pidfile")) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0, ""
    return pid, start_time(pid)


def _read_words(path: str, *defaults: str) -> list[str]:
    """The whitespace-separated words of a small file, padded with the defaults."""
    try:
        with open(path) as f:
            words = f.read().split()
    except OSError:
        words = []
    return words + list(defaults[len(words) :])
