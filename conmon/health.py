"""Healthchecks run by the monitor on its own event loop: no timer unit, no helper process.

Each check is ``RUNTIME exec --process <health.json> ID`` (the engine derived the process from
the container's own: user, env, cwd, capabilities), so it lands in the container's cgroup and
namespaces. Its output (stdout and stderr on one pipe) is kept up to 4 KiB. The status logic is
the pure :mod:`conmon.health_state`; this module only does the I/O:

- the status file (Docker's ``State.Health`` JSON) is replaced atomically after every check;
- a journal entry (``SCOPEBOX_EVENT=health_status``) is sent per status *change*, not per check;
- ``scopebox healthcheck run`` connects to the ``health`` socket in the run dir: the connection
  asks for a check now and receives ``"<exit code> <status>\\n"`` when it is done;
- on the change to ``unhealthy`` the ``--health-on-failure`` action is handed to the monitor.
"""

from __future__ import annotations

import _socket
import posix
import select
import time

from conmon.health_state import (
    HEALTHY,
    TIMED_OUT,
    UNHEALTHY,
    Health,
    Result,
    format_health,
    truncate_output,
)
from conmon.logs import report
from conmon.record import decode_wait_status, exists, rfc3339nano, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Callable
    from typing import Protocol

    from cgroupfs.oom import OomWatch
    from conmon import state as S
    from conmon.protocol import Options

    Register = Callable[[int, int, Callable[[int, int], None]], None]
    Unregister = Callable[[int], None]

    class Monitor(Protocol):
        """What health checks use of `conmon.monitor.Monitor` (which imports this module: a
        Protocol here, so that no import goes back to it)."""

        opts: Options
        pid: int
        status: int | None
        error: str
        env: dict[bytes, bytes]
        stdin_fd: int
        restarts: int
        health: HealthRunner | None
        oom_watch: OomWatch | None

        def control_fire(self, event: S.Event) -> None: ...
        def _add_output(self, fd: int, stream: str) -> None: ...
        def _create(self) -> tuple[int, int]: ...
        def _register(self, fd: int, mask: int, handler: Callable[[int, int], None]) -> None: ...
        def _start(self) -> None: ...
        def _unregister(self, fd: int) -> None: ...
        def _watch_oom(self) -> None: ...
else:
    import _signal

NS = 1_000_000_000
SOCKET_NAME = "health"
PID_FILE = "health.pid"
ACTIONS = ("none", "kill", "restart", "stop")
RUNTIME_GRACE = 5.0  # seconds a runtime may take to start, or end after, a timed-out check


