"""The engine's side of the monitor protocol: how a monitor is started, what its exit record
and its runtime errors mean to the engine."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence

from conmon import protocol
from supervisor.errors import CommandCannotRun, CommandNotFound, RuntimeFailed, ScopeboxError
from supervisor.paths import Paths
from supervisor.restarts import policy_of, restarts_file, stopped_file
from supervisor.state import ExitRecord, exit_record
from supervisor.store import ContainerRow

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MONITOR_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); from conmon.main import main; main()"
)
CLEANUP_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1));"
    " from supervisor.cli.cleanup import main; raise SystemExit(main(sys.argv[1:]))"
)
MONITOR_FLAGS = ("-I", "-S")  # isolated, no site-packages: the monitor needs the stdlib only


def read_exit_record(path: str) -> ExitRecord | None:
    try:
        with open(path, "rb") as f:
            return exit_record(protocol.decode_exit(f.read()))
    except (OSError, ValueError):
        return None


def runtime_message(stderr: str) -> str:
    """The runtime's last error line, without its JSON log framing."""
    for line in reversed(stderr.strip().splitlines()):
        try:
            msg = json.loads(line).get("msg", "")
        except (ValueError, AttributeError):
            msg = line
        if msg:
            return str(msg).strip()
    return ""


def log_error_text(rec: ExitRecord, cdir: str) -> str:
    """State.Error of an exit: why its status is unknown, or the monitor's log failures."""
    if rec.error:
        return rec.error
    if not rec.log_errors:
        return ""
    return f"{rec.log_errors} log write(s) failed; see {os.path.join(cdir, 'monitor.log')}"


_DENIED = re.compile(r"(?i).*permission denied.*|.*operation not permitted.*")
# What the monitor itself reports (conmon/monitor.py), not the runtime: a --pidfile or
# --conmon-pidfile it cannot write (DIFFERENCES.md pidfile-unwritable), a runtime it cannot run.
_MONITOR_OWN = ("writing the --", "runtime create succeeded but", "cannot run runtime ",
                "the monitor's unit ")
_NOT_FOUND = re.compile(r"(?i).*executable file not found in.*|.*no such file or directory.*")


def exit_error(message: str, runtime: str = "runc", exec_: bool = False) -> ScopeboxError:
    """The runtime's create (or exec) error as Podman 4.3 words it and its exit code.

    Podman names the runtime and classifies the runtime's line: permission denied gets
    "OCI permission denied", a missing file "OCI runtime attempted to invoke a command that was
    not found", anything else is an "OCI runtime error". `run` then gives 127 when the text says
    "not found" or "no such file" and 126 otherwise (define.ExitCode); `exec` gives 127, 126 and
    125 for the three kinds (define.TranslateExecErrorToExitCode)."""
    low = message.lower()
    if re.search(r"/proc/\d+/ns/\w+", low) and ("no such file" in low or "no such process" in low):
        # --pid/--ipc/--uts container:X whose process exited between the engine's check that X
        # runs and the runtime's open: the same answer as when the check sees it stopped
        return CommandCannotRun("cannot get namespace path unless the container whose namespace"
                                f" is joined is running: container is stopped ({message})")
    if message.startswith(_MONITOR_OWN):  # the monitor's own failure: the engine's, 125
        return RuntimeFailed(message)
    name = os.path.basename(runtime) or "runc"
    if (found := _DENIED.search(message)) is not None:
        text, kind = f"{name}: {found.group(0).strip()}: OCI permission denied", 126
    elif (found := _NOT_FOUND.search(message)) is not None:
        text = f"{name}: {found.group(0).strip()}: OCI runtime attempted to invoke a command" \
            " that was not found"
        kind = 127
    else:
        text, kind = f"OCI runtime error: {name}: {message.strip()}", 125
    if exec_:
        code = kind
    else:
        code = 127 if "not found" in text.lower() or "no such file" in text.lower() else 126
    if code == 127:
        return CommandNotFound(text)
    return CommandCannotRun(text) if code == 126 else RuntimeFailed(text)


def monitor_python() -> str:
    """The interpreter the monitors run under. They need only the standard library, so the
    system's own Python does when it is the same minor version as ours: Debian's statically
    linked one costs each monitor ~180 KiB less private memory than a build with a shared
    libpython (measured here). SCOPEBOX_MONITOR_PYTHON overrides."""
    chosen = os.environ.get("SCOPEBOX_MONITOR_PYTHON")
    if chosen:
        return chosen
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = "/usr/bin/python3"
    if os.path.basename(os.path.realpath(system)) == ours and os.access(system, os.X_OK):
        return system
    return sys.executable


