"""`_OwnedFd`: the base of every watch that owns a kernel fd (inotify, eventfd). Its own
module so that :mod:`cgroupfs.oom` (the monitor's import) and :mod:`cgroupfs.inotify` share
it and a v1 monitor never loads inotify's code."""

from __future__ import annotations

import posix

TYPE_CHECKING = False  # typing costs ~18 ms of import; mypy treats this name specially
if TYPE_CHECKING:
    from typing import Self


class _OwnedFd:
    """A kernel fd this object owns: `fileno()`, an idempotent `close()`, `with`."""

    _fd: int
    _kind = "watch"  # for the closed-fd error message

    def fileno(self) -> int:
        if self._fd < 0:
            raise ValueError(f"I/O operation on a closed {self._kind}")
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            posix.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
