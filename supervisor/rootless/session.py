"""The user's systemd (issue 17): rootless containers supervised by the user's own manager.

With systemd as PID 1 and a running `user@UID.service` (a login session, or linger), the
user's manager listens on `$XDG_RUNTIME_DIR/systemd/private`, a socket only the user may
open. Rootless scopebox talks to it as rootful scopebox talks to PID 1: the monitor's
`scopebox-conmon-<id>.scope`, the container's `scopebox-<id>.scope` and, with a restart
policy, `scopebox-<id>.service` are the user's units (`systemctl --user`), the container's
output goes to journald under the user's uid (`journalctl --user`). Without one, the
cgroupfs manager and the k8s-file log driver, as on a host without systemd; what needs a
manager (`--restart`, `--log-driver journald`) says why there is none in one line.

Standard library only: `Settings.from_env` asks `socket_path` at every rootless CLI start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

BOOTED_MARKER = "/run/systemd/system"
DEFAULT_SLICE = "user.slice"  # Podman's rootless containers live in the user's user.slice


def socket_path(env: Mapping[str, str]) -> str | None:
    """The user's manager's private socket when systemd runs and the socket is there."""
    xdg = env.get("XDG_RUNTIME_DIR")
    if not xdg or not os.path.isdir(BOOTED_MARKER):
        return None
    path = os.path.join(xdg, "systemd", "private")
    try:
        st = os.stat(path)
    except OSError:
        return None
    return path if stat.S_ISSOCK(st.st_mode) else None


def why_none(env: Mapping[str, str], user: str) -> str:
    """One line: why this user has no systemd manager to supervise containers."""
    if not os.path.isdir(BOOTED_MARKER):
        return "systemd is not running here"
    if not env.get("XDG_RUNTIME_DIR"):
        return (f"XDG_RUNTIME_DIR is not set, so the systemd user manager of {user!r} cannot be"
                " found: log in through a session (or set XDG_RUNTIME_DIR=/run/user/$(id -u))")
    return (f"there is no systemd user session for {user!r}"
            f" ({os.path.join(env['XDG_RUNTIME_DIR'], 'systemd', 'private')} is missing):"
            f" as root, run `loginctl enable-linger {user}` to keep one running")
