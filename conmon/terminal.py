"""The container's terminal (``--terminal``): the runtime's console socket hands us the pty's
master, which we own for the container's life; ``ctl`` lines resize it.

Loaded only by monitors of tty containers. Builtin modules and ``fcntl`` (a small extension
module) only: no ``termios``, ``struct`` or ``array`` for the container's life.
"""

from __future__ import annotations

import _socket
import posix
import sys

from conmon.protocol import CONSOLE_SOCKET, CTL, RESIZE

# <asm-generic/ioctls.h> and <asm-generic/termbits.h> (x86, arm, riscv: the generic values)
TCGETS = 0x5401
TCSETS = 0x5402
TIOCSWINSZ = 0x5414
ONLCR = 0o4
_TERMIOS_SIZE = 60  # >= sizeof(struct termios); the kernel reads only its own size


def listen_console() -> _socket.socket:
    """The socket the runtime connects to (``--console-socket``), relative to the run dir."""
    try:  # noqa: SIM105 - contextlib costs the monitor memory
        posix.unlink(CONSOLE_SOCKET)
    except FileNotFoundError:
        pass
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    sock.bind(CONSOLE_SOCKET)
    sock.listen(1)
    return sock


def receive_master(listener: _socket.socket) -> int:
    """The master the runtime sent (SCM_RIGHTS) while `create` ran; the runtime has exited,
    so its connection is queued already. Raises OSError when none came."""
    listener.settimeout(0)
    try:
        conn, _addr = listener._accept()  # type: ignore[attr-defined]
    finally:
        listener.close()
        try:  # noqa: SIM105
            posix.unlink(CONSOLE_SOCKET)
        except OSError:
            pass
    sock = _socket.socket(fileno=conn)
    try:
        sock.settimeout(5)
        _msg, ancdata, _flags, _addr = sock.recvmsg(4096, _socket.CMSG_SPACE(64))
    finally:
        sock.close()
    fds = []
    for level, kind, data in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += [int.from_bytes(data[i : i + 4], sys.byteorder)
                    for i in range(0, len(data) - 3, 4)]  # fmt: skip
    if not fds:
        raise OSError("the runtime sent no terminal on the console socket")
    for extra in fds[1:]:
        posix.close(extra)
    master = fds[0]
    posix.set_inheritable(master, False)
    set_onlcr(master)
    return master


def set_onlcr(fd: int) -> None:
    """runc clears ONLCR on the pty; Podman's conmon sets it again (a "\\n" prints as "\\r\\n"
    on the user's raw terminal)."""
    import fcntl

    attrs = bytearray(fcntl.ioctl(fd, TCGETS, bytes(_TERMIOS_SIZE)))
    oflag = int.from_bytes(attrs[4:8], sys.byteorder) | ONLCR
    attrs[4:8] = oflag.to_bytes(4, sys.byteorder)
    fcntl.ioctl(fd, TCSETS, bytes(attrs))


def set_winsize(fd: int, rows: int, cols: int) -> None:
    import fcntl

    size = b"".join(v.to_bytes(2, sys.byteorder) for v in (rows, cols, 0, 0))
    fcntl.ioctl(fd, TIOCSWINSZ, size)


def parse_ctl(data: bytes) -> list[tuple[int, int]]:
    """``ctl`` lines (conmon's: ``1 ROWS COLS`` resizes) -> the sizes asked for, in order.
    Anything else is ignored: a client cannot make the monitor fail."""
    sizes = []
    for line in data.split(b"\n"):
        parts = line.split()
        if len(parts) == 3 and parts[0] == RESIZE:
            try:
                rows, cols = int(parts[1]), int(parts[2])
            except ValueError:
                continue
            if 0 <= rows < 65536 and 0 <= cols < 65536:
                sizes.append((rows, cols))
    return sizes


class Terminal:
    """The master (once the runtime sent it) and the ``ctl`` FIFO. A size asked for before
    the master exists (a foreground `run` sends its own before the container is created) is
    applied when it arrives."""

    __slots__ = ("ctl", "master", "pending")

    def __init__(self) -> None:
        self.master = -1
        self.pending: tuple[int, int] | None = None
        # O_RDWR: never EOF when a client closes its end, and clients never get ENXIO.
        self.ctl = posix.open(CTL, posix.O_RDWR | posix.O_NONBLOCK | posix.O_CLOEXEC)

    def set_master(self, fd: int) -> None:
        """Ours for the monitor's life (the output reads a dup of it, closed at its EOF):
        a resize never reaches a reused fd number."""
        if self.master >= 0:
            posix.close(self.master)  # a health restart's new container brings a new one
        self.master = fd
        self.on_ctl()  # sizes sent before the go (a foreground run's), before the start
        if self.pending is not None:
            self._resize(*self.pending)

    def on_ctl(self) -> None:
        data = b""
        try:
            while chunk := posix.read(self.ctl, 4096):
                data += chunk
        except BlockingIOError:
            pass
        for rows, cols in parse_ctl(data):
            self._resize(rows, cols)

    def _resize(self, rows: int, cols: int) -> None:
        self.pending = (rows, cols)
        if self.master < 0:
            return
        try:  # noqa: SIM105 - contextlib costs the monitor memory
            set_winsize(self.master, rows, cols)
        except OSError:
            pass  # the container closed its terminal: nothing to resize
