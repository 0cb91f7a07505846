"""`exec` (a process in a running container, through the runtime's `exec --process`) and
`healthcheck run` (a check run now by the container's monitor)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.errors import RuntimeFailed, StateError, UsageError
from supervisor.state import Status

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.store import ContainerRow


@dataclass(frozen=True)
class ExecOptions:
    command: list[str]
    env: list[str] = field(default_factory=list)
    user: str | None = None
    workdir: str | None = None
    interactive: bool = False
    detach: bool = False


def exec_process(
    engine: Engine, row: ContainerRow, base: dict[str, Any], opts: ExecOptions
) -> dict[str, Any]:
    """The container's own process (env, user, cwd, capabilities, rlimits) with the exec's
    command and overrides, as Docker derives an exec's from its container."""
    from supervisor.model import expand_env
    from supervisor.specgen import merge_env

    process = dict(base, args=list(opts.command), terminal=False)
    env = list(base.get("env") or [])
    if opts.user is not None:
        from supervisor.users import resolve_user

        rootfs = row.image_name if row.config.rootfs else engine.paths.rootfs(row.id)
        user = resolve_user(rootfs, opts.user)
        process["user"] = dict(
            base.get("user") or {}, uid=user.uid, gid=user.gid,
            additionalGids=list(user.additional_gids),
        )  # fmt: skip
        env = merge_env(env, [f"HOME={user.home}"])
    process["env"] = merge_env(env, [e for e in (expand_env(i, os.environ) for i in opts.env) if e])
    if opts.workdir is not None:
        if not opts.workdir.startswith("/"):
            raise UsageError(f"the working directory {opts.workdir!r} must be an absolute path")
        process["cwd"] = opts.workdir
    return process


def exec_in(engine: Engine, ref: str, opts: ExecOptions) -> int:
    """Run the command in the container; its exit code (125/126/127 when it cannot run)."""
    if not opts.command:
        raise UsageError("exec needs a command to run")
    row = engine.settled(ref)
    if row.status is not Status.RUNNING:
        raise StateError(f"container {row.name!r} is not running (it is {row.status.value})")
    with open(os.path.join(engine.paths.container_dir(row.id), "config.json")) as f:
        base = json.load(f)["process"]
    process = exec_process(engine, row, base, opts)
    rundir = engine.paths.container_rundir(row.id)
    tag = os.urandom(6).hex()
    proc_file = os.path.join(rundir, f"exec-{tag}.json")
    log_file = os.path.join(rundir, f"exec-{tag}.log")
    fd = os.open(proc_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(process, f)
    runtime = engine.runtime_argv(row)
    argv = [*runtime[:1], f"--log={log_file}", "--log-format=json", *runtime[1:], "exec",
            "--process", proc_file, *(["--detach"] if opts.detach else []), row.id]  # fmt: skip
    quiet = subprocess.DEVNULL if opts.detach else None
    try:
        res = subprocess.run(
            argv,
            stdin=None if opts.interactive and not opts.detach else subprocess.DEVNULL,
            stdout=quiet,
            stderr=quiet,
            check=False,
        )
        failure = _runtime_failure(log_file)
    finally:
        for path in (proc_file, log_file):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    if failure:
        from supervisor.monitor import exit_error

        err = exit_error(failure)
        if not opts.detach:
            return err.exit_code  # the runtime printed its one line on stderr already
        raise err
    return res.returncode


def _runtime_failure(log_file: str) -> str:
    """The runtime's own error (the exec never ran), or "" (the exit code is the command's)."""
    try:
        with open(log_file, "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    for raw in reversed(lines):
        with contextlib.suppress(ValueError):
            entry = json.loads(raw)
            if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", "")) or "the OCI runtime's exec failed"
    return ""


def healthcheck_run(engine: Engine, ref: str) -> tuple[int, str]:
    """Ask the container's monitor to run its check now: (the check's exit code, the status
    after it). The monitor keeps the status, so the periodic checks see this one too."""
    row = engine.settled(ref)
    hc = row.config.healthcheck
    if hc is None:
        raise UsageError(f"container {row.name!r} has no defined healthcheck")
    if row.status is not Status.RUNNING:
        raise StateError(f"container {row.name!r} is not running (it is {row.status.value})")
    dirfd = os.open(engine.paths.container_rundir(row.id), os.O_PATH | os.O_DIRECTORY)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    try:
        # Through /proc/self/fd so a long run dir still fits in sun_path.
        sock.connect(f"/proc/self/fd/{dirfd}/health")
        sock.settimeout(hc.timeout / 1e9 + 30)
        reply = sock.recv(256).decode()
    except OSError as exc:
        raise RuntimeFailed(f"cannot reach the container's monitor: {exc}") from exc
    finally:
        sock.close()
        os.close(dirfd)
    code, _, status = reply.strip().partition(" ")
    if status == "paused":
        raise StateError(f"container {row.name!r} is paused")
    if status == "stopped" or not status:
        raise StateError(f"container {row.name!r} stopped during the check")
    return int(code), status
