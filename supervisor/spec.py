"""Build the OCI runtime `config.json` of a container (pure: no I/O beyond what is passed in).

Defaults follow Podman's (capabilities, masked/read-only paths, the /dev, /dev/shm, /sys
mounts, pids limit 2048), with one difference forced by real sandboxes: default rlimits are
capped at the caller's hard limits, and an explicit `--ulimit` above them is an error here
rather than the runtime's opaque "error setting rlimit type 7".
"""

from __future__ import annotations

import posixpath
import re
import resource
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, NamedTuple

from supervisor.errors import UsageError
from supervisor.security.caps import DEFAULT as DEFAULT_CAPS
from supervisor.security.config import MASKED_PATHS as _MASKED
from supervisor.security.config import READONLY_PATHS as _READONLY
from supervisor.security.config import SpecSecurity

OCI_VERSION = "1.0.2"

# OCI rlimits are uint64; the kernel's RLIM_INFINITY is all ones.
RLIM_INFINITY = 2**64 - 1

# Podman's defaults, kept with the security model (one list each).
DEFAULT_CAPABILITIES = DEFAULT_CAPS
MASKED_PATHS = _MASKED
READONLY_PATHS = _READONLY

DEFAULT_PIDS_LIMIT = 2048
DEFAULT_STOP_TIMEOUT = 10
DEFAULT_UMASK = 0o022
# Podman's defaults before capping: nofile 1M, nproc the kernel's pid_max ceiling.
DEFAULT_NOFILE = 1048576
DEFAULT_NPROC = 4194304

# Docker's --ulimit names -> the kernel's RLIMIT_* names.
ULIMIT_NAMES: Mapping[str, str] = {
    "as": "RLIMIT_AS",
    "core": "RLIMIT_CORE",
    "cpu": "RLIMIT_CPU",
    "data": "RLIMIT_DATA",
    "fsize": "RLIMIT_FSIZE",
    "locks": "RLIMIT_LOCKS",
    "memlock": "RLIMIT_MEMLOCK",
    "msgqueue": "RLIMIT_MSGQUEUE",
    "nice": "RLIMIT_NICE",
    "nofile": "RLIMIT_NOFILE",
    "nproc": "RLIMIT_NPROC",
    "rss": "RLIMIT_RSS",
    "rtprio": "RLIMIT_RTPRIO",
    "rttime": "RLIMIT_RTTIME",
    "sigpending": "RLIMIT_SIGPENDING",
    "stack": "RLIMIT_STACK",
}

SYSTEMD_TIMEOUT_STOP = "org.systemd.property.TimeoutStopUSec"
SYSTEMD_COLLECT_MODE = "org.systemd.property.CollectMode"


class SpecError(UsageError):
    """The user's container options cannot become a valid runtime config (one-line message)."""


class NetworkMode(StrEnum):
    NONE = "none"  # a new network namespace holding only loopback
    HOST = "host"  # the host's network namespace
    # networking (issue 13): a namespace made by scopebox (bridge) or joined (container:, ns:)
    BRIDGE = "bridge"
    CONTAINER = "container"
    NS = "ns"
    PASTA = "pasta"  # rootless (issue 17): a namespace of the container's, pasta's tap in it
    SLIRP4NETNS = "slirp4netns"  # rootless: the same, slirp4netns's tap0 in it


@dataclass(frozen=True)
class Mount:
    """One OCI mount of the spec."""

    destination: str
    source: str
    type: str
    options: tuple[str, ...] = ()

    def to_oci(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "type": self.type,
            "source": self.source,
            "options": list(self.options),
        }


class Ulimit(NamedTuple):
    """One `--ulimit`; a tuple so that it stores as `[name, soft, hard]` and loads back."""

    name: str  # Docker's short name: "nofile"
    soft: int  # RLIM_INFINITY for unlimited
    hard: int

    @property
    def rlimit_type(self) -> str:
        return ULIMIT_NAMES[self.name]


