"""`exec` (a process in a running container, through the runtime's `exec --process`) and
`healthcheck run` (a check run now by the container's monitor)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conmon.personality import execution_domain  # misc (issue 19)
from supervisor.errors import RuntimeFailed, StateError, UsageError
from supervisor.execquick import exec_tty, runtime_failure
from supervisor.state import Status

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow


@dataclass(frozen=True)
class ExecOptions:
    """What `exec` was asked."""

    command: list[str]
    env: list[str] = field(default_factory=list)
    user: str | None = None
    workdir: str | None = None
    interactive: bool = False
    detach: bool = False
    # terminals: -t, a pty of the runtime's (runc exec proxies it to our stdio in the
    # foreground: raw mode, window size and SIGWINCH are its own)
    tty: bool = False
    preserve_fds: int = 0  # helper "flags": our fds 3.. to the process, at the same numbers
    env_files: list[str] = field(default_factory=list)  # helper "flags": under -e
    privileged: bool = False  # helper "flags": the caller's bounding set, for root
    # terminals: -t's detach keys (parsed); `announce` gets a detached exec's session id
    detach_keys: bytes = b"\x10\x11"
    announce: Callable[[str], None] | None = None
    # the REST face (issue 18): the process' stdin, stdout and stderr (its socket pairs)
    # instead of ours; stdin only with `interactive`. With `tty`: three times the slave of
    # the face's pty
    stdio: tuple[int, int, int] | None = None


def exec_process(
    engine: Context, row: ContainerRow, base: dict[str, Any], opts: ExecOptions
) -> dict[str, Any]:
    """The container's own process (env, user, cwd, capabilities, rlimits) with the exec's
    command and overrides, as Docker derives an exec's from its container."""
    from supervisor.execquick import process as quick_process

    home = None
    user_doc = None
    if opts.user is not None:
        from supervisor.users import resolve_user

        rootfs = row.image_name if row.config.rootfs else engine.paths.rootfs(row.id)
        user = resolve_user(rootfs, opts.user)
        user_doc = dict(
            base.get("user") or {}, uid=user.uid, gid=user.gid,
            additionalGids=list(user.additional_gids),
        )  # fmt: skip
        home = user.home
    process = quick_process(base, opts.command, opts.tty, opts.env, opts.env_files,
                            opts.workdir, home)  # fmt: skip
    if user_doc is not None:
        process["user"] = user_doc
    if opts.privileged:  # helper "flags": Podman's exec --privileged
        from supervisor.security.caps import is_root_user, own_bounding, process_caps

        every = own_bounding()
        root = is_root_user(opts.user or "") if opts.user is not None else (
            int((process.get("user") or {}).get("uid", 0)) == 0)
        process["capabilities"] = process_caps(every, [], root, every).to_oci()
    return process


def exec_in(engine: Context, ref: str, opts: ExecOptions) -> int:
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
    tag = os.urandom(32).hex()  # terminals: the exec session's id, as Podman's (64 hex)
    proc_file = os.path.join(rundir, f"exec-{tag}.json")
    log_file = os.path.join(rundir, f"exec-{tag}.log")
    fd = os.open(proc_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(process, f)
    runtime = engine.runtime_argv(row)
    face = None if opts.detach else opts.stdio  # the REST face's streams (issue 18)
    if opts.tty and face is None:  # terminals: the pty's master is ours (terminal/execpty)
        argv = [*runtime[:1], f"--log={log_file}", "--log-format=json", *runtime[1:], "exec",
                "--process", proc_file, "--detach", f"--console-socket=exec-{tag}.sock",
                f"--pid-file=exec-{tag}.pid",
                *([f"--preserve-fds={opts.preserve_fds}"] if opts.preserve_fds else []),
                row.id]  # fmt: skip
        with execution_domain(row.config.options.personality):  # misc (issue 19)
            code = exec_tty(rundir, tag, argv, detach=opts.detach, interactive=opts.interactive,
                            preserve_fds=opts.preserve_fds, detach_keys=opts.detach_keys)
            if opts.detach and opts.announce is not None:
                opts.announce(tag)
            return code
    argv = [*runtime[:1], f"--log={log_file}", "--log-format=json", *runtime[1:], "exec",
            "--process", proc_file, *(["--detach"] if opts.detach else []),
            *([f"--preserve-fds={opts.preserve_fds}"] if opts.preserve_fds else []),
            row.id]  # fmt: skip
    quiet: int | None = subprocess.DEVNULL if opts.detach else None
    stdin = None if opts.interactive and not opts.detach else subprocess.DEVNULL
    stdout = stderr = quiet
    if face is not None and opts.tty:
        # The face's Tty: the slave of its own pty is all three of the runtime's stdio, and
        # runc exec in the foreground proxies the process' terminal to it (raw mode, and the
        # window size on every SIGWINCH: `setsid --ctty` makes it runc's controlling
        # terminal, so the face's TIOCSWINSZ on the master signals runc).
        argv = ["setsid", "--ctty", *argv]
        stdin = stdout = stderr = face[0]
    elif face is not None:
        stdin = face[0] if opts.interactive else subprocess.DEVNULL
        stdout, stderr = face[1], face[2]
    from supervisor.events.write import container as event  # events (issue 14)

    event(engine, row, "exec")
    try:
        with execution_domain(row.config.options.personality):  # misc (issue 19)
            res = subprocess.run(
                argv,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                check=False,
                pass_fds=range(3, 3 + opts.preserve_fds),  # helper "flags"
            )
        failure = runtime_failure(log_file)
    finally:
        for path in (proc_file, log_file):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    if failure:
        from supervisor.monitor import exit_error

        err = exit_error(failure, runtime[0], exec_=True)
        if not opts.detach:
            return err.exit_code  # the runtime printed its one line on stderr already
        raise RuntimeFailed(str(err))  # terminals: exec -d's start failures are 125, as Podman's
    if not opts.detach:  # events (issue 14): the CLI waited for it (a detached one: no event)
        event(engine, row, "exec_died", exit_code=res.returncode)
    if opts.announce is not None and opts.detach:  # terminals: the session id, as Podman's
        opts.announce(tag)
    return res.returncode


def healthcheck_run(engine: Context, ref: str) -> tuple[int, str]:
    """Ask the container's monitor to run its check now: (the check's exit code, the status
    after it). The monitor keeps the status, so the periodic checks see this one too."""
    row = engine.settled(ref)
    hc = row.config.healthcheck
    if hc is None:
        # Podman's words (its full id) and its service's 409
        raise StateError(f"container {row.id} has no defined healthcheck")
    if row.status is not Status.RUNNING:
        raise StateError(f"container {row.name!r} is not running (it is {row.status.value})")
    import socket  # performance (issue 16): only here

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
