"""Waiting for the monitor's exit record without polling (issue 16): inotify on its directory.

The monitor writes the record atomically (a temporary file renamed into place, conmon's
write_atomic), so its appearance is one IN_MOVED_TO on the container's directory. Python's
standard library has no inotify: the two libc calls are made from `_ctypes` alone (as
supervisor.terminal.execpty makes prctl; `ctypes` itself costs ~1 ms of imports). Where that
fails (no inotify instance left, say), the caller's wait falls back to looking every few ms.
Standard library only: the quick paths (supervisor/stopquick.py) and `wait` use it.
"""

from __future__ import annotations

import os
import select
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

_calls: dict[str, Callable[..., int]] = {}


def _libc(name: str) -> Callable[..., int]:
    """libc's `name`, returning an int with errno kept (ctypes.CDLL(None, use_errno=True))."""
    call = _calls.get(name)
    if call is None:
        import _ctypes

        class Int(_ctypes._SimpleCData):  # type: ignore[type-arg]  # not generic at run time
            _type_ = "i"

        class Function(_ctypes.CFuncPtr):
            _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
            _restype_ = Int

        handle = _ctypes.dlopen(None, os.RTLD_NOW)  # type: ignore[arg-type]  # the program
        call = _calls[name] = Function(_ctypes.dlsym(handle, name))
    return call


def watch(directory: str) -> int:
    """An inotify descriptor that becomes readable when a file is renamed into (or made in)
    `directory`; -1 when there is none to be had."""
    try:
        fd = _libc("inotify_init1")(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            return -1
        if _libc("inotify_add_watch")(fd, os.fsencode(directory), IN_MOVED_TO | IN_CREATE) < 0:
            os.close(fd)
            return -1
    except (OSError, AttributeError, ImportError):  # no _ctypes, no such symbol
        return -1
    return int(fd)


def wait_exists(path: str, timeout: float, also: Sequence[int] = ()) -> bool:
    """Until `path` exists (True), a descriptor of `also` is readable (the monitor's pidfd: it
    ended; then whether `path` exists), or `timeout` seconds passed (False)."""
    ifd = watch(os.path.dirname(path))
    deadline = time.monotonic() + timeout
    step = 0.001
    try:
        while True:
            if os.path.exists(path):  # after the watch began: no rename is missed
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            fds = [*also, ifd] if ifd >= 0 else list(also)
            ready = select.select(fds, [], [], left if ifd >= 0 else min(step, left))[0]
            if ifd >= 0 and ifd in ready:
                _drain(ifd)
            elif ready:
                return os.path.exists(path)
            step = min(step * 2, 0.01)  # without inotify: the record follows within ms
    finally:
        if ifd >= 0:
            os.close(ifd)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass
