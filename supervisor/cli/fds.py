"""helper "flags": `--preserve-fds N` of run and exec: descriptors 3 .. 3+N-1 of the caller
go to the container's process, at the same numbers (the runtime's --preserve-fds)."""

from __future__ import annotations

import argparse
import os

from supervisor.cli.argparser import go_uint
from supervisor.errors import UsageError


def add_preserve_fds(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preserve-fds", type=go_uint("--preserve-fds"), default=0,
                   help="pass a number of additional file descriptors into the container")


def check_preserved(count: int) -> None:
    """Podman's check (and words): every one of them must be open in the caller."""
    for fd in range(3, 3 + count):
        try:
            os.fstat(fd)
        except OSError:
            raise UsageError(f"file descriptor {fd} is not available - the preserve-fds option"
                             " requires that file descriptors must be passed") from None


def listen_fds(preserve_fds: int) -> int:
    """Socket activation: a unit's sockets (systemd's LISTEN_FDS, descriptors 3..) go to the
    container as Podman's do, unless --preserve-fds chose descriptors itself. Read before
    anything of ours takes a descriptor, and only those open now: a closed 3 is not a socket."""
    value = os.environ.get("LISTEN_FDS", "")
    if not value:
        return preserve_fds
    if preserve_fds:
        from supervisor.cli.loglines import log

        log("warn", "Ignoring LISTEN_FDS to preserve custom user-specified FDs")  # Podman's
        return preserve_fds
    try:
        count = int(value)
    except ValueError:
        return 0
    for fd in range(3, 3 + max(count, 0)):
        try:
            os.fstat(fd)
        except OSError:
            return 0
    return max(count, 0)
