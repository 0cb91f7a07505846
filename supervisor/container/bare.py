"""A container without a monitor: a pod's default infra container (`catatonit -P`).

It logs nothing, reads no stdin, has no health check and no restart policy, so a monitor
would only wait for its exit: the CLI runs `runtime create` and `runtime start` itself and
leaves. Its exit is derived by the next reader instead (`exit_record`): catatonit ends
with 0 on SIGTERM or SIGINT (what `stop` sends) and 128+N on a fatal signal N; a signal
sent by scopebox is remembered (`last_signal`), anything else is an unknown exit.

Crash safety is the monitor's protocol without the monitor: the row says "running" (no
monitor pid) before the runtime is asked for anything; the runtime writes the pid file
that readers take the pid from (`reconcile.pid_from_pidfile`); a reader that finds the
container gone tears down what the row recorded, as after a killed monitor.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import TYPE_CHECKING

from supervisor.procs import start_time
from supervisor.state import ExitRecord, Status
from supervisor.timefmt import now_rfc3339

# performance: stop, kill and reconcile read is_bare/remember_signal/exit_record; what only
# a start needs (the runtime, the resources) is imported there

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow

LAST_SIGNAL = "last-signal"  # in the container's dir: the last fatal signal scopebox sent
UNKNOWN_EXIT = -1


def is_bare(row: ContainerRow) -> bool:
    """A pod's default infra container: catatonit from scopebox's own root directory
    (not --infra-image, not --infra-command: those may log and exit on their own)."""
    from supervisor.pods import INFRA_LABEL
    from supervisor.pods.infra import INFRA_COMMAND

    opts = row.config.options
    return (opts.rootfs and INFRA_LABEL in opts.labels
            and tuple(opts.command) == INFRA_COMMAND
            and opts.image.endswith(os.path.join("pods", "infra-rootfs")))


def launch_bare(ctx: Context, row: ContainerRow) -> ContainerRow:
    from supervisor.container import resources as R_

    paths = ctx.paths
    for stale in (paths.exit_file(row.id), os.path.join(paths.container_dir(row.id),
                                                        LAST_SIGNAL)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)
    resources = R_.record(ctx, row)
    try:
        for resource in resources:
            resource.setup(ctx, row)
        from supervisor.container.launch import write_bundle_config

        write_bundle_config(ctx, row, ctx.mount_rootfs(row))
        row = _mark_running(ctx, row)
        pid = _create_and_start(ctx, row)
    except BaseException:
        ctx.store.update_container(row.id, status=Status.CREATED, monitor_pid=0,
                                   monitor_start="", pid=0, pid_start="")
        R_.teardown(ctx, row)
        raise
    row = ctx.store.update_container(row.id, pid=pid, pid_start=start_time(pid),
                                     monitor_pid=0, monitor_start="")
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "init", "start")
    return row


def _mark_running(ctx: Context, row: ContainerRow) -> ContainerRow:
    """While it starts, this CLI stands for the monitor: a reader that finds no container
    yet waits for it, and one that finds this process gone (killed mid-way) settles the
    row and tears down what was made."""
    me = os.getpid()
    return ctx.store.update_container(
        row.id, status=Status.RUNNING, monitor_pid=me, monitor_start=start_time(me), pid=0,
        pid_start="",
        boot_id=ctx.boot_id, started_at=now_rfc3339(), finished_at="", exit_code=0,
        oom_killed=False, error="")


def _create_and_start(ctx: Context, row: ContainerRow) -> int:
    """`runtime run --detach` (its create and start in one runtime process, issue 15's
    figure: one process less per pod start) with every stdio on /dev/null (the container
    keeps what it is given: a caller's pipe would never see EOF)."""
    import subprocess

    from conmon.protocol import PIDFILE, RUNTIME_LOG
    from supervisor.monitor import exit_error

    rundir = ctx.paths.container_rundir(row.id)
    log = os.path.join(rundir, RUNTIME_LOG)
    pidfile = os.path.join(rundir, PIDFILE)
    base = [*ctx.runtime_argv(row), f"--log={log}", "--log-format=json"]
    bundle = ctx.paths.container_dir(row.id)
    verb = ["run", "--detach", "--bundle", bundle, "--pid-file", pidfile, row.id]
    # Without the caller's NOTIFY_SOCKET (a Type=notify unit's, `kube play` under
    # podman-kube@.service): given one, the runtime waits for the container's own READY=1,
    # which an infra's catatonit never sends (the monitor drops it for the same reason).
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    res = subprocess.run([*base, *verb], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, check=False, env=env)
    # (restore_signals, subprocess's default: SIGPIPE and SIGXFSZ back to their
    # defaults for the container, which Python ignores; no preexec_fn in a threaded face)
    if res.returncode != 0:
        raise exit_error(_last_error(log) or "the OCI runtime's run failed",
                         row.config.runtime)
    with open(pidfile) as f:
        return int(f.read().strip())


def _last_error(log: str) -> str:
    from supervisor.monitor import runtime_message

    try:
        with open(log) as f:
            lines = [ln for ln in f.read().splitlines() if '"error"' in ln]
    except OSError:
        return ""
    return runtime_message("\n".join(lines[-1:]))


def remember_signal(ctx: Context, row: ContainerRow, signum: int) -> None:
    """Before a fatal signal goes to a bare container: its exit is what catatonit makes of
    it (`exit_record`)."""
    if not is_bare(row) or signum not in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
        return  # catatonit -P ignores the others
    path = os.path.join(ctx.paths.container_dir(row.id), LAST_SIGNAL)
    with contextlib.suppress(OSError), open(path, "w") as f:
        f.write(f"{signum}\n")


def exit_record(ctx: Context, row: ContainerRow) -> ExitRecord:
    """The exit of a bare container found gone: from the last signal scopebox sent."""
    try:
        with open(os.path.join(ctx.paths.container_dir(row.id), LAST_SIGNAL)) as f:
            signum = int(f.read().strip())
    except (OSError, ValueError):
        return ExitRecord(UNKNOWN_EXIT, None, False, now_rfc3339(),
                          error="the infra container has no monitor and ended without a"
                                " signal from scopebox: its exit status is unknown")
    code = 0 if signum in (signal.SIGTERM, signal.SIGINT) else 128 + signum
    return ExitRecord(code, None, False, now_rfc3339())

