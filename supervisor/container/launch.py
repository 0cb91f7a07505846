"""Starting a container: rootfs, OCI config, monitor, systemd scope, runtime start.

Ordering matters for crash safety: the store says "running" (with the monitor's pid) before the
monitor is told to go, so a CLI killed at any point leaves either a container that was never
started (the monitor sees the start pipe close without the go byte and exits) or one the store
knows about.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conmon.protocol import GO, SyncMessage, decode_sync
from supervisor.container import resources as R_
from supervisor.container.resources import teardown
from supervisor.container.wait import wait_pid_gone
from supervisor.errors import RuntimeFailed, ScopeboxError
from supervisor.model import CgroupManager
from supervisor.monitor import exit_error, monitor_command, monitor_options, service_options
from supervisor.procs import start_time
from supervisor.restarts import in_place, restarts_file, stopped_file
from supervisor.state import Status
from supervisor.store import ContainerRow, reserve_exit_record
from supervisor.timefmt import now_rfc3339

if TYPE_CHECKING:
    from collections.abc import Callable

    from supervisor.attach import AttachClient
    from supervisor.container.context import Context

ATTACH_WAIT_S = 10  # service mode: how long the first run waits for a foreground `run`



@dataclass(frozen=True)
class Started:
    """A started container, with its attach client when attached."""

    row: ContainerRow
    attach: AttachClient | None = None


def launch(engine: Context, row: ContainerRow, attach: bool, preserve_fds: int = 0,
           init_only: bool = False, tty_size: tuple[int, int] | None = None) -> Started:
    """`init_only` (`init`): the monitor has the runtime create the container and no more;
    `start_initialized` starts it."""
    paths = engine.paths
    health_file = os.path.join(paths.container_dir(row.id), "health.json")
    for stale in (paths.exit_file(row.id), health_file, stopped_file(paths, row.id)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)
    reserve_exit_record(paths.exit_file(row.id))
    changes: dict[str, int] = {}
    if in_place(row):  # a start by the user begins a new count, as Docker's and Podman's
        with open(restarts_file(paths, row.id), "w") as f:
            f.write("0 0\n")
        changes["restart_count"] = 0
    resources = R_.record(engine, row, **changes)
    # The run dir and the split placement come before the monitor (it binds its socket in
    # the one and starts in the other's cgroup); its interpreter boots while the rest is
    # made: it reads the bundle only after the go byte.
    early = [r for r in resources if r in (R_.RUN_DIR, R_.SPLIT_CGROUP)]
    try:
        for resource in early:
            resource.setup(engine, row)
    except BaseException:
        teardown(engine, row)
        raise
    pending = PendingMonitor.spawn(engine, row, preserve_fds, init_only)
    try:
        for later in resources:
            if later not in early:
                later.setup(engine, row)
        spec = write_bundle_config(engine, row, engine.mount_rootfs(row))
        if row.config.healthcheck is not None:
            write_health_process(engine, row, spec)
        monitor = pending.announced()
    except BaseException:
        pending.abort()
        teardown(engine, row)
        raise
    try:
        return _run_monitor(engine, row, monitor, attach, init_only, tty_size)
    except BaseException:
        monitor.abort()
        teardown(engine, row)
        raise


def _run_monitor(engine: Context, row: ContainerRow, monitor: Monitor, attach: bool,
                 init_only: bool = False, tty_size: tuple[int, int] | None = None) -> Started:
    if row.config.cgroup_manager is CgroupManager.SYSTEMD:
        _monitor_scope(engine, row, monitor.pid)
    row = _mark_running(engine, row, monitor.pid, monitor.started, init_only)
    client = None
    try:
        if attach:
            from supervisor.attach import AttachClient

            # Before the go byte: the monitor listens already, and nothing is written yet.
            client = AttachClient.connect(engine.paths.container_rundir(row.id))
            _send_tty_size(engine.paths.container_rundir(row.id), row, tty_size)
        pid = monitor.go(row.config.runtime)  # it creates and starts the container
    except ScopeboxError:
        if client is not None:
            client.close()
        engine.store.update_container(row.id, status=Status.CREATED, monitor_pid=0)
        monitor.wait_gone()
        raise
    row = engine.store.update_container(row.id, pid=pid, pid_start=start_time(pid))
    if row.config.cgroup_manager is CgroupManager.SYSTEMD and _engine_scope(row):
        _container_scope(engine, row, pid)
    return Started(row, client)


def _rootless() -> bool:
    from supervisor.rootless import is_rootless

    return is_rootless()


def _passed_env(row: ContainerRow) -> tuple[str, ...]:
    """The variables the monitor (and so the runtime) gets besides SCOPEBOX_*: rootless with
    the runtime's systemd driver (issue 17) also where runc and crun find the user's D-Bus
    (without them they fall back to the system bus, which refuses a user's scope). The
    configuration files' variables, as Podman gives conmon CONTAINERS_CONF: the monitor's
    exit command (a CLI) must read the settings this run was made with."""
    base = ("PATH", "LANG", "LC_ALL", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF")
    if _rootless() and not _engine_scope(row):
        return (*base, "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")
    return base


def _engine_scope(row: ContainerRow) -> bool:
    """Rootless (issue 17) unless the runtime's systemd driver makes the container's scope
    (cgroup v2 with the user's D-Bus: specgen.runtime_scope)."""
    from supervisor.specgen import runtime_scope

    return _rootless() and not runtime_scope(row)


def _container_scope(engine: Context, row: ContainerRow, pid: int) -> None:
    """Rootless (issue 17): runc's systemd driver cannot reach the user's manager on a
    cgroup v1/hybrid host, so the engine moves the container into the user manager's
    scopebox-<id>.scope itself (as runc makes it as root). A container that already ended
    has nothing to move: that is its monitor's business, not an error."""
    from units.errors import UnitsError

    try:
        _monitor_scope(engine, row, pid, f"scopebox-{row.id}.scope",
                       f"scopebox container {row.name}")
    except UnitsError:
        from supervisor.procs import alive

        if alive(pid, row.pid_start):
            raise


def _scope_post(row: ContainerRow, pidfile: str) -> tuple[str, tuple[str, Any]]:
    """Rootless: ExecStartPost= putting the container in its scope (rootless/session.py);
    its failure is ignored (the `True`), as a container may end before it runs."""
    from supervisor import rootless
    from supervisor.rootless.session import scope_command, socket_path

    argv = scope_command(socket_path(os.environ) or "", rootless.outer_uid() or 0,
                         row.config.cgroup_parent, row.id, row.name, pidfile)
    return ("ExecStartPost", ("a(sasb)", [(argv[0], argv, True)]))


def _monitor_scope(engine: Context, row: ContainerRow, pid: int, name: str = "",
                   description: str = "") -> None:
    from units.errors import BusError, UnitExistsError

    name = name or f"scopebox-conmon-{row.id}.scope"
    sd = engine.systemd()
    for last in (False, True):
        try:
            sd.start_transient_scope(name, [pid], slice=row.config.cgroup_parent,
                                     description=description or f"scopebox monitor of {row.name}")
            return
        except UnitExistsError:
            if last:
                raise
        # The last run's scope is still loaded: its monitor recorded the exit and cleaned up
        # (we hold the container's lock and the row is not active), so whatever is left in
        # it is on its way out, or systemd has not seen the cgroup empty yet (seen in the bed
        # for over 10 s). End it ourselves rather than wait: kill what is left, stop it, and
        # wait for systemd to unload it.
        with contextlib.suppress(BusError):
            sd.kill_unit(name, "all", signal.SIGKILL)
        with contextlib.suppress(BusError):
            sd.stop_unit(name, timeout=10)
        with contextlib.suppress(BusError):
            sd.reset_failed_unit(name)
        sd.wait_unit_gone(name, timeout=10)


def _mark_running(
    engine: Context, row: ContainerRow, monitor_pid: int, started: str, init_only: bool = False
) -> ContainerRow:
    """A new run: "running" (`init`: "initialized", not started yet: Podman's zero StartedAt)
    with the last run's exit facts cleared; pid comes with the go."""
    return engine.store.update_container(
        row.id,
        status=Status.INITIALIZED if init_only else Status.RUNNING,
        monitor_pid=monitor_pid,
        monitor_start=started,
        pid=0,
        pid_start="",
        boot_id=engine.boot_id,
        started_at="" if init_only else now_rfc3339(),
        finished_at="",
        exit_code=0,
        oom_killed=False,
        error="",
    )


class PendingMonitor:
    """A monitor spawned but not yet heard from."""

    def __init__(self, proc: subprocess.Popen[bytes], sync: Any, start_w: int) -> None:
        self._proc = proc
        self._sync = sync
        self._start_w = start_w

    @classmethod
    def spawn(cls, engine: Context, row: ContainerRow, preserve_fds: int = 0,
              init_only: bool = False) -> PendingMonitor:
        """`preserve_fds` (run --preserve-fds): our descriptors 3.. go to the monitor at the
        same numbers, and from it to the runtime's first create."""
        paths = engine.paths
        sync_r, sync_w = os.pipe2(os.O_CLOEXEC)
        start_r, start_w = os.pipe2(os.O_CLOEXEC)
        keys = _passed_env(row)
        env = {k: v for k, v in os.environ.items() if k.startswith("SCOPEBOX_") or k in keys}
        opts = monitor_options(
            paths, row, engine.runtime_argv(row), engine.settings.global_flags(paths=False)
        )
        opts.sync_fd, opts.start_fd = sync_w, start_r
        from supervisor.events.write import monitor_options as events_options  # events

        events_options(engine, row, opts)
        opts.preserve_fds = preserve_fds  # helper "flags"
        opts.init_only = init_only
        argv = monitor_command(opts)
        try:
            # In the persistent dir: what the monitor reports must outlive the run dir.
            with open(os.path.join(paths.container_dir(row.id), "monitor.log"), "ab") as log:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    pass_fds=(sync_w, start_r, *range(3, 3 + preserve_fds)),
                    start_new_session=True,
                    env=env,
                    cwd="/",
                )
        except BaseException:
            for fd in (sync_r, start_w):
                os.close(fd)
            raise
        finally:
            os.close(sync_w)
            os.close(start_r)
        return cls(proc, os.fdopen(sync_r, "rb"), start_w)

    def announced(self) -> Monitor:
        """Wait for the monitor's pid (its first sync line)."""
        try:
            self._proc.wait()  # the first process forks the real monitor and exits at once
            pid = _read_msg(self._sync).monitor_pid
        except BaseException:
            self.abort()
            raise
        return Monitor(pid, start_time(pid), self._sync, self._start_w)

    def abort(self) -> None:
        """EOF on the start pipe without the go byte: the monitor exits, creating nothing."""
        if self._start_w >= 0:
            os.close(self._start_w)
            self._start_w = -1
        if not self._sync.closed:
            self._sync.close()
        self._proc.wait()


class Monitor:
    """The engine's end of the monitor protocol (docs/ARCHITECTURE.md)."""

    def __init__(self, pid: int, started: str, sync: Any, start_w: int) -> None:
        self.pid = pid
        self.started = started
        self._sync = sync
        self._start_w = start_w

    def go(self, runtime: str) -> int:
        """Tell the monitor to create the container; return the container's pid. `runtime`:
        the runtime's path, which names it in an error."""
        try:
            os.write(self._start_w, GO)
        finally:
            os.close(self._start_w)
            self._start_w = -1
        try:
            msg = _read_msg(self._sync)
        finally:
            self._sync.close()
        if msg.error is not None:
            raise exit_error(msg.error, runtime)
        return msg.pid

    def abort(self) -> None:
        if self._start_w >= 0:
            os.close(self._start_w)  # EOF without the go byte: the monitor exits
            self._start_w = -1
        if not self._sync.closed:
            self._sync.close()

    def wait_gone(self) -> None:
        wait_pid_gone(self.pid, self.started, 30)


def _read_msg(sync: Any) -> SyncMessage:
    line = sync.readline()
    if not line:
        raise RuntimeFailed("the container monitor exited before reporting (see monitor.log)")
    try:
        return decode_sync(line)
    except ValueError:
        raise RuntimeFailed(f"unexpected message from the monitor: {line!r}") from None


def write_bundle_config(engine: Context, row: ContainerRow, rootfs: str) -> dict[str, Any]:
    from supervisor.specgen import spec_for

    spec = spec_for(engine, row, rootfs)
    path = os.path.join(engine.paths.container_dir(row.id), "config.json")
    _write_json(path, spec)
    return spec


def write_health_process(engine: Context, row: ContainerRow, spec: dict[str, Any]) -> None:
    """The check's process for `runtime exec --process`: the container's own (user, env, cwd,
    capabilities, rlimits) running the check's command."""
    from supervisor.health import check_argv

    hc = row.config.healthcheck
    assert hc is not None
    process = dict(spec["process"], args=check_argv(list(hc.test)))
    process["terminal"] = False
    _write_json(os.path.join(engine.paths.container_rundir(row.id), "health-process.json"), process)


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def launch_service(engine: Context, row: ContainerRow, attach: bool,
                   tty_size: tuple[int, int] | None = None) -> Started:
    """Start a container whose monitor is the main process of scopebox-<id>.service.

    systemd starts the monitor (and restarts it, see supervisor.restarts); the start job
    ends when the monitor sent READY=1 (the container runs) or when it exited before that
    (its runtime's error is in the run dir's start-error).
    """
    from supervisor import restarts as R
    from units.errors import UnitsError

    paths = engine.paths
    rundir = paths.container_rundir(row.id)
    for path in (paths.exit_file(row.id), R.stopped_file(paths, row.id),
                 R.start_error_file(paths, row.id),
                 os.path.join(paths.container_dir(row.id), "health.json")):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    reserve_exit_record(paths.exit_file(row.id))
    with open(R.restarts_file(paths, row.id), "w") as f:
        f.write("0 0\n")  # a start by the user begins a new count, as Docker's
    resources = R_.record(engine, row, restart_count=0)
    try:
        for resource in resources:
            resource.setup(engine, row)
        spec = write_bundle_config(engine, row, engine.mount_rootfs(row))
        if row.config.healthcheck is not None:
            write_health_process(engine, row, spec)
    except BaseException:
        teardown(engine, row)
        raise
    globals = engine.settings.global_flags(paths=False)
    opts = monitor_options(paths, row, engine.runtime_argv(row), globals)
    service_options(opts, paths, row)
    from supervisor.events.write import monitor_options as events_options  # events (issue 14)

    events_options(engine, row, opts)
    if attach:
        opts.wait_attach = ATTACH_WAIT_S
    argv = monitor_command(opts)
    if _rootless():  # issue 17: the user's manager starts it outside the user's namespace
        from supervisor.rootless.userns import joined_command

        argv = joined_command(paths.runroot, argv)
    keys = _passed_env(row)
    env = [f"{k}={v}" for k, v in os.environ.items() if k.startswith("SCOPEBOX_") or k in keys]
    # Recorded before the unit exists: a CLI killed from here on leaves a unit the next
    # reader finds through the run dir's pid files.
    row = _mark_running(engine, row, 0, "")
    unit = R.unit_name(row.id)
    sd = engine.systemd()
    client = None
    try:
        props = R.service_properties(row, argv, env)
        if _engine_scope(row):  # issue 17: the container's scope, after each READY=1
            props.append(_scope_post(row, os.path.join(rundir, "pidfile")))
        job = sd.start_transient_unit(unit, props, timeout=R.START_TIMEOUT_S, wait=False)
        if attach:
            # The first run waits for us (or ATTACH_WAIT_S) before it creates the container,
            # so a foreground `run` misses no output.
            client = _connect_when_bound(rundir, ATTACH_WAIT_S,
                                         lambda: _send_tty_size(rundir, row, tty_size))
        sd.wait_job(job, unit, timeout=R.START_TIMEOUT_S + 10)
    except BaseException as exc:
        if client is not None:
            client.close()
        if not isinstance(exc, UnitsError):
            with contextlib.suppress(UnitsError):
                sd.stop_unit(unit)
            engine.store.update_container(row.id, status=Status.CREATED, monitor_pid=0)
            teardown(engine, row)
            raise
        message = _read_text(R.start_error_file(paths, row.id)) or (
            f"the monitor's unit {unit} failed ({exc}); see journalctl -u {unit}"
        )
        with contextlib.suppress(UnitsError):
            sd.stop_unit(unit)
        with contextlib.suppress(UnitsError):
            sd.reset_failed_unit(unit)
        engine.store.update_container(row.id, status=Status.CREATED, monitor_pid=0)
        teardown(engine, row)
        raise exit_error(message, row.config.runtime) from None
    mpid = R.read_pid(os.path.join(rundir, "monitor.pid"))
    pid = R.read_pid(os.path.join(rundir, "pidfile"))
    row = engine.store.update_container(
        row.id,
        monitor_pid=mpid,
        monitor_start=start_time(mpid),
        pid=pid,
        pid_start=start_time(pid),
    )
    return Started(row, client)


def _send_tty_size(rundir: str, row: ContainerRow, size: tuple[int, int] | None) -> None:
    """The caller's terminal size, for the monitor to give the container's terminal as soon
    as it has it, before the start (its resize FIFO exists before the attach socket)."""
    if size is not None and row.config.options.tty:
        from supervisor.terminal.session import send_size

        send_size(rundir, size)


def _connect_when_bound(rundir: str, timeout: float,
                        before: Callable[[], None] | None = None) -> Any:
    """Connect to the monitor's attach socket as soon as it is bound (inotify on the run
    dir, no polling); None if it did not appear in time (the container runs unattached).
    `before`: done once it is bound, before connecting (the monitor creates the container
    once we are connected)."""
    import time

    from cgroupfs.events import InotifyWatch
    from supervisor.attach import AttachClient

    in_create, in_moved_to = 0x100, 0x80
    deadline = time.monotonic() + timeout
    with InotifyWatch() as watch:
        watch.add_watch(rundir, in_create | in_moved_to)
        while True:
            if os.path.exists(os.path.join(rundir, "attach")):
                if before is not None:
                    before()
                with contextlib.suppress(ScopeboxError):
                    return AttachClient.connect(rundir)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([watch.fileno()], [], [], left)[0]:
                return None
            watch.read_events()


def _read_text(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def start_initialized(engine: Context, row: ContainerRow) -> Started:
    """`start` of an initialized container: the runtime's start, as Podman's own (its monitor
    created the container and watches it either way). Called with the container's lock."""
    from supervisor.container.oci import runtime_or_fail

    runtime_or_fail(engine, row, "start")
    row = engine.store.update_container(row.id, status=Status.RUNNING, started_at=now_rfc3339())
    from supervisor.events.write import container as event  # events (issue 14)

    event(engine, row, "start")
    return Started(row)