class HealthRunner:
    """One container's checks; the monitor calls :meth:`deadline`, :meth:`tick` and
    :meth:`reaped` from its loop and sets :attr:`on_unhealthy` / :attr:`on_first_healthy`."""

    def __init__(self, opts: Options, register: Register, unregister: Unregister,
                 env: dict[bytes, bytes]) -> None:
        self.opts = opts
        self.env = env  # the runtime's: the monitor's own NOTIFY_SOCKET is not for a check
        self._register = register
        self._unregister = unregister
        self.health = Health(0, 0, 1)
        self.next_due: float | None = None
        self.check_pid = -1
        self.check_fd = -1
        self.check_out = bytearray()
        self.check_start_ns = 0
        self.check_deadline = 0.0
        self.timed_out = False
        self.overdue_since = 0.0
        self.inner_killed = False
        self.waiters: list[_socket.socket] = []
        self.listener: _socket.socket | None = None
        self.journal: object | None = None
        self.ever_healthy = False
        self.on_unhealthy: Callable[[str], None] | None = None
        self.on_first_healthy: Callable[[], None] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """The container runs (again): status ``starting``, first check one interval on."""
        opts = self.opts
        self.health = Health(time.time_ns(), opts.health_start_period_ns, opts.health_retries)
        self.next_due = time.monotonic() + opts.health_interval_ns / NS
        self._persist(True)
        if self.listener is None:
            self._listen()

    def stop(self) -> None:
        """The container exited: end a running check and answer anyone waiting for it."""
        self.next_due = None
        if self.check_pid > 0:
            self._kill_check()
            self.check_pid = -1  # the monitor reaps it as a stranger: nothing is recorded
        self._close_output()
        self._reply(b"-1 stopped\n")
        if self.listener is not None:
            self._unregister(self.listener.fileno())
            self.listener.close()
            self.listener = None
            _unlink(SOCKET_NAME)

    def deadline(self) -> float | None:
        """When the loop must call :meth:`tick` next (monotonic seconds), or None."""
        if self.check_pid > 0:
            return self.check_deadline
        return self.next_due

    def tick(self, now: float) -> None:
        if self.check_pid > 0:
            if now >= self.check_deadline:
                self._overdue(now)
        elif self.next_due is not None and now >= self.next_due:
            self._launch()

    def reaped(self, pid: int, status: int) -> bool:
        """The monitor reaped ``pid``: True if it was our check (its result is recorded)."""
        if pid != self.check_pid:
            return False
        self.check_pid = -1
        self._finish(status)
        return True

    # -- one check ------------------------------------------------------------------------

    def _launch(self) -> None:
        opts = self.opts
        if exists("paused"):  # the engine froze the container: skip, do not count
            self._reply(b"-1 paused\n")
            if self.next_due is not None:
                self.next_due = time.monotonic() + opts.health_interval_ns / NS
            return
        _unlink(PID_FILE)
        r, w = posix.pipe()
        null = posix.open("/dev/null", posix.O_RDONLY | posix.O_CLOEXEC)
        argv = [opts.runtime, *opts.runtime_args, "exec", "--process", opts.health_process,
                "--pid-file", PID_FILE, opts.cid]  # fmt: skip
        actions = [
            (posix.POSIX_SPAWN_DUP2, null, 0),
            (posix.POSIX_SPAWN_DUP2, w, 1),
            (posix.POSIX_SPAWN_DUP2, w, 2),
        ]
        sigdef = (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGCHLD)
        spawn = posix.posix_spawn if "/" in opts.runtime else posix.posix_spawnp
        self.check_start_ns = time.time_ns()
        self.check_out = bytearray()
        self.timed_out = False
        self.inner_killed = False
        try:
            # Its own process group: a timed-out check is killed with everything it started.
            pid = spawn(opts.runtime, argv, self.env, file_actions=actions,
                        setsigdef=sigdef, setpgroup=0)  # fmt: skip
        except OSError as exc:
            posix.close(r)
            pid = -1
            self.check_out += f"cannot run runtime {opts.runtime!r}: {exc.strerror}".encode()
        finally:
            posix.close(w)
            posix.close(null)
        if pid < 0:
            self._record(1)
            return
        self.check_pid = pid
        self.check_deadline = time.monotonic() + opts.health_timeout_ns / NS
        posix.set_blocking(r, False)
        self.check_fd = r
        self._register(r, select.EPOLLIN, self._on_output)

    def _on_output(self, fd: int, mask: int) -> None:
        try:
            data = posix.read(fd, 65536)
        except BlockingIOError:
            return
        if data:
            self._keep(data)
        else:
            self._close_output()

    def _keep(self, data: bytes) -> None:
        room = 4096 - len(self.check_out)  # raw; MAX_OUTPUT of its lines kept
        if room > 0:
            self.check_out += data[:room]

    def _close_output(self) -> None:
        if self.check_fd >= 0:
            self._unregister(self.check_fd)
            posix.close(self.check_fd)
            self.check_fd = -1

    def _overdue(self, now: float) -> None:
        """The check exceeded its timeout: SIGKILL its process group (the runtime makes the
        check a session leader; what it started in the background goes too). The runtime
        then exits by itself. Until the runtime has written the check's pid there is
        nothing to kill but the runtime, which would orphan a check about to start: look
        again shortly, and kill the runtime only if it is stuck (RUNTIME_GRACE)."""
        if not self.timed_out:
            self.timed_out = True
            self.overdue_since = now
        inner = 0 if self.inner_killed else _read_pid(PID_FILE)
        if inner > 0:
            _kill(*_group_of(inner), inner, -self.check_pid)
            self.inner_killed = True
            self.check_deadline = now + RUNTIME_GRACE
        elif now - self.overdue_since >= RUNTIME_GRACE:
            self._kill_check()
            self.check_deadline = now + RUNTIME_GRACE
        else:
            self.check_deadline = now + 0.05

    def _kill_check(self) -> None:
        """SIGKILL the check's process group, if known, and the runtime's."""
        inner = _read_pid(PID_FILE)
        _kill(*((*_group_of(inner), inner) if inner > 0 else ()), -self.check_pid)

    def _finish(self, status: int) -> None:
        if self.check_fd >= 0:
            try:  # the check has exited; take what it wrote, but wait for no one else
                while data := posix.read(self.check_fd, 65536):
                    self._keep(data)
            except BlockingIOError:
                pass
            self._close_output()
        _unlink(PID_FILE)
        if self.timed_out:
            secs = self.opts.health_timeout_ns / NS
            self.check_out = bytearray(b"Health check exceeded timeout (%gs)" % secs)
            self._record(TIMED_OUT)
        else:
            self._record(decode_wait_status(status)[0])

    def _record(self, code: int) -> None:
        output = truncate_output(bytes(self.check_out))
        result = Result(self.check_start_ns, time.time_ns(), code, output)
        self.check_out = bytearray()
        changed = self.health.record(result)
        self._persist(changed)
        status = self.health.status
        self._reply(b"%d %s\n" % (code, status.encode()))
        if self.next_due is not None:
            self.next_due = time.monotonic() + self.opts.health_interval_ns / NS
        if not changed:
            return
        self._event(status)
        if status == HEALTHY and not self.ever_healthy:
            self.ever_healthy = True
            if self.on_first_healthy is not None:
                self.on_first_healthy()
        if status == UNHEALTHY and self.on_unhealthy is not None:
            action = self.opts.health_on_failure
            if action != "none":
                self.on_unhealthy(action)

    # -- status file, journal, `healthcheck run` ------------------------------------------

    def _persist(self, durable: bool) -> None:
        data = format_health(self.health)
        path = self.opts.health_file
        try:
            if durable:  # a status change: fsync'd; a log-only update: just atomic
                write_atomic(path, data)
            else:
                _replace(path, data)
        except OSError as exc:
            report(f"conmon: cannot write the health status {path!r}: {exc}")

    def _events_entry(self, status: str) -> bool:
        """events (issue 14): the `health_status` event to the events backend; with journald
        it is the one journal entry of the change (with the old entry's container fields).
        Whether nothing else needs writing."""
        from conmon.record import record_events

        opts = self.opts
        extra = [("CONTAINER_ID", opts.cid[:12].encode()), ("CONTAINER_NAME", opts.name.encode())]
        failed = record_events(opts, "health_status", health=status, extra=extra)
        if failed:
            report(f"conmon: cannot write the health_status event: {failed}")
        return opts.events_backend == "journald"

    def _event(self, status: str) -> None:
        """One journal entry per status change (Podman's ``health_status`` event)."""
        opts = self.opts
        cid = opts.cid
        message = "container health_status %s (name=%s, health_status=%s)" % (  # noqa: UP031
            cid, opts.name, status)  # fmt: skip
        if opts.events_backend != "none" and self._events_entry(status):  # events (issue 14)
            return
        if opts.health_events != "journald":
            report("conmon: " + message)
            return
        from units.journald import JournalWriter, encode_entry

        fields = [
            ("MESSAGE", message.encode()),
            ("PRIORITY", b"6" if status != UNHEALTHY else b"4"),
            ("SYSLOG_IDENTIFIER", b"scopebox"),
            ("SCOPEBOX_EVENT", b"health_status"),
            ("SCOPEBOX_ID", cid.encode()),
            ("SCOPEBOX_HEALTH_STATUS", status.encode()),
            ("CONTAINER_ID", cid[:12].encode()),  # not _FULL: `logs` must not show it
            ("CONTAINER_NAME", opts.name.encode()),
        ]
        try:
            if self.journal is None:
                self.journal = JournalWriter()
            self.journal.send(encode_entry(fields))  # type: ignore[attr-defined]
        except OSError as exc:
            report(f"conmon: journald refused the health_status entry: {exc}")

    def _listen(self) -> None:
        _unlink(SOCKET_NAME)
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
        try:
            sock.bind(SOCKET_NAME)
            sock.listen(8)
        except OSError as exc:
            sock.close()
            report(f"conmon: cannot listen for healthcheck requests: {exc}")
            return
        sock.setblocking(False)
        self.listener = sock
        self._register(sock.fileno(), select.EPOLLIN, self._on_request)

    def _on_request(self, fd: int, mask: int) -> None:
        assert self.listener is not None
        while True:
            try:
                conn, _addr = self.listener._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                report(f"conmon: accept on the health socket: {exc}")
                break
            self.waiters.append(_socket.socket(fileno=conn))
        if self.check_pid < 0 and self.next_due is not None:
            self._launch()  # a check already running answers them all

    def _reply(self, line: bytes) -> None:
        for sock in self.waiters:
            try:  # noqa: SIM105
                sock.send(line)
            except OSError:
                pass  # the asker gave up
            sock.close()
        self.waiters = []


