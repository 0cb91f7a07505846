"""A pod's own cgroup (issue 15, helper podsx): the parent of its containers' cgroups, where
`pod create --cpus/--memory` apply. See docs/PODS.md ("The pod's cgroup").

- systemd manager: a slice, `<parent>-scopebox_pod_<id>.slice` (parent `machine.slice` unless
  `--cgroup-parent`), holding the containers' and their monitors' scopes; the limits are the
  slice's properties (`CPUQuotaPerSecUSec`, `MemoryMax` on pure v2 / `MemoryLimit` on v1 and
  hybrid), made a transient unit before a member starts, stopped when the pod goes.
- cgroupfs manager: a directory `<parent>/pod_<id>` (parent `/scopebox`) in the hierarchies
  of the cpu and memory controllers, limits written there (v1 `cpu.cfs_quota_us`,
  `memory.limit_in_bytes`; v2 `cpu.max`, `memory.max`), removed with the pod.

Everything here is idempotent: `ensure` before every member's start (after a reboot the
cgroup or slice is gone and comes back), `remove` however often.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import TYPE_CHECKING, Any

from supervisor.errors import UsageError

if TYPE_CHECKING:
    from supervisor.pods.db import PodConfig

CPU_PERIOD = 100_000  # microseconds, Podman's and the kernel's default period
LIMITED = ("cpu", "memory")  # the controllers a pod's limits need
_CPUSET = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*")


def pod_cgroup(pod_id: str, parent: str, systemd: bool) -> str:
    """The pod's cgroup parent for its containers: a slice name or a cgroupfs path."""
    from supervisor.model import cgroup_parent

    base = cgroup_parent(parent or None, systemd)
    if systemd:
        prefix = base.removesuffix(".slice")
        return f"{prefix}-scopebox_pod_{pod_id}.slice" if prefix != "-" else \
            f"scopebox_pod_{pod_id}.slice"
    return f"{base}/pod_{pod_id}"


def parse_cpus(value: str) -> float:
    try:
        cpus = float(value)
    except ValueError:
        cpus = -1.0
    if cpus < 0 or cpus != cpus:
        raise UsageError(f"invalid argument {value!r} for \"--cpus\" flag: a number of CPUs, "
                         "like 1.5")
    return cpus  # more than the host has is no limit at all, as Podman's pod create takes it


def quota(cpus: float) -> int:
    return int(cpus * CPU_PERIOD)


def check_cpuset(flag: str, value: str) -> str:
    """issue 19: `--cpuset-cpus/--cpuset-mems` LIST (Podman's words for a bad one); the
    kernel judges the numbers when the pod's cgroup is made."""
    if value and _CPUSET.fullmatch(value) is None:
        raise UsageError(f"could not parse list: invalid format: {value}")
    return value


def check_swap(swap: int, memory: int) -> int:
    """issue 19: `--memory-swap` (memory plus swap; -1 unlimited) needs `--memory` below it."""
    if swap and not memory:
        raise UsageError("you must provide a memory limit when specifying a memory-swap")
    if swap > 0 and swap < memory:
        raise UsageError("minimum memoryswap limit should be larger than memory limit, see usage")
    return swap


def shares_to_weight(shares: int) -> int:
    """cgroup v2's cpu.weight for v1 cpu.shares (runc's and systemd's conversion)."""
    return 1 + ((max(shares, 2) - 2) * 9999) // 262142


def check_placement(cfg: PodConfig, systemd: bool, unified: bool) -> None:
    """A slice takes cpusets and swap limits only on cgroup v2 (systemd's AllowedCPUs,
    AllowedMemoryNodes, MemorySwapMax): refused before the pod is made, never ignored."""
    if systemd and not unified:
        for flag, value in (("--cpuset-cpus", cfg.cpuset_cpus), ("--cpuset-mems",
                            cfg.cpuset_mems), ("--memory-swap", cfg.memory_swap)):
            if value:
                raise UsageError(f"pod create {flag}: systemd sets it on a pod's slice only on"
                                 " cgroup v2 (use --cgroup-manager cgroupfs here)")


