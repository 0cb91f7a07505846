"""Which cgroup hierarchies are mounted, where, and what the kernel offers.

`detect()` reads /proc/self/mountinfo and probes files (never kernel versions).
`layout_from_mountinfo()` is the pure part, for tests on recorded samples.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NewType

from cgroupfs.errors import NoCgroupMountsError
from cgroupfs.parse import MountEntry, parse_mountinfo, parse_proc_cgroup

# A cgroup's path inside a hierarchy, as it appears below the mount point: "/" or
# "/a/b" (absolute, no "." / ".." / empty components, no trailing "/").
CgroupPath = NewType("CgroupPath", str)

DEFAULT_ROOT = "/sys/fs/cgroup"
V2_KEY = ""  # the v2 hierarchy's key, as in /proc/<pid>/cgroup's "0::/path" line


def cgroup_path(path: str) -> CgroupPath:
    """Validate and normalise a cgroup path; raises ValueError for a caller's mistake."""
    if not path.startswith("/"):
        raise ValueError(f"cgroup path must be absolute: {path!r}")
    parts = [p for p in path.split("/") if p]
    if any(p in (".", "..") or "\0" in p for p in parts):
        raise ValueError(f"cgroup path must not contain '.', '..' or NUL: {path!r}")
    return CgroupPath("/" + "/".join(parts))


class Mode(enum.Enum):
    """How the host mounts its cgroups."""

    V1 = "v1"  # only v1 hierarchies
    HYBRID = "hybrid"  # v1 controllers, plus a cgroup2 mount (usually ROOT/unified)
    V2 = "v2"  # cgroup2 mounted at ROOT


@dataclass(frozen=True)
class Hierarchy:
    """One mounted hierarchy. `controllers`: v1 from the mount options (`name=X` kept),
    v2 from the root's `cgroup.controllers` (empty when unknown)."""

    mount_point: str
    version: int
    controllers: frozenset[str]
    mount_root: str = "/"

    @property
    def key(self) -> str:
        """Empty for v2, else the controllers as /proc/<pid>/cgroup lists them ("cpu,cpuacct")."""
        return V2_KEY if self.version == 2 else ",".join(sorted(self.controllers))

    def dir(self, path: CgroupPath) -> str:
        """The directory of `path` in this hierarchy."""
        return self.mount_point if path == "/" else self.mount_point + path


@dataclass(frozen=True)
class Features:
    """What the kernel offers, probed by looking at files."""

    # v2 `cgroup.kill` / `cgroup.freeze` exist only below the root: None means "no non-root
    # v2 cgroup to look at yet"; `Cgroup` then checks its own directory (which it does anyway).
    has_cgroup_kill: bool | None
    has_cgroup_freeze: bool | None
    has_v1_freezer: bool  # v1 `freezer` hierarchy with `freezer.state`
    has_v1_oom_events: bool  # v1 memory `cgroup.event_control` (OOM notification)
    has_pressure: bool  # v2 PSI files (`cpu.pressure`)
    nsdelegate: bool  # cgroup2 mounted with `nsdelegate`


NO_FEATURES = Features(False, False, False, False, False, False)


@dataclass(frozen=True)
class Layout:
    mode: Mode
    root: str
    hierarchies: tuple[Hierarchy, ...]
    features: Features = NO_FEATURES

    @property
    def unified(self) -> Hierarchy | None:
        """The cgroup2 hierarchy (at ROOT on v2, ROOT/unified on a hybrid host), if any."""
        return next((h for h in self.hierarchies if h.version == 2), None)

    @property
    def v1(self) -> tuple[Hierarchy, ...]:
        return tuple(h for h in self.hierarchies if h.version == 1)

    def controllers(self) -> dict[str, str]:
        """{controller: mount point}; a v1 mount wins over the v2 one for the same name."""
        result: dict[str, str] = {}
        for h in sorted(self.hierarchies, key=lambda h: -h.version):  # v2 first, v1 overrides
            for controller in h.controllers:
                result[controller] = h.mount_point
        return result

    def hierarchy_of(self, controller: str) -> Hierarchy | None:
        """The hierarchy serving `controller` ("" for the v2 one)."""
        if controller == V2_KEY:
            return self.unified
        v1 = next((h for h in self.v1 if controller in h.controllers), None)
        if v1 is not None:
            return v1
        u = self.unified
        return u if u is not None and controller in u.controllers else None

    def restricted(self, v1_controllers: Iterable[str] = (), unified: bool = False) -> Layout:
        """The same layout limited to the v1 hierarchies of `v1_controllers` (and the v2
        one if `unified`): a `Cgroup` on it touches only those."""
        wanted = set(v1_controllers)
        kept = tuple(
            h
            for h in self.hierarchies
            if (h.version == 2 and unified) or (h.version == 1 and h.controllers & wanted)
        )
        return replace(self, hierarchies=kept)