@dataclass(frozen=True)
class SpecOptions:
    """What the OCI spec is made from."""

    args: Sequence[str]
    rootfs: str
    cgroups_path: str
    env: Sequence[str] = ()  # "K=V", already merged by the caller
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    additional_gids: Sequence[int] = ()
    hostname: str = ""
    readonly_rootfs: bool = False
    readonly_tmpfs: bool = True  # misc (issue 19): --read-only-tmpfs (with readonly_rootfs)
    mounts: Sequence[Mount] = ()  # -v and --tmpfs, after the defaults (they win on conflicts)
    # Container path -> host path, e.g. {"/etc/hosts": "$ROOT/containers/<id>/hosts"}.
    etc_files: Mapping[str, str] = field(default_factory=dict)
    network: NetworkMode = NetworkMode.NONE
    systemd_cgroup: bool = False
    ulimits: Sequence[Ulimit] = ()
    # The caller's hard limits by RLIMIT_* name (see `caller_hard_limits`); absent = unlimited.
    hard_limits: Mapping[str, int] = field(default_factory=dict)
    stop_timeout: int = DEFAULT_STOP_TIMEOUT
    annotations: Mapping[str, str] = field(default_factory=dict)
    pids_limit: int | None = DEFAULT_PIDS_LIMIT  # None or <= 0: unlimited (Docker's -1)
    # linux.resources besides devices and pids (memory, cpu, blockIO), already validated.
    resources: Mapping[str, Any] = field(default_factory=dict)
    unified: bool = False  # pure cgroup v2: systemd's property names differ (MemoryMax, ...)
    # capabilities, seccomp, devices, masked paths (supervisor/security)
    security: SpecSecurity = field(default_factory=SpecSecurity)
    netns_path: str = ""  # networking: the network namespace to join (bridge, container:, ns:)

    def __post_init__(self) -> None:
        # Accept the plain strings a stored config holds ("none"), refuse unknown modes early.
        try:
            object.__setattr__(self, "network", NetworkMode(self.network))
        except ValueError:
            modes = ", ".join(m.value for m in NetworkMode)
            raise SpecError(f"unsupported network mode {self.network!r} (use {modes})") from None
        if self.systemd_cgroup and self.cgroups_path.count(":") != 2:
            raise SpecError(
                f"cgroups path {self.cgroups_path!r} must be slice:prefix:name for systemd"
            )


def caller_hard_limits() -> dict[str, int]:
    """This process's hard rlimits by RLIMIT_* name, RLIM_INFINITY mapped to the uint64 form."""
    limits: dict[str, int] = {}
    for rtype in ULIMIT_NAMES.values():
        number = getattr(resource, rtype, None)
        if number is None:
            continue
        hard = resource.getrlimit(number)[1]
        limits[rtype] = RLIM_INFINITY if hard == resource.RLIM_INFINITY else hard
    return limits


def build_spec(opts: SpecOptions) -> dict[str, Any]:
    """The OCI runtime config for `opts`; raises SpecError for options no runtime accepts."""
    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": _process(opts),
        "root": {"path": opts.rootfs, "readonly": opts.readonly_rootfs},
        "mounts": [m.to_oci() for m in _mounts(opts)],
        "linux": _linux(opts),
    }
    if opts.hostname:
        spec["hostname"] = opts.hostname
    annotations = _annotations(opts)
    if annotations:
        spec["annotations"] = annotations
    return spec


def _process(opts: SpecOptions) -> dict[str, Any]:
    if not opts.args:
        raise SpecError("no command specified")
    if not opts.cwd.startswith("/"):
        raise SpecError(f"working directory must be an absolute path: {opts.cwd!r}")
    user: dict[str, Any] = {"uid": opts.uid, "gid": opts.gid, "umask": DEFAULT_UMASK}
    if opts.additional_gids:
        user["additionalGids"] = list(opts.additional_gids)
    process: dict[str, Any] = {
        "terminal": False,  # stdio are the monitor's pipes
        "user": user,
        "args": list(opts.args),
        "env": list(opts.env),
        "cwd": opts.cwd,
        # Podman leaves inheritable and ambient empty for root (supervisor/security/caps.py).
        "capabilities": {k: list(v) for k, v in opts.security.capabilities.items()},
        "rlimits": _rlimits(opts),
    }
    # security (supervisor/security)
    if opts.security.no_new_privileges:
        process["noNewPrivileges"] = True
    if opts.security.apparmor:
        process["apparmorProfile"] = opts.security.apparmor
    return process


def _rlimits(opts: SpecOptions) -> list[dict[str, Any]]:
    def cap(rtype: str, wanted: int) -> int:
        return min(wanted, opts.hard_limits.get(rtype, RLIM_INFINITY))

    limits: dict[str, tuple[int, int]] = {}
    for rtype, default in (("RLIMIT_NOFILE", DEFAULT_NOFILE), ("RLIMIT_NPROC", DEFAULT_NPROC)):
        value = cap(rtype, default)
        limits[rtype] = (value, value)
    ulimits = [Ulimit(*u) for u in opts.ulimits]  # plain [name, soft, hard] from the store too
    check_ulimits(ulimits, opts.hard_limits)
    for ulimit in ulimits:
        limits[ulimit.rlimit_type] = (ulimit.soft, ulimit.hard)
    return [{"type": t, "soft": soft, "hard": hard} for t, (soft, hard) in limits.items()]


