"""`exec` and `attach` (issues 14, 16): the verbs a user types into a running container,
apart from supervisor/api/containers.py (which re-exports them) so that their cold start
loads neither that module nor its dozen request types: both usually end in the quick path
(supervisor/execquick.py) without the engine.
"""

from __future__ import annotations

import contextlib
import os

from supervisor.api import enter, session
from supervisor.errors import mapped
from supervisor.records import NamedTuple
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from supervisor.attach import AttachClient

# Signals a foreground `run` passes on to the container (Docker's --sig-proxy).
PROXIED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")


class ExecRequest(NamedTuple):
    command: list[str]
    env: list[str] = []  # noqa: RUF012
    user: str | None = None
    workdir: str | None = None
    interactive: bool = False
    detach: bool = False
    tty: bool = False  # terminals: exec -t
    preserve_fds: int = 0  # helper "flags": exec --preserve-fds
    # helper "flags": exec --env-file
    env_files: list[str] = []  # noqa: RUF012
    privileged: bool = False  # helper "flags": exec --privileged
    # terminals: --detach-keys (None: containers.conf's, else ctrl-p,ctrl-q); `announce`
    # gets a detached exec's session id (Podman prints it)
    detach_keys: str | None = None
    announce: Callable[[str], None] | None = None
    stdio: tuple[int, int, int] | None = None  # the REST face's streams (issue 18)


def exec_(settings: Settings, ref: str, req: ExecRequest) -> int:
    """`exec`: the command's exit code (0 when detached)."""
    keys = tty_keys(settings, req.tty and req.interactive, req.detach_keys)  # terminals
    if not (req.detach or req.user is not None or req.privileged or req.stdio is not None):
        from supervisor.execquick import exec_quick  # issue 16: most execs, without the engine

        with mapped():
            enter(settings)
            code = exec_quick(settings, ref, req.command, env=req.env, env_files=req.env_files,
                              workdir=req.workdir, interactive=req.interactive, tty=req.tty,
                              preserve_fds=req.preserve_fds, detach_keys=keys)  # fmt: skip
        if code is not None:
            return code
    from supervisor.execute import ExecOptions, exec_in

    opts = ExecOptions(req.command, req.env, req.user, req.workdir, req.interactive, req.detach,
                       req.tty, preserve_fds=req.preserve_fds, env_files=req.env_files,
                       privileged=req.privileged, detach_keys=keys,
                       announce=req.announce, stdio=req.stdio)  # fmt: skip
    with session(settings) as eng:
        return exec_in(eng, ref, opts)


def tty_keys(settings: Settings, tty: bool, flag: str | None) -> bytes:
    from supervisor.terminal.detach import resolve_detach_keys

    keys = resolve_detach_keys(flag, settings.detach_keys)
    return keys if tty else b""


# terminals: attach ----------------------------------------------------------------------------


# terminals: attach --------------------------------------------------------------------------


class AttachRequest(NamedTuple):
    no_stdin: bool = False
    sig_proxy: bool = True
    detach_keys: str | None = None  # None: containers.conf's detach_keys, else ctrl-p,ctrl-q


def attach(settings: Settings, ref: str, req: AttachRequest, stdin_fd: int | None) -> int:
    """`attach`: the running container's output here (and our stdin to it when it was
    created with -i) until it exits; its exit code."""
    from supervisor.attach import AttachClient
    from supervisor.errors import StateError
    from supervisor.execquick import event, running
    from supervisor.terminal.detach import resolve_detach_keys

    keys = resolve_detach_keys(req.detach_keys, settings.detach_keys)  # checked first, as Podman
    with mapped():  # issue 16: a running container's monitor says what attach needs
        enter(settings)
        quick = running(settings, ref)
        if quick is not None:
            client = AttachClient.connect(quick.rundir)
            event(quick.monitor, "attach")  # events (issue 14)
            mon = quick.monitor
            return _attached(settings, client, quick.cid, quick.pid, mon.terminal, mon.stdin,
                             req, keys, stdin_fd)  # fmt: skip
    with session(settings) as eng:
        from supervisor.state import Status

        row = eng.settled(ref)
        if row.status is not Status.RUNNING:
            raise StateError("you can only attach to running containers")
        client = AttachClient.connect(eng.paths.container_rundir(row.id))
        from supervisor.events.write import container as event_of

        event_of(eng, row, "attach")  # events (issue 14)
        opts = row.config.options
        return _attached(settings, client, row.id, row.pid, bool(opts.tty),
                         bool(opts.interactive), req, keys, stdin_fd)  # fmt: skip


def _attached(settings: Settings, client: AttachClient, cid: str, pid: int, tty: bool,
              interactive: bool, req: AttachRequest, keys: bytes, stdin_fd: int | None
              ) -> int:  # fmt: skip
    """attach's pump, once connected: the exit code (0 when the user detached)."""
    if req.sig_proxy and not tty:  # terminals: non-tty only, as Podman
        proxy_signals(pid)
    wants_stdin = interactive and not req.no_stdin
    if tty:
        from supervisor.terminal.session import pump_tty

        out = pump_tty(client, settings.paths.container_rundir(cid),
                       stdin_fd if wants_stdin else None, keys)  # fmt: skip
        if out.detached:
            return 0
        record = out.record
    else:
        record = client.pump(stdin_fd if wants_stdin else None,
                             keys=keys if wants_stdin else b"")  # fmt: skip
        if client.detached:  # the detach keys on a non-tty stdin, as Podman's
            return 0
    if record is not None:
        return record.exit_code
    with session(settings) as eng:  # the monitor hung up before its record: ask the engine
        return eng.wait(cid)


def proxy_signals(pid: int) -> None:
    import signal

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for name in PROXIED:
        signal.signal(getattr(signal, name), forward)
