"""The engine's side of the monitor protocol: how a monitor is started, what its exit record
and its runtime errors mean to the engine."""

from __future__ import annotations

import json
import os
import sys

from supervisor.errors import CommandCannotRun, CommandNotFound, RuntimeFailed, ScopeboxError
from supervisor.paths import Paths
from supervisor.restarts import stopped_file
from supervisor.state import ExitRecord
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
            d = json.loads(f.read())
    except (OSError, ValueError):
        return None
    return ExitRecord(
        exit_code=int(d["exit_code"]),
        signal=d.get("signal"),
        oom_killed=bool(d.get("oom_killed", False)),
        finished_at=str(d.get("finished_at", "")),
        log_errors=int(d.get("log_errors", 0)),
        restart=bool(d.get("restart", False)),
    )


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
    if not rec.log_errors:
        return ""
    return f"{rec.log_errors} log write(s) failed; see {os.path.join(cdir, 'monitor.log')}"


def exit_error(message: str) -> ScopeboxError:
    """Map the runtime's create error to Docker's exit codes (127 not found, 126 cannot run)."""
    low = message.lower()
    # runc: `exec: "x": executable file not found in $PATH`, `exec: "/etc": permission denied`;
    # crun: "executable file `x` not found in $PATH", "open executable: Permission denied".
    if "exec:" not in low and "executable" not in low:
        return RuntimeFailed(message)  # a mount, cgroup or namespace failure: the engine's
    if "executable file not found" in low or "no such file or directory" in low:
        return CommandNotFound(message)
    if "permission denied" in low or "exec format error" in low or "is a directory" in low:
        return CommandCannotRun(message)
    return RuntimeFailed(message)


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


def health_args(paths: Paths, row: ContainerRow) -> list[str]:
    """The monitor's healthcheck arguments (it runs the checks on its own loop)."""
    hc = row.config.healthcheck
    assert hc is not None
    cdir = paths.container_dir(row.id)
    argv = [
        f"--health-process={os.path.join(paths.container_rundir(row.id), 'health-process.json')}",
        f"--health-file={os.path.join(cdir, 'health.json')}",
        f"--health-interval-ns={hc.interval}",
        f"--health-timeout-ns={hc.timeout}",
        f"--health-start-period-ns={hc.start_period}",
        f"--health-retries={hc.retries}",
        f"--health-on-failure={hc.on_failure.value}",
        f"--health-events={'journald' if row.config.cgroup_manager == 'systemd' else 'none'}",
    ]
    notify = os.environ.get("NOTIFY_SOCKET", "")
    if row.config.sdnotify == "healthy" and notify:
        argv.append(f"--health-notify-socket={notify}")
    return argv


def monitor_argv(paths: Paths, row: ContainerRow, runtime_argv: list[str]) -> list[str]:
    cfg = row.config
    lo = cfg.log
    argv = [
        monitor_python(),
        *MONITOR_FLAGS,
        "-c",
        MONITOR_BOOT,
        PACKAGE_ROOT,
        f"--cid={row.id}",
        f"--name={row.name}",
        f"--bundle={paths.container_dir(row.id)}",
        f"--rundir={paths.container_rundir(row.id)}",
        f"--exit-file={paths.exit_file(row.id)}",
        f"--runtime={runtime_argv[0]}",
        *(f"--runtime-arg={a}" for a in runtime_argv[1:]),
        f"--log-driver={lo.driver.value}",
        f"--log-path={lo.path or paths.log_file(row.id)}",
        f"--log-max-size={lo.max_size}",
        f"--log-max-file={lo.max_file}",
        # How the monitor itself stops the container (systemctl stop of its unit,
        # --health-on-failure), and the engine's mark that a user stopped it.
        f"--stop-signal={cfg.stop_signal}",
        f"--stop-timeout={cfg.stop_timeout}",
        f"--stopped-file={stopped_file(paths, row.id)}",
    ]
    if lo.tag:
        argv.append(f"--log-tag={lo.tag}")
    if cfg.options.interactive:
        argv.append("--stdin")
    if cfg.healthcheck is not None:
        argv += health_args(paths, row)
    # Cleanup needs only the standard library: no site-packages, ~30 ms less per exit.
    exit_cmd = [sys.executable, "-I", "-S", "-c", CLEANUP_BOOT, PACKAGE_ROOT, row.id]
    argv += [f"--exit-command={a}" for a in exit_cmd]
    return argv
