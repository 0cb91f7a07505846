"""scopebox run [OPTIONS] IMAGE [COMMAND [ARG...]]"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType

from supervisor.attach import AttachClient
from supervisor.cli.common import (
    add_create_flags,
    create_container,
    create_options,
    engine,
    new_create_parser,
    remove_cidfile,
)
from supervisor.engine import Engine
from supervisor.errors import ScopeboxError

# Signals a foreground `run` passes on to the container (Docker's --sig-proxy).
PROXIED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)


def main(argv: list[str]) -> int:
    p = new_create_parser("run", "Create and start a container.")
    add_create_flags(p)
    p.add_argument("-d", "--detach", action="store_true", help="run in the background")
    ns = p.parse_args(argv)
    opts = create_options(ns)
    with engine() as eng:
        row = create_container(eng, ns, opts)
        try:
            started = eng.start(row.id, attach=not ns.detach)
        except ScopeboxError:
            if opts.auto_remove:
                _remove_quietly(eng, row.id)
                remove_cidfile(ns)
            raise
        if ns.detach:
            print(row.id)
            return 0
        code = _foreground(
            eng,
            started.row.id,
            started.row.pid,
            started.attach,
            sys.stdin.fileno() if opts.interactive else None,
        )
        if opts.auto_remove:
            # Docker returns once the container is gone (its name is free again). Removing
            # it here is quicker than waiting for the monitor's own cleanup, which then
            # finds nothing left to do (both take the container's lock).
            eng.cleanup(started.row.id)
        return code


def _foreground(
    eng: Engine, cid: str, pid: int, client: AttachClient | None, stdin_fd: int | None
) -> int:
    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for sig in PROXIED:
        signal.signal(sig, forward)
    record = client.pump(stdin_fd) if client is not None else None
    if record is not None:
        return record.exit_code
    return eng.wait(cid)


def _remove_quietly(eng: Engine, cid: str) -> None:
    with contextlib.suppress(ScopeboxError):
        eng.remove(cid, force=True)
