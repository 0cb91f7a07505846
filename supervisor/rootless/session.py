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

import contextlib
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


# A restart policy's scopebox-<id>.service (issue 17): runc cannot make the container's scope
# rootless on a v1/hybrid host, and a container left in the service's cgroup dies with a
# killed monitor (the unit's KillMode=mixed) instead of being adopted by the next one. So the
# unit's ExecStartPost (after each READY=1: first start, restart, adoption) moves the
# container into the user manager's scopebox-<id>.scope, as runc's systemd driver does as root.
SCOPE_BOOT = (
    "import sys; sys.path[:0] = sys.argv.pop(1).split(':');"
    " from supervisor.rootless.session import scope_main;"
    " raise SystemExit(scope_main(sys.argv[1:]))"
)


def scope_command(socket: str, uid: int, slice: str, cid: str, name: str,
                  pidfile: str) -> list[str]:
    """The ExecStartPost command line: this interpreter with our package and jeepney."""
    import sys

    import jeepney

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    deps = os.path.dirname(os.path.dirname(os.path.abspath(jeepney.__file__)))
    return [sys.executable, "-I", "-S", "-c", SCOPE_BOOT, f"{here}:{deps}", socket, str(uid),
            slice, cid, name, pidfile]


def scope_main(args: list[str]) -> int:
    """Put the container (its pid in `pidfile`) in scopebox-<cid>.scope; 0 whatever happens
    (a container that already ended has nothing to move; the unit must not fail for it)."""
    import sys

    socket, uid, slice, cid, name, pidfile = args
    from units.errors import UnitExistsError, UnitsError
    from units.systemd import open_user

    try:
        with open(pidfile, encoding="ascii") as f:
            pid = int(f.read().strip())
        sd = open_user(socket, int(uid))
    except (OSError, ValueError, UnitsError) as exc:
        sys.stderr.write(f"scopebox: no scope for container {cid}: {exc}\n")
        return 0
    unit = f"scopebox-{cid}.scope"
    try:
        for last in (False, True):
            try:
                sd.start_transient_scope(unit, [pid], slice=slice,
                                         description=f"scopebox container {name}")
                return 0
            except UnitExistsError:
                if last or _in_unit(pid, unit):
                    return 0  # adopted: the container is in its scope already
                # the last run's scope, on its way out: end it and try once more
                with contextlib.suppress(UnitsError):
                    sd.stop_unit(unit, timeout=10)
                with contextlib.suppress(UnitsError):
                    sd.reset_failed_unit(unit)
    except UnitsError as exc:
        sys.stderr.write(f"scopebox: no scope for container {cid}: {exc}\n")
    finally:
        sd.close()
    return 0


def _in_unit(pid: int, unit: str) -> bool:
    try:
        with open(f"/proc/{pid}/cgroup", encoding="ascii") as f:
            return f"/{unit}\n" in f.read()
    except OSError:
        return False


def persistent_journal() -> bool:
    """journald writes a journal per user, which that user may read (`journalctl --user`,
    `scopebox logs`), only in persistent storage: /var/log/journal/<machine id>/ exists once it
    does. Rootless, journald is the default log driver only then (Podman, too, defaults to
    k8s-file when the user cannot read the journal)."""
    try:
        with open("/etc/machine-id", encoding="ascii") as f:
            machine = f.read().strip()
    except OSError:
        return False
    return bool(machine) and os.path.isdir(os.path.join("/var/log/journal", machine))
