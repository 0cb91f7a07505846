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
from typing import TYPE_CHECKING, Any

from supervisor.errors import UsageError

if TYPE_CHECKING:
    from supervisor.pods.db import PodConfig

CPU_PERIOD = 100_000  # microseconds, Podman's and the kernel's default period
LIMITED = ("cpu", "memory")  # the controllers a pod's limits need


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


def is_slice(cgroup: str) -> bool:
    return cgroup.endswith(".slice")


# systemd ------------------------------------------------------------------------------------


def slice_properties(cfg: PodConfig, unified: bool) -> dict[str, tuple[str, Any]]:
    props: dict[str, tuple[str, Any]] = {}
    if cfg.cpus:
        props["CPUQuotaPerSecUSec"] = ("t", quota(cfg.cpus) * 1_000_000 // CPU_PERIOD)
    if cfg.memory:
        props["MemoryMax" if unified else "MemoryLimit"] = ("t", cfg.memory)
    return props


def _ensure_slice(sd: Any, name: str, cfg: PodConfig, pod_name: str) -> None:
    from supervisor.specgen import cgroup_unified

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


def _v2_enable(mount: str, path: str) -> None:
    """Pure v2 without systemd: the ancestors hand cpu and memory down (as runc does)."""
    parts = [p for p in path.split("/") if p]
    current = mount
    for part in parts:
        with contextlib.suppress(OSError):
            _write(os.path.join(current, "cgroup.subtree_control"), "+cpu +memory")
        current = os.path.join(current, part)


def _ensure_dirs(path: str, cfg: PodConfig) -> None:
    from cgroupfs.layout import detect

    layout = detect()
    for controller in LIMITED:
        h = layout.hierarchy_of(controller)
        if h is None:
            continue
        d = h.mount_point + path
        if h.version == 2:
            _v2_enable(h.mount_point, path)
        os.makedirs(d, exist_ok=True)
        if controller == "cpu" and cfg.cpus:
            if h.version == 2:
                _write(os.path.join(d, "cpu.max"), f"{quota(cfg.cpus)} {CPU_PERIOD}")
            else:
                _write(os.path.join(d, "cpu.cfs_period_us"), str(CPU_PERIOD))
                _write(os.path.join(d, "cpu.cfs_quota_us"), str(quota(cfg.cpus)))
        if controller == "memory" and cfg.memory:
            name = "memory.max" if h.version == 2 else "memory.limit_in_bytes"
            _write(os.path.join(d, name), str(cfg.memory))


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
