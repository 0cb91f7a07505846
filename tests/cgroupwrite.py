"""The cgroup write API, for tests that make and drive cgroups themselves.

The product never writes cgroups through `cgroupfs`: the OCI runtime and systemd make, limit,
freeze and remove them (docs/ARCHITECTURE.md); it only reads (`supervisor/stats.py`) and
watches (`cgroupfs.events`). Tests still need to make a cgroup, move a process into it, freeze
and kill it: that code lives here, on a subclass of the product's read-only `Cgroup`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from collections.abc import Iterator

from cgroupfs.cgroup import Cgroup, _procs, _read
from cgroupfs.errors import CgroupTimeoutError, CgroupUnsupportedError, CgroupWriteError
from cgroupfs.events import EmptyWatch, EventsFileWatch, wait_pids_exit
from cgroupfs.layout import cgroup_path
from cgroupfs.parse import parse_flat_keyed

# v1 has no event for "the freezer reached FROZEN" nor for "a dying task is finally gone
# after rmdir said EBUSY": the only way is to read again. These bound the back-off between
# reads (runc does the same for freezer.state).
_REREAD_FIRST = 0.001
_REREAD_MAX = 0.05


class WritableCgroup(Cgroup):
    def child(self, name: str) -> WritableCgroup:
        if not name or "/" in name:
            raise ValueError(f"not a single path component: {name!r}")
        return WritableCgroup(self.layout, cgroup_path(self.path + "/" + name))

    def write(self, name: str, value: str, controller: str | None = None) -> None:
        _write(self.file(name, controller), value)

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

    def add_pid(self, pid: int) -> None:
        """Move `pid` (the whole process) into this cgroup in every hierarchy."""
        for _, d in self.dirs():
            _write(d + "/cgroup.procs", str(pid))

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


def _backoff() -> Iterator[float]:
    delay = _REREAD_FIRST
    while True:
        yield delay
        delay = min(delay * 2, _REREAD_MAX)


def _write(path: str, value: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise CgroupWriteError(path, value, exc.errno or 0, exc.strerror or str(exc)) from exc


def _inherit_cpuset(parent: str, child: str) -> None:
    # A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until they are
    # set (unless the parent has cgroup.clone_children): copy them from the parent.
    for name in ("cpuset.cpus", "cpuset.mems"):
        if not _read(f"{child}/{name}").strip():
            _write(f"{child}/{name}", _read(f"{parent}/{name}").strip() or "\n")


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
