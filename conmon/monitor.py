"""The monitor's I/O driver, from the start fd's EOF to the exit command.

Protocol: ARCHITECTURE.md, "The monitor protocol" (steps 1-2 are in :mod:`conmon.main`).

Control decisions live in the pure :mod:`conmon.state`; line framing in :mod:`conmon.framing`.
Import budget: this process lives as long as the container, so only cheap modules are used
(``_signal``/``_socket`` instead of ``signal``/``socket``, which pull in ``enum``).
"""

from __future__ import annotations

import _socket
import posix
import select
import time

from conmon import protocol as P
from conmon import state as S
from conmon.framing import LineFramer
from conmon.logs import JournaldLog, K8sFileLog, NoneLog, report
from conmon.protocol import Options
from conmon.record import decode_wait_status, exists, record_events, rfc3339nano, write_atomic

TYPE_CHECKING = False  # `typing` is too heavy to import; mypy knows this name
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Callable

    from cgroupfs.oom import OomWatch
    from conmon.framing import Record
    from conmon.health import HealthRunner
    from conmon.terminal import Terminal

    LogSink = K8sFileLog | JournaldLog | NoneLog
    Handler = Callable[[int, int], None]  # (fd, epoll event mask)
else:
    import _signal  # `signal` would import `enum` (~0.7 MiB for the container's life)

READ_SIZE = 32 * 1024
# Output gathered per wakeup: reads repeat while data is there, up to this much, then one log
# write and one frame go out. A pty's master gives at most 4095 bytes a read; handled one
# read at a time, each 4 KiB cost a wakeup, a log write, a send and the client's recv and write.
READ_BATCH = 32 * 1024
CLIENT_MAX_BEHIND = 4 * 1024 * 1024  # queued output that pauses reading the container's
CLIENT_STALL_TIMEOUT = 5.0  # seconds a paused client may go without reading before it is dropped
STDIN_MAX_QUEUED = 1024 * 1024  # stop reading clients while the container lags this much
DRAIN_TIMEOUT = 2.0  # seconds to wait for pipe EOF after the container's init exited
FINAL_FLUSH_TIMEOUT = 1.0  # seconds to hand queued output to clients before closing them

_IN = select.EPOLLIN
_OUT = select.EPOLLOUT
_STREAM_IDS = {n: bytes((n,)) for n in (P.STDOUT, P.STDERR, P.EXIT)}  # a frame's first byte


def _join(directory: str, name: str) -> str:
    """``os.path.join(directory, name)`` for a relative ``name`` (``posixpath`` stays unloaded)."""
    return directory + name if not directory or directory.endswith("/") else directory + "/" + name


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[posix.write(fd, view) :]


class Client:
    """One attach connection."""

    __slots__ = ("eof", "mask", "out", "queued", "reading", "sock")

    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.out: list[bytes] = []
        self.queued = 0
        self.reading = True  # False while stdin is backlogged, or after the client's EOF
        self.eof = False
        self.mask = _IN