def _health_options(opts: protocol.Options, paths: Paths, row: ContainerRow) -> None:
    """The monitor's healthcheck arguments (it runs the checks on its own loop)."""
    hc = row.config.healthcheck
    assert hc is not None
    opts.health_process = os.path.join(paths.container_rundir(row.id), "health-process.json")
    opts.health_file = os.path.join(paths.container_dir(row.id), "health.json")
    opts.health_interval_ns = int(hc.interval)
    opts.health_timeout_ns = int(hc.timeout)
    opts.health_start_period_ns = int(hc.start_period)
    opts.health_retries = int(hc.retries)
    opts.health_on_failure = str(hc.on_failure.value)
    opts.health_events = "journald" if row.config.cgroup_manager == "systemd" else "none"
    from supervisor.model import notify_socket

    notify = notify_socket(row.config)
    if row.config.sdnotify == "healthy" and notify:
        opts.health_notify_socket = notify


def monitor_options(
    paths: Paths, row: ContainerRow, runtime_argv: list[str], globals: Sequence[str] = ()
) -> protocol.Options:
    """The monitor's arguments for this container (the caller adds the fds or service mode).
    `globals`: the engine's other global flags (--runtime, --cgroup-manager) for the exit
    command, which runs isolated (-I -S) and must see the same store and manager."""
    cfg = row.config
    lo = cfg.log
    opts = protocol.Options()
    opts.cid = row.id
    opts.name = row.name
    opts.bundle = paths.container_dir(row.id)
    opts.rundir = paths.container_rundir(row.id)
    opts.exit_file = paths.exit_file(row.id)
    opts.runtime, *opts.runtime_args = runtime_argv
    opts.log_driver = lo.driver.value
    opts.log_path = lo.path or paths.log_file(row.id)
    opts.log_max_size = int(lo.max_size)
    opts.log_max_file = int(lo.max_file)
    opts.log_tag = lo.tag or ""
    # How the monitor itself stops the container (systemctl stop of its unit,
    # --health-on-failure), and the engine's mark that a user stopped it.
    opts.stop_signal = int(cfg.stop_signal)
    opts.stop_timeout = int(cfg.stop_timeout)
    opts.run_timeout = int(cfg.runflags.timeout)  # helper "runflags": run --timeout
    opts.container_pidfile = cfg.runflags.pidfile  # issue 19: run --pidfile
    opts.conmon_pidfile = cfg.runflags.conmon_pidfile  # and --conmon-pidfile
    opts.stopped_file = stopped_file(paths, row.id)
    policy = policy_of(row)
    if policy.name != "no":  # the cgroupfs manager: the monitor restarts it in place
        opts.restart = policy.name.value
        opts.restart_max = policy.max_retries
        opts.restarts_file = restarts_file(paths, row.id)
    opts.stdin = bool(cfg.options.interactive)
    opts.terminal = bool(cfg.options.tty)  # terminals: the monitor owns the pty
    opts.personality = cfg.options.personality  # misc (issue 19)
    # kube play --service-container: its unit follows this monitor (MAINPID) and fails
    # with it when the pods are stopped, as conmon's exit status makes Podman's
    from supervisor.pods import SERVICE_LABEL

    opts.keep_status = SERVICE_LABEL in cfg.options.labels
    if cfg.healthcheck is not None:
        _health_options(opts, paths, row)
    # Cleanup needs only the standard library: no site-packages, ~30 ms less per exit.
    settings = ["--root", paths.root, "--runroot", paths.runroot, *globals]
    opts.exit_command = [
        sys.executable, "-I", "-S", "-c", CLEANUP_BOOT, PACKAGE_ROOT, *settings, row.id
    ]  # fmt: skip
    return opts


def service_options(opts: protocol.Options, paths: Paths, row: ContainerRow) -> None:
    """Service mode (a restart policy): the monitor is scopebox-<id>.service's main process."""
    policy = policy_of(row)
    opts.service = True
    opts.restart = policy.name
    opts.restart_max = policy.max_retries
    opts.restarts_file = restarts_file(paths, row.id)


def monitor_command(opts: protocol.Options) -> list[str]:
    return [monitor_python(), *MONITOR_FLAGS, "-c", MONITOR_BOOT, PACKAGE_ROOT,
            *protocol.format_args(opts)]  # fmt: skip
