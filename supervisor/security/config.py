"""The security part of a container: parsed from the flags, stored, turned into the spec's.

`validate` (pure) turns `--cap-add/--cap-drop/--privileged/--device/--device-cgroup-rule/
--security-opt` into a `SecurityConfig` (stored with the container); `spec_security` (pure
but for the facts passed in) makes what the OCI config gets at each start.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from supervisor.errors import UsageError
from supervisor.security import caps as capmod

# Podman 4.3's defaults (containers/common): hidden and read-only parts of /proc and /sys.
MASKED_PATHS: tuple[str, ...] = (
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/fs/selinux",
    "/sys/dev/block",
)
READONLY_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)
SECURITY_OPTS = (
    "apparmor", "label", "mask", "no-new-privileges", "proc-opts", "seccomp", "systempaths",
    "unmask",
)  # fmt: skip


@dataclass(frozen=True)
class DeviceNode:
    """A host device node as stat(2) sees it."""

    path: str
    type: str  # "c" or "b"
    major: int
    minor: int
    mode: int  # st_mode (type and permission bits: OCI's fileMode)
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Device:
    """One `--device`: a host node made at `container` with cgroup access `access`."""

    host: str
    container: str
    access: str
    node: DeviceNode


@dataclass(frozen=True)
class DeviceRule:
    """One `--device-cgroup-rule` ("c 1:3 rwm"); -1 stands for `*`."""

    type: str
    major: int
    minor: int
    access: str

    def to_oci(self) -> dict[str, Any]:
        out: dict[str, Any] = {"allow": True, "type": self.type}
        if self.major >= 0:
            out["major"] = self.major
        if self.minor >= 0:
            out["minor"] = self.minor
        out["access"] = self.access
        return out


@dataclass(frozen=True)
class SecurityFacts:
    """What validation needs from the host, gathered by `security.host.gather`."""

    bounding: tuple[str, ...] = capmod.CAPABILITIES  # what `all` stands for
    devices: Mapping[str, tuple[DeviceNode, ...] | str] = field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any] | str] = field(default_factory=dict)
    apparmor: bool = False


@dataclass(frozen=True)
class SecurityConfig:
    """Stored with the container (every field has a default: older rows decode without)."""

    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    default_caps: tuple[str, ...] = capmod.DEFAULT
    available_caps: tuple[str, ...] = capmod.CAPABILITIES  # the engine's bounding set at create
    privileged: bool = False
    no_new_privileges: bool = False
    seccomp: str = "default"  # default | unconfined | the profile file's path
    seccomp_profile: Mapping[str, Any] | None = None  # that file's content, read at create
    apparmor: str = ""
    labels: tuple[str, ...] = ()
    mask: tuple[str, ...] = ()
    unmask: tuple[str, ...] = ()  # "ALL" or paths
    systempaths_unconfined: bool = False
    proc_opts: tuple[str, ...] = ()
    devices: tuple[Device, ...] = ()
    device_rules: tuple[DeviceRule, ...] = ()
    security_opt: tuple[str, ...] = ()  # HostConfig.SecurityOpt (Podman shows some of them)

    def bounding(self) -> list[str]:
        if self.privileged:
            return sorted(self.available_caps)
        return capmod.merge(self.default_caps, self.cap_add, self.cap_drop, self.available_caps)

    def process_caps(self, user: str) -> capmod.ProcessCaps:
        return capmod.process_caps(
            self.bounding(), self.cap_add, capmod.is_root_user(user), self.available_caps
        )


# parsing --------------------------------------------------------------------------------------


def parse_security_opts(items: Sequence[str], facts: SecurityFacts) -> dict[str, Any]:
    """`--security-opt` values as SecurityConfig fields; unknown ones are refused."""
    out: dict[str, Any] = {"labels": [], "mask": [], "unmask": [], "proc_opts": [], "shown": []}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq and ":" in item:  # Docker's older KEY:VALUE form, which Podman accepts too
            key, eq, value = item.partition(":")
        if key == "no-new-privileges":
            out["no_new_privileges"] = _bool_opt(item, value) if eq else True
            if out["no_new_privileges"]:
                out["shown"].append("no-new-privileges")
        elif not eq:
            raise UsageError(f'invalid --security-opt "{item}": expected KEY=VALUE'
                             f" ({', '.join(SECURITY_OPTS)})")
        elif key == "seccomp":
            out["seccomp"] = _seccomp(value, facts)
            out["shown"].append(item)
        elif key == "apparmor":
            if value != "unconfined" and not facts.apparmor:
                raise UsageError(f'apparmor profile "{value}" specified, but AppArmor is not'
                                 " enabled on this system")
            out["apparmor"] = value
            out["shown"].append(item)
        elif key == "label":
            out["labels"].append(value)  # no SELinux here: accepted, nothing to apply
            out["shown"].append(item)
        elif key in ("mask", "unmask"):
            out[key] += _paths(key, value, allow_all=key == "unmask")
        elif key == "systempaths":
            if value != "unconfined":
                raise UsageError(f'invalid systempaths option "{value}", only `unconfined`'
                                 " is supported")
            out["systempaths_unconfined"] = True
        elif key == "proc-opts":
            out["proc_opts"] += [o for o in value.split(",") if o]
        else:
            raise UsageError(f'invalid --security-opt "{item}": unknown option {key!r}'
                             f" (use {', '.join(SECURITY_OPTS)})")
    return out


def _bool_opt(item: str, value: str) -> bool:
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise UsageError(f'invalid --security-opt "{item}": expected true or false')


def _seccomp(value: str, facts: SecurityFacts) -> str:
    if value in (capmod.ALL.lower(), "unconfined"):
        return "unconfined"
    if not value:
        raise UsageError('invalid --security-opt "seccomp=": name a profile file or unconfined')
    found = facts.profiles.get(value)
    if isinstance(found, str) or found is None:
        raise UsageError(found or f"seccomp profile {value!r} was not read")
    return value


def _paths(key: str, value: str, allow_all: bool) -> list[str]:
    if allow_all and value == "ALL":
        return ["ALL"]
    out = []
    for path in value.split(":"):
        if not path.startswith("/"):
            raise UsageError(f'invalid --security-opt "{key}={value}": {path!r} is not an'
                             " absolute path")
        out.append(posixpath.normpath(path))
    return out


def valid_access(mode: str) -> bool:
    return bool(mode) and all(c in "rwm" for c in mode) and len(set(mode)) == len(mode)


def split_device(value: str) -> tuple[str, str, str]:
    """`HOST[:CONTAINER][:PERMISSIONS]` as Podman reads it."""
    parts = value.split(":")
    host, ctr, access = parts[0], parts[0], "rwm"
    if len(parts) == 2:
        if valid_access(parts[1]):
            access = parts[1]
        elif parts[1].startswith("/"):
            ctr = parts[1]
        else:
            raise UsageError(f"invalid device mode: {parts[1]}")
    elif len(parts) == 3:
        if not parts[1].startswith("/"):
            raise UsageError(f"invalid --device {value!r}: the container path must be absolute")
        ctr = parts[1]
        if not valid_access(parts[2]):
            raise UsageError(f"invalid device mode: {parts[2]}")
        access = parts[2]
    elif len(parts) > 3:
        raise UsageError(f"invalid device specification: {value}")
    if not host.startswith("/"):
        raise UsageError(f"stat {host}: no such file or directory")
    return host, posixpath.normpath(ctr), access


def parse_devices(items: Sequence[str], facts: SecurityFacts) -> list[Device]:
    out = []
    for item in items:
        host, ctr, access = split_device(item)
        found = facts.devices.get(host)
        if isinstance(found, str) or found is None:
            raise UsageError(found or f"stat {host}: not examined")
        for node in found:
            rel = posixpath.relpath(node.path, host)
            where = ctr if rel == "." else posixpath.join(ctr, rel)
            out.append(Device(node.path, where, access, node))
    return out


def parse_device_rule(rule: str) -> DeviceRule:
    """`--device-cgroup-rule 'c 1:3 rwm'` (Docker's and Podman's syntax; a lone major, `c 1
    rwm`, means any minor, as in Podman). Errors in Podman's words."""
    parts = rule.split(" ")
    if len(parts) != 3:
        raise UsageError("invalid device cgroup rule requires type, major:Minor, and access"
                         f' rules: "{rule}"')
    kind, numbers, access = parts
    if kind not in ("a", "b", "c"):
        raise UsageError(f"invalid device type in device-access-add: {kind}")
    major, colon, minor = numbers.partition(":")
    for n in (major, minor) if colon else (major,):
        if n != "*" and not (n.isascii() and n.isdigit()):
            raise UsageError(f'strconv.ParseUint: parsing "{n}": invalid syntax')
    for c in access:
        if c not in "rwm":
            raise UsageError(f"invalid device access in device-access-add: {c}")
    if not access:
        raise UsageError(f"invalid device cgroup rule {rule!r}: access is a combination of r,"
                         " w and m")
    return DeviceRule(kind, -1 if major == "*" else int(major),
                      -1 if minor in ("*", "") else int(minor), "".join(dict.fromkeys(access)))


