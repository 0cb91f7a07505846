"""`exec -t`: the exec's terminal is ours, as a Podman exec session's is its conmon's.

The runtime starts the process detached (`exec --detach --console-socket`) and hands us the
pty's master; we are a child subreaper, so the process becomes our child when the runtime
exits and its exit status is ours to read. In the foreground we pump the master between our
stdio and the process (our terminal raw, its size sent at start and on SIGWINCH, typed bytes
through the detach keys); `exec -d -t`, or the detach keys, leave the master to a drain
process (`cat`), so the process keeps a terminal whose output goes nowhere, as Podman's.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import termios

from supervisor.errors import ScopeboxError
from supervisor.terminal.detach import DetachMatcher
from supervisor.terminal.session import forward_input, raw_terminal, window_size

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


class ExecDetached(ScopeboxError):
    """The user typed the detach keys in `exec -it`: the process runs on. Podman 4.3 says so
    as an error, with exit code 255 (its `run -it` and `attach` exit 0 instead)."""

    exit_code = 255

    def __init__(self) -> None:
        super().__init__("detached from container")


def become_subreaper() -> None:
    """Orphans among our descendants (the exec's process, once the runtime exits) are
    reparented to us, so `waitpid` gives us their exit status (conmon does the same)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def listen_console(rundir: str, name: str) -> socket.socket:
    """The socket the runtime sends the master to, `name` in `rundir` (bound through
    /proc/self/fd: a long run dir still fits in sun_path; the runtime gets a relative path)."""
    dirfd = os.open(rundir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.bind(f"/proc/self/fd/{dirfd}/{name}")
        sock.listen(1)
    except OSError:
        sock.close()
        raise
    finally:
        os.close(dirfd)
    return sock


def receive_master(listener: socket.socket) -> int:
    """The master the runtime sent while it ran (it has exited: the connection is queued);
    -1 when none came (the runtime failed before making the terminal)."""
    listener.settimeout(0)
    try:
        conn, _addr = listener.accept()
    except OSError:
        return -1
    with conn:
        conn.settimeout(5)
        try:
            _msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
        except OSError:
            return -1
    for extra in fds[1:]:
        os.close(extra)
    if not fds:
        return -1
    os.set_inheritable(fds[0], False)
    _set_onlcr(fds[0])
    return fds[0]


def _set_onlcr(fd: int) -> None:
    """runc clears ONLCR; Podman's conmon sets it again ("\\n" shows as "\\r\\n")."""
    with contextlib.suppress(termios.error):
        attrs = termios.tcgetattr(fd)
        attrs[1] |= termios.ONLCR
        termios.tcsetattr(fd, termios.TCSANOW, attrs)


def hand_off(master: int) -> None:
    """Leave the master to a drain process of its own session: the process keeps its
    terminal (no hangup) after we are gone; the drain ends at the terminal's last close."""
    subprocess.Popen(["cat"], stdin=master, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    os.close(master)


def wait_exit(pid: int) -> int:
    """The exit code of our (reparented) child: WEXITSTATUS, or 128+signal."""
    _pid, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def pump(master: int, pid: int, stdin_fd: int | None, keys: bytes, out_fd: int = 1) -> int | None:
    """Our terminal to the process's until it exits (its exit code), or until the detach keys
    (None: it runs on, its master handed off)."""
    term_fd = stdin_fd if stdin_fd is not None and os.isatty(stdin_fd) else None
    if term_fd is None:
        term_fd = 0 if os.isatty(0) else None
    _follow_resizes(master, term_fd if term_fd is not None else out_fd)
    with raw_terminal(term_fd):
        detached = _loop(master, pid, stdin_fd, DetachMatcher(keys), out_fd)
    if detached:
        hand_off(master)
        return None
    os.close(master)
    return wait_exit(pid)


def _follow_resizes(master: int, fd: int) -> None:
    if window_size(fd) is None:
        return

    def on_winch(signum: int, frame: object) -> None:
        size = window_size(fd)
        if size is not None:
            from conmon.terminal import set_winsize

            with contextlib.suppress(OSError):
                set_winsize(master, *size)

    signal.signal(signal.SIGWINCH, on_winch)
    on_winch(signal.SIGWINCH, None)


def _loop(master: int, pid: int, stdin_fd: int | None, matcher: DetachMatcher,
          out_fd: int) -> bool:  # fmt: skip
    """True when the user detached; False once the process exited (its output drained)."""
    pidfd = os.pidfd_open(pid)
    sel = selectors.DefaultSelector()
    sel.register(master, selectors.EVENT_READ)
    sel.register(pidfd, selectors.EVENT_READ)
    if stdin_fd is not None:
        with contextlib.suppress(PermissionError, ValueError):
            sel.register(stdin_fd, selectors.EVENT_READ)  # /dev/null and files: no input
    try:
        while True:
            for key, _ in sel.select():
                if key.fd == master:
                    if not _copy_out(master, out_fd):
                        sel.unregister(master)  # the terminal's last user closed it
                elif key.fd == pidfd:
                    os.set_blocking(master, False)
                    while _copy_out(master, out_fd):  # what it wrote last
                        pass
                    return False
                else:
                    assert stdin_fd is not None
                    if forward_input(sel, stdin_fd, matcher,
                                     lambda data: os.write(master, data)):
                        return True
    finally:
        sel.close()
        os.close(pidfd)


def _copy_out(master: int, out_fd: int) -> bool:
    try:
        data = os.read(master, 65536)
    except (BlockingIOError, OSError):
        return False  # EIO: nobody holds the follower end any more
    if not data:
        return False
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(out_fd, view) :]
        except BrokenPipeError:
            return True
    return True
