"""A cgroup: one path in every hierarchy of a `Layout`.

On a v1 or hybrid host, the same relative path exists in each hierarchy (as runc's cgroupfs
driver and systemd lay them out); on v2 there is one directory. Kernel file names appear
verbatim. Membership questions (`pids`, `is_populated`, `wait_empty`) use the v2 directory
when it exists (its `cgroup.events` gives events), else the primary v1 hierarchy
(memory, else pids, else the first one).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

from cgroupfs.errors import CgroupTimeoutError, CgroupUnsupportedError, CgroupWriteError
from cgroupfs.events import EmptyWatch, EventsFileWatch, wait_pids_exit
from cgroupfs.layout import V2_KEY, CgroupPath, Hierarchy, Layout, Mode, cgroup_path, detect
from cgroupfs.parse import (
    hierarchy_dir,
    parse_flat_keyed,
    parse_io_stat,
    parse_nested_keyed,
    parse_pid_list,
    parse_proc_cgroup,
)

__all__ = [
    "Cgroup",
    "parse_flat_keyed",
    "parse_io_stat",
    "parse_nested_keyed",
]

# v1 has no event for "the freezer reached FROZEN" nor for "a dying task is finally gone
# after rmdir said EBUSY": the only way is to read again. These bound the back-off between
# reads (runc does the same for freezer.state).
_REREAD_FIRST = 0.001
_REREAD_MAX = 0.05

_PRIMARY_V1 = ("memory", "pids")
# Core files that only cgroup2 has (no v1 hierarchy shows them).
_V2_CORE_FILES = frozenset(
    {
        "cgroup.controllers", "cgroup.events", "cgroup.freeze", "cgroup.kill",
        "cgroup.max.depth", "cgroup.max.descendants", "cgroup.stat", "cgroup.subtree_control",
        "cgroup.type",
    }
)  # fmt: skip


def _backoff() -> Iterator[float]:
    delay = _REREAD_FIRST
    while True:
        yield delay
        delay = min(delay * 2, _REREAD_MAX)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def _write(path: str, value: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise CgroupWriteError(path, value, exc.errno or 0, exc.strerror or str(exc)) from exc


@dataclass(frozen=True, repr=False)
class Cgroup:
    layout: Layout
    path: CgroupPath

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", cgroup_path(self.path))

    def __repr__(self) -> str:
        return f"Cgroup({self.path!r}, {self.layout.mode.value})"

    # --- where things are ---------------------------------------------------------------

    def child(self, name: str) -> Cgroup:
        if not name or "/" in name:
            raise ValueError(f"not a single path component: {name!r}")
        return Cgroup(self.layout, cgroup_path(self.path + "/" + name))

    def dirs(self) -> list[tuple[Hierarchy, str]]:
        """(hierarchy, directory) for every hierarchy of the layout."""
        return [(h, h.dir(self.path)) for h in self.layout.hierarchies]

    def dir_of(self, controller: str) -> str:
        """The directory in the hierarchy of `controller` ("" for v2)."""
        h = self.layout.hierarchy_of(controller)
        if h is None:
            raise CgroupUnsupportedError(f"controller {controller!r}", self.path)
        return h.dir(self.path)

    def file(self, name: str, controller: str | None = None) -> str:
        """Path of control file `name` (`memory.stat`), in the hierarchy of its prefix's
        controller unless `controller` says otherwise; v2-only `cgroup.*` files go to the v2
        hierarchy, the others (`cgroup.procs`) to the primary one."""
        if controller is None:
            prefix = name.split(".", 1)[0]
            if name in _V2_CORE_FILES:
                controller = V2_KEY
            elif prefix == "cgroup":
                return self._primary_dir() + "/" + name
            else:
                controller = prefix
        return self.dir_of(controller) + "/" + name

    def _v2_dir(self) -> str | None:
        u = self.layout.unified
        return None if u is None else u.dir(self.path)

    def _primary_v1(self) -> Hierarchy | None:
        for controller in _PRIMARY_V1:
            h = next((h for h in self.layout.v1 if controller in h.controllers), None)
            if h is not None:
                return h
        return next(iter(self.layout.v1), None)

    def _events_dir(self) -> str | None:
        """The v2 directory if it exists and has `cgroup.events` (not the root)."""
        d = self._v2_dir()
        return d if d is not None and os.path.exists(d + "/cgroup.events") else None

    def _primary_dir(self) -> str:
        u = self.layout.unified
        h = u if self.layout.mode is Mode.V2 and u is not None else self._primary_v1() or u
        if h is None:
            raise CgroupUnsupportedError("any cgroup hierarchy", self.path)
        return h.dir(self.path)

    # --- files ---------------------------------------------------------------------------

    def read(self, name: str, controller: str | None = None) -> str:
        return _read(self.file(name, controller))

    def read_flat_keyed(self, name: str, controller: str | None = None) -> dict[str, int]:
        return parse_flat_keyed(self.read(name, controller))

    def write(self, name: str, value: str, controller: str | None = None) -> None:
        _write(self.file(name, controller), value)

    # --- life cycle -------------------------------------------------------------------------

    def exists(self) -> bool:
        return any(os.path.isdir(d) for _, d in self.dirs())

    def create(self) -> Cgroup:
        """Create the directory (and missing parents) in every hierarchy; idempotent."""
        for h, _ in self.dirs():
            current = h.mount_point
            for part in self.path.strip("/").split("/") if self.path != "/" else []:
                parent, current = current, current + "/" + part
                with contextlib.suppress(FileExistsError):
                    os.mkdir(current, 0o755)
                if h.version == 1 and "cpuset" in h.controllers:
                    _inherit_cpuset(parent, current)
        return self

    def remove(self, timeout: float = 10.0) -> None:
        """Remove the cgroup and its descendants, depth first, in every hierarchy; a busy
        cgroup is waited for (events) until empty, up to `timeout` in all. Idempotent."""
        if self.path == "/":
            raise ValueError("refusing to remove a hierarchy's root cgroup")
        deadline = time.monotonic() + timeout
        for h, d in self.dirs():
            for sub, _dirnames, _files in os.walk(d, topdown=False):
                _rmdir_when_empty(sub, h.version == 2, deadline, timeout)

    # --- processes ----------------------------------------------------------------------

    def add_pid(self, pid: int) -> None:
        """Move `pid` (the whole process) into this cgroup in every hierarchy."""
        for _, d in self.dirs():
            _write(d + "/cgroup.procs", str(pid))

    def pids(self, recursive: bool = False) -> list[int]:
        """Processes in the cgroup (and below it if `recursive`), across all hierarchies."""
        found: set[int] = set()
        for _, d in self.dirs():
            found.update(_procs(d, recursive))
        return sorted(found)

    def is_populated(self) -> bool:
        """Any process in the cgroup or below it (v2 `cgroup.events`, else v1 procs)."""
        d = self._events_dir()
        if d is not None:
            try:
                return parse_flat_keyed(_read(d + "/cgroup.events")).get("populated", 0) != 0
            except FileNotFoundError:
                return False
        h = self._primary_v1()
        return h is not None and bool(_procs(h.dir(self.path), recursive=True))

    def empty_watch(self) -> EmptyWatch:
        """An `EmptyWatch` on the v2 directory; CgroupUnsupportedError if there is none."""
        d = self._events_dir()
        if d is None:
            raise CgroupUnsupportedError("cgroup.events", self.path)
        return EmptyWatch(d)

    def wait_empty(self, timeout: float) -> bool:
        """Wait until no process is left (v2: inotify; v1: pidfds); False on timeout."""
        d = self._events_dir()
        if d is not None:
            with EmptyWatch(d) as watch:
                return watch.wait_empty(timeout)
        h = self._primary_v1()
        return h is None or _wait_v1_empty(h.dir(self.path), time.monotonic() + timeout)

    def kill(self, timeout: float = 10.0) -> None:
        """SIGKILL every process in the cgroup and below, and wait until they are gone.

        `cgroup.kill` where the kernel has it; then (and otherwise) SIGKILL every pid still
        listed, again and again, because a process may fork between listing and killing.
        """
        deadline = time.monotonic() + timeout
        v2 = self._events_dir()
        if v2 is not None and os.path.exists(v2 + "/cgroup.kill"):
            _write(v2 + "/cgroup.kill", "1")
        while True:
            pids = self.pids(recursive=True)
            if not pids:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CgroupTimeoutError("kill", self.path, timeout, f"pids left: {pids}")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._thaw_v1_for_kill()
            wait_pids_exit(pids, remaining)

    def _thaw_v1_for_kill(self) -> None:
        # A task frozen by the v1 freezer does not act on SIGKILL until thawed.
        h = next((h for h in self.layout.v1 if "freezer" in h.controllers), None)
        if h is None:
            return
        state = h.dir(self.path) + "/freezer.state"
        try:
            if _read(state).strip() != "THAWED":
                _write(state, "THAWED")
        except (OSError, CgroupWriteError):
            pass  # the cgroup is going away; nothing left to thaw

    # --- freezer ------------------------------------------------------------------------

    def freeze(self, timeout: float = 5.0) -> None:
        """Freeze every process: v1 `freezer.state` if the freezer hierarchy is in the
        layout, else v2 `cgroup.freeze`. Returns once the kernel reports frozen."""
        self._set_frozen(True, timeout)

    def thaw(self, timeout: float = 5.0) -> None:
        self._set_frozen(False, timeout)

    def is_frozen(self) -> bool:
        v1 = self._freezer_v1_dir()
        if v1 is not None:
            return _read(v1 + "/freezer.state").strip() == "FROZEN"
        events = parse_flat_keyed(_read(self._freezer_v2_dir() + "/cgroup.events"))
        return events.get("frozen", 0) == 1

    def _freezer_v1_dir(self) -> str | None:
        h = next((h for h in self.layout.v1 if "freezer" in h.controllers), None)
        return None if h is None else h.dir(self.path)

    def _freezer_v2_dir(self) -> str:
        d = self._v2_dir()
        if d is None or not os.path.exists(d + "/cgroup.freeze"):
            raise CgroupUnsupportedError("a freezer (freezer.state or cgroup.freeze)", self.path)
        return d

    def _set_frozen(self, frozen: bool, timeout: float) -> None:
        v1 = self._freezer_v1_dir()
        if v1 is not None:
            _set_frozen_v1(v1, frozen, timeout)
            return
        d = self._freezer_v2_dir()
        want = 1 if frozen else 0
        with EventsFileWatch(d + "/cgroup.events") as watch:  # armed before the write
            _write(d + "/cgroup.freeze", str(want))
            if not watch.wait_until(lambda ev: ev is not None and ev.get("frozen") == want,
                                    timeout):  # fmt: skip
                raise CgroupTimeoutError("freeze" if frozen else "thaw", d, timeout)

    # --- lookup -------------------------------------------------------------------------

    @classmethod
    def of_pid(cls, pid: int, layout: Layout | None = None) -> Cgroup:
        """The cgroup `pid` is in (from /proc/<pid>/cgroup): on v1/hybrid its memory (else
        pids, else first) hierarchy's path, on v2 its v2 path."""
        layout = layout or detect()
        try:
            proc = parse_proc_cgroup(_read(f"/proc/{pid}/cgroup"))
        except FileNotFoundError as exc:
            raise ProcessLookupError(errno.ESRCH, f"no process {pid}") from exc
        for h in _lookup_order(layout):
            key = V2_KEY if h.version == 2 else min(h.controllers)
            if key in proc:
                return cls(layout, cgroup_path(hierarchy_dir("", h.mount_root, proc[key]) or "/"))
        raise CgroupUnsupportedError("a cgroup of the layout's hierarchies", f"/proc/{pid}")