def _inside(mount_point: str, root: str) -> bool:
    return mount_point == root or mount_point.startswith(root + "/")


def hierarchies_from_mounts(
    mounts: Iterable[MountEntry], root: str, v2_controllers: frozenset[str] = frozenset()
) -> tuple[Hierarchy, ...]:
    """The cgroup hierarchies mounted under `root`, first mount of each hierarchy wins."""
    root = root.rstrip("/") or "/"
    seen: set[str] = set()
    result: list[Hierarchy] = []
    for m in mounts:
        if m.fstype not in ("cgroup", "cgroup2") or not _inside(m.mount_point, root):
            continue
        if m.fstype == "cgroup2":
            h = Hierarchy(m.mount_point, 2, v2_controllers, m.root)
        else:
            h = Hierarchy(m.mount_point, 1, m.cgroup_controllers(), m.root)
        if h.key not in seen:
            seen.add(h.key)
            result.append(h)
    return tuple(result)


def mode_of(hierarchies: Iterable[Hierarchy], root: str) -> Mode:
    hs = tuple(hierarchies)
    root = root.rstrip("/") or "/"
    has_v2 = any(h.version == 2 for h in hs)
    if any(h.version == 2 and h.mount_point == root for h in hs):
        return Mode.V2
    real_v1 = any(h.version == 1 and any(not c.startswith("name=") for c in h.controllers)
                  for h in hs)  # fmt: skip
    if real_v1:
        return Mode.HYBRID if has_v2 else Mode.V1
    if has_v2:  # only named v1 hierarchies beside cgroup2: every controller is on v2
        return Mode.V2
    raise NoCgroupMountsError(root)


def layout_from_mountinfo(
    text: str,
    root: str = DEFAULT_ROOT,
    v2_controllers: frozenset[str] = frozenset(),
    features: Features = NO_FEATURES,
) -> Layout:
    """Pure: the layout that a mountinfo text describes."""
    hierarchies = hierarchies_from_mounts(parse_mountinfo(text), root, v2_controllers)
    return Layout(mode_of(hierarchies, root), root.rstrip("/") or "/", hierarchies, features)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError:
        return None


def _v2_sample_dir(unified: Hierarchy) -> str | None:
    """A non-root v2 cgroup to probe: `cgroup.kill`/`cgroup.freeze` exist only below the
    root. Our own cgroup if it is not the root, else any child of the root."""
    own = parse_proc_cgroup(_read("/proc/self/cgroup") or "").get(V2_KEY, "/")
    if own not in ("", "/") and os.path.isdir(unified.mount_point + own):
        return unified.mount_point + own
    try:
        with os.scandir(unified.mount_point) as entries:
            return next((e.path for e in entries if e.is_dir(follow_symlinks=False)), None)
    except OSError:
        return None


def probe_features(hierarchies: tuple[Hierarchy, ...], mounts: Iterable[MountEntry]) -> Features:
    unified = next((h for h in hierarchies if h.version == 2), None)
    sample = _v2_sample_dir(unified) if unified is not None else None
    freezer = next((h for h in hierarchies if h.version == 1 and "freezer" in h.controllers), None)
    memory = next((h for h in hierarchies if h.version == 1 and "memory" in h.controllers), None)
    nsdelegate = unified is not None and any(
        m.fstype == "cgroup2"
        and m.mount_point == unified.mount_point
        and "nsdelegate" in m.super_options.split(",")
        for m in mounts
    )
    return Features(
        has_cgroup_kill=None if sample is None else os.path.exists(sample + "/cgroup.kill"),
        has_cgroup_freeze=None if sample is None else os.path.exists(sample + "/cgroup.freeze"),
        # v1 `freezer.state` exists in every cgroup but the root: the mount is the probe.
        has_v1_freezer=freezer is not None,
        has_v1_oom_events=memory is not None
        and os.path.exists(memory.mount_point + "/cgroup.event_control"),
        has_pressure=unified is not None and os.path.exists(unified.mount_point + "/cpu.pressure"),
        nsdelegate=nsdelegate,
    )


def detect(root: str = DEFAULT_ROOT, mountinfo_path: str = "/proc/self/mountinfo") -> Layout:
    """Detect the cgroup layout under `root`; raises NoCgroupMountsError if nothing is mounted."""
    mounts = parse_mountinfo(_read(mountinfo_path) or "")
    plain = hierarchies_from_mounts(mounts, root)
    unified = next((h for h in plain if h.version == 2), None)
    v2_controllers: frozenset[str] = frozenset()
    if unified is not None:
        text = _read(unified.mount_point + "/cgroup.controllers") or ""
        v2_controllers = frozenset(text.split())
    hierarchies = hierarchies_from_mounts(mounts, root, v2_controllers)
    features = probe_features(hierarchies, mounts)
    return Layout(mode_of(hierarchies, root), root.rstrip("/") or "/", hierarchies, features)
