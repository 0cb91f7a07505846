"""One slirp4netns process and its API socket: started with a ready byte, asked by JSON.

Shared by a container's own slirp4netns (supervisor/network/slirp.py) and the rootless
network namespace's (supervisor/rootless/netns.py); standard library only, so that neither
imports the other's package.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from collections.abc import Callable

from supervisor.errors import SystemError_


def launch(argv_for: Callable[[int], list[str]], api: str, pidfile: str) -> None:
    """Start slirp4netns (`argv_for(ready_fd)`), wait for its ready byte, record its pid in
    `pidfile`; its failure is one line with its last words. The API socket goes first (a
    stale one from a killed run would make it fail)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(api)
    ready_r, ready_w = os.pipe()
    try:
        proc = subprocess.Popen(
            argv_for(ready_w), pass_fds=(ready_w,), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        os.close(ready_w)
        ready = os.read(ready_r, 1)
    finally:
        os.close(ready_r)
    if ready != b"1":
        err = proc.communicate()[1].decode(errors="replace").strip().splitlines()
        raise SystemError_(f"slirp4netns failed: {err[-1] if err else 'no ready byte'}")
    assert proc.stderr is not None
    proc.stderr.close()
    with open(pidfile, "w", encoding="ascii") as f:
        f.write(f"{proc.pid}\n")


def exchange(api: str, request: dict[str, object]) -> bytes:
    """One request on the API socket and the whole reply (slirp4netns closes after it)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(api)
        s.sendall(json.dumps(request).encode())
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    return reply
