"""inotify through ctypes (`InotifyWatch`, `fileno()` fits epoll/select). Split from
:mod:`cgroupfs.events` (which re-exports these names) so that :mod:`cgroupfs.oom`, the
monitor's import, can use it for a v2 watch without the rest. ctypes is imported on the
first inotify use, not here.
"""

from __future__ import annotations

import posix
import sys

from cgroupfs.fd import _OwnedFd

TYPE_CHECKING = False  # typing costs ~18 ms of import; mypy treats this name specially
if TYPE_CHECKING:
    import ctypes

# <sys/inotify.h>
IN_MODIFY = 0x00000002
IN_DELETE_SELF = 0x00000400
IN_IGNORED = 0x00008000
IN_CLOEXEC = 0o2000000
IN_NONBLOCK = 0o0004000

_EVENT_HEADER = "iIII"  # wd, mask, cookie, len (struct inotify_event); `struct` on first read
_READ_SIZE = 64 * 1024

_libc: ctypes.CDLL | None = None
_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()


def _fsencode(path: str) -> bytes:
    """`os.fsencode` without `os`."""
    p = posix.fspath(path)
    return p if isinstance(p, bytes) else p.encode(_FS_ENCODING, _FS_ERRORS)


def _fsdecode(raw: bytes) -> str:
    """`os.fsdecode` of bytes, without `os`."""
    return raw.decode(_FS_ENCODING, _FS_ERRORS)


def _get_libc() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        import ctypes  # only inotify needs it: a v1 OOM watch (eventfd) does not

        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_init1.restype = ctypes.c_int
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        libc.inotify_add_watch.restype = ctypes.c_int
        libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.inotify_rm_watch.restype = ctypes.c_int
        _libc = libc
    return _libc


def _raise_errno(what: str, path: str | None = None) -> None:
    import ctypes  # loaded already by _get_libc

    err = ctypes.get_errno()
    raise OSError(err, f"{what}: {posix.strerror(err)}", path)


class InotifyEvent:
    """One `struct inotify_event`."""

    __slots__ = ("cookie", "mask", "name", "wd")

    def __init__(self, wd: int, mask: int, cookie: int, name: str) -> None:
        self.wd = wd
        self.mask = mask
        self.cookie = cookie
        self.name = name

    def __repr__(self) -> str:
        return f"InotifyEvent(wd={self.wd}, mask={self.mask:#x}, name={self.name!r})"


class InotifyWatch(_OwnedFd):
    """An inotify instance (non-blocking, close-on-exec)."""

    _kind = "InotifyWatch"

    def __init__(self) -> None:
        fd = _get_libc().inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            _raise_errno("inotify_init1")
        self._fd: int = int(fd)

    def add_watch(self, path: str, mask: int = IN_MODIFY) -> int:
        """Watch `path` for `mask` events; returns the watch descriptor."""
        wd = _get_libc().inotify_add_watch(self._fd, _fsencode(path), mask)
        if wd < 0:
            _raise_errno("inotify_add_watch", path)
        return int(wd)

    def read_events(self) -> list[InotifyEvent]:
        """Every event queued so far; never blocks (empty list if none)."""
        from struct import Struct  # inotify only (v2): a v1 monitor never loads it

        header = Struct(_EVENT_HEADER)
        events: list[InotifyEvent] = []
        while True:
            try:
                data = posix.read(self.fileno(), _READ_SIZE)
            except BlockingIOError:
                return events
            offset = 0
            while offset < len(data):
                wd, mask, cookie, length = header.unpack_from(data, offset)
                offset += header.size
                raw = data[offset : offset + length].rstrip(b"\0")
                offset += length
                events.append(InotifyEvent(wd, mask, cookie, _fsdecode(raw)))