def _bitmask(spec: str) -> bytes:
    """systemd's CPU set property: a little-endian bit array of the listed numbers."""
    bits: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        bits.update(range(int(lo), int(hi or lo) + 1))
    out = bytearray((max(bits) // 8 + 1) if bits else 0)
    for b in bits:
        out[b // 8] |= 1 << (b % 8)
    return bytes(out)


def is_slice(cgroup: str) -> bool:
    return cgroup.endswith(".slice")


# systemd ------------------------------------------------------------------------------------


def slice_properties(cfg: PodConfig, unified: bool) -> dict[str, tuple[str, Any]]:
    props: dict[str, tuple[str, Any]] = {}
    if cfg.cpus:
        props["CPUQuotaPerSecUSec"] = ("t", quota(cfg.cpus) * 1_000_000 // CPU_PERIOD)
    if cfg.memory:
        props["MemoryMax" if unified else "MemoryLimit"] = ("t", cfg.memory)
    # issue 19: the other limits of Podman's pod create
    if cfg.cpu_shares:
        props["CPUWeight" if unified else "CPUShares"] = (
            "t", shares_to_weight(cfg.cpu_shares) if unified else cfg.cpu_shares)
    if unified and cfg.memory_swap:
        props["MemorySwapMax"] = ("t", 2**64 - 1 if cfg.memory_swap < 0
                                  else cfg.memory_swap - cfg.memory)
    if unified and cfg.cpuset_cpus:
        props["AllowedCPUs"] = ("ay", _bitmask(cfg.cpuset_cpus))
    if unified and cfg.cpuset_mems:
        props["AllowedMemoryNodes"] = ("ay", _bitmask(cfg.cpuset_mems))
    return props


def _ensure_slice(sd: Any, name: str, cfg: PodConfig, pod_name: str) -> None:
    from supervisor.procs import cgroup_unified

    props = slice_properties(cfg, cgroup_unified())
    state = sd.get_unit_state(name)
    if state == "active":
        if props:
            sd.set_unit_properties(name, props)
        return
    sd.start_transient_unit(name, {"Description": ("s", f"scopebox pod {pod_name}"), **props})


# cgroupfs -----------------------------------------------------------------------------------


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _v2_enable(mount: str, path: str, controllers: tuple[str, ...]) -> None:
    """Pure v2 without systemd: the ancestors hand the controllers down (as runc does), one
    at a time (a write naming one the kernel lacks enables none of the others)."""
    parts = [p for p in path.split("/") if p]
    current = mount
    for part in parts:
        for controller in controllers:
            with contextlib.suppress(OSError):
                _write(os.path.join(current, "cgroup.subtree_control"), f"+{controller}")
        current = os.path.join(current, part)


def _controllers(cfg: PodConfig) -> tuple[str, ...]:
    return (*LIMITED, "cpuset") if cfg.cpuset_cpus or cfg.cpuset_mems else LIMITED


def _ensure_dirs(path: str, cfg: PodConfig) -> None:
    from cgroupfs.layout import detect

    layout = detect()
    wanted = _controllers(cfg)
    for controller in wanted:
        h = layout.hierarchy_of(controller)
        if h is None:
            continue
        d = h.mount_point + path
        if h.version == 2:
            _v2_enable(h.mount_point, path, wanted)
        _make_dir(d, controller, h.version)
        if controller == "cpu":
            _cpu_files(d, cfg, h.version)
        elif controller == "memory":
            _memory_files(d, cfg, h.version)
        else:
            _cpuset_files(d, cfg, h.version)


def _make_dir(d: str, controller: str, version: int) -> None:
    """v1 cpuset: a new directory starts with no CPUs and no nodes; the parent's are copied
    down first (as runc does), so a member can join it."""
    if controller != "cpuset" or version == 2:
        os.makedirs(d, exist_ok=True)
        return
    parts = d.rstrip("/").split("/")
    for i in range(len(parts) - 1, 0, -1):  # the nearest existing ancestor, then down
        if os.path.isdir("/".join(parts[:i])):
            break
    for j in range(i + 1, len(parts) + 1):
        here, parent = "/".join(parts[:j]), "/".join(parts[:j - 1])
        os.makedirs(here, exist_ok=True)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if not _read(os.path.join(here, name)):
                _write(os.path.join(here, name), _read(os.path.join(parent, name)))


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def _cpu_files(d: str, cfg: PodConfig, version: int) -> None:
    if cfg.cpus:
        if version == 2:
            _write(os.path.join(d, "cpu.max"), f"{quota(cfg.cpus)} {CPU_PERIOD}")
        else:
            _write(os.path.join(d, "cpu.cfs_period_us"), str(CPU_PERIOD))
            _write(os.path.join(d, "cpu.cfs_quota_us"), str(quota(cfg.cpus)))
    if cfg.cpu_shares:  # issue 19
        if version == 2:
            _write(os.path.join(d, "cpu.weight"), str(shares_to_weight(cfg.cpu_shares)))
        else:
            _write(os.path.join(d, "cpu.shares"), str(cfg.cpu_shares))


def _memory_files(d: str, cfg: PodConfig, version: int) -> None:
    if cfg.memory:
        name = "memory.max" if version == 2 else "memory.limit_in_bytes"
        _write(os.path.join(d, name), str(cfg.memory))
    if not cfg.memory_swap:  # issue 19: memory plus swap (-1: unlimited)
        return
    if version == 2:
        swap = "max" if cfg.memory_swap < 0 else str(cfg.memory_swap - cfg.memory)
        _write(os.path.join(d, "memory.swap.max"), swap)
        return
    memsw = os.path.join(d, "memory.memsw.limit_in_bytes")
    if not os.path.exists(memsw):
        raise UsageError("--memory-swap: this kernel has no swap accounting"
                         " (memory.memsw.limit_in_bytes)")
    _write(memsw, str(cfg.memory_swap))


def _cpuset_files(d: str, cfg: PodConfig, version: int) -> None:
    for name, value in (("cpuset.cpus", cfg.cpuset_cpus), ("cpuset.mems", cfg.cpuset_mems)):
        if value:
            _write(os.path.join(d, name), value)


def _remove_dirs(path: str) -> None:
    """The pod's directory in every hierarchy (runc made it in those it uses)."""
    from cgroupfs.layout import detect

    for h in detect().hierarchies:
        with contextlib.suppress(OSError):
            os.rmdir(h.mount_point + path)


# the pod's ---------------------------------------------------------------------------------


def ensure(sd: Any, cfg: PodConfig, pod_name: str) -> None:
    """Make the pod's cgroup (or slice) with its limits, if it has one (`cfg.cgroup`)."""
    if not cfg.cgroup:
        return
    try:
        if is_slice(cfg.cgroup):
            if sd is None:
                raise UsageError(f"pod {pod_name} was made under systemd (slice "
                                 f"{cfg.cgroup}) and systemd does not run now")
            _ensure_slice(sd, cfg.cgroup, cfg, pod_name)
        else:
            _ensure_dirs(cfg.cgroup, cfg)
    except OSError as exc:
        raise UsageError(f"cannot set up the cgroup of pod {pod_name} ({cfg.cgroup}): "
                         f"{exc.strerror}") from exc


def remove(sd: Any, cfg: PodConfig) -> None:
    """The pod's slice is stopped (its containers are gone by then), its directories go."""
    if not cfg.cgroup:
        return
    if is_slice(cfg.cgroup):
        if sd is not None and sd.get_unit_state(cfg.cgroup) is not None:
            with contextlib.suppress(Exception):
                sd.stop_unit(cfg.cgroup)
        return
    _remove_dirs(cfg.cgroup)
