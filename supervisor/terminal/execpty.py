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
import select
import sys
import termios

from supervisor.errors import ScopeboxError
from supervisor.terminal.detach import DetachMatcher
from supervisor.terminal.session import forward_input, raw_terminal, window_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    import socket as _socket
    from collections.abc import Callable
else:
    # performance (issue 14): the C modules under `signal` and `socket` (which build enums of
    # every constant at import: milliseconds of each exec -t); `subprocess` only to hand off
    import _signal
    import _socket

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
    import _ctypes

    if _prctl()(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(_ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _prctl() -> Callable[..., int]:
    """libc's prctl, called as `ctypes.CDLL(None, use_errno=True).prctl` calls it (an int
    result, errno kept), made from `_ctypes` alone: `ctypes` itself costs each exec -t ~1 ms
    (its many types and `struct`)."""
    import _ctypes

    class Int(_ctypes._SimpleCData):  # type: ignore[type-arg]  # not generic at run time
        _type_ = "i"

    class Function(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = Int

    handle = _ctypes.dlopen(None, os.RTLD_NOW)  # type: ignore[arg-type]  # the program itself
    return Function(_ctypes.dlsym(handle, "prctl"))


def listen_console(rundir: str, name: str) -> _socket.socket:
    """The socket the runtime sends the master to, `name` in `rundir` (bound through
    /proc/self/fd: a long run dir still fits in sun_path; the runtime gets a relative path)."""
    dirfd = os.open(rundir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    try:
        sock.bind(f"/proc/self/fd/{dirfd}/{name}")
        sock.listen(1)
    except OSError:
        sock.close()
        raise
    finally:
        os.close(dirfd)
    return sock


def receive_master(listener: _socket.socket) -> int:
    """The master the runtime sent while it ran (it has exited: the connection is queued);
    -1 when none came (the runtime failed before making the terminal)."""
    listener.settimeout(0)
    try:
        conn_fd, _addr = listener._accept()  # type: ignore[attr-defined]  # accept() wraps it
    except OSError:
        return -1
    conn = _socket.socket(fileno=conn_fd)
    try:
        conn.settimeout(5)
        fds = _recv_fds(conn, 4)
    except OSError:
        return -1
    finally:
        conn.close()
    for extra in fds[1:]:
        os.close(extra)
    if not fds:
        return -1
    os.set_inheritable(fds[0], False)
    _set_onlcr(fds[0])
    return fds[0]


def _recv_fds(conn: _socket.socket, most: int) -> list[int]:
    """socket.recv_fds' descriptors (SCM_RIGHTS), without the `socket` module."""
    _msg, ancdata, _flags, _addr = conn.recvmsg(4096, _socket.CMSG_LEN(most * 4))
    fds: list[int] = []
    for level, kind, data in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds += [int.from_bytes(data[i : i + 4], sys.byteorder, signed=True)
                    for i in range(0, usable, 4)]  # fmt: skip
    return fds


def _set_onlcr(fd: int) -> None:
    """runc clears ONLCR; Podman's conmon sets it again ("\\n" shows as "\\r\\n")."""
    with contextlib.suppress(termios.error):
        attrs = termios.tcgetattr(fd)
        attrs[1] |= termios.ONLCR
        termios.tcsetattr(fd, termios.TCSANOW, attrs)


def hand_off(master: int) -> None:
    """Leave the master to a drain process of its own session: the process keeps its
    terminal (no hangup) after we are gone; the drain ends at the terminal's last close."""
    import subprocess

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

    _signal.signal(_signal.SIGWINCH, on_winch)
    on_winch(_signal.SIGWINCH, None)


def _loop(master: int, pid: int, stdin_fd: int | None, matcher: DetachMatcher,
          out_fd: int) -> bool:  # fmt: skip
    """True when the user detached; False once the process exited (its output drained)."""
    pidfd = os.pidfd_open(pid)
    poll = select.epoll()  # not `selectors`: its imports cost each exec -t
    poll.register(master, select.EPOLLIN)
    poll.register(pidfd, select.EPOLLIN)
    if stdin_fd is not None:
        with contextlib.suppress(PermissionError, ValueError):
            poll.register(stdin_fd, select.EPOLLIN)  # /dev/null and files: no input
    try:
        while True:
            for fd, _events in poll.poll():
                if fd == master:
                    if not _copy_out(master, out_fd):
                        poll.unregister(master)  # the terminal's last user closed it
                elif fd == pidfd:
                    os.set_blocking(master, False)
                    while _copy_out(master, out_fd):  # what it wrote last
                        pass
                    return False
                else:
                    assert stdin_fd is not None
                    if forward_input(poll, stdin_fd, matcher,
                                     lambda data: os.write(master, data)):
                        return True
    finally:
        poll.close()
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