def _lookup_order(layout: Layout) -> list[Hierarchy]:
    primary = [h for c in _PRIMARY_V1 if (h := layout.hierarchy_of(c)) in layout.v1]
    unified = [layout.unified] if layout.unified is not None else []
    if layout.mode is Mode.V2:
        return unified + primary + list(layout.v1)
    return primary + list(layout.v1) + unified


def _inherit_cpuset(parent: str, child: str) -> None:
    # A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until they are
    # set (unless the parent has cgroup.clone_children): copy them from the parent.
    for name in ("cpuset.cpus", "cpuset.mems"):
        if not _read(f"{child}/{name}").strip():
            _write(f"{child}/{name}", _read(f"{parent}/{name}").strip() or "\n")


def _procs(d: str, recursive: bool) -> list[int]:
    found: list[int] = []
    walker = os.walk(d) if recursive else iter([(d, [], [])])
    for sub, _dirnames, _files in walker:
        try:
            found.extend(parse_pid_list(_read(sub + "/cgroup.procs")))
        except FileNotFoundError:
            continue  # removed while we walked
    return found


def _wait_v1_empty(d: str, deadline: float) -> bool:
    while True:
        pids = _procs(d, recursive=True)
        if not pids:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not wait_pids_exit(pids, remaining):
            return not _procs(d, recursive=True)


