"""scopebox update: change the resource limits of a created or running container, as
`docker update` / `podman update` do.

The new flags are merged with the ones the container was created (or last updated) with and
the whole set is validated again by `supervisor.resources`, so `--memory-swap` is checked
against the stored `--memory`. A running container gets the limits through the OCI runtime's
own `update --resources FILE` (it knows its cgroup driver: cgroupfs files, or systemd unit
properties); the store keeps them for the next start. Nothing changes if either step fails.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from supervisor.errors import RuntimeFailed, StateError, UsageError
from supervisor.resources import (
    CPU_PERIOD,
    ResourceOptions,
    host_cpus,
    host_mems,
    oci_resources,
)
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context

DEFAULT_CPU_SHARES = 1024  # the kernel's cpu.shares

# Docker's flags that replace each other: a new --cpus drops a stored --cpu-quota/--cpu-period.
_EXCLUSIVE = {
    "cpus": ("cpu_quota", "cpu_period"),
    "cpu_quota": ("cpus",),
    "cpu_period": ("cpus",),
}


def merge(stored: ResourceOptions, overrides: ResourceOptions) -> ResourceOptions:
    """The stored options with the overrides (fields not None) on top."""
    changes = {f.name: getattr(overrides, f.name) for f in fields(overrides)}
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise UsageError("nothing to update: give at least one flag, e.g. --memory 512m")
    cleared = {old: None for new in changes for old in _EXCLUSIVE.get(new, ())}
    return replace(stored, **{**cleared, **changes})


def validate(
    stored: ResourceOptions, overrides: ResourceOptions, cpus: set[int], mems: set[int]
) -> tuple[ResourceOptions, dict[str, Any]]:
    """The merged options and their OCI `linux.resources`; UsageError (one line) if bad."""
    merged = merge(stored, overrides)
    if overrides.memory and not overrides.memory_swap and stored.memory_swap not in (None, "-1"):
        # Docker's rule: a kept swap limit must still hold the new memory limit.
        _check_kept_swap(merged)
    return merged, oci_resources(merged, cpus, mems)


def _check_kept_swap(merged: ResourceOptions) -> None:
    from supervisor.sizes import parse_size

    assert merged.memory and merged.memory_swap
    try:
        above = parse_size(merged.memory) > parse_size(merged.memory_swap)
    except UsageError:
        return  # oci_resources names the bad value
    if above:
        raise UsageError(
            f"--memory {merged.memory} is above the container's --memory-swap"
            f" {merged.memory_swap}: update --memory-swap at the same time"
        )


def runtime_resources(
    target: dict[str, Any], current: dict[str, Any], cpus: set[int], mems: set[int]
) -> dict[str, Any]:
    """What `runtime update --resources` gets to go from `current` to `target` (both OCI
    resources as stored). At create an absent key means "no limit"; to `update` it means
    "leave as is", so a limit `current` has and `target` lacks is written as the kernel's
    default. Only those: crun refuses some defaults it does not need (cpu.cfs_quota_us -1)."""
    defaults: dict[str, dict[str, Any]] = {
        "memory": {"limit": -1, "swap": -1, "reservation": -1},
        "cpu": {
            "shares": DEFAULT_CPU_SHARES,
            "quota": -1,
            "period": CPU_PERIOD,
            "cpus": _cpu_list(cpus),
            "mems": _cpu_list(mems),
        },
        "pids": {"limit": -1},
    }
    out = {key: dict(value) for key, value in target.items()}
    for group, values in defaults.items():
        dropped = {k: v for k, v in values.items() if k in current.get(group, {})}
        dropped = {k: v for k, v in dropped.items() if k not in target.get(group, {})}
        if dropped:
            out[group] = {**dropped, **out.get(group, {})}
    return out


def _cpu_list(ids: set[int]) -> str:
    return ",".join(str(i) for i in sorted(ids))


def stored_options(row: ContainerRow) -> ResourceOptions:
    return row.config.options.resources


def update(eng: Context, ref: str, overrides: ResourceOptions) -> ContainerRow:
    """Validate, apply to the running container (if it runs), store; returns the new row."""
    with eng.locked_row(ref) as row:
        if row.config.cgroups == "disabled":
            raise StateError(f"container {row.name!r} has no cgroup (--cgroups=disabled)")
        cpus, mems = host_cpus(), host_mems()
        merged, oci = validate(stored_options(row), overrides, cpus, mems)
        if row.status.is_active:
            old = dict(row.config.resources)
            try:
                _apply(eng, row, runtime_resources(oci, old, cpus, mems))
                _set_unit_properties(eng, row, old, oci)
            except RuntimeFailed:
                # The runtime may have written some limits before failing on another.
                _apply(eng, row, runtime_resources(old, oci, cpus, mems), best_effort=True)
                raise
        options = replace(row.config.options, resources=merged)
        config = replace(row.config, options=options, resources=oci)
        return eng.store.update_container(row.id, config=config)


def _apply(
    eng: Context, row: ContainerRow, resources: dict[str, Any], best_effort: bool = False
) -> None:
    from supervisor.monitor import runtime_message

    rundir = eng.paths.container_rundir(row.id)
    with tempfile.NamedTemporaryFile(
        "w", prefix="resources-", suffix=".json", dir=rundir if os.path.isdir(rundir) else None
    ) as f:
        json.dump(resources, f)
        f.flush()
        res = eng.run_runtime(row, "--log-format=json", "update", "--resources", f.name, row.id)
    if res.returncode != 0 and not best_effort:
        message = runtime_message(res.stderr) or "the OCI runtime's update failed"
        raise RuntimeFailed(f"cannot update container {row.name!r}: {message}")


# systemd's "no limit" for every property systemd_limits sets (CGROUP_LIMIT_MAX, USEC_INFINITY,
# and the "invalid" weight and shares): all UINT64_MAX.
UNSET = 2**64 - 1


def unit_properties(
    old: dict[str, Any], new: dict[str, Any], unified: bool
) -> dict[str, tuple[str, int]]:
    """SetUnitProperties values that turn the scope's limits (set from the spec's
    annotations at create, see `spec.systemd_limits`) from `old` into `new`."""
    before, after = _unit_limits(old, unified), _unit_limits(new, unified)
    return {
        name: ("t", int(after[name].split()[1]) if name in after else UNSET)
        for name in sorted(before.keys() | after.keys())
    }


def _unit_limits(oci: dict[str, Any], unified: bool) -> dict[str, str]:
    from supervisor.spec import SpecOptions, systemd_limits

    pids = oci.get("pids", {}).get("limit")
    opts = SpecOptions(args=(), rootfs="", cgroups_path="", resources=oci, pids_limit=pids)
    return systemd_limits(replace(opts, unified=unified))


def _set_unit_properties(
    eng: Context, row: ContainerRow, old: dict[str, Any], new: dict[str, Any]
) -> None:
    """crun's systemd driver writes memory and pids limits only into the cgroup it made
    inside the scope (`<scope>/container`), and maps only CPU shares to a unit property:
    the scope's own MemoryLimit=/TasksMax= would stay the old ones and keep binding when a
    limit is raised. So the engine updates the properties it set at create itself."""
    if row.config.cgroup_manager != "systemd":
        return
    from supervisor.specgen import cgroup_unified
    from units.errors import UnitsError

    properties = unit_properties(old, new, cgroup_unified())
    systemd = eng.systemd()
    if not properties or systemd is None:
        return
    unit = f"scopebox-{row.id}.scope"
    try:
        systemd.set_unit_properties(unit, properties)
    except UnitsError as exc:
        raise RuntimeFailed(f"cannot update the limits of {unit}: {exc}") from exc