# -- the monitor's side (conmon.monitor calls these only when the container has checks) ---


def attach(mon: Monitor) -> None:
    """Start checking the monitor's container; on the change to unhealthy, act."""
    runner = HealthRunner(mon.opts, mon._register, mon._unregister, mon.env)
    runner.on_unhealthy = lambda action: on_unhealthy(mon, action)
    if mon.opts.health_notify_socket:
        address = mon.opts.health_notify_socket
        runner.on_first_healthy = lambda: sd_notify_ready(address)
    mon.health = runner
    runner.start()


def loop_timeout(mon: Monitor, timeout: float) -> float:
    """The event loop's poll timeout (-1: none) shortened to our next deadline."""
    assert mon.health is not None
    when = mon.health.deadline()
    if when is not None:
        left = max(0.0, when - time.monotonic())
        timeout = left if timeout < 0 else min(timeout, left)
    return timeout


def tick(mon: Monitor) -> None:
    assert mon.health is not None
    if mon.status is None:
        mon.health.tick(time.monotonic())


def on_unhealthy(mon: Monitor, action: str) -> None:
    """--health-on-failure: kill, stop (the monitor's own stop: stop signal, SIGKILL after
    the stop timeout), or restart: the same stop, then

    - with a restart policy (service mode) the monitor exits asking systemd for another run,
      whatever the policy says (a user's ``stopped`` still wins): one restart mechanism, the
      policy's count and back-off;
    - otherwise the same container is created and started again in place: :func:`recreate`.

    The monitor's table (conmon.state.CONTROL) ignores it once the container is going down.
    """
    from conmon import state as S

    report(f"conmon: the container is unhealthy: {action}")
    mon.control_fire(S.UNHEALTHY[action])