def check_ulimits(ulimits: Sequence[Ulimit], hard_limits: Mapping[str, int] | None = None) -> None:
    """Refuse limits above the hard limits (default: this process's) before any runtime does.

    Even root may not raise them in some sandboxes, where runc then fails with the opaque
    "error setting rlimit type 7".
    """
    allowed_by_type = caller_hard_limits() if hard_limits is None else hard_limits
    for ulimit in ulimits:
        allowed = allowed_by_type.get(ulimit.rlimit_type, RLIM_INFINITY)
        if ulimit.hard > allowed:
            raise SpecError(
                f"ulimit {ulimit.name}: hard limit {_fmt_limit(ulimit.hard)} exceeds "
                f"this engine's own hard limit {_fmt_limit(allowed)}"
            )


def _fmt_limit(value: int) -> str:
    return "unlimited" if value == RLIM_INFINITY else str(value)


# misc (issue 19): --read-only with --read-only-tmpfs (the default), as Podman 4.3 mounts them:
# writable scratch places on a read-only root, keeping what the image has there (tmpcopyup).
READONLY_TMPFS = ("/run", "/tmp", "/var/tmp")
READONLY_TMPFS_OPTIONS = ("rw", "rprivate", "nosuid", "nodev", "tmpcopyup")


def _default_mounts(opts: SpecOptions) -> list[Mount]:
    sec = opts.security  # --privileged: /sys read-write; proc-opts= (supervisor/security)
    mounts = [
        Mount("/proc", "proc", "proc", ("nosuid", "noexec", "nodev", *sec.proc_opts)),
        Mount("/dev", "tmpfs", "tmpfs", ("nosuid", "strictatime", "mode=755", "size=65536k")),
        Mount(
            "/dev/pts",
            "devpts",
            "devpts",
            ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        ),
        Mount("/dev/mqueue", "mqueue", "mqueue", ("nosuid", "noexec", "nodev")),
        Mount(
            "/dev/shm", "shm", "tmpfs", ("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")
        ),
    ]
    if opts.network is NetworkMode.HOST:
        # Like Podman: a bind of the host's /sys where a fresh sysfs may not be mountable (a
        # netns we do not own). "rro" makes the host's sub-mounts of /sys read-only too.
        ro = "rw" if sec.writable_sys else "rro"
        mounts.append(
            Mount("/sys", "/sys", "bind", ("rbind", ro, "nosuid", "noexec", "nodev", "rprivate"))
        )
    else:
        ro = "rw" if sec.writable_sys else "ro"
        mounts.append(Mount("/sys", "sysfs", "sysfs", ("nosuid", "noexec", "nodev", ro)))
    mounts.append(
        Mount("/sys/fs/cgroup", "cgroup", "cgroup", ("nosuid", "noexec", "nodev", "relatime", ro))
    )
    # misc (issue 19): on a read-only root, Podman's /etc files are read-only too
    etc_ro = ("ro", "nosuid", "noexec", "nodev") if opts.readonly_rootfs else ()
    for dest, source in sorted(opts.etc_files.items()):
        mounts.append(Mount(dest, source, "bind", ("rbind", "rprivate", *etc_ro)))
    if opts.readonly_rootfs and opts.readonly_tmpfs:
        mounts += [Mount(dest, "tmpfs", "tmpfs", READONLY_TMPFS_OPTIONS)
                   for dest in READONLY_TMPFS]
    return mounts


def _mounts(opts: SpecOptions) -> list[Mount]:
    for mount in opts.mounts:
        if not mount.destination.startswith("/"):
            raise SpecError(f"mount destination must be an absolute path: {mount.destination!r}")
    # A user mount replaces a default at the same place (e.g. --tmpfs /dev/shm).
    overridden = {posixpath.normpath(m.destination) for m in opts.mounts}
    defaults = [m for m in _default_mounts(opts) if m.destination not in overridden]
    # volumes (issue 14): parents before children, as Podman sorts them (a volume on /etc
    # must not hide the /etc/hosts bind); a stable sort keeps the order otherwise
    return sorted(defaults + list(opts.mounts), key=lambda m: m.destination.count("/"))


def _namespaces(opts: SpecOptions) -> list[dict[str, str]]:
    namespaces = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    if opts.network is NetworkMode.NONE:
        namespaces.append({"type": "network"})
    elif opts.network is not NetworkMode.HOST:  # networking: join a namespace file
        namespaces.append({"type": "network", "path": opts.netns_path})
    return namespaces


