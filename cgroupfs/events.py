"""Waiting on cgroups without polling: inotify, eventfd and pidfd.

- `InotifyWatch`: inotify through ctypes; `fileno()` fits epoll/select.
- `EventsFileWatch` / `EmptyWatch`: a v2 `cgroup.events` file (the kernel raises a
  modify event when `populated` or `frozen` changes; this also works for the `unified`
  hierarchy of a hybrid host).
- `open_oom_watch(pid)`: OOM kills of a process's memory cgroup, from :mod:`cgroupfs.oom`.
- `wait_pids_exit(pids, timeout)`: pidfds, for v1 hierarchies that have no event for "empty".

The per-container monitor imports :mod:`cgroupfs.oom` (and this module only on v2, for
inotify): at module level this imports only the builtin posix (not os: os, posixpath and stat
cost the monitor ~0.3 MiB), select, sys, time and cgroupfs.oom; ctypes is imported on the
first inotify use.
"""

from __future__ import annotations

import posix
import select
import time  # builtin, loaded by every interpreter at startup: costs nothing

# inotify and the OOM watch live in cgroupfs.inotify and cgroupfs.oom (all the monitor
# imports); re-exported here.
from cgroupfs.inotify import IN_CLOEXEC as IN_CLOEXEC
from cgroupfs.inotify import IN_DELETE_SELF as IN_DELETE_SELF
from cgroupfs.inotify import IN_IGNORED as IN_IGNORED
from cgroupfs.inotify import IN_MODIFY as IN_MODIFY
from cgroupfs.inotify import IN_NONBLOCK as IN_NONBLOCK
from cgroupfs.inotify import InotifyEvent as InotifyEvent
from cgroupfs.inotify import InotifyWatch as InotifyWatch
from cgroupfs.oom import OomWatch as OomWatch
from cgroupfs.oom import V1OomWatch as V1OomWatch
from cgroupfs.oom import V2OomWatch as V2OomWatch
from cgroupfs.oom import memory_cgroup_dir as memory_cgroup_dir
from cgroupfs.oom import open_oom_watch as open_oom_watch
from cgroupfs.oom import read_flat_keyed as read_flat_keyed

TYPE_CHECKING = False  # typing costs ~18 ms of import; mypy treats this name specially
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Self


def wait_readable(fd: int, timeout: float | None) -> bool:
    """Block until `fd` is readable or `timeout` seconds pass (None: forever)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    return bool(poller.poll(ms))  # PEP 475: EINTR is retried with the remaining time


class EventsFileWatch:
    """Watches a flat-keyed file the kernel signals with a modify event
    (`cgroup.events`, `memory.events`). The watch is armed before the first read, so no
    change between reading and waiting can be missed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._inotify = InotifyWatch()
        try:
            self._inotify.add_watch(path, IN_MODIFY)
        except BaseException:
            self._inotify.close()
            raise

    def fileno(self) -> int:
        return self._inotify.fileno()

    def read(self) -> dict[str, int] | None:
        """Drain pending notifications and read the file (None: the cgroup is gone)."""
        self._inotify.read_events()
        return read_flat_keyed(self.path)

    def wait_until(
        self, predicate: Callable[[dict[str, int] | None], bool], timeout: float
    ) -> bool:
        """Wait until `predicate(contents)` holds; False if `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self.read()):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wait_readable(self.fileno(), remaining):
                return predicate(self.read())

    def close(self) -> None:
        self._inotify.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _is_empty(events: dict[str, int] | None) -> bool:
    return events is None or events.get("populated", 0) == 0


class EmptyWatch(EventsFileWatch):
    """Tells when a v2 cgroup (or one in a hybrid host's `unified` hierarchy) has no
    process left in it or below it. A removed cgroup counts as empty."""

    def __init__(self, cgroup_dir: str) -> None:
        super().__init__(cgroup_dir.rstrip("/") + "/cgroup.events")

    def is_empty(self) -> bool:
        return _is_empty(self.read())

    def wait_empty(self, timeout: float) -> bool:
        return self.wait_until(_is_empty, timeout)


def wait_pids_exit(pids: Iterable[int], timeout: float) -> bool:
    """Wait until every process in `pids` has exited (or been reaped); False on timeout.

    A pidfd becomes readable when its process exits, zombie or not: an event, not a poll.
    """
    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            pidfd = posix.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            if not wait_readable(pidfd, max(0.0, deadline - time.monotonic())):
                return False
        finally:
            posix.close(pidfd)
    return True


