"""`exec`'s and `attach`'s quick path (issues 14 and 16): the common exec into (or attach
to) a running container without the engine.

Most of an `exec` used to be the engine's cold start: the container's row decoded into its
config (the model: dataclasses, `inspect`, every option module), reconciliation, then one
`runc exec`. A running container's monitor already holds what an exec needs of the config:
its arguments (the monitor protocol, `conmon.protocol`) name the runtime and its flags, the
personality, and the events the engine rendered for it (`conmon.events`). So when the store's
row says running, the container's and the monitor's pids are alive and there is no exit
record, the exec is made from the monitor's arguments, the bundle's process and the row's
plain columns (`Store.find_container_state`). Anything else (not running, a restart policy
or a health restart, `--user`, `--privileged`, `-d`, the REST face's streams, another events
backend than the monitor's) goes the engine's way (`supervisor.execute.exec_in`), which gives
the same answers; `exec_quick` returns None for it.

Standard library, `conmon` and the light `supervisor` modules only (tests/unit/test_cli_imports.py
pins what `exec` loads).
"""

from __future__ import annotations

import contextlib
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from conmon.protocol import Options
    from supervisor.settings import Settings
    from supervisor.store import Store


class Quick:
    """What the quick path knows of the running container."""

    __slots__ = ("cid", "monitor", "pid", "rundir", "state")

    def __init__(self, cid: str, monitor: Options, rundir: str, pid: int,
                 state: dict[str, Any]) -> None:  # fmt: skip
        self.cid, self.monitor, self.rundir, self.pid = cid, monitor, rundir, pid
        self.state = state  # the row's plain columns (stop's quick path: the start times)


def running(settings: Settings, ref: str, store: Store | None = None) -> Quick | None:
    """The container when the quick path applies to it (see the module's docstring);
    `store`: the caller's open store (else one is opened for this look)."""
    from supervisor.procs import alive
    from supervisor.store import Store

    paths = settings.paths
    if not os.path.isdir(paths.runroot):
        return None
    own = Store(paths) if store is None else store
    try:
        row = own.find_container_state(ref)  # not found, ambiguous: the same errors
    finally:
        if store is None:
            own.close()
    if row is None or row["status"] != "running":
        return None
    cid = str(row["id"])
    monitor_alive = alive(row["monitor_pid"], row["monitor_start"])
    if not (monitor_alive and alive(row["pid"], row["pid_start"])):
        return None
    if os.path.exists(paths.exit_file(cid)):
        return None
    monitor = monitor_options(int(row["monitor_pid"]), cid)
    if monitor is None or monitor.service or monitor.restart != "no" \
            or monitor.health_on_failure == "restart":  # (a restart policy in place too)
        return None
    from supervisor.events.write import backend

    if backend(settings) != monitor.events_backend:
        return None
    if not alive(row["monitor_pid"], row["monitor_start"]):  # the pid was reused meanwhile
        return None
    return Quick(cid, monitor, paths.container_rundir(cid), int(row["pid"]), row)


def monitor_options(pid: int, cid: str) -> Options | None:
    """The monitor's own arguments (supervisor.monitor.monitor_command: the interpreter, its
    flags, `-c BOOT PACKAGE_ROOT`, then the protocol's `--key=value`s)."""
    from conmon.protocol import UsageError, parse_args

    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode(errors="surrogateescape").split("\0")[:-1]
        args = argv[argv.index("-c") + 3 :]
        opts = parse_args(args)
    except (OSError, ValueError, UsageError):
        return None
    return opts if opts.cid == cid else None


def process(base: dict[str, Any], command: Sequence[str], tty: bool, env: Sequence[str],
            env_files: Sequence[str], workdir: str | None, home: str | None = None
            ) -> dict[str, Any]:  # fmt: skip
    """The container's own process with the exec's command, environment and directory (the
    engine's exec_process adds --user's ids and --privileged's capabilities)."""
    from supervisor.envflags import expand_env, merge_env
    from supervisor.errors import UsageError

    out = dict(base, args=list(command), terminal=tty)
    have = list(base.get("env") or [])
    if home is not None:
        have = merge_env(have, [f"HOME={home}"])
    if tty:  # terminals: Podman's TERM for -t, below the user's -e
        have = have if any(e.startswith("TERM=") for e in have) else [*have, "TERM=xterm"]
    given = [*env_file_items(env_files), *env]  # helper "flags": files, then -e
    out["env"] = merge_env(have, [e for e in (expand_env(i, os.environ) for i in given) if e])
    if workdir is not None:
        if not workdir.startswith("/"):
            raise UsageError(f"the working directory {workdir!r} must be an absolute path")
        out["cwd"] = workdir
    return out


def env_file_items(paths: Sequence[str]) -> list[str]:
    """helper "flags": exec --env-file, read as run reads its files."""
    from supervisor.errors import UsageError

    out = []
    for path in paths:
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read --env-file {path!r}: {exc.strerror}") from None
        out += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return out


