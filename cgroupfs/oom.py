"""OOM kills of a memory cgroup, for the per-container monitor (split from
:mod:`cgroupfs.events`, which re-exports every name here).

performance (issue 16): the monitor lives as long as its container and imports only this
(with the import-free :mod:`cgroupfs.parse` and :mod:`cgroupfs.fd`; inotify and its ctypes
only for a v2 watch): the empty-cgroup and pidfd waits of :mod:`cgroupfs.events` cost it
~50 KiB it never uses.

- `open_oom_watch(pid)`: v1 uses an eventfd registered on `memory.oom_control` through
  `cgroup.event_control`, v2 inotify on `memory.events`.
"""

from __future__ import annotations

import errno
import posix

from cgroupfs.fd import _OwnedFd
from cgroupfs.parse import hierarchy_dir, parse_flat_keyed, parse_mountinfo, parse_proc_cgroup

TYPE_CHECKING = False  # typing costs ~18 ms of import; mypy treats this name specially
if TYPE_CHECKING:
    pass


# A cgroup directory that is removed while a file of it is open answers ENODEV (kernfs).
_GONE = (errno.ENOENT, errno.ENODEV)


def _exists(path: str) -> bool:
    """`os.path.exists` without `posixpath`."""
    try:
        posix.stat(path)
    except (OSError, ValueError):
        return False
    return True


def read_flat_keyed(path: str) -> dict[str, int] | None:
    """Read a flat-keyed control file; None if its cgroup is gone."""
    try:
        with open(path, encoding="ascii") as f:
            return parse_flat_keyed(f.read())
    except OSError as exc:
        if exc.errno in _GONE:
            return None
        raise


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
        from cgroupfs.inotify import IN_MODIFY, InotifyWatch  # v2 only: ctypes for inotify

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