def _rmdir_when_empty(d: str, is_v2: bool, deadline: float, timeout: float) -> None:
    delays = _backoff()
    while True:
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CgroupTimeoutError("remove", d, timeout, f"pids left: {_procs(d, True)}")
        if _wait_dir_empty(d, is_v2, remaining):
            # Empty, yet rmdir said EBUSY: a task exited but is not released yet, or a child
            # appeared. No event announces either; re-try after a short, growing pause.
            time.sleep(min(next(delays), remaining))


def _wait_dir_empty(d: str, is_v2: bool, remaining: float) -> bool:
    if is_v2 and os.path.exists(d + "/cgroup.events"):
        with EmptyWatch(d) as watch:
            return watch.wait_empty(remaining)
    return _wait_v1_empty(d, time.monotonic() + remaining)


def _set_frozen_v1(d: str, frozen: bool, timeout: float) -> None:
    want = "FROZEN" if frozen else "THAWED"
    deadline = time.monotonic() + timeout
    _write(d + "/freezer.state", want)
    for delay in _backoff():
        # Reading freezer.state is what advances FREEZING to FROZEN; no event exists.
        if _read(d + "/freezer.state").strip() == want:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if frozen:
                _write(d + "/freezer.state", "THAWED")  # do not leave it half frozen
            raise CgroupTimeoutError("freeze" if frozen else "thaw", d, timeout)
        time.sleep(min(delay, remaining))