def _linux(opts: SpecOptions) -> dict[str, Any]:
    # Deny all devices; runc and crun add their default allow-list (null, zero, tty, ...).
    resources: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    sec = opts.security  # --device, --device-cgroup-rule, --privileged (supervisor/security)
    if sec.allow_all_devices:
        resources["devices"] = [{"allow": True, "access": "rwm"}]
    else:
        resources["devices"] += [dict(rule) for rule in sec.device_rules]
    if opts.pids_limit is not None and opts.pids_limit > 0:
        resources["pids"] = {"limit": opts.pids_limit}
    resources.update({k: v for k, v in opts.resources.items() if k not in ("devices", "pids")})
    linux: dict[str, Any] = {
        "cgroupsPath": opts.cgroups_path,
        "resources": resources,
        "namespaces": _namespaces(opts),
    }
    if sec.masked:
        linux["maskedPaths"] = list(sec.masked)
    if sec.readonly:
        linux["readonlyPaths"] = list(sec.readonly)
    if sec.devices:
        linux["devices"] = [dict(d) for d in sec.devices]
    if sec.seccomp is not None:
        linux["seccomp"] = dict(sec.seccomp)
    return linux


def _annotations(opts: SpecOptions) -> dict[str, str]:
    annotations = dict(opts.annotations)
    if opts.systemd_cgroup:
        # runc/crun pass org.systemd.property.* (GVariant text) to the container's scope:
        # `systemctl stop` then escalates to SIGKILL after the stop timeout. 0 means
        # "no timeout" to systemd, so `-t 0` becomes one microsecond.
        usec = max(opts.stop_timeout * 1_000_000, 1)
        annotations.setdefault(SYSTEMD_TIMEOUT_STOP, f"uint64 {usec}")
        # Let a failed scope be garbage-collected instead of lingering as "failed".
        annotations.setdefault(SYSTEMD_COLLECT_MODE, "'inactive-or-failed'")
        for name, value in systemd_limits(opts).items():
            annotations.setdefault(f"org.systemd.property.{name}", value)
    return annotations


def systemd_limits(opts: SpecOptions) -> dict[str, str]:
    """The limits as properties of the container's scope, so that `systemctl show` tells the
    truth and systemd never resets them (crun writes only the cgroup files otherwise)."""
    res = dict(opts.resources)
    if opts.pids_limit is not None and opts.pids_limit > 0:
        res["pids"] = {"limit": opts.pids_limit}
    out: dict[str, str] = {}
    memory = res.get("memory", {}).get("limit")
    if memory:
        out["MemoryMax" if opts.unified else "MemoryLimit"] = f"uint64 {memory}"
    cpu = res.get("cpu", {})
    if cpu.get("quota", -1) > 0:
        per_sec = cpu["quota"] * 1_000_000 // cpu.get("period", 100_000)
        out["CPUQuotaPerSecUSec"] = f"uint64 {per_sec}"
    if cpu.get("shares"):
        if opts.unified:  # systemd's (and runc's) conversion of shares to a weight
            out["CPUWeight"] = f"uint64 {1 + ((cpu['shares'] - 2) * 9999) // 262142}"
        else:
            out["CPUShares"] = f"uint64 {cpu['shares']}"
    if "pids" in res:
        out["TasksMax"] = f"uint64 {res['pids']['limit']}"
    weight = res.get("blockIO", {}).get("weight")
    if weight:
        out["IOWeight" if opts.unified else "BlockIOWeight"] = f"uint64 {weight}"
    return out


# --- parsers of the CLI's -v, --tmpfs and --ulimit values -------------------------------------

_PROPAGATIONS = frozenset(
    {"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"}
)
_VOLUME_FLAGS = frozenset({"nosuid", "suid", "nodev", "dev", "noexec", "exec"})
# tmpfs flag -> the slot it sets; the last flag given for a slot wins (ro after rw, ...).
_TMPFS_SLOTS: Mapping[str, str] = {
    **{f: "rw" for f in ("ro", "rw")},
    **{f: "exec" for f in ("exec", "noexec")},
    **{f: "suid" for f in ("suid", "nosuid")},
    **{f: "dev" for f in ("dev", "nodev")},
    **{f: "atime" for f in ("atime", "noatime", "relatime", "strictatime")},
    **{f: "diratime" for f in ("diratime", "nodiratime")},
    **{f: "copyup" for f in ("tmpcopyup", "notmpcopyup")},  # see `tmpfs_copyup`
}
_SIZE_RE = re.compile(r"[0-9]+[kmgKMG%]?")
_OCTAL_RE = re.compile(r"0?[0-7]{3,4}")
_INT_RE = re.compile(r"[0-9]+")
_TMPFS_VALUES: Mapping[str, re.Pattern[str]] = {
    "size": _SIZE_RE,
    "mode": _OCTAL_RE,
    "uid": _INT_RE,
    "gid": _INT_RE,
    "nr_inodes": _INT_RE,
    "nr_blocks": _INT_RE,
}


