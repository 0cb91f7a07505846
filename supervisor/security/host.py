"""What the security flags need from the host: device nodes, profile files, the engine's own
capabilities, AppArmor. The only impure part of the package."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence

from supervisor.security import caps as capmod
from supervisor.security.config import DeviceNode, SecurityFacts, split_device

# Under /dev but not devices to hand over: the container gets its own of these.
_SKIP_DIRS = ("/dev/pts", "/dev/shm", "/dev/mqueue")
_SKIP = ("/dev/console",)


def device_node(path: str) -> DeviceNode | None:
    """The node at `path` (symlinks followed), None when it is not a device."""
    st = os.stat(path)
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        return None
    return DeviceNode(path, kind, os.major(st.st_rdev), os.minor(st.st_rdev), st.st_mode,
                      st.st_uid, st.st_gid)


def devices_at(path: str) -> tuple[DeviceNode, ...] | str:
    """A device, or every device below a directory (`--device /dev/dri`); else the error."""
    try:
        node = device_node(path)
    except FileNotFoundError:
        return f"stat {path}: no such file or directory"
    except OSError as exc:
        return f"stat {path}: {exc.strerror}"
    if node is not None:
        return (node,)
    if not os.path.isdir(path):
        return f"{path} is not a device node"
    return tuple(_walk(path))


def _walk(top: str) -> list[DeviceNode]:
    out: list[DeviceNode] = []
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if os.path.join(root, d) not in _SKIP_DIRS)
        for name in sorted(files):
            path = os.path.join(root, name)
            if path in _SKIP or os.path.islink(path):
                continue
            try:
                node = device_node(path)
            except OSError:
                continue
            if node is not None:
                out.append(node)
    return out


def host_devices() -> tuple[DeviceNode, ...]:
    """Every device node of the host's /dev (--privileged)."""
    return tuple(_walk("/dev"))


def apparmor_enabled() -> bool:
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().strip() == "Y"
    except OSError:
        return False


def gather(devices: Sequence[str], security_opt: Sequence[str],
           seccomp_profile: str | None) -> SecurityFacts:
    """The facts for these flags only (nothing is read that the flags do not name)."""
    from supervisor.errors import UsageError
    from supervisor.security import seccomp

    found = {}
    for item in devices:
        try:
            host = split_device(item)[0]
        except UsageError:
            continue  # validation says why
        found[host] = devices_at(host)
    paths = [o.partition("=")[2] for o in security_opt if o.startswith("seccomp=")]
    if seccomp_profile:
        paths.append(seccomp_profile)
    profiles: dict[str, object] = {}
    for path in paths:
        if path and path != "unconfined":
            try:
                profiles[path] = seccomp.load(path)
            except UsageError as exc:
                profiles[path] = str(exc)
    wants_apparmor = any(o.startswith("apparmor=") for o in security_opt)
    return SecurityFacts(
        bounding=capmod.own_bounding(),
        devices=found,
        profiles=profiles,  # type: ignore[arg-type]
        apparmor=apparmor_enabled() if wants_apparmor else False,
    )


def conf_defaults(env: Mapping[str, str]) -> tuple[list[str] | None, str | None]:
    """containers.conf's `[containers] default_capabilities` and `seccomp_profile` (the last
    file that sets each wins, as for the other keys; see supervisor.settings, whose
    create_conf_values reads them through supervisor.tomlcache)."""
    from supervisor.errors import UsageError
    from supervisor.settings import create_conf_values

    caps: list[str] | None = None
    profile: str | None = None
    for path, section in create_conf_values(env):
        if "default_capabilities" in section:
            value = section["default_capabilities"]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{path}: [containers] default_capabilities must be a list of"
                                 " strings")
            caps = value
        if "seccomp_profile" in section:
            value = section["seccomp_profile"]
            if not isinstance(value, str):
                raise UsageError(f"{path}: [containers] seccomp_profile must be a string")
            profile = value
    return caps, profile
