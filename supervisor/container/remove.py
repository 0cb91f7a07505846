"""`rm`: tear down and forget a container.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from typing import TYPE_CHECKING

from supervisor.container.kill import end_restarts, kill_for_good, mark_stopped
from supervisor.container.resources import teardown
from supervisor.container.stop import stop_service
from supervisor.errors import ScopeboxError, StateError
from supervisor.procs import alive
from supervisor.restarts import is_service, supervised
from supervisor.state import Status
from supervisor.store import ContainerLock, ContainerRow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from supervisor.container.context import Context


def keep_exit_code(ctx: Context, row: ContainerRow) -> None:
    """An --rm container's exit code outlives it, for `wait` and `stop` (as Podman's
    exits dir). Files older than an hour are pruned; /run is a tmpfs anyway."""
    exits = os.path.join(ctx.paths.runroot, "exits")
    os.makedirs(exits, mode=0o700, exist_ok=True)
    cutoff = time.time() - 3600
    for name in os.listdir(exits):
        path = os.path.join(exits, name)
        with contextlib.suppress(OSError):
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
    tmp = os.path.join(exits, f".{row.id}.tmp")
    with open(tmp, "w") as f:
        f.write(f"{row.exit_code}\n")
    os.replace(tmp, os.path.join(exits, row.id))


def remove(ctx: Context, ref: str, force: bool = False, volumes: bool = False) -> ContainerRow:
    row = ctx.settled(ref)
    from supervisor.depends import check_removable  # helper "flags"

    check_removable(ctx, row)
    if row.status.is_active:
        # Podman's rm takes an initialized container (never started) without -f
        if not force and row.status is not Status.INITIALIZED:
            raise StateError(  # Podman's words, which its own tests match
                f"cannot remove container {row.id} as it is running - running or paused"
                " containers cannot be removed without force: container state improper"
            )
        row = mark_stopped(ctx, row)
        if alive(row.pid, row.pid_start):
            from supervisor.stopping import mark_user_stop

            mark_user_stop(ctx.paths.container_dir(row.id))
            kill_for_good(ctx, row)
        end_restarts(ctx, row)  # the cgroupfs manager's monitor may be in a back-off
        if is_service(row):
            ctx.wait_monitor_gone(row, 30)
        else:
            # issue 16: the exit record, not the monitor's end (its exit command's teardown,
            # a whole CLI start): the teardown is done here, under the lock, and that
            # command then finds the container gone
            ctx.wait_exit_known(row, 30)
    if is_service(row):
        mark_stopped(ctx, row)
        stop_service(ctx, row)
    with ContainerLock(ctx.paths, row.id) as lock:
        fresh = ctx.store.get_container(row.id)
        if fresh is None:  # removed meanwhile (another rm, or --rm)
            lock.discard()
            return row
        fresh = ctx.refresh(fresh, locked=True)
        if fresh.status.is_active:
            raise StateError(f"container {row.name!r} is still running")
        remove_locked(ctx, fresh, volumes)
        lock.discard()
    if row.monitor_pid and alive(row.monitor_pid, row.monitor_start):
        # Its exit command now finds the container gone and the monitor ends: `rm` returns
        # with nothing of it left, its scope and cgroups included (the teardown above was
        # ours; this is a CLI start, not a second teardown).
        ctx.wait_monitor_gone(row, 30)
    return row


def remove_locked(ctx: Context, row: ContainerRow, volumes: bool = False) -> None:
    teardown(ctx, row)
    # mount (supervisor/copy/mounts.py): a root the user mounted goes with the container
    from supervisor.mount import is_mountpoint, umount

    while not row.config.rootfs and is_mountpoint(ctx.paths.rootfs(row.id)):
        umount(ctx.paths.rootfs(row.id), detach=True)
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "remove")  # before the row goes: its pod membership is read from the store
    ctx.store.delete_container(row.id)
    shutil.rmtree(ctx.paths.container_dir(row.id), ignore_errors=True)
    # volumes (issue 14): `rm -v` and `--rm` take the anonymous volumes along
    if volumes or row.config.auto_remove:
        from supervisor.volumes.resource import release_anonymous

        release_anonymous(ctx, row)
    # end volumes


# issue 16: `run --rm` in the foreground returns once the exit is recorded and the name is
# free; the rest of the removal (runtime delete, unmount, dirs) is the monitor's exit command's.

# The resources whose teardown may run after the CLI returned: nothing a user could see or
# ask for again at once (a network's lease and ports, volumes, a pod are undone in the CLI).
HANDED_OFF = frozenset({"rundir", "split-cgroup", "rootfs", "runtime", "journald-limit"})


def can_hand_off(row: ContainerRow) -> bool:
    """An exited --rm container whose removal may end after `run` returned."""
    config = row.config
    return (config.auto_remove and not config.volumes and not config.runflags.rmi
            and not is_service(row) and set(row.resources) <= HANDED_OFF)


def hand_off_locked(ctx: Context, row: ContainerRow) -> None:
    """What Podman's `run --rm` guarantees when it returns, under the container's lock: the
    exit code kept (`wait`), the remove event, the row gone (its name free). The row moves to
    `removals` in the same transaction, so the teardown is found by whoever comes next: the
    monitor's exit command (`finish_removal`), else `finish_removals`."""
    keep_exit_code(ctx, row)
    from supervisor.events.write import container as event

    if row.resources or not row.cleaned:  # Podman's order: died, cleanup, remove
        event(ctx, row, "cleanup")
    event(ctx, row, "remove")
    ctx.store.hand_off(row.id)