def exec_tty(rundir: str, tag: str, argv: list[str], *, detach: bool, interactive: bool,
             preserve_fds: int, detach_keys: bytes) -> int:  # fmt: skip
    """terminals: exec -t through a console socket; the exit code (0 when detached)."""
    from supervisor.terminal import execpty

    files = [os.path.join(rundir, f"exec-{tag}.{ext}") for ext in ("json", "log", "sock", "pid")]
    pid = -1
    try:
        listener = execpty.listen_console(rundir, f"exec-{tag}.sock")
        try:
            if not detach:
                execpty.become_subreaper()
            reap(spawn(argv, preserve_fds, cwd=rundir))
            master = execpty.receive_master(listener)
        finally:
            listener.close()
        failure = runtime_failure(files[1])
        with contextlib.suppress(OSError, ValueError), open(files[3]) as f:
            pid = int(f.read().strip())
    finally:
        for path in files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    if failure or master < 0 or pid <= 0:
        if master >= 0:
            os.close(master)
        from supervisor.errors import RuntimeFailed
        from supervisor.monitor import exit_error

        err = exit_error(failure or "the OCI runtime sent no terminal for the exec", argv[0],
                         exec_=True)
        raise RuntimeFailed(str(err)) if detach else err
    if detach:
        execpty.hand_off(master)
        return 0
    stdin_fd = 0 if interactive else None
    code = execpty.pump(master, pid, stdin_fd, detach_keys)
    if code is None:
        raise execpty.ExecDetached()
    return code


def runtime_failure(log_file: str) -> str:
    """The runtime's own error (the exec never ran), or "" (the exit code is the command's)."""
    try:
        with open(log_file, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    if b'"error"' not in data and b'"fatal"' not in data:
        return ""
    import json

    for raw in reversed(data.splitlines()):
        with contextlib.suppress(ValueError):
            entry = json.loads(raw)
            if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
                return str(entry.get("msg", "")) or "the OCI runtime's exec failed"
    return ""


def event(monitor: Options, status: str, code: int = 0) -> None:
    """The exec's event, as the monitor writes its own (the engine rendered its pieces)."""
    if monitor.events_backend == "none":
        return
    from conmon.events import write

    try:
        write(monitor, status, code=code)
    except OSError as exc:
        from supervisor.notices import notice

        notice(f"cannot record the container {status} event ({monitor.events_backend}):"
               f" {exc.strerror or exc}")  # fmt: skip


def exec_quick(settings: Settings, ref: str, command: Sequence[str], *, env: Sequence[str],
               env_files: Sequence[str], workdir: str | None, interactive: bool, tty: bool,
               preserve_fds: int, detach_keys: bytes) -> int | None:  # fmt: skip
    """The exec's exit code (125/126/127 when it cannot run), or None: the engine's path."""
    quick = running(settings, ref)
    if quick is None:
        return None
    from supervisor import jsonlite  # not json: it loads re, milliseconds of each exec

    with open(os.path.join(settings.paths.container_dir(quick.cid), "config.json"), "rb") as f:
        base = jsonlite.loads(f.read())["process"]
    proc = process(base, command, tty, env, env_files, workdir)
    mon, rundir = quick.monitor, quick.rundir
    tag = os.urandom(32).hex()  # terminals: the exec session's id, as Podman's (64 hex)
    proc_file = os.path.join(rundir, f"exec-{tag}.json")
    log_file = os.path.join(rundir, f"exec-{tag}.log")
    fd = os.open(proc_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(jsonlite.dumps(proc))
    runtime = [mon.runtime, f"--log={log_file}", "--log-format=json", *mon.runtime_args, "exec",
               "--process", proc_file]  # fmt: skip
    keep = [f"--preserve-fds={preserve_fds}"] if preserve_fds else []
    from conmon.personality import execution_domain  # misc (issue 19)

    if tty:
        argv = [*runtime, "--detach", f"--console-socket=exec-{tag}.sock",
                f"--pid-file=exec-{tag}.pid", *keep, quick.cid]  # fmt: skip
        event(mon, "exec")
        with execution_domain(mon.personality):
            code = exec_tty(rundir, tag, argv, detach=False, interactive=interactive,
                            preserve_fds=preserve_fds, detach_keys=detach_keys)  # fmt: skip
        event(mon, "exec_died", code)
        return code
    try:
        with execution_domain(mon.personality):
            pid = spawn([*runtime, *keep, quick.cid], preserve_fds, stdin=interactive)
        event(mon, "exec")  # while the runtime starts: still before exec_died
        code = reap(pid)
        failure = runtime_failure(log_file)
    finally:
        for path in (proc_file, log_file):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    if failure:
        from supervisor.monitor import exit_error

        return exit_error(failure, mon.runtime, exec_=True).exit_code  # runc printed its line
    event(mon, "exec_died", code)
    return code


def spawn(argv: list[str], preserve_fds: int, *, stdin: bool = False, cwd: str | None = None
          ) -> int:  # fmt: skip
    """The runtime in the foreground: its pid. Our stdout and stderr are its, stdin only
    with `stdin` (else /dev/null); with `cwd` (where it finds relative paths), all three are
    /dev/null. Our fds 3.. are passed at the same numbers (helper "flags": --preserve-fds).
    Not `subprocess` (a few ms of imports), nor `signal` (it loads `enum`): `_signal`'s ints."""
    from _signal import SIGPIPE, SIGXFSZ  # type: ignore[import-not-found]

    null = -1 if stdin and cwd is None else os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    quiet = (0, 1, 2) if cwd is not None else (0,) if not stdin else ()
    actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in quiet]
    for fd in range(3, 3 + preserve_fds):
        os.set_inheritable(fd, True)
    # posix_spawn has no working directory of its own (Python 3.11): the child inherits
    # ours, changed for the call and restored through a descriptor of it
    here = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) if cwd is not None else -1
    try:
        if cwd is not None:
            os.chdir(cwd)
        return os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions,
                               setsigdef=(SIGPIPE, SIGXFSZ))  # fmt: skip
    finally:
        if here >= 0:
            os.fchdir(here)
            os.close(here)
        if null >= 0:
            os.close(null)


def reap(pid: int) -> int:
    """Its exit code as a shell gives it (128+N for a signal)."""
    status = os.waitpid(pid, 0)[1]
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
