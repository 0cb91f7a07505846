"""The monitor protocol, defined once: both ends (the monitor and ``supervisor``) use this module.

ARCHITECTURE.md, "The monitor protocol", describes it; here are its parts as code:

- the command line: :class:`Options` (every ``--key=value``), :func:`parse_args` (the monitor)
  and :func:`format_args` (the engine), :class:`UsageError` for what the protocol forbids;
- the run-dir file names;
- the attach socket's frames (one byte of stream id, then the data);
- the sync fd's JSON lines;
- the exit record's JSON object.

The monitor imports this module before its first sync line, so it uses builtin modules only;
the decoders that need ``json`` import it when called (only the engine calls them).
"""

from __future__ import annotations

import _socket
import posix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# -- the command line (hand-parsed: ``argparse`` would cost the monitor ~1 MiB for its life) --

LOG_DRIVERS = ("journald", "k8s-file", "none")


class UsageError(Exception):
    """The engine passed arguments the monitor protocol does not allow."""


class Options:
    """The monitor's arguments (see ARCHITECTURE.md, "The monitor protocol")."""

    __slots__ = (
        "bundle",
        "cid",
        "conmon_pidfile",
        "container_pidfile",
        "events_backend",
        "events_fields",
        "events_file",
        "events_head",
        "events_message",
        "events_tail",
        "exit_command",
        "exit_file",
        "health_events",
        "health_file",
        "health_interval_ns",
        "health_notify_socket",
        "health_on_failure",
        "health_process",
        "health_retries",
        "health_start_period_ns",
        "health_timeout_ns",
        "init_only",
        "keep_status",
        "log_driver",
        "log_max_file",
        "log_max_size",
        "log_path",
        "log_tag",
        "name",
        "personality",
        "preserve_fds",
        "restart",
        "restart_max",
        "restarts_file",
        "run_timeout",
        "rundir",
        "runtime",
        "runtime_args",
        "service",
        "start_fd",
        "stdin",
        "stop_signal",
        "stop_timeout",
        "stopped_file",
        "sync_fd",
        "terminal",
        "wait_attach",
    )

    def __init__(self) -> None:
        self.cid = ""
        self.name = ""
        self.bundle = ""
        self.rundir = ""
        self.exit_file = ""
        self.runtime = ""
        self.runtime_args: list[str] = []
        self.log_driver = "k8s-file"
        self.log_path = ""
        self.log_max_size = 0
        self.log_max_file = 1
        self.log_tag = ""
        self.stdin = False
        self.terminal = False  # terminals: -t, the runtime's pty (conmon.terminal)
        # `init`: the runtime creates the container, the engine starts it later (runtime start)
        self.init_only = False
        # Exit with the container's status even after a stop (conmon's way): the kube service
        # container's unit fails when its pods are stopped, as Podman's.
        self.keep_status = False
        self.sync_fd = -1
        self.start_fd = -1
        self.exit_command: list[str] = []
        # Service mode: the main process of scopebox-<id>.service (no engine on the other end).
        self.service = False
        self.restart = "no"
        self.restart_max = 0
        self.restarts_file = ""
        self.wait_attach = 0  # service mode, first run: seconds to wait for an attach client
        # Stopping the container from here (systemctl stop, --health-on-failure=stop|restart):
        # the stop signal, SIGKILL after the timeout. `stopped` (written by the engine's stop,
        # kill, rm -f): a user stopped it, so neither a restart policy nor a health restart
        # brings it back.
        self.stopped_file = ""
        self.stop_signal = 15
        self.stop_timeout = 10
        # Healthcheck (conmon.health); no --health-process: no checks.
        self.health_process = ""
        self.health_file = ""
        self.health_interval_ns = 30_000_000_000
        self.health_timeout_ns = 30_000_000_000
        self.health_start_period_ns = 0
        self.health_retries = 3
        self.health_on_failure = "none"
        self.health_events = "none"
        self.health_notify_socket = ""  # --sdnotify=healthy: READY=1 here after a pass
        # `run --timeout`: SIGKILL this many seconds after the start, stopped for good (0: none)
        self.run_timeout = 0
        # `run --preserve-fds N`: our fds 3..3+N-1 go to the container (first create only)
        self.preserve_fds = 0
        self.personality = ""  # misc (issue 19): run --personality, LINUX or LINUX32
        # events (issue 14): where init, start, died and health_status go (conmon.events),
        # and what the engine rendered of them: the JSON line's head and tail, the human text
        # after the status, the static journal fields (KEY=value)
        self.events_backend = "none"
        self.events_file = ""
        self.events_head = ""
        self.events_tail = '"Attributes":{}'
        self.events_message = ""
        self.events_fields: list[str] = []
        # issue 19: `run --pidfile/--conmon-pidfile`: the container's pid and ours, written
        # there too after each create (the run dir's own files stay the engine's)
        self.container_pidfile = ""
        self.conmon_pidfile = ""


