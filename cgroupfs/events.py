"""Waiting on cgroups without polling: inotify, eventfd and pidfd.

- `InotifyWatch`: inotify through ctypes; `fileno()` fits epoll/select.
- `EventsFileWatch` / `EmptyWatch`: a v2 `cgroup.events` file (the kernel raises a
  modify event when `populated` or `frozen` changes; this also works for the `unified`
  hierarchy of a hybrid host).
- `open_oom_watch(pid)`: OOM kills of a process's memory cgroup; v1 uses an eventfd
  registered on `memory.oom_control` through `cgroup.event_control`, v2 inotify on
  `memory.events`.
- `wait_pids_exit(pids, timeout)`: pidfds, for v1 hierarchies that have no event for "empty".

The per-container monitor imports this module: at module level it imports only the builtin
posix (not os: os, posixpath and stat cost the monitor ~0.3 MiB), errno, select, struct, sys,
time and the import-free `cgroupfs.parse` (no typing/re/json/pathlib); ctypes is imported on
the first inotify use.
"""

from __future__ import annotations

import errno
import posix
import select
import struct
import sys
import time  # builtin, loaded by every interpreter at startup: costs nothing

from cgroupfs.parse import (
    hierarchy_dir,
    parse_flat_keyed,
    parse_mountinfo,
    parse_proc_cgroup,
)

TYPE_CHECKING = False  # typing costs ~18 ms of import; mypy treats this name specially
if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable, Iterable
    from typing import Self

# <sys/inotify.h>
IN_MODIFY = 0x00000002
IN_DELETE_SELF = 0x00000400
IN_IGNORED = 0x00008000
IN_CLOEXEC = 0o2000000
IN_NONBLOCK = 0o0004000

_EVENT_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)
_READ_SIZE = 64 * 1024
# A cgroup directory that is removed while a file of it is open answers ENODEV (kernfs).
_GONE = (errno.ENOENT, errno.ENODEV)

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


def _exists(path: str) -> bool:
    """`os.path.exists` without `posixpath`."""
    try:
        posix.stat(path)
    except (OSError, ValueError):
        return False
    return True


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


def wait_readable(fd: int, timeout: float | None) -> bool:
    """Block until `fd` is readable or `timeout` seconds pass (None: forever)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    return bool(poller.poll(ms))  # PEP 475: EINTR is retried with the remaining time


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
        events: list[InotifyEvent] = []
        while True:
            try:
                data = posix.read(self.fileno(), _READ_SIZE)
            except BlockingIOError:
                return events
            offset = 0
            while offset < len(data):
                wd, mask, cookie, length = _EVENT_HEADER.unpack_from(data, offset)
                offset += _EVENT_HEADER.size
                raw = data[offset : offset + length].rstrip(b"\0")
                offset += length
                events.append(InotifyEvent(wd, mask, cookie, _fsdecode(raw)))


def read_flat_keyed(path: str) -> dict[str, int] | None:
    """Read a flat-keyed control file; None if its cgroup is gone."""
    try:
        with open(path, encoding="ascii") as f:
            return parse_flat_keyed(f.read())
    except OSError as exc:
        if exc.errno in _GONE:
            return None
        raise


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


class OomWatch(_OwnedFd):
    """OOM kills in one memory cgroup. `fileno()` becomes readable on an OOM event.

    `consume()` never blocks and tells whether an OOM kill happened since the previous call;
    `oom_killed_so_far()` compares the kernel's `oom_kill` counter with its value when the
    watch was opened: the final check when the container has exited.
    """

    _kind = "OomWatch"

    def __init__(self, cgroup_dir: str, counter_file: str, fd: int) -> None:
        self.cgroup_dir = cgroup_dir
        self.counter_path = cgroup_dir + "/" + counter_file
        self._fd: int = int(fd)
        counters = read_flat_keyed(self.counter_path)
        self._baseline = 0 if counters is None else counters.get("oom_kill", 0)
        self._last = self._baseline

    def _drain(self) -> bool:
        """Consume the fd's pending notification; True if there was one."""
        raise NotImplementedError

    def _note(self, counters: dict[str, int] | None) -> bool:
        """Record the counter; True if it rose. A removed cgroup keeps the last value."""
        if counters is None or "oom_kill" not in counters:
            return False
        count = counters["oom_kill"]
        rose = count > self._last
        self._last = max(self._last, count)
        return rose

    def consume(self) -> bool:
        self._drain()
        return self._note(read_flat_keyed(self.counter_path))

    def oom_killed_so_far(self) -> bool:
        self._note(read_flat_keyed(self.counter_path))
        return self._last > self._baseline