def validate(
    *,
    cap_add: Sequence[str],
    cap_drop: Sequence[str],
    privileged: bool,
    devices: Sequence[str],
    device_cgroup_rules: Sequence[str],
    security_opt: Sequence[str],
    default_caps: Sequence[str] | None,
    seccomp_profile: str | None,
    facts: SecurityFacts,
) -> SecurityConfig:
    """Every security flag checked before anything is made."""
    add = capmod.normalise_all(cap_add)
    drop = capmod.normalise_all(cap_drop)
    defaults = capmod.normalise_all(default_caps) if default_caps is not None else capmod.DEFAULT
    capmod.merge(defaults, add, drop, facts.bounding)  # refuses "dropped and added"
    opts = parse_security_opts(security_opt, facts)
    seccomp = opts.get("seccomp")
    if seccomp is None and seccomp_profile:  # containers.conf's seccomp_profile
        seccomp = _seccomp(seccomp_profile, facts)
    seccomp = seccomp or "default"
    profile = facts.profiles.get(seccomp) if seccomp not in ("default", "unconfined") else None
    return SecurityConfig(
        cap_add=tuple(add),
        cap_drop=tuple(drop),
        default_caps=tuple(defaults),
        available_caps=tuple(facts.bounding),
        privileged=privileged,
        no_new_privileges=bool(opts.get("no_new_privileges", False)),
        seccomp=seccomp,
        seccomp_profile=profile if isinstance(profile, Mapping) else None,
        apparmor=str(opts.get("apparmor", "")),
        labels=tuple(opts["labels"]),
        mask=tuple(opts["mask"]),
        unmask=tuple(opts["unmask"]),
        systempaths_unconfined=bool(opts.get("systempaths_unconfined", False)),
        proc_opts=tuple(opts["proc_opts"]),
        devices=tuple(parse_devices(devices, facts)),
        device_rules=tuple(parse_device_rule(r) for r in device_cgroup_rules),
        security_opt=tuple(sorted(opts["shown"])),  # Podman lists them sorted
    )


