"""Capabilities: names, `--cap-add`/`--cap-drop` merging, the sets a process gets (pure).

Podman 4.3's rules: names are case-insensitive with or without `CAP_`; `all` means every
capability this engine itself holds (its bounding set: a sandbox may lack some); a drop wins
only when the same name is not also added (that is an error); a non-root user keeps the
bounding set but runs with only the added capabilities (effective, permitted, inheritable and
ambient), so they survive its exec.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supervisor.errors import UsageError

# The kernel's numbering (include/uapi/linux/capability.h).
CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
NUMBERS = {name: bit for bit, name in enumerate(CAPABILITIES)}

# The set of containers-common's containers.conf (what every Podman package ships and what
# `podman run` gets on Debian); containers.conf's default_capabilities replaces it.
DEFAULT: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
)
# What Podman 4.3's inspect compares a container's set with for HostConfig.CapAdd/CapDrop
# (its compiled-in default, Docker's), whatever the configured default is.
INSPECT_REFERENCE: tuple[str, ...] = (*DEFAULT, "CAP_MKNOD", "CAP_NET_RAW", "CAP_AUDIT_WRITE")

ALL = "ALL"


def normalise(name: str) -> str:
    """`net_raw`, `CAP_NET_RAW`, `Net_Raw` -> `CAP_NET_RAW`; `all` -> `ALL`; unknown: error."""
    upper = name.strip().upper()
    if upper == ALL:
        return ALL
    if not upper.startswith("CAP_"):
        upper = "CAP_" + upper
    if upper not in NUMBERS:
        raise UsageError(f'"{upper}": unknown capability')
    return upper


def normalise_all(names: Iterable[str]) -> list[str]:
    """Each name (comma-separated lists allowed, empty items skipped as Podman does)."""
    out: list[str] = []
    for item in names:
        for name in item.split(","):
            if name.strip() and (cap := normalise(name)) not in out:
                out.append(cap)
    return out


def bounding_of(mask: int) -> tuple[str, ...]:
    """The names of a `CapBnd:` mask (e.g. this process's, from /proc/self/status)."""
    return tuple(name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1)


def own_bounding() -> tuple[str, ...]:
    """This process's bounding set: what `all` and `--privileged` can give."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return bounding_of(int(line.split()[1], 16))
    except OSError:
        pass
    return CAPABILITIES


def merge(
    base: Sequence[str], add: Sequence[str], drop: Sequence[str], available: Sequence[str]
) -> list[str]:
    """The container's bounding set: `base` (the default) with the normalised `add` and
    `drop` applied; `available` is what `ALL` stands for. Sorted by name, as Podman lists it."""
    for cap in add:
        if cap != ALL and cap in drop:
            raise UsageError(f'capability "{cap}" cannot be dropped and added')
    if ALL in drop and ALL in add:
        raise UsageError("adding all caps and removing all caps not allowed")
    if ALL in drop:
        caps = {c for c in add if c != ALL}
    elif ALL in add:
        caps = set(available) - set(drop)
    else:
        caps = (set(base) | set(add)) - set(drop)
    return sorted(caps)


@dataclass(frozen=True)
class ProcessCaps:
    """The OCI process' capability sets."""

    bounding: tuple[str, ...]
    effective: tuple[str, ...]
    inheritable: tuple[str, ...] = ()
    ambient: tuple[str, ...] = ()

    def to_oci(self) -> dict[str, list[str]]:
        out = {
            "bounding": list(self.bounding),
            "effective": list(self.effective),
            "permitted": list(self.effective),
        }
        if self.inheritable:
            out["inheritable"] = list(self.inheritable)
        if self.ambient:
            out["ambient"] = list(self.ambient)
        return out


def process_caps(bounding: Sequence[str], add: Sequence[str], root: bool,
                 available: Sequence[str]) -> ProcessCaps:
    """Root gets its bounding set; another user only what was added (as ambient too)."""
    if root:
        return ProcessCaps(tuple(bounding), tuple(bounding))
    added = set(available) if ALL in add else set(add)
    granted = tuple(sorted(added & set(bounding)))
    return ProcessCaps(tuple(bounding), granted, granted, granted)


def is_root_user(user: str) -> bool:
    """Podman's test: no user, `root` or `0` (the user part of USER[:GROUP])."""
    name = user.partition(":")[0]
    return name in ("", "root", "0")


def inspect_add_drop(bounding: Sequence[str], privileged: bool) -> tuple[list[str], list[str]]:
    """HostConfig.CapAdd/CapDrop as Podman 4.3 computes them: against its compiled-in
    default (or, privileged, against every capability it knows)."""
    reference = set(CAPABILITIES) if privileged else set(INSPECT_REFERENCE)
    have = set(bounding)
    return sorted(have - reference), sorted(reference - have)