_STR = {
    "--cid": "cid",
    "--name": "name",
    "--bundle": "bundle",
    "--rundir": "rundir",
    "--exit-file": "exit_file",
    "--runtime": "runtime",
    "--log-driver": "log_driver",
    "--log-path": "log_path",
    "--log-tag": "log_tag",
    "--restart": "restart",
    "--restarts-file": "restarts_file",
    "--stopped-file": "stopped_file",
    "--health-process": "health_process",
    "--health-file": "health_file",
    "--health-on-failure": "health_on_failure",
    "--health-events": "health_events",
    "--health-notify-socket": "health_notify_socket",
    "--events-backend": "events_backend",  # events (issue 14)
    "--events-file": "events_file",
    "--events-head": "events_head",
    "--events-tail": "events_tail",
    "--events-message": "events_message",
    "--personality": "personality",  # misc (issue 19)
    "--container-pidfile": "container_pidfile",  # issue 19
    "--conmon-pidfile": "conmon_pidfile",
}
_INT = {
    "--log-max-size": "log_max_size",
    "--log-max-file": "log_max_file",
    "--sync-fd": "sync_fd",
    "--start-fd": "start_fd",
    "--restart-max": "restart_max",
    "--stop-signal": "stop_signal",
    "--stop-timeout": "stop_timeout",
    "--wait-attach": "wait_attach",
    "--health-interval-ns": "health_interval_ns",
    "--health-timeout-ns": "health_timeout_ns",
    "--health-start-period-ns": "health_start_period_ns",
    "--health-retries": "health_retries",
    "--timeout": "run_timeout",
    "--preserve-fds": "preserve_fds",
}
_LIST = {"--runtime-arg": "runtime_args", "--exit-command": "exit_command",
         "--events-field": "events_fields"}  # events (issue 14)
_REQUIRED = ("cid", "bundle", "rundir", "exit_file", "runtime")


def parse_args(argv: list[str]) -> Options:
    """Parse ``--key=value`` arguments (and the bare flag ``--stdin``)."""
    opts = Options()
    for arg in argv:
        if arg == "--stdin":
            opts.stdin = True
            continue
        if arg == "--service":
            opts.service = True
            continue
        if arg == "--terminal":  # terminals
            opts.terminal = True
            continue
        if arg == "--init-only":
            opts.init_only = True
            continue
        if arg == "--keep-status":
            opts.keep_status = True
            continue
        key, eq, value = arg.partition("=")
        if not eq:
            raise UsageError(f"argument {arg!r} is not --key=value")
        if key in _STR:
            setattr(opts, _STR[key], value)
        elif key in _INT:
            try:
                setattr(opts, _INT[key], int(value))
            except ValueError:
                raise UsageError(f"{key} needs an integer, got {value!r}") from None
        elif key in _LIST:
            getattr(opts, _LIST[key]).append(value)
        else:
            raise UsageError(f"unknown argument {key!r}")
    _validate(opts)
    return opts


def _validate(opts: Options) -> None:
    for attr in _REQUIRED:
        if not getattr(opts, attr):
            raise UsageError(f"--{attr.replace('_', '-')} is required")
    if len(opts.cid) != 64 or opts.cid.strip("0123456789abcdef"):
        raise UsageError(f"--cid must be 64 lowercase hex digits, got {opts.cid!r}")
    if opts.log_driver not in LOG_DRIVERS:
        raise UsageError(f"--log-driver must be one of {', '.join(LOG_DRIVERS)}")
    if opts.log_driver == "k8s-file" and not opts.log_path:
        raise UsageError("--log-driver=k8s-file needs --log-path")
    if opts.run_timeout < 0:
        raise UsageError("--timeout must be >= 0")
    if opts.preserve_fds < 0 or (opts.preserve_fds and opts.service):
        raise UsageError("--preserve-fds must be >= 0, and is not for --service")
    if opts.log_max_size < 0 or opts.log_max_file < 1:
        raise UsageError("--log-max-size must be >= 0 and --log-max-file >= 1")
    if opts.restart not in ("no", "on-failure", "always", "unless-stopped"):
        raise UsageError(f"unknown --restart policy {opts.restart!r}")
    if opts.service or opts.restart != "no":  # a policy: in place without --service
        if not opts.restarts_file or not opts.stopped_file:
            raise UsageError("--restart needs --restarts-file and --stopped-file")
        if opts.restart_max < 0 or opts.stop_timeout < 0:
            raise UsageError("--restart-max and --stop-timeout must be >= 0")
    if not opts.service and (opts.sync_fd < 0 or opts.start_fd < 0):
        raise UsageError("--sync-fd and --start-fd are required")
    if opts.init_only and opts.service:
        raise UsageError("--init-only is not for --service (systemd starts those)")
    if opts.health_process:
        _validate_health(opts)
    if opts.events_backend not in ("none", "file", "journald"):  # events (issue 14)
        raise UsageError("--events-backend must be none, file or journald")
    if opts.events_backend != "none" and not (opts.events_head and (
            opts.events_file or opts.events_backend == "journald")):
        raise UsageError("--events-backend needs --events-head (and --events-file for file)")


