"""A cgroup: one path in every hierarchy of a `Layout`.

On a v1 or hybrid host, the same relative path exists in each hierarchy (as runc's cgroupfs
driver and systemd lay them out); on v2 there is one directory. Kernel file names appear
verbatim. Membership questions (`pids`, `is_populated`, `wait_empty`) use the v2 directory
when it exists (its `cgroup.events` gives events), else the primary v1 hierarchy
(memory, else pids, else the first one).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from cgroupfs.errors import CgroupUnsupportedError
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


_PRIMARY_V1 = ("memory", "pids")
# Core files that only cgroup2 has (no v1 hierarchy shows them).
_V2_CORE_FILES = frozenset(
    {
        "cgroup.controllers", "cgroup.events", "cgroup.freeze", "cgroup.kill",
        "cgroup.max.depth", "cgroup.max.descendants", "cgroup.stat", "cgroup.subtree_control",
        "cgroup.type",
    }
)  # fmt: skip


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


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

    # --- life cycle -------------------------------------------------------------------------

    def exists(self) -> bool:
        return any(os.path.isdir(d) for _, d in self.dirs())

    # --- processes ----------------------------------------------------------------------

    def pids(self, recursive: bool = False) -> list[int]:
        """Processes in the cgroup (and below it if `recursive`), across all hierarchies."""
        found: set[int] = set()
        for _, d in self.dirs():
            found.update(_procs(d, recursive))
        return sorted(found)

    # --- freezer ------------------------------------------------------------------------

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


def _procs(d: str, recursive: bool) -> list[int]:
    found: list[int] = []
    walker = os.walk(d) if recursive else iter([(d, [], [])])
    for sub, _dirnames, _files in walker:
        try:
            found.extend(parse_pid_list(_read(sub + "/cgroup.procs")))
        except FileNotFoundError:
            continue  # removed while we walked
    return found


