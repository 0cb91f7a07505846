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
        self.stopped_file = ""
        self.stop_signal = 15
        self.stop_timeout = 10
        self.wait_attach = 0  # service mode, first run: seconds to wait for an attach client


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