def recreate(mon: Monitor) -> bool:
    """The container exited for a health restart: delete it, create and start it again from
    the same bundle, rootfs and log. False if it was stopped meanwhile (the engine's
    ``stopped``, or SIGTERM to the monitor) or that failed: its exit is then recorded as usual.
    The engine adopts the new pid from the pid file and counts the restarts written to
    ``restarted``."""
    if mon.opts.stopped_file and exists(mon.opts.stopped_file):
        return False
    opts = mon.opts
    argv = [opts.runtime, *opts.runtime_args, "delete", "--force", opts.cid]
    spawn = posix.posix_spawn if "/" in opts.runtime else posix.posix_spawnp
    try:
        posix.waitpid(spawn(opts.runtime, argv, mon.env), 0)
    except OSError as exc:
        report(f"conmon: runtime delete before the restart: {exc}")
    if mon.stdin_fd >= 0:
        posix.close(mon.stdin_fd)
        mon.stdin_fd = -1
    old_pid = mon.pid
    out_r, err_r = mon._create()
    if not mon.error:
        mon._start()
    if mon.error:
        report(f"conmon: restarting the unhealthy container failed: {mon.error}")
        posix.close(out_r)
        posix.close(err_r)
        mon.pid = old_pid
        return False
    mon._add_output(out_r, "stdout")
    mon._add_output(err_r, "stderr")
    if mon.oom_watch is not None:
        mon._unregister(mon.oom_watch.fileno())
        mon.oom_watch.close()
        mon.oom_watch = None
    mon._watch_oom()
    mon.restarts += 1
    try:
        stamp = rfc3339nano(time.time_ns()).encode()
        write_atomic("restarted", b"%d %s\n" % (mon.restarts, stamp))
    except OSError as exc:
        report(f"conmon: cannot record the restart: {exc}")
    return True


def sd_notify_ready(socket_path: str) -> None:
    """``READY=1`` to the service manager's notify socket (``--sdnotify=healthy``: after the
    first passing check). The call the notify path makes; a failure is reported, not fatal."""
    address = socket_path.encode()
    if address[:1] == b"@":  # abstract namespace
        address = b"\0" + address[1:]
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
    try:
        sock.sendto(b"READY=1", address)
    except OSError as exc:
        report(f"conmon: sd_notify READY=1: {exc}")
    finally:
        sock.close()




def _read_pid(path: str) -> int:
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _group_of(pid: int) -> tuple[int, ...]:
    """``(-pgid,)`` of the check's process group: the runtime puts the check in a new session
    (runc: led by the check; crun: by an intermediate process that is gone by then). Never
    our own group."""
    try:
        group = posix.getpgid(pid)
    except OSError:
        return ()
    return (-group,) if group > 1 and group != posix.getpgrp() else ()


def _kill(*targets: int) -> None:
    for target in targets:
        try:  # noqa: SIM105
            posix.kill(target, _signal.SIGKILL)
        except OSError:
            pass


def _replace(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    fd = posix.open(tmp, posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC | posix.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[posix.write(fd, view) :]
    finally:
        posix.close(fd)
    posix.rename(tmp, path)


def _unlink(name: str) -> None:
    try:  # noqa: SIM105
        posix.unlink(name)
    except OSError:
        pass
