"""Rootless mode (issue 17): who the user is outside the user namespace, and where their
store lives.

A process is rootless when its effective uid is not root, or when it runs in a user
namespace whose root is not the host's root (the engine joined the user's namespace, see
`supervisor/rootless/userns.py`; the monitor, its exit command and every other child inherit
it). `/proc/self/uid_map` tells which: the host's root sees `0 0 4294967295`.

Standard library only, no heavy imports: `Settings.from_env` asks this at every CLI start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

_IDENTITY = (0, 0, 4294967295)


def outer_uid() -> int | None:
    """The host uid of this process's effective uid when rootless; None for the host's root."""
    euid = os.geteuid()
    try:
        with open("/proc/self/uid_map", encoding="ascii") as f:
            lines = f.read().split("\n")
    except OSError:
        return None if euid == 0 else euid
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        inner, outer, count = (int(p) for p in parts)
        if (inner, outer, count) == _IDENTITY:
            return None if euid == 0 else euid
        if inner <= euid < inner + count:
            return outer + euid - inner
    return euid


def is_rootless() -> bool:
    return outer_uid() is not None


def in_user_namespace() -> bool:
    """True when this process already runs in a user namespace other than the host's."""
    try:
        with open("/proc/self/uid_map", encoding="ascii") as f:
            first = f.readline().split()
    except OSError:
        return False
    return tuple(int(p) for p in first) != _IDENTITY


def data_dir(env: Mapping[str, str]) -> str:
    """`$XDG_DATA_HOME/scopebox`, else `~/.local/share/scopebox` (Podman's
    `~/.local/share/containers/storage`)."""
    base = env.get("XDG_DATA_HOME") or os.path.join(_home(env), ".local", "share")
    return os.path.join(base, "scopebox")


def runtime_dir(env: Mapping[str, str], uid: int) -> str:
    """`$XDG_RUNTIME_DIR/scopebox` when that directory exists and is the user's, else
    `/tmp/scopebox-run-UID` (as Podman's `/tmp/podman-run-UID`)."""
    xdg = env.get("XDG_RUNTIME_DIR")
    if xdg:
        try:
            st = os.stat(xdg)
        except OSError:
            st = None
        if st is not None and st.st_uid == os.geteuid():
            return os.path.join(xdg, "scopebox")
    return f"/tmp/scopebox-run-{uid}"


def _home(env: Mapping[str, str]) -> str:
    home = env.get("HOME")
    if home:
        return home
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_dir
    except KeyError:
        return "/"


def user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def limits_refused() -> str:
    """Why `update` cannot change a rootless container's limits, in one line (on cgroup v2
    one whose scope the runtime made can: supervisor/rootless/cgroups.py)."""
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return ("resource limits (--memory, --cpus, --pids-limit, ...) cannot be set rootless on"
                " a cgroup v1 or hybrid host: no controller is delegated to a user there (Podman"
                " ignores them with a warning); run without them, or as root")
    return ("this rootless container has no cgroup of its own to update (it was made"
            " without the user's systemd and D-Bus on cgroup v2): recreate it there")


def refuse_without_cgroup_v2(message: str) -> None:
    """Rootless on a cgroup v1/hybrid host a container has no cgroup of its own with
    controllers (nothing is delegated to a user there): what reads or drives one (stats,
    pause, update) is refused in one line, with Podman's words, rather than reading or
    freezing the user's whole cgroup or failing on a permission."""
    if is_rootless() and not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        from supervisor.errors import UsageError

        raise UsageError(message)