def _validate_health(opts: Options) -> None:
    if not opts.health_file:
        raise UsageError("--health-process needs --health-file")
    if min(opts.health_interval_ns, opts.health_timeout_ns, opts.health_retries) <= 0:
        raise UsageError("--health-interval-ns, --health-timeout-ns, --health-retries must be > 0")
    if opts.health_on_failure not in ("none", "kill", "restart", "stop"):
        raise UsageError("--health-on-failure must be none, kill, restart or stop")
    if opts.health_events not in ("none", "journald"):
        raise UsageError("--health-events must be none or journald")


def format_args(opts: Options) -> list[str]:
    """The command line that :func:`parse_args` reads back as `opts` (the engine's side):
    required and non-default values only."""
    default = Options()
    argv = [f"--{attr.replace('_', '-')}={getattr(opts, attr)}" for attr in _REQUIRED]
    for table in (_STR, _INT):
        for key, attr in table.items():
            value = getattr(opts, attr)
            if attr not in _REQUIRED and value != getattr(default, attr):
                argv.append(f"{key}={value}")
    for key, attr in _LIST.items():
        argv += [f"{key}={value}" for value in getattr(opts, attr)]
    argv += [flag for flag, on in (("--stdin", opts.stdin), ("--service", opts.service),
                                   ("--terminal", opts.terminal),
                                   ("--init-only", opts.init_only),
                                   ("--keep-status", opts.keep_status)) if on]  # fmt: skip
    return argv


# -- run-dir file names (the monitor chdirs to the run dir) -------------------------------

ATTACH = "attach"  # SOCK_SEQPACKET, the monitor listens
PIDFILE = "pidfile"  # the container's pid, written by the runtime
MONITOR_PID = "monitor.pid"
RUNTIME_LOG = "runtime.log"  # the runtime's JSON log
START_ERROR = "start-error"  # service mode: the runtime's error when the first run failed
STARTED = "started"  # service mode: "<pid> <start ticks>" of the running container
HEALTH_SOCKET = "health"  # `healthcheck run` asks the monitor for a check here
HEALTH_PID = "health.pid"  # the running check's pid (written by the runtime's exec)
RESTARTED = "restarted"  # "<count> <time>": health restarts made by this monitor
PAUSED = "paused"  # the engine froze the container: checks are skipped
# terminals (--terminal): the runtime sends the pty's master to CONSOLE_SOCKET during create;
# clients write `1 ROWS COLS` lines to the CTL FIFO (conmon's resize line)
CONSOLE_SOCKET = "console.sock"
CTL = "ctl"
RESIZE = b"1"

# -- attach frames ------------------------------------------------------------------------

STDOUT = 2
STDERR = 3
EXIT = 4  # the exit record, sent once it is written, just before the monitor closes clients
MAX_FRAME = 1 << 17  # a client's receive size: larger than any frame the monitor sends


def frame(stream: int, data: bytes) -> bytes:
    return bytes((stream,)) + data


# -- sync fd lines (monitor -> engine) ----------------------------------------------------

GO = b"1"  # start fd (engine -> monitor): create the container


def sync_monitor_pid(pid: int) -> bytes:
    return b'{"monitor_pid": %d}\n' % pid


def sync_pid(pid: int) -> bytes:
    return b'{"pid": %d}\n' % pid


def sync_error(message: str) -> bytes:
    return ('{"error": %s}\n' % json_string(message)).encode()  # noqa: UP031


