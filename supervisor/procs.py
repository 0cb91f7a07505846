"""Process facts from /proc: liveness that survives pid reuse, boot id."""

from __future__ import annotations

import os


def cgroup_unified() -> bool:
    """Pure cgroup v2 (no v1 hierarchies): a cheap look instead of a full layout detection.
    Here, not in specgen, so that create and pod create do not load the spec's modules."""
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def boot_id() -> str:
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' if it does not exist)."""
    if pid <= 0:
        return ""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return ""
    # comm may contain spaces and parentheses: fields start after the last ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    if fields[0] == b"Z":  # a zombie has exited already
        return ""
    return fields[19].decode()


def alive(pid: int, started: str) -> bool:
    return bool(started) and start_time(pid) == started


def pidfd_open(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return None
