"""Hand-parsed monitor arguments (``argparse`` would cost the monitor ~1 MiB for its life)."""

from __future__ import annotations

LOG_DRIVERS = ("journald", "k8s-file", "none")


class UsageError(Exception):
    """The engine passed arguments the monitor protocol does not allow."""


class Options:
    """The monitor's arguments (see ARCHITECTURE.md, "The monitor protocol")."""

    __slots__ = (
        "bundle",
        "cid",
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
        "log_driver",
        "log_max_file",
        "log_max_size",
        "log_path",
        "log_tag",
        "name",
        "restart",
        "restart_max",
        "restarts_file",
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
}
_LIST = {"--runtime-arg": "runtime_args", "--exit-command": "exit_command"}
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
    if opts.log_max_size < 0 or opts.log_max_file < 1:
        raise UsageError("--log-max-size must be >= 0 and --log-max-file >= 1")
    if opts.service:
        if opts.restart not in ("no", "on-failure", "always", "unless-stopped"):
            raise UsageError(f"unknown --restart policy {opts.restart!r}")
        if not opts.restarts_file or not opts.stopped_file:
            raise UsageError("--service needs --restarts-file and --stopped-file")
        if opts.restart_max < 0 or opts.stop_timeout < 0:
            raise UsageError("--restart-max and --stop-timeout must be >= 0")
    elif opts.sync_fd < 0 or opts.start_fd < 0:
        raise UsageError("--sync-fd and --start-fd are required")
    if opts.health_process:
        _validate_health(opts)


def _validate_health(opts: Options) -> None:
    if not opts.health_file:
        raise UsageError("--health-process needs --health-file")
    if min(opts.health_interval_ns, opts.health_timeout_ns, opts.health_retries) <= 0:
        raise UsageError("--health-interval-ns, --health-timeout-ns, --health-retries must be > 0")
    if opts.health_on_failure not in ("none", "kill", "restart", "stop"):
        raise UsageError("--health-on-failure must be none, kill, restart or stop")
    if opts.health_events not in ("none", "journald"):
        raise UsageError("--health-events must be none or journald")
