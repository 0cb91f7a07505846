"""The client end of a monitor's attach socket (SOCK_SEQPACKET, one byte of stream id a frame)."""

from __future__ import annotations

import contextlib
import errno
import os
import select

from conmon import protocol as P
from supervisor.errors import RuntimeFailed
from supervisor.terminal.detach import DetachMatcher

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket as _socket

    from supervisor.state import ExitRecord
else:
    # performance (issue 14): `socket` builds enums of every constant at import and loads
    # `selectors` (milliseconds of each attach's start); its C module has all used here
    import _socket


class AttachClient:
    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.exit_record: ExitRecord | None = None
        self.detached = False  # terminals: the detach keys came on a non-tty stdin
        self._matcher: DetachMatcher | None = None

    @classmethod
    def connect(cls, rundir: str) -> AttachClient:
        # Through /proc/self/fd so a long run dir still fits in sun_path's 108 bytes.
        dirfd = os.open(rundir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
        try:
            sock.connect(f"/proc/self/fd/{dirfd}/{P.ATTACH}")
        except OSError as exc:
            sock.close()
            raise RuntimeFailed(f"cannot attach to the container: {exc.strerror}") from exc
        finally:
            os.close(dirfd)
        return cls(sock)

    def close(self) -> None:
        self.sock.close()

    def pump(self, stdin_fd: int | None, out_fd: int = 1, err_fd: int = 2,
             keys: bytes = b"") -> ExitRecord | None:  # fmt: skip
        """Copy output to out/err and stdin to the container until the monitor hangs up, or
        until `keys` (detach keys) come on stdin (`detached`; the container runs on)."""
        self._matcher = DetachMatcher(keys) if keys else None
        sel = select.epoll()  # not `selectors`: its imports cost each attach
        sock = self.sock.fileno()
        sel.register(sock, select.EPOLLIN)
        if stdin_fd is not None:
            os.set_blocking(stdin_fd, True)
            try:
                sel.register(stdin_fd, select.EPOLLIN)
            except PermissionError:
                # epoll refuses regular files and /dev/null (always readable): feed them
                # from a thread, so a big file never blocks the output.
                self._feed_in_thread(stdin_fd)
        try:
            while True:
                for fd, _events in sel.poll():
                    if fd == sock:
                        if not self._on_frame(out_fd, err_fd):
                            return self.exit_record
                    elif not self._on_stdin(stdin_fd):
                        if self.detached:
                            return None
                        sel.unregister(fd)
        finally:
            sel.close()
            self.sock.close()

    def on_frame(self, out_fd: int, err_fd: int) -> bool:
        """One frame from the monitor to our fds; False once it hung up."""
        return self._on_frame(out_fd, err_fd)

    def _on_frame(self, out_fd: int, err_fd: int) -> bool:
        try:
            frame = self.sock.recv(P.MAX_FRAME)
        except ConnectionResetError:
            return False
        if not frame:
            return False
        kind, data = frame[0], frame[1:]
        if kind == P.EXIT:
            from supervisor.state import exit_record  # the last frame: enum off the start

            self.exit_record = exit_record(P.decode_exit(data))
        else:
            _write_all(out_fd if kind == P.STDOUT else err_fd, data)
        return True

    def _feed_in_thread(self, stdin_fd: int) -> None:
        import threading

        def feed() -> None:
            with contextlib.suppress(OSError):
                while self._on_stdin(stdin_fd):
                    pass

        threading.Thread(target=feed, daemon=True).start()

    def _on_stdin(self, stdin_fd: int | None) -> bool:
        assert stdin_fd is not None
        data = os.read(stdin_fd, 65536)
        if not data:
            with contextlib.suppress(OSError):
                self.sock.shutdown(_socket.SHUT_WR)
            return False
        detach = False
        if self._matcher is not None:  # terminals: detach keys, as Podman's for -i
            data, detach = self._matcher.feed(data)
        try:
            if data:
                self.sock.sendall(data)
        except OSError:
            return False
        if detach:
            self.detached = True
            # Wakes the output loop when stdin is read by the thread. The container's stdin
            # stays open (Podman's conmon closes it: telling the monitor needs a message
            # the attach protocol does not have yet).
            with contextlib.suppress(OSError):
                self.sock.shutdown(_socket.SHUT_RD)
            return False
        return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                return
            raise
        view = view[n:]
