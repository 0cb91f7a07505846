"""Choose the OCI runtime: crun where it works, runc otherwise.

crun refuses a hybrid host while the v2 hierarchy holds any controller ("cgroups in hybrid
mode not supported, drop all controllers from cgroupv2"), which is what Debian's hybrid
hosts look like (`hugetlb` sits there). We read that from the cgroup layout once instead of
letting `crun create` fail for every container.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from supervisor.errors import SystemError_

RUNTIME_ENV = "SCOPEBOX_RUNTIME"
KNOWN_RUNTIMES = ("crun", "runc")


class CgroupLayout(StrEnum):
    # TODO: move to cgroupfs (its layout detection) once that lands; kept tiny here meanwhile.
    V1 = "v1"  # only v1 hierarchies
    HYBRID = "hybrid"  # v1 hierarchies plus a v2 one at /sys/fs/cgroup/unified
    UNIFIED = "unified"  # pure cgroup v2 at /sys/fs/cgroup


class RuntimeNotFoundError(SystemError_):
    """No usable OCI runtime: the message says which were tried and what to do."""


@dataclass(frozen=True)
class Runtime:
    """The OCI runtime in use."""

    name: str  # "crun", "runc" (or the basename of an explicit path)
    path: str  # absolute path of the executable


def detect_cgroup_layout(mounts_file: str = "/proc/self/mounts") -> CgroupLayout:
    """The cgroup layout of this mount namespace, read from its mount table."""
    types: dict[str, str] = {}
    with open(mounts_file, encoding="utf-8") as file:
        for line in file:
            fields = line.split()
            if len(fields) >= 3:
                types[fields[1]] = fields[2]
    if types.get("/sys/fs/cgroup") == "cgroup2":
        return CgroupLayout.UNIFIED
    if types.get("/sys/fs/cgroup/unified") == "cgroup2":
        return CgroupLayout.HYBRID
    return CgroupLayout.V1


def crun_supports(layout: CgroupLayout, cgroup_root: str = "/sys/fs/cgroup") -> bool:
    """False where crun refuses to run: a hybrid host whose v2 hierarchy has controllers."""
    if layout is not CgroupLayout.HYBRID:
        return True
    try:
        with open(
            os.path.join(cgroup_root, "unified", "cgroup.controllers"), encoding="ascii"
        ) as f:
            return not f.read().split()
    except FileNotFoundError:
        return True


def detect_runtime(
    preferred: str | None = None,
    layout: CgroupLayout | None = None,
    *,
    env: Mapping[str, str] | None = None,
    search_path: str | None = None,
    cgroup_root: str = "/sys/fs/cgroup",
) -> Runtime:
    """The runtime to use: `preferred` (`--runtime`), else $SCOPEBOX_RUNTIME, else the best found.

    A preference is a name looked up in $PATH or a path to an executable. Auto-detection
    tries crun first where crun works, runc otherwise, then the other one.
    """
    env = os.environ if env is None else env
    if layout is None:
        layout = detect_cgroup_layout()
    choice = preferred or env.get(RUNTIME_ENV) or None
    if choice is not None:
        return _explicit(choice, layout, search_path, cgroup_root, env)
    crun_ok = crun_supports(layout, cgroup_root)
    order = ("crun", "runc") if crun_ok else ("runc",)
    for name in order:
        path = shutil.which(name, path=search_path)
        if path is not None:
            return Runtime(name, os.path.abspath(path))
    hint = "" if crun_ok else " (crun cannot run on this hybrid cgroup host)"
    raise RuntimeNotFoundError(
        f"no OCI runtime found: install runc or crun{hint}, or set {RUNTIME_ENV}"
    )


def _explicit(choice: str, layout: CgroupLayout, search_path: str | None, root: str,
              env: Mapping[str, str]) -> Runtime:  # fmt: skip
    if "/" in choice:
        path: str | None = choice if os.access(choice, os.X_OK) and os.path.isfile(choice) else None
    else:
        path = shutil.which(choice, path=search_path)
        if path is None:  # a name containers.conf's [engine.runtimes] gives paths for
            from supervisor.settings import runtime_paths

            # containers.conf is the process's (callers pass env={} to skip $SCOPEBOX_RUNTIME)
            path = next((p for p in runtime_paths({**os.environ, **env}, choice)
                         if os.path.isfile(p) and os.access(p, os.X_OK)), None)  # fmt: skip
    if path is None:
        # the name in double quotes, as Podman's `OCI runtime "x" not found`
        raise RuntimeNotFoundError(f'OCI runtime "{choice}" not found or not executable')
    name = os.path.basename(path)
    if name == "crun" and not crun_supports(layout, root):
        raise RuntimeNotFoundError(
            "crun does not support this hybrid cgroup host (the cgroup v2 hierarchy holds "
            "controllers); use --runtime runc"
        )
    return Runtime(name, os.path.abspath(path))