class Monitor:
    """Runs one container from ``runtime create`` to the exit command."""

    def __init__(self, opts: Options, listener: _socket.socket) -> None:
        self.opts = opts
        self._bound = listener  # bound by conmon.main before the engine learns our pid
        self.state: S.State = S.CREATING
        self.epoll = select.epoll()
        self.handlers: dict[int, Handler] = {}
        self.clients: dict[int, Client] = {}
        self.listener: _socket.socket | None = None
        self.framers: dict[int, LineFramer] = {}
        self.stdin_fd = -1
        self.stdin_buf = bytearray()
        self.stdin_close_requested = False
        self.pid = -1
        self.status: int | None = None
        self.finished_ns = 0
        self.oom_killed = False
        self.oom_seen_ns = 0
        self.oom_watch: OomWatch | None = None
        self.deadline: float | None = None
        self.slow_clients = 0
        self.output_paused = False  # terminals: a client lags (see _queue)
        self.stall_deadline: float | None = None
        self.error = ""
        self.log: LogSink = NoneLog()
        self.events: list[S.Event] = []
        self.env = _runtime_env()
        # Stopping and restarting: the pure table S.CONTROL; only the SIGKILL timer is ours.
        self.control: S.State = S.C_RUNNING
        self.kill_deadline: float | None = None
        self.run_deadline: float | None = None  # `run --timeout`
        self.timed_out = False  # it expired: the exit code is -1, as conmon's
        # Healthchecks (conmon.health): only with --health-process.
        self.health: HealthRunner | None = None
        self.restarts = 0
        # A restart policy without systemd (the cgroupfs manager): this monitor runs the
        # container again itself after the back-off, instead of exiting for systemd to.
        self.in_place = not opts.service and opts.restart != "no"
        self.policy_mode = opts.service or self.in_place  # the policy decides at each exit
        self.record: P.ExitRecord | None = None  # the last run's, rewritten final on a stop
        self.stopped_by_user = False  # the last run ended by a stop: we exit 0 (run())
        self.sig_fd = -1  # the signal wakeup pipe's read end (SIGCHLD, SIGTERM)
        self.terminal: Terminal | None = None  # terminals: --terminal (conmon.terminal)

    # -- start-up -------------------------------------------------------------------------

    def run(self) -> int:
        """Steps 2-7 of the protocol; the caller already chdir'd to the run dir."""
        if self.opts.service:
            return self.run_service()
        opts = self.opts
        # Listening first lets a foreground `run` attach before anything can be written.
        self._listen()
        # The engine moves us into our scope meanwhile, then writes the go byte. EOF without
        # it means the engine died or gave up before recording us: create nothing.
        received = b""
        while chunk := posix.read(opts.start_fd, 4096):
            received += chunk
        posix.close(opts.start_fd)
        if P.GO not in received:
            report("conmon: the engine went away before the start; nothing was created")
            return 4
        self._watch_sigchld()
        out_r, err_r = self._create()
        if not self.error and opts.init_only:
            self._event("init")  # `init`: the engine runs the runtime's start later
        elif not self.error:
            # We start it too: an engine killed between create and start must not leave a
            # container that is created but never started.
            self._start()
        if self.error:
            self.fire(S.CREATE_FAILED)
        else:
            self._watch_created(out_r, err_r)
        self._loop()
        if self.error:
            return 1
        while self.in_place and self._restart_next() and self._restart_in_place():
            pass
        # As conmon: the container's status is ours. A unit that names us its MAINPID (a
        # generated unit's `run -d --sdnotify=conmon`) then fails with the container and its
        # Restart=on-failure restarts it (a --health-on-failure=kill, a crash). Not after a
        # stop (systemctl stop, a user's stop or rm -f): the unit ends inactive.
        if self.record is None or (self.stopped_by_user and not self.opts.keep_status):
            return 0
        return self.record.exit_code & 0xFF

    def _restart_in_place(self) -> bool:
        """The cgroupfs manager: the policy's restart, made here (what systemd and
        `run_service` do together under systemd): Docker's back-off, then the container
        again from the same bundle, rootfs and log, watched by the same loop. False when
        it does not run again (stopped meanwhile, or the runtime failed): the last run's
        record is then made final and the exit command cleans up."""
        from conmon import restart as R

        opts = self.opts
        self.restarts, exited_ns = R.read_count(opts.restarts_file)
        delay = R.sleep_left(self.restarts, exited_ns, time.monotonic_ns())
        if self._backoff(delay) or R.exists(opts.stopped_file):
            return self._no_more_runs()
        self.state, self.control = S.CREATING, S.C_RUNNING
        self.status, self.finished_ns, self.error = None, 0, ""
        self.oom_killed, self.oom_seen_ns = False, 0
        self.deadline = self.kill_deadline = self.run_deadline = None
        self._bound = P.bind_attach()  # closed with the clients at the last exit
        self._listen()
        self._runtime_delete()
        try:  # noqa: SIM105
            posix.unlink(opts.exit_file)
        except OSError:
            pass
        self._event("restart")  # Podman's: died, restart, init, start
        out_r, err_r = self._create()
        if not self.error:
            self._start()
        if self.error:
            report(f"conmon: restart {self.restarts} failed: {self.error}")
            for fd in (out_r, err_r):
                posix.close(fd)
            self._close_clients()
            return self._no_more_runs()
        self._watch_created(out_r, err_r)
        self._loop()
        return True

    def _backoff(self, delay: float) -> bool:
        """Sleep `delay` seconds; True if SIGTERM (the engine's stop, rm -f) came meanwhile."""
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            if not select.select([self.sig_fd], [], [], left)[0]:
                continue
            try:
                got = posix.read(self.sig_fd, 512)
            except BlockingIOError:
                got = b""
            if _signal.SIGTERM in got:
                return True
        return False

    def _no_more_runs(self) -> bool:
        """The record of the last run becomes final (it asked for a restart), then cleanup."""
        record = self.record
        if record is not None and record.restart:
            record.restart = False
            try:
                write_atomic(self.opts.exit_file, record.encode())
            except OSError as exc:
                report(f"conmon: cannot write the exit record {self.opts.exit_file!r}: {exc}")
        self.control = S.DEAD
        self._run_exit_command()
        return False

    def run_service(self) -> int:
        """The unit's main process: (re)create the container with no engine around.

        The engine prepared rootfs, bundle and run dir before it started the unit; they stay
        across restarts because cleanup (the exit command) runs only on the last exit.
        Exit status: EXIT_RESTART asks systemd for another run, EXIT_DONE ends the unit.
        """
        from conmon import adopt as A
        from conmon import restart as R

        opts = self.opts
        stored = A.listen_fds()
        if not R.exists(opts.exit_file):
            # No record since the last start: the previous monitor died (kill -9, OOM).
            pid, pidfd = A.find_previous()
            if pid and A.take_over(self, pid, pidfd, stored):
                return R.EXIT_RESTART if self._restart_next() else R.EXIT_DONE
            if pid and not self._restart_next():
                return self._done_without_run()
        for fd in stored.values():
            posix.close(fd)
        A.remove_fds(tuple(stored))
        self.restarts, exited_ns = R.read_count(opts.restarts_file)
        if self.restarts:
            # Docker's back-off (see conmon.restart); the same boot: CLOCK_MONOTONIC holds.
            delay = R.sleep_left(self.restarts, exited_ns, time.monotonic_ns())
            report(f"conmon: restart {self.restarts}: back-off {R.backoff(self.restarts):.1f} s")
            time.sleep(delay)
        if R.exists(opts.stopped_file):  # stopped while a restart was pending
            return self._done_without_run()
        self._listen()
        if opts.wait_attach and not self.restarts:
            self._wait_for_attach(opts.wait_attach)
        self._watch_sigchld()
        if self.restarts or R.exists(P.PIDFILE):
            self._delete_previous()
        out_r, err_r = self._create()
        if not self.error:
            self._start()
        if self.error:
            self.fire(S.CREATE_FAILED)
            if self.restarts:
                self._run_exit_command()  # the engine is not waiting: clean up ourselves
            return R.EXIT_DONE
        if self.control == S.AUTO_RESTART:  # the lost run's restart (_take_over) is this one
            self.control_fire(S.RECREATED)
        A.record_started(self.pid)
        A.store_fds({"stdout": out_r, "stderr": err_r})
        self._watch_created(out_r, err_r)
        self._loop()
        return R.EXIT_RESTART if self._restart_next() else R.EXIT_DONE

    def _restart_next(self) -> bool:
        """Service mode: exit for systemd to run us again (the policy's or a health restart)."""
        return self.control == S.AUTO_RESTART

    def _done_without_run(self) -> int:
        """Nothing to run (a user stopped it; the policy gave up after a lost exit): clean
        up and end the unit. READY=1 first: an exit before it would be a 'protocol' failure."""
        from conmon.restart import EXIT_DONE  # service mode only: not in every monitor

        self._ready()
        self._run_exit_command()
        return EXIT_DONE

    def _watch_created(self, out_r: int, err_r: int) -> None:
        """The container exists: its output, OOM kills and health checks are ours to watch."""
        self.log = self._open_log()
        self._add_output(out_r, "stdout")
        self._add_output(err_r, "stderr")
        self._watch_oom()
        self.fire(S.CREATED)
        self._start_health()

    def _wait_for_attach(self, seconds: int) -> None:
        """A foreground `run` connects before the container exists, so it misses nothing; if
        it does not come (the CLI died), the container runs all the same."""
        listener = self.listener
        assert listener is not None
        if select.select([listener.fileno()], [], [], seconds)[0]:
            self._on_accept(listener.fileno(), _IN)

    def _delete_previous(self) -> None:
        """The previous run's runtime state and exit record go before the same id is reused."""
        opts = self.opts
        self._runtime_delete()
        from conmon.adopt import forget_started

        forget_started()  # first: a monitor killed from here on finds no container to adopt
        try:  # noqa: SIM105
            posix.unlink(opts.exit_file)
        except OSError:
            pass

    def _runtime_delete(self) -> None:
        opts = self.opts
        argv = [opts.runtime, *opts.runtime_args, "delete", "--force", opts.cid]
        spawn = posix.posix_spawn if "/" in opts.runtime else posix.posix_spawnp
        null = posix.open("/dev/null", posix.O_RDWR | posix.O_CLOEXEC)
        actions = [(posix.POSIX_SPAWN_DUP2, null, n) for n in (0, 1, 2)]
        try:
            pid = spawn(opts.runtime, argv, self.env, file_actions=actions)
            posix.waitpid(pid, 0)
        except OSError as exc:
            report(f"conmon: runtime delete: {exc}")
        finally:
            posix.close(null)

    def _ready(self) -> None:
        """Service mode: READY=1 to systemd (Type=notify) once the container runs."""
        from units.notify import sd_notify

        address = posix.environ.get(b"NOTIFY_SOCKET", b"").decode("utf-8", "surrogateescape")
        try:
            sd_notify(f"READY=1\nSTATUS=container running (restarts: {self.restarts})", address)
        except OSError as exc:
            report(f"conmon: sd_notify: {exc}")

    def _start_error(self) -> None:
        """Service mode: the engine reads the runtime's message from here."""
        try:
            write_atomic(_join(self.opts.rundir, P.START_ERROR), self.error.encode())
        except OSError as exc:
            report(f"conmon: cannot write start-error: {exc}")

    def _sync(self, line: bytes) -> None:
        try:
            _write_all(self.opts.sync_fd, line)
        except OSError as exc:
            # The engine went away; the container still needs its monitor.
            report(f"conmon: writing to the sync fd: {exc}")

    def _listen(self) -> None:
        sock = self._bound
        sock.setblocking(False)
        self.listener = sock
        self._register(sock.fileno(), _IN, self._on_accept)
        if self.opts.terminal and self.terminal is None:  # terminals: resizes, even early ones
            from conmon.terminal import Terminal

            self.terminal = Terminal()
            self._register(self.terminal.ctl, _IN, self._on_ctl)

    def _on_ctl(self, fd: int, mask: int) -> None:
        assert self.terminal is not None
        self.terminal.on_ctl()

    def _watch_sigchld(self) -> None:
        r, w = posix.pipe()
        posix.set_blocking(r, False)
        posix.set_blocking(w, False)
        _signal.signal(_signal.SIGCHLD, _noop_handler)
        # SIGTERM (systemctl stop of our unit) stops the container; the wakeup byte says which.
        _signal.signal(_signal.SIGTERM, _noop_handler)
        _signal.set_wakeup_fd(w)
        self.sig_fd = r
        self._register(r, _IN, self._on_sigchld)

    def _create(self) -> tuple[int, int]:
        """Run ``runtime create`` with stdio on our pipes; return the output read ends."""
        opts = self.opts
        out_r, out_w = posix.pipe()
        err_r, err_w = posix.pipe()
        console = None
        if opts.terminal:  # terminals: the runtime's pty replaces these stdio in the container
            from conmon.terminal import listen_console

            console = listen_console()
            in_r = posix.open("/dev/null", posix.O_RDONLY | posix.O_CLOEXEC)
        elif opts.stdin:
            in_r, in_w = posix.pipe()
            posix.set_blocking(in_w, False)
            self.stdin_fd = in_w
        else:
            in_r = posix.open("/dev/null", posix.O_RDONLY | posix.O_CLOEXEC)
        argv = [
            opts.runtime,
            *opts.runtime_args,
            "--log=" + _join(opts.rundir, P.RUNTIME_LOG),
            "--log-format=json",
            "create",
            *(["--preserve-fds", str(opts.preserve_fds)] if opts.preserve_fds else []),
            "--bundle",
            opts.bundle,
            "--pid-file",
            _join(opts.rundir, P.PIDFILE),
            *([] if console is None else ["--console-socket", _console_path()]),
            opts.cid,
        ]
        actions = [
            (posix.POSIX_SPAWN_DUP2, in_r, 0),
            (posix.POSIX_SPAWN_DUP2, out_w, 1),
            (posix.POSIX_SPAWN_DUP2, err_w, 2),
        ]
        # Python ignores SIGPIPE and SIGXFSZ; the container must get the defaults back.
        sigdef = (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGCHLD, _signal.SIGTERM)
        spawn = posix.posix_spawn if "/" in opts.runtime else posix.posix_spawnp
        restore = _set_domain(opts.personality)  # misc (issue 19): inherited by the container
        try:
            rpid = spawn(opts.runtime, argv, self.env, file_actions=actions, setsigdef=sigdef)
        except OSError as exc:
            self.error = f"cannot run runtime {opts.runtime!r}: {exc.strerror}"
            rpid = -1
        finally:
            restore()
        for fd in (in_r, out_w, err_w):
            posix.close(fd)
        # --preserve-fds: the container holds them now; a later create (a restart) gets none
        for fd in range(3, 3 + opts.preserve_fds):
            try:  # noqa: SIM105
                posix.close(fd)
            except OSError:
                pass
        opts.preserve_fds = 0
        if rpid > 0:
            _, status = posix.waitpid(rpid, 0)
            code, _sig = decode_wait_status(status)
            if code != 0:
                self.error = _runtime_error(code, err_r)
            else:
                self._read_pidfile()
                if not self.error:
                    self._write_pid_files()
        if console is not None:
            return self._take_terminal(console, out_r, err_r)
        return out_r, err_r

    def _take_terminal(self, console: _socket.socket, out_r: int, err_r: int) -> tuple[int, int]:
        """terminals: the master replaces the stdout pipe (the container never held that)."""
        from conmon.terminal import receive_master

        if self.error:
            console.close()
            return out_r, err_r
        try:
            master = receive_master(console)
        except OSError as exc:
            self.error = f"receiving the container's terminal: {exc}"
            return out_r, err_r
        assert self.terminal is not None
        self.terminal.set_master(master)
        if self.opts.stdin:
            self.stdin_fd = posix.dup(master)
            posix.set_blocking(self.stdin_fd, False)
        posix.close(out_r)
        return posix.dup(master), err_r

    def _start(self) -> None:
        opts = self.opts
        argv = [opts.runtime, *opts.runtime_args,
                "--log=" + _join(opts.rundir, P.RUNTIME_LOG), "--log-format=json",
                "start", opts.cid]
        spawn = posix.posix_spawn if "/" in opts.runtime else posix.posix_spawnp
        null = posix.open("/dev/null", posix.O_RDWR | posix.O_CLOEXEC)
        actions = [(posix.POSIX_SPAWN_DUP2, null, 0), (posix.POSIX_SPAWN_DUP2, null, 1)]
        try:
            rpid = spawn(opts.runtime, argv, self.env, file_actions=actions)
        except OSError as exc:
            self.error = f"cannot run runtime {opts.runtime!r}: {exc.strerror}"
            return
        finally:
            posix.close(null)
        _, status = posix.waitpid(rpid, 0)
        code, _sig = decode_wait_status(status)
        if code != 0:
            self.error = _runtime_error(code, -1, "start")
            try:  # noqa: SIM105 (no contextlib in the monitor: it stays lean)
                posix.kill(self.pid, _signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:  # events (issue 14): the runtime made and started it: Podman's init, start,
            self._event(*self._start_events())  # and attach for a client already there

    def _write_pid_files(self) -> None:
        """issue 19: the user's --conmon-pidfile and --pidfile (Podman writes no newline); one
        that cannot be written fails the start, and the created container goes."""
        opts = self.opts
        for flag, path, pid in (("--conmon-pidfile", opts.conmon_pidfile, posix.getpid()),
                                ("--pidfile", opts.container_pidfile, self.pid)):
            if not path:
                continue
            try:
                write_atomic(path, b"%d" % pid)
            except OSError as exc:
                self.error = f"writing the {flag} file {path}: {exc.strerror or exc}"
                try:  # noqa: SIM105 (no contextlib in the monitor: it stays lean)
                    posix.kill(self.pid, _signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return

    def _read_pidfile(self) -> None:
        try:
            with open(P.PIDFILE) as f:
                self.pid = int(f.read().strip())
        except (OSError, ValueError) as exc:
            self.error = f"runtime create succeeded but its pid file is unusable: {exc}"

    def _open_log(self) -> LogSink:
        opts = self.opts
        try:
            if opts.log_driver == "k8s-file":
                return K8sFileLog(opts.log_path, opts.log_max_size, opts.log_max_file)
            if opts.log_driver == "journald":
                unit = f"scopebox-{opts.cid}.service" if opts.service else ""
                return JournaldLog(opts.cid, opts.name, opts.log_tag, unit=unit)
        except OSError as exc:
            # The container runs anyway; every line it writes will count as a log error.
            report(f"conmon: cannot open the {opts.log_driver} log: {exc}")
            return _CountingLog()
        return NoneLog()

    def _add_output(self, fd: int, stream: str) -> None:
        posix.set_blocking(fd, False)
        self.framers[fd] = LineFramer(stream)
        self._register(fd, _IN, self._on_output)

    def _watch_oom(self) -> None:
        try:
            from cgroupfs.oom import open_oom_watch
        except ImportError:
            report("conmon: cgroupfs.oom is not available; oom_killed will be false")
            return
        try:
            watch = open_oom_watch(self.pid)
        except (OSError, ValueError) as exc:
            report(f"conmon: cannot watch for OOM kills: {exc}")
            return
        if watch is None:
            return
        self.oom_watch = watch
        self._register(watch.fileno(), _IN, self._on_oom)

    # -- the event loop -------------------------------------------------------------------

    def _register(self, fd: int, mask: int, handler: Handler) -> None:
        self.handlers[fd] = handler
        self.epoll.register(fd, mask)

    def _unregister(self, fd: int) -> None:
        del self.handlers[fd]
        self.epoll.unregister(fd)

    def _loop(self) -> None:
        while self.state != S.DONE:
            timeout = -1.0
            if self.deadline is not None:
                timeout = max(0.0, self.deadline - time.monotonic())
            if self.kill_deadline is not None:
                left = max(0.0, self.kill_deadline - time.monotonic())
                timeout = left if timeout < 0 else min(timeout, left)
                if left == 0.0:
                    self.kill_deadline = None
                    self.control_fire(S.KILL_TIMEOUT)
            if self.run_deadline is not None:
                left = max(0.0, self.run_deadline - time.monotonic())
                timeout = left if timeout < 0 else min(timeout, left)
                if left == 0.0:
                    self.run_deadline = None
                    self.timed_out = self.status is None
                    self.control_fire(S.TIMEOUT)
            if self.stall_deadline is not None:  # terminals: a paused client reads nothing
                left = max(0.0, self.stall_deadline - time.monotonic())
                timeout = left if timeout < 0 else min(timeout, left)
                if left == 0.0:
                    self._drop_stalled()
            if self.health is not None:
                timeout = self._health_timeout(timeout)
            ready = self.epoll.poll(timeout)
            if not ready and self.deadline is not None and time.monotonic() >= self.deadline:
                self.deadline = None
                self.fire(S.DRAIN_TIMEOUT)
            for fd, mask in ready:
                handler = self.handlers.get(fd)
                if handler is not None:  # an earlier handler in this batch may have closed it
                    handler(fd, mask)
            if self.health is not None:
                self._health_tick()

    def fire(self, event: S.Event) -> None:
        """Feed an event to the state machine and perform its actions, in order."""
        self.events.append(event)
        if len(self.events) > 1:
            return  # an action fired this event; the outer call will get to it
        while self.events:
            self.state, actions = S.step(self.state, self.events[0])
            for action in actions:
                self._act(action)
            del self.events[0]

    def _act(self, action: S.Action) -> None:
        if action == S.REPORT_PID:
            self.timed_out = False
            if self.opts.run_timeout > 0:
                self.run_deadline = time.monotonic() + self.opts.run_timeout
            if self.opts.service:
                self._ready()
            elif self.opts.sync_fd >= 0:  # (a restart in place: no engine waits)
                self._sync(P.sync_pid(self.pid))
                posix.close(self.opts.sync_fd)
                self.opts.sync_fd = -1
        elif action == S.REPORT_ERROR:
            if self.opts.service:
                self._start_error()
            else:
                self._sync(P.sync_error(self.error))
                posix.close(self.opts.sync_fd)
            self._close_clients()
        elif action == S.MARK_OOM:
            self.oom_killed = True
        elif action == S.ARM_DRAIN_TIMER:
            self.deadline = time.monotonic() + DRAIN_TIMEOUT
        elif action == S.FLUSH_LOGS:
            self._flush_logs()
        elif action == S.WRITE_EXIT_RECORD:
            self._write_exit_record()
        elif action == S.CLOSE_CLIENTS:
            self._close_clients()
        elif action == S.RUN_EXIT_COMMAND:
            if not self._restart_next():  # cleanup only after the last run
                self._run_exit_command()
            self.fire(S.EXIT_COMMAND_DONE)

    # -- handlers -------------------------------------------------------------------------

    def _on_sigchld(self, fd: int, mask: int) -> None:
        got = b""
        try:
            while chunk := posix.read(fd, 512):
                got += chunk
        except BlockingIOError:
            pass
        if _signal.SIGTERM in got:
            self._on_stop_request()
        while True:
            try:
                pid, status = posix.waitpid(-1, posix.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if posix.WIFSTOPPED(status):
                self._traced_stop(pid, status)
                continue
            if pid == self.pid and self.status is None:
                self.control_fire(S.CONTAINER_EXITED)  # a health restart may recreate it
                if self.control == S.C_RUNNING:
                    continue
                self.status = status
                self.finished_ns = time.time_ns()
                if self.health is not None:
                    self.health.stop()
                self.fire(S.CHILD_EXITED)
            elif self.health is not None:
                self.health.reaped(pid, status)

    def _traced_stop(self, pid: int, status: int) -> None:
        """Only an adopted container is traced (conmon.adopt): a signal or group stop."""
        from conmon.adopt import resume

        resume(pid, status)

    def _on_output(self, fd: int, mask: int) -> None:
        data = _read_batch(fd)
        if data is None:
            return
        framer = self.framers[fd]
        if data:
            records, block = framer.feed_block(data)
            self._emit(records)
            if block:
                self.log.write_block(framer.stream, block)
            self._broadcast(P.STDOUT if framer.stream == "stdout" else P.STDERR, data)
            return
        self._emit(framer.finish())
        del self.framers[fd]
        self._unregister(fd)
        posix.close(fd)
        if not self.framers and not (S.is_restarting(self.control) and not self.policy_mode):
            # (a health restart in place brings new pipes)
            self.fire(S.STDIO_EOF)

    def _emit(self, records: list[Record]) -> None:
        log = self.log
        for stream, data, partial in records:
            log.write(stream, data, partial)

    def _on_oom(self, fd: int, mask: int) -> None:
        watch = self.oom_watch
        if watch is not None and watch.consume():
            if not self.oom_seen_ns:
                self.oom_seen_ns = time.monotonic_ns()
            self.fire(S.OOM)

    def _on_accept(self, fd: int, mask: int) -> None:
        assert self.listener is not None
        while True:
            try:
                sock, _addr = self.listener._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                report(f"conmon: accept on the attach socket: {exc}")
                return
            conn = _socket.socket(fileno=sock)
            conn.setblocking(False)
            client = Client(conn)
            client.reading = not self._stdin_backlogged()
            client.mask = _IN if client.reading else 0
            self.clients[conn.fileno()] = client
            self._register(conn.fileno(), client.mask, self._on_client)

    def _on_client(self, fd: int, mask: int) -> None:
        client = self.clients[fd]
        if mask & _OUT:
            self._client_flush(client)
            if fd not in self.clients:
                return
        hung_up = False
        while client.reading:
            try:
                data = client.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError:
                hung_up = True
                break
            if not data:
                # EOF: SHUT_WR (stdin ends) unless the client is gone altogether (detach).
                hung_up = self._peer_gone(client)
                if not hung_up:
                    self._stdin_eof()
                    client.eof = True
                    client.reading = False
                    self._set_mask(client)
                break
            self._stdin_write(data)
            if self._stdin_backlogged():
                self._pause_clients(True)
                break
        if hung_up or (not client.reading and self._peer_gone(client)):
            self._drop(client)

    def _peer_gone(self, client: Client) -> bool:
        # A full close sets EPOLLHUP on our end; a shutdown(SHUT_WR) only EPOLLRDHUP.
        p = select.poll()
        p.register(client.sock.fileno(), 0)
        return any(ev & select.POLLHUP for _fd, ev in p.poll(0))

    # -- healthchecks (conmon.health; the code lives there: monitors without checks do
    # not load it) --------------------------------------------------------------------------

    def _start_health(self) -> None:
        if self.opts.health_process:
            from conmon.health import attach

            attach(self)

    def _health_timeout(self, timeout: float) -> float:
        from conmon.health import loop_timeout

        return loop_timeout(self, timeout)

    def _health_tick(self) -> None:
        from conmon.health import tick

        tick(self)

    def _start_events(self) -> tuple[str, ...]:  # events (issue 14)
        if self.opts.events_backend == "none":
            return ("init", "start")
        if self.listener is not None:  # a foreground run / start -a connected before the go
            self._on_accept(self.listener.fileno(), _IN)
        return ("init", "start", "attach") if self.clients else ("init", "start")

    def _recreate(self) -> None:
        from conmon.health import recreate

        self.control_fire(S.RECREATED if recreate(self) else S.NO_RESTART)

    # -- attach clients -------------------------------------------------------------------

    def _broadcast(self, stream_id: int, data: bytes) -> None:
        if not self.clients:
            return
        # The id and the data go as one record without being joined (a copy of up to
        # READ_BATCH); only a frame that has to wait is made whole.
        parts = (_STREAM_IDS[stream_id], data)
        frame = b""
        for client in list(self.clients.values()):
            if not client.out:
                try:
                    client.sock.sendmsg(parts)
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    self._drop(client)
                    continue
            frame = frame or P.frame(stream_id, data)
            self._queue(client, frame)

    def _queue(self, client: Client, frame: bytes) -> None:
        client.out.append(frame)
        client.queued += len(frame)
        if client.queued > CLIENT_MAX_BEHIND and not self.output_paused:
            # As conmon's blocking writes: the container waits for its slowest attached
            # client (its writes block), no output is lost and the queue stays bounded; a
            # client that reads nothing for CLIENT_STALL_TIMEOUT is dropped (conmon would
            # wait for ever).
            self._pause_output(True)
        self._set_mask(client)

    def _drop_stalled(self) -> None:
        for client in list(self.clients.values()):
            if client.queued > CLIENT_MAX_BEHIND // 2:
                self.slow_clients += 1
                report(f"conmon: dropped attach client #{self.slow_clients}: no progress for "
                       f"{CLIENT_STALL_TIMEOUT:g} s")  # fmt: skip
                self._drop(client)
        if self.output_paused:
            self._pause_output(False)

    def _pause_output(self, paused: bool) -> None:
        """terminals: stop (or resume) reading the container's output while a client lags."""
        self.output_paused = paused
        self.stall_deadline = time.monotonic() + CLIENT_STALL_TIMEOUT if paused else None
        for fd in list(self.framers):
            if paused and fd in self.handlers:
                self._unregister(fd)
            elif not paused and fd not in self.handlers:
                self._register(fd, _IN, self._on_output)

    def _maybe_resume_output(self) -> None:
        if self.output_paused and all(c.queued <= CLIENT_MAX_BEHIND // 2
                                      for c in self.clients.values()):  # fmt: skip
            self._pause_output(False)

    def _client_flush(self, client: Client) -> None:
        while client.out:
            try:
                client.sock.send(client.out[0])
            except BlockingIOError:
                return
            except OSError:
                self._drop(client)
                return
            client.queued -= len(client.out.pop(0))
            if self.output_paused:  # progress: it is slow, not stuck
                self.stall_deadline = time.monotonic() + CLIENT_STALL_TIMEOUT
        self._set_mask(client)
        self._maybe_resume_output()

    def _set_mask(self, client: Client) -> None:
        mask = (_IN if client.reading else 0) | (_OUT if client.out else 0)
        if mask != client.mask:
            client.mask = mask
            self.epoll.modify(client.sock.fileno(), mask)

    def _drop(self, client: Client) -> None:
        fd = client.sock.fileno()
        if self.clients.pop(fd, None) is not None:
            self._unregister(fd)
            client.sock.close()
            self._maybe_resume_output()

    def _close_clients(self) -> None:
        end = time.monotonic() + FINAL_FLUSH_TIMEOUT
        for client in list(self.clients.values()):
            sock = client.sock
            try:
                for frame in client.out:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    sock.settimeout(left)
                    sock.send(frame)
            except OSError:
                pass  # a client that cannot keep up even now loses the tail
            self._drop(client)
        if self.listener is not None:
            self._unregister(self.listener.fileno())
            self.listener.close()
            self.listener = None
            try:  # noqa: SIM105
                posix.unlink(P.ATTACH)
            except OSError:
                pass

    # -- stdin ----------------------------------------------------------------------------

    def _stdin_backlogged(self) -> bool:
        return len(self.stdin_buf) >= STDIN_MAX_QUEUED

    def _pause_clients(self, paused: bool) -> None:
        for client in self.clients.values():
            if client.reading == paused and not client.eof:
                client.reading = not paused
                self._set_mask(client)

    def _stdin_write(self, data: bytes) -> None:
        if self.stdin_fd < 0:
            return  # no --stdin (or the container closed it): input has nowhere to go
        was_empty = not self.stdin_buf
        self.stdin_buf += data
        if was_empty:
            self._stdin_flush()

    def _stdin_flush(self) -> None:
        fd = self.stdin_fd
        try:
            while self.stdin_buf:
                del self.stdin_buf[: posix.write(fd, self.stdin_buf)]
        except BlockingIOError:
            if fd not in self.handlers:
                self._register(fd, _OUT, self._on_stdin_writable)
            return
        except OSError:
            self.stdin_buf.clear()  # EPIPE: the container closed its stdin
            self.stdin_close_requested = True
        if fd in self.handlers:
            self._unregister(fd)
        self._pause_clients(False)
        if self.stdin_close_requested:
            posix.close(fd)
            self.stdin_fd = -1

    def _on_stdin_writable(self, fd: int, mask: int) -> None:
        self._stdin_flush()  # also on EPOLLERR: the write then fails with EPIPE

    def _stdin_eof(self) -> None:
        if self.stdin_fd < 0 or self.terminal is not None:
            return  # a terminal stays open for the next client (ctrl-d is a byte there)
        self.stdin_close_requested = True
        if not self.stdin_buf:
            self._stdin_flush()

    # -- the end --------------------------------------------------------------------------

    def _flush_logs(self) -> None:
        for fd in list(self.framers):
            try:
                while data := posix.read(fd, READ_SIZE):
                    self._emit(self.framers[fd].feed(data))
            except BlockingIOError:
                pass  # something outside the container still holds the pipe: stop here
            except OSError:
                pass  # EIO: a terminal nobody holds any more
            self._emit(self.framers.pop(fd).finish())
            if fd in self.handlers:  # (not while output is paused for a slow client)
                self._unregister(fd)
            posix.close(fd)
        self.log.close()

    def _write_exit_record(self) -> None:
        assert self.status is not None
        watch = self.oom_watch
        if watch is not None:
            if watch.oom_killed_so_far():
                self.oom_killed = True
            self._unregister(watch.fileno())
            watch.close()
            self.oom_watch = None
        code, sig = decode_wait_status(self.status)
        if self.timed_out:  # conmon kills it and never reaps a status: Podman shows -1 (255)
            code, sig = -1, 0
        record = P.ExitRecord(code, sig, self.oom_killed, rfc3339nano(self.finished_ns),
                              self.log.errors, self.oom_seen_ns)  # fmt: skip
        if self.policy_mode:
            record.restart = self._decide_restart(code)
        self.record = record
        # Read now: an --rm container's directory, and the mark with it, goes at cleanup.
        self.stopped_by_user = S.is_stopped(self.control) or exists(self.opts.stopped_file)
        data = record.encode()
        # events (issue 14): Podman's `died`, before the record (who saw the exit finds it)
        self._event("died", code=code, fork=False)  # the monitor exits after its record
        try:
            write_atomic(self.opts.exit_file, data)
        except OSError as exc:
            report(f"conmon: cannot write the exit record {self.opts.exit_file!r}: {exc}")
        # Attached clients get the record in-band: with --rm the file is gone soon after.
        self._broadcast(P.EXIT, data)
        if self.slow_clients:
            report(f"conmon: {self.slow_clients} slow attach client(s) were dropped")

    def _event(self, *statuses: str, code: int = 0, fork: bool = True) -> None:  # events
        failed = record_events(self.opts, *statuses, code=code, fork=fork)
        if failed:
            report(f"conmon: cannot write the {statuses[0]} event: {failed}")

    def _run_exit_command(self) -> None:
        if self.stdin_fd >= 0:
            posix.close(self.stdin_fd)
            self.stdin_fd = -1
        argv = self.opts.exit_command
        if not argv:
            return
        spawn = posix.posix_spawn if "/" in argv[0] else posix.posix_spawnp
        sigdef = (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGCHLD, _signal.SIGTERM)
        try:
            pid = spawn(argv[0], argv, self.env, setsigdef=sigdef)
            _, status = posix.waitpid(pid, 0)
        except OSError as exc:
            report(f"conmon: exit command {argv[0]!r} failed to run: {exc}")
            return
        code, _sig = decode_wait_status(status)
        if code:
            report(f"conmon: exit command {argv[0]!r} exited with {code}")


    # -- stop and restart ------------------------------------------------------------------

    def _on_stop_request(self) -> None:
        """SIGTERM (systemctl stop, shutdown; KillMode=mixed): stop the container, no restart.
        Not a user's `stop` for unless-stopped (only the engine's stop marks that): at
        shutdown systemd stops every unit, and those containers must come back at boot."""
        self.control_fire(S.STOP)

    def control_fire(self, event: S.Event) -> None:
        """Feed the stop/restart table (S.CONTROL) and perform its actions, in order."""
        self.control, actions = S.control(self.control, event)
        for action in actions:
            if action == S.SIGNAL_STOP:
                self._signal_container(self.opts.stop_signal)
            elif action == S.SIGNAL_KILL:
                self._signal_container(_signal.SIGKILL)
            elif action == S.ARM_KILL_TIMER:
                self.kill_deadline = time.monotonic() + self.opts.stop_timeout
            elif action == S.DISARM_KILL_TIMER:
                self.kill_deadline = None
            elif action == S.PAUSE_CHECKS and self.health is not None:
                self.health.next_due = None
            elif action == S.RESUME_CHECKS and self.health is not None:
                self.health.start()
            elif action == S.RECREATE and not self.policy_mode:
                self._recreate()  # a restart policy's: through the exit record, counted

    def _signal_container(self, signum: int) -> None:
        if self.pid <= 0 or self.status is not None:
            return
        try:  # noqa: SIM105
            posix.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def _decide_restart(self, code: int) -> bool:
        """A restart policy: restart or not (pure rule in conmon.restart); the count is written
        before the record so that a crash in between cannot lose a restart."""
        from conmon import restart as R

        opts = self.opts
        stopped = S.is_stopped(self.control) or R.exists(opts.stopped_file)
        forced = self.control == S.AUTO_RESTART  # a health restart
        if stopped or not (forced or R.wants_restart(
                opts.restart, opts.restart_max, self.restarts, code, stopped)):  # fmt: skip
            self.control_fire(S.NO_RESTART)
            return False
        try:
            record_ns = time.monotonic_ns()
            write_atomic(opts.restarts_file, R.format_count(self.restarts + 1, record_ns))
        except OSError as exc:
            report(f"conmon: cannot write the restart count: {exc}; not restarting")
            self.control_fire(S.NO_RESTART)
            return False
        self.control_fire(S.RESTART_WANTED)
        return True


def _read_batch(fd: int, piece: int = READ_SIZE) -> bytes | None:
    """What `fd` has now, up to READ_BATCH bytes, read `piece` bytes at a time; b"" at EOF (or
    EIO: a terminal's last holder in the container closed it), None when nothing is there yet.
    Data read before an EOF is returned alone; the EOF stays pending (epoll reports the
    hang-up again)."""
    chunks: list[bytes] = []
    size = 0
    while size < READ_BATCH:
        try:
            chunk = posix.read(fd, min(piece, READ_BATCH - size))
        except BlockingIOError:
            if not chunks:
                return None
            break
        except OSError:
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)  # one chunk: that very object


def _console_path() -> str:
    """terminals: runc chdirs to the bundle; this path is short whatever the run dir's."""
    return f"/proc/{posix.getpid()}/cwd/{P.CONSOLE_SOCKET}"


def _runtime_env() -> dict[bytes, bytes]:
    """Our environment for the runtime and the exit command, without NOTIFY_SOCKET: that one
    is systemd's for us (service mode), and a runtime that sees it proxies it into the
    container and makes `start` wait for READY (--sdnotify=container is done in the spec)."""
    return {k: v for k, v in posix.environ.items() if k != b"NOTIFY_SOCKET"}


class _CountingLog(NoneLog):
    """Stands in for a log that could not be opened: each line is a counted error."""

    def __init__(self) -> None:
        self.errors = 1

    def write(self, stream: str, data: bytes, partial: bool) -> None:
        self.errors += 1

    def write_block(self, stream: str, block: bytes) -> None:
        self.errors += block.count(b"\n")


def _noop_handler(signum: int, frame: object) -> None:
    """SIGCHLD needs a Python-level handler for set_wakeup_fd to fire."""


def _set_domain(personality: str) -> Callable[[], None]:
    """misc (issue 19): --personality's execution domain for the runtime's start; returns what
    puts ours back (conmon.personality is imported only then: the monitor's start stays lean)."""
    if not personality:
        return _nothing
    from conmon.personality import set_domain

    return set_domain(personality)


def _nothing() -> None:
    pass


def _runtime_error(code: int, err_fd: int, verb: str = "create") -> str:
    """The runtime's own error message: the last error in its JSON log, else its stderr."""
    try:
        with open(P.RUNTIME_LOG, "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    import json  # error path only: the monitor exits right after

    for raw in reversed(lines):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
            return str(entry.get("msg", ""))
    tail = ""
    if err_fd >= 0:
        posix.set_blocking(err_fd, False)
        try:  # noqa: SIM105
            tail = posix.read(err_fd, 4096).decode("utf-8", "replace").strip()
        except OSError:
            pass
    return tail or f"runtime {verb} exited with code {code}"