def finish_removal(ctx: Context, cid: str) -> bool:
    """Under the container's lock: the teardown of a handed-off removal, then its row goes.
    False when there is none (finished already). Standard library only (the exit command)."""
    row = ctx.store.removal(cid)
    if row is None:
        return False
    teardown(ctx, row, with_event=False)  # its cleanup event came with the hand-off
    from supervisor.mount import is_mountpoint, umount

    while not row.config.rootfs and is_mountpoint(ctx.paths.rootfs(row.id)):
        umount(ctx.paths.rootfs(row.id), detach=True)
    shutil.rmtree(ctx.paths.container_dir(row.id), ignore_errors=True)
    ctx.store.forget_removal(cid)
    return True


def finish_removals(ctx: Context, wait: bool) -> None:
    """Handed-off removals whose exit command died (or has not run yet). `wait`: all of them,
    waiting for a running exit command's lock (rm --all, rmi); else only those whose monitor
    is gone, skipping a locked one (every create: a live monitor's exit command will do it)."""
    for cid, monitor_pid, monitor_start in ctx.store.removal_states():
        if not wait and monitor_pid and alive(monitor_pid, monitor_start):
            continue
        lock = ContainerLock(ctx.paths, cid)
        if wait:
            lock.__enter__()
        elif not lock.try_acquire():
            continue
        try:
            if finish_removal(ctx, cid) or ctx.store.get_container(cid) is None:
                lock.discard()
        finally:
            lock.release()


def can_remove_together(row: ContainerRow) -> bool:
    """`remove_together` takes this one: no unit to stop (restart policy), not paused."""
    return not supervised(row) and row.status.value != "paused"


def remove_together(ctx: Context, rows: Sequence[ContainerRow]) -> list[str]:
    """`pod rm -f` (issue 15): SIGKILL to every running one at once, then each recorded and
    removed here, in `rows`' order; the errors of those that failed (the rest go on).

    Each container's lock is held from before its SIGKILL to its row's removal, so the
    monitors' exit commands cannot clean up meanwhile (each was a whole engine start
    competing for the CPU, while `rm` waited for it): they find their container gone and
    end at once. Lock order: `rows`' (members before the infra whose namespaces they join,
    as a member's start takes them). The callers check `can_remove_together` first."""
    from contextlib import ExitStack

    errors: list[str] = []
    with ExitStack() as stack:
        held: list[tuple[ContainerRow, ContainerLock]] = []
        for row in rows:
            lock = ContainerLock(ctx.paths, row.id)
            stack.enter_context(lock)
            fresh = ctx.store.get_container(row.id)
            if fresh is not None:  # else removed meanwhile
                held.append((ctx.refresh(fresh, locked=True), lock))
        active = [row for row, _ in held if row.status.is_active]
        for row in active:
            _sigkill(ctx, row)
        for row in active:
            if not ctx.wait_container_gone(row, 5):
                kill_for_good(ctx, row)  # the runtime's kill --all, then the pid's again
            ctx.wait_exit_known(row, 30)  # the monitor's record (a bare infra: none to wait)
        _delete_runtime_states(ctx, active)
        for row, lock in held:
            try:
                _remove_killed(ctx, row, lock)
            except ScopeboxError as exc:
                errors.append(f"{row.id[:12]}: {exc}")
    for row in active:  # their exit commands found nothing to do
        ctx.wait_monitor_gone(row, 30)
    return errors


def _sigkill(ctx: Context, row: ContainerRow) -> None:
    """kill(2), as `runc kill` would send it, without a runtime process per container."""
    from supervisor.container.bare import remember_signal
    from supervisor.restarts import stopped_file

    # mark_stopped's marker, without its refresh (unlocked); for every container: its monitor
    # then ends with 0 (stopping.mark_user_stop)
    with contextlib.suppress(OSError), open(stopped_file(ctx.paths, row.id), "w"):
        pass
    remember_signal(ctx, row, signal.SIGKILL)  # a monitor-less infra's exit code
    if alive(row.pid, row.pid_start):
        with contextlib.suppress(ProcessLookupError):
            os.kill(row.pid, signal.SIGKILL)


def _delete_runtime_states(ctx: Context, rows: list[ContainerRow]) -> None:
    """The runtime's `delete` of each, all at once rather than one after another in each
    teardown (which then finds the state gone: RuntimeState.teardown)."""
    import subprocess

    procs = []
    for row in rows:
        argv = [*ctx.runtime_argv(row), "delete", "--force", row.id]
        with contextlib.suppress(OSError):  # the teardown's own delete reports it
            procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        proc.wait()


def _remove_killed(ctx: Context, row: ContainerRow, lock: ContainerLock) -> None:
    if row.status.is_active:
        row = ctx.refresh(row, locked=True)
        if row.status.is_active:
            raise StateError(f"container {row.name!r} is still running")
    remove_locked(ctx, row)
    lock.discard()
