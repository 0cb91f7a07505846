"""The client of a tty container's monitor: our terminal in raw mode (restored on every way
out), its size sent at start and on each SIGWINCH (the monitor's `ctl` FIFO), typed bytes to
the container through the detach-key matcher, the container's terminal output to ours."""

from __future__ import annotations

import contextlib
import os
import select
import termios
import tty

from conmon import protocol as P
from supervisor.records import NamedTuple
from supervisor.terminal.detach import DetachMatcher

TYPE_CHECKING = False

if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Callable, Iterator

    from supervisor.attach import AttachClient
    from supervisor.state import ExitRecord
else:
    import _signal  # performance (issue 14): `signal` builds enums at import (`enum`)


class TtyOutcome(NamedTuple):
    """How a terminal session ended (a NamedTuple: exec -t loads no dataclasses, issue 16)."""

    record: ExitRecord | None  # the container's exit record (None: the monitor hung up)
    detached: bool = False  # the detach keys were typed: the container runs on


def window_size(fd: int) -> tuple[int, int] | None:
    """(rows, cols) of the terminal on `fd`, None when it is no terminal."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.lines, size.columns


def send_size(rundir: str, size: tuple[int, int]) -> None:
    """A `1 ROWS COLS` line to the monitor (O_RDWR: the FIFO never refuses us)."""
    try:
        fd = os.open(os.path.join(rundir, P.CTL), os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return  # not a tty container's monitor, or gone: nothing to resize
    try:
        os.write(fd, b"%s %d %d\n" % (P.RESIZE, size[0], size[1]))
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def raw_terminal(fd: int | None) -> Iterator[None]:
    """`fd`'s terminal in raw mode for the block, restored however the block ends (exception,
    SIGTERM/SIGHUP: they raise SystemExit here, after the container got them)."""
    if fd is None or not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    for signum in (_signal.SIGTERM, _signal.SIGHUP):
        if _signal.getsignal(signum) == _signal.SIG_DFL:  # not proxied: we die, restored
            _signal.signal(signum, _exit_on_signal)
    tty.setraw(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def follow_resizes(rundir: str, fd: int | None) -> None:
    """Send our size now and on each SIGWINCH (which is ours, not the container's)."""
    if fd is None or window_size(fd) is None:
        return
    assert fd is not None

    def on_winch(signum: int, frame: object) -> None:
        size = window_size(fd)
        if size is not None:
            send_size(rundir, size)

    _signal.signal(_signal.SIGWINCH, on_winch)
    on_winch(_signal.SIGWINCH, None)


def pump_tty(client: AttachClient, rundir: str, stdin_fd: int | None, keys: bytes,
             out_fd: int = 1) -> TtyOutcome:  # fmt: skip
    """Attach our terminal to the container's until it exits or we detach. As Podman's: our
    terminal (stdin's) is raw whether or not we forward what is typed (-i, --no-stdin)."""
    term_fd = _tty_of(0 if stdin_fd is None else stdin_fd)
    follow_resizes(rundir, term_fd if term_fd is not None else _tty_of(out_fd))
    with raw_terminal(term_fd):
        return _loop(client, stdin_fd, DetachMatcher(keys), out_fd)


def forward_input(sel: select.epoll, stdin_fd: int, matcher: DetachMatcher,
                  send: Callable[[bytes], object]) -> bool:
    """One read of the user's input, passed on without the detach keys; True once they were
    typed. At EOF stdin leaves `sel`: the terminal stays open (ctrl-d is a byte there)."""
    data = os.read(stdin_fd, 65536)
    if not data:
        sel.unregister(stdin_fd)
        return False
    data, detach = matcher.feed(data)
    if data:
        with contextlib.suppress(OSError):
            send(data)
    return detach


def _tty_of(fd: int) -> int | None:
    return fd if os.isatty(fd) else None


def _loop(client: AttachClient, stdin_fd: int | None, matcher: DetachMatcher,
          out_fd: int) -> TtyOutcome:  # fmt: skip
    sel = select.epoll()  # not `selectors`: its imports cost each attach
    sock = client.sock.fileno()
    sel.register(sock, select.EPOLLIN)
    if stdin_fd is not None:
        with contextlib.suppress(PermissionError, ValueError):
            sel.register(stdin_fd, select.EPOLLIN)  # /dev/null and files: no input
    try:
        while True:
            for fd, _events in sel.poll():
                if fd == sock:
                    if not client.on_frame(out_fd, out_fd):
                        return TtyOutcome(client.exit_record)
                    continue
                assert stdin_fd is not None
                if forward_input(sel, stdin_fd, matcher, client.sock.sendall):
                    return TtyOutcome(None, detached=True)
    finally:
        sel.close()
        client.sock.close()
