"""`stop`'s and `kill`'s quick path (issue 16): a running container stopped (or signalled)
without the engine.

Most of a `stop` used to be the engine's cold start (the container's config decoded: the
model, dataclasses, every option module; ~90 ms of imports) and a teardown done in the CLI
(`runtime delete`, unmounts) followed by a wait for the monitor's end. A running container's
monitor already holds what a stop needs: its arguments (`conmon.protocol`, read by
supervisor/execquick.py's `running`) name the stop signal and timeout, the runtime, the exit
record's path and the events the engine rendered for it. So the quick stop is:

1. the stop signal to the container's init through a pidfd (no pid reuse), then a wait on
   that pidfd for its exit; past the timeout SIGKILL (the same pidfd; `runtime kill --all`
   too when the container shares another pid namespace, where init's death kills nothing);
2. the `stop` event, the monitor's way;
3. a wait for the monitor's exit record (inotify on its directory, supervisor/exitwatch.py);
4. the exit written to the row's plain columns (`Store.record_exit`): the container is
   Podman's Exited, with its code, for every reader from here on.

The teardown (runtime delete, the rootfs unmount, the run dir) is left to the monitor's exit
command, as after any exit of the container: every verb that could race it (rm, start, kill,
stop, pause, exec, attach) goes through `reconcile.settled`, which waits for the monitor's
end, and a monitor killed before its teardown leaves a row that the next reader tears down
(`reconcile.refresh`). An `--rm` container is waited for until its exit command removed it
(Podman's stop removes it too). Anything else goes the engine's way (`stop_quick` returns
None): a container not running (paused, stopped, created), a restart policy or a health
restart, a monitor that is gone, another events backend than the monitor's, and resources
whose teardown others contend for (networks: leases and ports are freed by the teardown).

Standard library, `conmon` and the light `supervisor` modules only (tests/unit/
test_cli_imports.py pins what `stop` and `kill` load).
"""

from __future__ import annotations

import contextlib
import os
import select

from supervisor.execquick import Quick, event, running

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.settings import Settings
    from supervisor.store import Store

SIGKILL = 9
# Resources whose teardown nobody else waits on: a stop may return before it (see above).
QUICK_RESOURCES = frozenset(("rundir", "split-cgroup", "rootfs", "runtime", "journald-limit"))
RECORD_TIMEOUT = 30.0  # the monitor writes its record within ms of the exit


