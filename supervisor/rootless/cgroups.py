"""Resource limits rootless (issue 17): cgroup v2 controllers delegated by systemd.

On a pure cgroup v2 host systemd delegates controllers to each user's manager
(`user@UID.service`'s `Delegate=`, Debian's: `pids memory cpu`). The runtime's own systemd
driver (`--systemd-cgroup`, as root) then asks the user's manager, over the user's D-Bus
(`$XDG_RUNTIME_DIR/bus`, the dbus-user-session package), for the container's
`scopebox-<id>.scope` with the limits as unit properties, before the container's process runs:
Podman's rootless path on cgroup v2. On a v1/hybrid host nothing is delegated to a user, so
limits are refused (Podman ignores them there with a warning).

Standard library only: asked at every rootless create and launch.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

from supervisor.resources import ResourceOptions

# Which controller each limit needs (the fields of ResourceOptions; a field not named here
# needs none rootless can give).
_CONTROLLER = {
    "memory": "memory", "memory_swap": "memory", "memory_reservation": "memory",
    "memory_swappiness": "memory",
    "cpus": "cpu", "cpu_shares": "cpu", "cpu_quota": "cpu", "cpu_period": "cpu",
    "cpu_rt_period": "cpu", "cpu_rt_runtime": "cpu",
    "cpuset_cpus": "cpuset", "cpuset_mems": "cpuset",
    "pids_limit": "pids",
    "blkio_weight": "io", "blkio_weight_device": "io", "device_read_bps": "io",
    "device_write_bps": "io", "device_read_iops": "io", "device_write_iops": "io",
}  # fmt: skip


def unified() -> bool:
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def user_bus(env: Mapping[str, str]) -> str | None:
    """The user's D-Bus socket, where runc and crun look for it (a unix: path in
    DBUS_SESSION_BUS_ADDRESS, else `$XDG_RUNTIME_DIR/bus`), when it is a socket."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
    path = ""
    for part in address.split(";")[0].partition(":")[2].split(","):
        if part.startswith("path="):
            path = part.removeprefix("path=")
    if not path and env.get("XDG_RUNTIME_DIR"):
        path = os.path.join(env["XDG_RUNTIME_DIR"], "bus")
    try:
        return path if path and stat.S_ISSOCK(os.stat(path).st_mode) else None
    except OSError:
        return None


def manager_cgroup(uid: int) -> str:
    """The user's manager's cgroup directory (systemd's fixed layout)."""
    return f"/sys/fs/cgroup/user.slice/user-{uid}.slice/user@{uid}.service"


def delegated(uid: int) -> frozenset[str]:
    """The controllers systemd delegated to the user's manager (none on v1/hybrid)."""
    try:
        with open(os.path.join(manager_cgroup(uid), "cgroup.controllers"), encoding="ascii") as f:
            return frozenset(f.read().split())
    except OSError:
        return frozenset()


def runtime_makes_scope(env: Mapping[str, str], systemd_manager: bool) -> bool:
    """Rootless with the systemd cgroup manager on cgroup v2 and a user bus: the runtime's
    systemd driver makes the container's scope in the user's manager (with the limits), as
    runc's does as root; otherwise the spec names no cgroup and the engine moves the
    container into its scope itself (supervisor/container/launch.py)."""
    return systemd_manager and unified() and user_bus(env) is not None


def needed(opts: ResourceOptions) -> list[str]:
    """The controllers the limits asked need, in a stable order."""
    wanted = {c for name, c in _CONTROLLER.items() if getattr(opts, name) not in (None, ())}
    return sorted(wanted)


def why_refused(opts: ResourceOptions, env: Mapping[str, str], uid: int, user: str,
                systemd_manager: bool) -> str:
    """One line: why these limits cannot be set rootless; "" when they can."""
    if not unified():
        return ("resource limits (--memory, --cpus, --pids-limit, ...) cannot be set rootless"
                " on a cgroup v1 or hybrid host: no controller is delegated to a user there"
                " (Podman ignores them with a warning); run without them, or as root")
    if not systemd_manager:
        return ("resource limits rootless need the systemd cgroup manager (the user's systemd"
                " delegates the controllers): not --cgroup-manager=cgroupfs, and a user session"
                f" (as root: `loginctl enable-linger {user}`)")
    if user_bus(env) is None:
        return ("resource limits rootless need the user's D-Bus"
                f" ({os.path.join(env.get('XDG_RUNTIME_DIR', '$XDG_RUNTIME_DIR'), 'bus')}"
                " is missing): install dbus-user-session and log in again")
    missing = [c for c in needed(opts) if c not in delegated(uid)]
    if missing:
        return (f"the {' and '.join(missing)} controller{'s are' if len(missing) > 1 else ' is'}"
                f" not delegated to {user!r} by systemd ({manager_cgroup(uid)}/"
                "cgroup.controllers): add it to Delegate= of user@.service in a drop-in")
    return ""