class V1OomWatch(OomWatch):
    """v1: an eventfd registered with `cgroup.event_control` on `memory.oom_control`
    (Documentation/admin-guide/cgroup-v1/memory.rst, "OOM Control")."""

    def __init__(self, cgroup_dir: str) -> None:
        efd = posix.eventfd(0, posix.EFD_CLOEXEC | posix.EFD_NONBLOCK)
        try:
            # Registered before the baseline is read, so no kill falls in between.
            _register_eventfd(cgroup_dir, efd, "memory.oom_control", "")
            super().__init__(cgroup_dir, "memory.oom_control", efd)
        except BaseException:
            posix.close(efd)
            raise

    def _drain(self) -> bool:
        try:
            return posix.eventfd_read(self.fileno()) > 0
        except BlockingIOError:
            return False

    def consume(self) -> bool:
        fired = self._drain()
        counters = read_flat_keyed(self.counter_path)
        rose = self._note(counters)
        if counters is None:  # the kernel also signals the eventfd when the cgroup is removed
            return False
        # The kernel signals as it enters the OOM path, before it picks and counts a victim,
        # so the counter may not have moved yet. With the OOM killer enabled, a kill follows.
        return rose or (fired and counters.get("oom_kill_disable", 0) == 0)


def _register_eventfd(cgroup_dir: str, efd: int, control: str, args: str) -> None:
    cfd = posix.open(cgroup_dir + "/" + control, posix.O_RDONLY | posix.O_CLOEXEC)
    try:
        line = f"{efd} {cfd}" + (f" {args}" if args else "")
        ctl = posix.open(cgroup_dir + "/cgroup.event_control", posix.O_WRONLY | posix.O_CLOEXEC)
        try:
            posix.write(ctl, line.encode())
        finally:
            posix.close(ctl)
    finally:
        posix.close(cfd)  # the kernel keeps what it needs; the eventfd holds the registration


class V2OomWatch(OomWatch):
    """v2: inotify on `memory.events` (hierarchical counts: kills below the cgroup too)."""

    def __init__(self, cgroup_dir: str) -> None:
        self._inotify = InotifyWatch()
        try:
            self._inotify.add_watch(cgroup_dir + "/memory.events", IN_MODIFY)
            super().__init__(cgroup_dir, "memory.events", self._inotify.fileno())
        except BaseException:
            self._inotify.close()
            raise

    def _drain(self) -> bool:
        return bool(self._inotify.read_events())

    def close(self) -> None:
        self._inotify.close()
        self._fd = -1


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def memory_cgroup_dir(pid: int, root: str = "/sys/fs/cgroup") -> tuple[str, int] | None:
    """(directory, cgroup version) of `pid`'s memory cgroup: the v1 memory hierarchy if one
    is mounted under `root`, else the v2 hierarchy mounted at `root` if it offers `memory`."""
    proc = parse_proc_cgroup(_read_text(f"/proc/{pid}/cgroup"))
    root = root.rstrip("/")
    v2_dir: str | None = None
    for mount in parse_mountinfo(_read_text("/proc/self/mountinfo")):
        inside = mount.mount_point == root or mount.mount_point.startswith(root + "/")
        if not inside:
            continue
        if mount.fstype == "cgroup" and "memory" in mount.cgroup_controllers():
            if "memory" in proc:
                return hierarchy_dir(mount.mount_point, mount.root, proc["memory"]), 1
        elif mount.fstype == "cgroup2" and mount.mount_point == root and "" in proc:
            v2_dir = hierarchy_dir(mount.mount_point, mount.root, proc[""])
    if v2_dir is not None and _exists(v2_dir + "/memory.events"):
        return v2_dir, 2
    return None


def open_oom_watch(pid: int, root: str = "/sys/fs/cgroup") -> OomWatch | None:
    """Watch OOM kills in the memory cgroup `pid` is in now; None if there is no memory
    controller for it. Raises ProcessLookupError if `pid` does not exist."""
    try:
        found = memory_cgroup_dir(pid, root)
    except FileNotFoundError as exc:
        raise ProcessLookupError(errno.ESRCH, f"no process {pid}") from exc
    if found is None:
        return None
    cgroup_dir, version = found
    try:
        return V1OomWatch(cgroup_dir) if version == 1 else V2OomWatch(cgroup_dir)
    except FileNotFoundError:  # the cgroup vanished, or v1 without oom_control
        return None