# `kill -s`'s common names (the engine's supervisor.signals takes any, through `signal`'s enums)
_NAMES = {"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15}


def quick_signal(value: str) -> int | None:
    """The signal's number when it is a plain number or a common name (as `kill -s` takes
    them); None for the engine's parse (any other name, and every error)."""
    from _signal import NSIG  # type: ignore[import-not-found]

    text = value.strip().upper()
    if text.isdigit():
        num = int(text)
        return num if 0 < num < NSIG else None
    return _NAMES.get(text.removeprefix("SIG"))


def kill_quick(settings: Settings, ref: str, signum: int) -> str | None:
    """`kill` of a running container: its id once signalled, or None: the engine's path."""
    quick = running(settings, ref)
    if quick is None:
        return None
    fd = _pidfd(quick)
    if fd is None:
        return None
    try:
        _send(fd, signum)
    finally:
        os.close(fd)
    event(quick.monitor, "kill")
    return quick.cid


def stop_quick(settings: Settings, ref: str, timeout: int | None) -> str | None:
    """`stop` of a running container: its id once it is Exited, or None: the engine's path."""
    from supervisor.store import Store

    if not os.path.isdir(settings.paths.runroot):
        return None  # nothing ever ran (and no store to make for it)
    store = Store(settings.paths)  # one for the look and the record
    try:
        quick = running(settings, ref, store)
        if quick is None:
            return None
        auto_remove = _quick_row(store, quick.cid)
        if auto_remove is None:
            return None
        return _stop(quick, store, auto_remove, timeout)
    finally:
        store.close()


def _quick_row(store: Store, cid: str) -> bool | None:
    """Whether the container goes with its exit (--rm); None when its resources are not all
    quick ones (or the row is gone)."""
    from supervisor import jsonlite  # not json: it loads re

    row = store.query("SELECT resources, json_extract(config, '$.options.auto_remove')"
                      " FROM containers WHERE id = ?", (cid,))  # fmt: skip
    if not row:
        return None
    try:
        names = jsonlite.loads(row[0][0])
    except ValueError:
        return None
    if not isinstance(names, list) or not set(names) <= QUICK_RESOURCES:
        return None
    return bool(row[0][1])


def _stop(quick: Quick, store: Store, auto_remove: bool, timeout: int | None) -> str | None:
    mon = quick.monitor
    fd = _pidfd(quick)
    if fd is None:
        return None
    monitor_fd = _monitor_pidfd(quick)
    if monitor_fd is None:
        os.close(fd)
        return None
    try:
        grace = mon.stop_timeout if timeout is None else timeout
        from supervisor.stopping import Stopping, mark_user_stop

        mark_user_stop(mon.bundle)
        with Stopping(quick.rundir):
            gone = False
            if grace > 0:  # Podman's: no grace period, no stop signal (SIGKILL at once)
                _send(fd, mon.stop_signal)
                gone = bool(select.select([fd], [], [], grace)[0])
        if not gone:
            _send(fd, SIGKILL)
            if grace > 0:  # Podman's warning, in its words (its tests match them)
                _warn_killed(mon.name, mon.stop_signal, grace)
            if not own_pid_namespace(mon.bundle):
                _runtime_kill_all(quick)
            select.select([fd], [], [], 30)
        event(mon, "stop")
        from supervisor.exitwatch import wait_exists

        if not wait_exists(mon.exit_file, RECORD_TIMEOUT, (monitor_fd,)):
            return None  # no record after all: the engine's path finds out why
        if not _record(store, quick.cid, mon.exit_file):
            return None
        if auto_remove:  # its exit command removes it: Podman's stop returns after that
            select.select([monitor_fd], [], [], RECORD_TIMEOUT)
        return quick.cid
    finally:
        os.close(fd)
        os.close(monitor_fd)


def _warn_killed(name: str, signum: int, grace: int) -> None:
    import signal

    from supervisor.notices import notice

    try:
        signame = signal.Signals(signum).name
    except ValueError:
        signame = str(signum)
    notice(f"StopSignal {signame} failed to stop container {name} in {grace} seconds,"
           " resorting to SIGKILL")


def _pidfd(quick: Quick) -> int | None:
    """A pidfd of the container's init, opened while it is still the process the row names."""
    from supervisor.procs import alive

    try:
        fd = os.pidfd_open(quick.pid)
    except OSError:  # gone, or no pidfd_open (kernel < 5.3)
        return None
    if not alive(quick.pid, str(quick.state["pid_start"])):
        os.close(fd)
        return None
    return fd


def _monitor_pidfd(quick: Quick) -> int | None:
    from supervisor.procs import alive

    pid, started = int(quick.state["monitor_pid"]), str(quick.state["monitor_start"])
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return None
    if not alive(pid, started):
        os.close(fd)
        return None
    return fd


def _send(fd: int, signum: int) -> None:
    from _signal import pidfd_send_signal  # not `signal`: its enums cost milliseconds

    with contextlib.suppress(ProcessLookupError):  # it exited meanwhile: what it was for
        pidfd_send_signal(fd, signum)


def own_pid_namespace(bundle: str) -> bool:
    """The container has a pid namespace of its own (its init's death ends every process in
    it), as the bundle's spec says; False when that cannot be read."""
    from supervisor import jsonlite

    try:
        with open(os.path.join(bundle, "config.json"), "rb") as f:
            spec = jsonlite.loads(f.read())
        spaces = spec["linux"]["namespaces"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return any(ns.get("type") == "pid" and not ns.get("path") for ns in spaces)


def _runtime_kill_all(quick: Quick) -> None:
    """`runtime kill --all ID KILL`: every process of the container's cgroup (what the
    engine's stop does past the timeout)."""
    from supervisor.execquick import reap, spawn

    mon = quick.monitor
    argv = [mon.runtime, *mon.runtime_args, "kill", "--all", quick.cid, str(SIGKILL)]
    with contextlib.suppress(OSError):  # init is SIGKILLed: the engine's path may follow
        reap(spawn(argv, 0, cwd=quick.rundir))


def _record(store: Store, cid: str, exit_file: str) -> bool:
    """The monitor's exit record into the row (what a reader's reconciliation would write);
    False when the record is not a final one (a restart) or cannot be read."""
    from conmon.protocol import decode_exit
    from supervisor import jsonlite

    try:
        with open(exit_file, "rb") as f:
            rec = decode_exit(f.read(), jsonlite.loads)
    except (OSError, ValueError):
        return False
    if rec.restart:
        return False
    error = rec.error
    if not error and rec.log_errors:  # supervisor.monitor.log_error_text, without its imports
        where = os.path.join(os.path.dirname(exit_file), "monitor.log")
        error = f"{rec.log_errors} log write(s) failed; see {where}"
    if not rec.finished_at:
        from supervisor.timefmt import now_rfc3339

        rec.finished_at = now_rfc3339()
    store.record_exit(cid, rec.exit_code, bool(rec.oom_killed), rec.finished_at, error)
    return True