# what the OCI config gets ---------------------------------------------------------------------


@dataclass(frozen=True)
class SpecSecurity:
    """The security parts of one OCI config (the defaults are an unprivileged container's)."""

    capabilities: Mapping[str, list[str]] = field(
        default_factory=lambda: capmod.ProcessCaps(capmod.DEFAULT, capmod.DEFAULT).to_oci()
    )
    no_new_privileges: bool = False
    apparmor: str = ""
    seccomp: Mapping[str, Any] | None = None
    masked: tuple[str, ...] = MASKED_PATHS
    readonly: tuple[str, ...] = READONLY_PATHS
    devices: tuple[Mapping[str, Any], ...] = ()  # linux.devices
    device_rules: tuple[Mapping[str, Any], ...] = ()  # linux.resources.devices after deny-all
    allow_all_devices: bool = False
    writable_sys: bool = False  # --privileged: /sys and /sys/fs/cgroup read-write
    proc_opts: tuple[str, ...] = ()


def masked_and_readonly(cfg: SecurityConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if cfg.privileged or cfg.systempaths_unconfined:
        return (), ()
    if "ALL" in cfg.unmask:
        return tuple(cfg.mask), ()
    gone = set(cfg.unmask)
    masked = tuple(p for p in MASKED_PATHS if p not in gone) + tuple(
        p for p in cfg.mask if p not in MASKED_PATHS
    )
    return masked, tuple(p for p in READONLY_PATHS if p not in gone)


def spec_security(
    cfg: SecurityConfig,
    user: str,
    seccomp: Mapping[str, Any] | None,
    host_devices: Sequence[DeviceNode] = (),
    apparmor_enabled: bool = False,
) -> SpecSecurity:
    """`seccomp`: the rendered profile (None: unconfined); `host_devices`: every node of the
    host's /dev, for --privileged."""
    masked, readonly = masked_and_readonly(cfg)
    devices = [_oci_device(d.node, d.container) for d in cfg.devices]
    rules = [
        DeviceRule(d.node.type, d.node.major, d.node.minor, d.access).to_oci() for d in cfg.devices
    ] + [r.to_oci() for r in cfg.device_rules]
    if cfg.privileged:
        taken = {d["path"] for d in devices}
        devices += [_oci_device(n, n.path) for n in host_devices if n.path not in taken]
    apparmor = cfg.apparmor if apparmor_enabled and cfg.apparmor != "unconfined" else ""
    return SpecSecurity(
        capabilities=cfg.process_caps(user).to_oci(),
        no_new_privileges=cfg.no_new_privileges,
        apparmor=apparmor,
        seccomp=seccomp,
        masked=masked,
        readonly=readonly,
        devices=tuple(devices),
        device_rules=tuple(rules),
        allow_all_devices=cfg.privileged,
        writable_sys=cfg.privileged,
        proc_opts=cfg.proc_opts,
    )


def _oci_device(node: DeviceNode, path: str) -> dict[str, Any]:
    return {
        "path": path,
        "type": node.type,
        "major": node.major,
        "minor": node.minor,
        "fileMode": node.mode,
        "uid": node.uid,
        "gid": node.gid,
    }


def wants_seccomp(cfg: SecurityConfig) -> bool:
    """--privileged and seccomp=unconfined run without a filter (an explicit file still wins)."""
    if cfg.seccomp == "unconfined":
        return False
    return not (cfg.privileged and cfg.seccomp == "default")


def inspect_fields(cfg: SecurityConfig, user: str) -> dict[str, Any]:
    """Podman's inspect keys for this part (top level and HostConfig)."""
    bounding = cfg.bounding()
    proc = cfg.process_caps(user)
    add, drop = capmod.inspect_add_drop(bounding, cfg.privileged)
    return {
        "EffectiveCaps": list(proc.effective) or None,
        "BoundingCaps": list(proc.bounding) or None,
        "HostConfig": {
            "CapAdd": add,
            "CapDrop": drop,
            "Privileged": cfg.privileged,
            "SecurityOpt": list(cfg.security_opt),
            "Devices": [
                {"PathOnHost": d.host, "PathInContainer": d.container, "CgroupPermissions": ""}
                for d in cfg.devices
            ],
        },
    }