class SyncMessage:
    """One decoded sync line: exactly one of ``monitor_pid``, ``pid``, ``error`` is set."""

    __slots__ = ("error", "monitor_pid", "pid")

    def __init__(self, monitor_pid: int = 0, pid: int = 0, error: str | None = None) -> None:
        self.monitor_pid = monitor_pid
        self.pid = pid
        self.error = error


def decode_sync(line: bytes) -> SyncMessage:
    """Raises ValueError for anything that is not one of the three lines."""
    import json

    d = json.loads(line)
    if not isinstance(d, dict) or len(d) != 1:
        raise ValueError(f"not a sync line: {line!r}")
    if "monitor_pid" in d:
        return SyncMessage(monitor_pid=int(d["monitor_pid"]))
    if "pid" in d:
        return SyncMessage(pid=int(d["pid"]))
    if "error" in d:
        return SyncMessage(error=str(d["error"]))
    raise ValueError(f"not a sync line: {line!r}")


# -- the exit record ----------------------------------------------------------------------

UNKNOWN_EXIT = -1  # the exit status is lost (the kernel gave it to no one we can ask)


class ExitRecord:
    """The ``exit`` file (and the attach socket's EXIT frame).

    ``exit_code`` is WEXITSTATUS, or 128+signal; ``oom_seen_monotonic_ns`` is
    CLOCK_MONOTONIC when the first OOM event reached the monitor (0: none). Service mode adds
    ``restart``: True means the monitor exits for systemd to run it again (not the final
    record). ``error`` says why an exit status is unknown.
    """

    __slots__ = ("error", "exit_code", "finished_at", "log_errors", "oom_killed",
                 "oom_seen_monotonic_ns", "restart", "signal")  # fmt: skip

    def __init__(self, exit_code: int, signal: int = 0, oom_killed: bool = False,
                 finished_at: str = "", log_errors: int = 0, oom_seen_monotonic_ns: int = 0,
                 restart: bool | None = None, error: str = "") -> None:  # fmt: skip
        self.exit_code = exit_code
        self.signal = signal
        self.oom_killed = oom_killed
        self.finished_at = finished_at
        self.log_errors = log_errors
        self.oom_seen_monotonic_ns = oom_seen_monotonic_ns
        self.restart = restart
        self.error = error

    def encode(self) -> bytes:
        """One JSON object and a newline (formatted by hand: no ``json`` in the monitor)."""
        text = (
            '{"exit_code": %d, "signal": %d, "oom_killed": %s, "finished_at": %s, '  # noqa: UP031
            '"log_errors": %d, "oom_seen_monotonic_ns": %d'
            % (
                self.exit_code,
                self.signal,
                "true" if self.oom_killed else "false",
                json_string(self.finished_at),
                self.log_errors,
                self.oom_seen_monotonic_ns,
            )
        )
        if self.restart is not None:
            text += ', "restart": ' + ("true" if self.restart else "false")
        if self.error:
            text += ', "error": ' + json_string(self.error)
        return (text + "}\n").encode()


def decode_exit(data: bytes, loads: Callable[[bytes], Any] | None = None) -> ExitRecord:
    """Raises ValueError for a record that is not one (truncated, not JSON, no exit code).
    `loads`: json.loads or the same (the engine's quick paths pass one without `re`)."""
    if loads is None:
        import json

        loads = json.loads
    d = loads(data)
    if not isinstance(d, dict):
        raise ValueError("the exit record is not a JSON object")
    try:
        restart = d.get("restart")
        return ExitRecord(
            exit_code=int(d["exit_code"]),
            signal=int(d.get("signal") or 0),
            oom_killed=bool(d.get("oom_killed", False)),
            finished_at=str(d.get("finished_at", "")),
            log_errors=int(d.get("log_errors", 0)),
            oom_seen_monotonic_ns=int(d.get("oom_seen_monotonic_ns", 0)),
            restart=None if restart is None else bool(restart),
            error=str(d.get("error", "")),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"bad exit record: {exc}") from None


def json_string(text: str) -> str:
    """A JSON string literal (quotes included) without importing ``json``."""
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04x" % o)  # noqa: UP031
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def bind_attach() -> _socket.socket:
    """The listening attach socket, bound relative to the run dir (a short sun_path)."""
    try:  # noqa: SIM105 - contextlib costs the monitor memory
        posix.unlink(ATTACH)
    except FileNotFoundError:
        pass
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
    sock.bind(ATTACH)
    sock.listen(16)
    return sock