def _container_path(path: str, what: str, value: str) -> str:
    if not path.startswith("/"):
        raise SpecError(f"invalid {what} {value!r}: container path must be absolute")
    path = posixpath.normpath(path)
    if path == "/":
        raise SpecError(f"invalid {what} {value!r}: destination can't be '/'")
    return path


def parse_mount_volume(value: str) -> Mount:
    """Docker's `-v /host:/ctr[:opts]` (bind mounts only; named volumes are not supported)."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise SpecError(f"invalid volume {value!r}: expected /host/path:/container/path[:opts]")
    source, dest = parts[0], parts[1]
    if not source.startswith("/"):
        raise SpecError(f"invalid volume {value!r}: named volumes are not supported yet")
    dest = _container_path(dest, "volume", value)
    ro = False
    recursive = True
    propagation = "rprivate"
    flags: list[str] = []
    for opt in parts[2].split(",") if len(parts) == 3 else []:
        if opt in ("ro", "rw"):
            ro = opt == "ro"
        elif opt in ("z", "Z"):
            continue  # SELinux relabelling: nothing to do without SELinux
        elif opt in ("bind", "rbind"):
            recursive = opt == "rbind"
        elif opt in _PROPAGATIONS:
            propagation = opt
        elif opt in _VOLUME_FLAGS:
            flags.append(opt)
        else:
            raise SpecError(f"invalid volume {value!r}: unknown option {opt!r}")
    options = ["rbind" if recursive else "bind", "ro" if ro else "rw", propagation, *flags]
    return Mount(dest, posixpath.normpath(source), "bind", tuple(options))


parse_volume = parse_mount_volume  # the name the engine uses


def tmpfs_copyup(m: Mount) -> Mount:
    """Podman's default for the user's tmpfs mounts: the runtime fills it with what the image
    (or `cp` before start) has at its destination (runc's and crun's `tmpcopyup`), unless
    `notmpcopyup`, which is no runtime option."""
    if m.type != "tmpfs":
        return m
    if "notmpcopyup" in m.options:
        return replace(m, options=tuple(o for o in m.options if o != "notmpcopyup"))
    if "tmpcopyup" in m.options:
        return m
    return replace(m, options=(*m.options, "tmpcopyup"))


def parse_tmpfs(value: str) -> Mount:
    """Docker's `--tmpfs /run[:size=64m,mode=1777,...]` (defaults rw,nosuid,nodev: Podman 4.3
    mounts it without noexec, whatever its man page says)."""
    dest, _, opt_text = value.partition(":")
    dest = _container_path(dest, "tmpfs", value)
    chosen: dict[str, str] = {"rw": "rw", "suid": "nosuid", "dev": "nodev"}  # exec, as Podman
    extra: list[str] = []
    for opt in opt_text.split(",") if opt_text else []:
        key, eq, arg = opt.partition("=")
        if not eq and opt in _TMPFS_SLOTS:
            chosen[_TMPFS_SLOTS[opt]] = opt
        elif eq and key in _TMPFS_VALUES and _TMPFS_VALUES[key].fullmatch(arg):
            extra.append(opt)
        else:
            raise SpecError(f"invalid tmpfs {value!r}: bad option {opt!r}")
    return Mount(dest, "tmpfs", "tmpfs", (*chosen.values(), *extra))


def _parse_limit(text: str, value: str) -> int:
    if text in ("-1", "unlimited"):
        return RLIM_INFINITY
    if not _INT_RE.fullmatch(text):
        raise SpecError(f"invalid ulimit {value!r}: {text!r} is not a number")
    return int(text)


def parse_ulimit(value: str) -> Ulimit:
    """Docker's `--ulimit name=soft[:hard]`; -1 means unlimited."""
    name, eq, limits = value.partition("=")
    if not eq or not limits:
        raise SpecError(f"invalid ulimit {value!r}: expected name=soft[:hard]")
    if name not in ULIMIT_NAMES:
        raise SpecError(f"invalid ulimit {value!r}: unknown type {name!r}")
    soft_text, colon, hard_text = limits.partition(":")
    soft = _parse_limit(soft_text, value)
    hard = _parse_limit(hard_text, value) if colon else soft
    if soft > hard:
        raise SpecError(
            f"invalid ulimit {value!r}: soft limit {soft_text} exceeds hard limit {hard_text}"
        )
    return Ulimit(name, soft, hard)
