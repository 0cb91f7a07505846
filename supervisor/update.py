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
    DEVICE_FIELDS,
    DeviceNumbers,
    ResourceOptions,
    blkio_support,
    device_numbers,
    device_paths,
    discard_swappiness,
    discard_unsupported,
    host_cpus,
    host_mems,
    oci_resources,
    swappiness_support,
)
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from cgroupfs.cgroup import Cgroup
    from supervisor.container.context import Context

DEFAULT_CPU_SHARES = 1024  # the kernel's cpu.shares

# Docker's flags that replace each other: a new --cpus drops a stored --cpu-quota/--cpu-period.
_EXCLUSIVE = {
    "cpus": ("cpu_quota", "cpu_period"),
    "cpu_quota": ("cpus",),
    "cpu_period": ("cpus",),
}


def merge(stored: ResourceOptions, overrides: ResourceOptions) -> ResourceOptions:
    """The stored options with the overrides (fields not None, lists not empty) on top; a
    blkio device list replaces only the entries of the devices it names."""
    changes = {f.name: getattr(overrides, f.name) for f in fields(overrides)}
    changes = {k: v for k, v in changes.items() if v not in (None, ())}
    if not changes:
        raise UsageError("nothing to update: give at least one flag, e.g. --memory 512m")
    for name in DEVICE_FIELDS:
        if name in changes:
            changes[name] = _merge_devices(getattr(stored, name), changes[name])
    cleared = {old: None for new in changes for old in _EXCLUSIVE.get(new, ())}
    return replace(stored, **{**cleared, **changes})


def _merge_devices(stored: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    named = {item.partition(":")[0] for item in new}
    return (*(item for item in stored if item.partition(":")[0] not in named), *new)


def validate(
    stored: ResourceOptions,
    overrides: ResourceOptions,
    cpus: set[int],
    mems: set[int],
    devices: DeviceNumbers | None = None,
) -> tuple[ResourceOptions, dict[str, Any]]:
    """The merged options and their OCI `linux.resources`; UsageError (one line) if bad."""
    merged = merge(stored, overrides)
    if overrides.memory and not overrides.memory_swap and stored.memory_swap not in (None, "-1"):
        # Docker's rule: a kept swap limit must still hold the new memory limit.
        _check_kept_swap(merged)
    return merged, oci_resources(merged, cpus, mems, devices)


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
    from supervisor.rootless import is_rootless  # issue 17

    rootless = is_rootless()
    with eng.locked_row(ref) as row:
        if rootless:
            _rootless_update(eng, row, overrides)
        if row.config.cgroups == "disabled":
            raise StateError(f"container {row.name!r} has no cgroup (--cgroups=disabled)")
        cpus, mems = host_cpus(), host_mems()
        kept = _blkio_kept(overrides, device_numbers(device_paths(overrides)))
        if overrides.memory_swappiness is not None:  # misc (issue 19)
            kept = discard_swappiness(kept, swappiness_support())
        if kept == ResourceOptions() != overrides:
            return row  # only what the kernel cannot apply: dropped, with Podman's warning
        # blkio (issue 19): the stored devices too (a node may have gone or changed since)
        devices = device_numbers(device_paths(merge(stored_options(row), kept)))
        merged, oci = validate(stored_options(row), kept, cpus, mems, devices)
        if row.status.is_active:
            old = dict(row.config.resources)
            try:
                _apply(eng, row, runtime_resources(oci, old, cpus, mems))
                _set_unit_properties(eng, row, old, oci)
                write_block_io(row, oci)
                write_swappiness(row, oci)  # misc (issue 19)
            except RuntimeFailed:
                # The runtime may have written some limits before failing on another.
                _apply(eng, row, runtime_resources(old, oci, cpus, mems), best_effort=True)
                write_block_io(row, old, best_effort=True)
                write_swappiness(row, old, best_effort=True)
                raise
        options = replace(row.config.options, resources=merged)
        config = replace(row.config, options=options, resources=oci)
        return eng.store.update_container(row.id, config=config)


def _rootless_update(eng: Context, row: ContainerRow, overrides: ResourceOptions) -> None:
    """Rootless (issue 17): only a container whose scope the runtime made in the user's
    manager on cgroup v2 (specgen.runtime_scope) has limits to change, and only through
    the controllers systemd delegates; anything else is one line."""
    from supervisor import rootless
    from supervisor.rootless.cgroups import why_refused
    from supervisor.specgen import runtime_scope

    if not runtime_scope(row):
        raise UsageError(rootless.limits_refused())
    uid = rootless.outer_uid() or 0
    why = why_refused(overrides, os.environ, uid, rootless.user_name(uid),
                      eng.systemd() is not None)
    if why:
        raise UsageError(why)


def _blkio_kept(overrides: ResourceOptions, devices: DeviceNumbers) -> ResourceOptions:
    """blkio (issue 19): the overrides without the weights the kernel cannot apply."""
    if overrides.blkio_weight is not None or overrides.blkio_weight_device:
        return discard_unsupported(overrides, blkio_support(), devices)
    return overrides


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
    from supervisor.procs import cgroup_unified
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


# blkio (issue 19) ---------------------------------------------------------------------------


def write_block_io(row: ContainerRow, oci: dict[str, Any], best_effort: bool = False) -> None:
    """Set a running container's per-device block I/O limits to `oci`'s. OCI runtimes'
    `update` does not: runc 1.1 reads only blockIO's weight from `--resources`, and rewrites
    the throttles it was created with (from its state.json) on every update. So this comes
    after the runtime's update, and writes the kernel's files itself: each wanted rule, and
    "no limit" for a device that has a rule the container should no longer have."""
    from cgroupfs.errors import CgroupError
    from supervisor.stats import container_cgroup

    try:
        cg = container_cgroup(row)
        blkio_dir = _v1_dir(cg, "blkio")
        io_dir = None if blkio_dir else cg.dir_of("io")
    except (CgroupError, StateError):
        if best_effort or not (oci.get("blockIO") or {}).keys() - {"weight"}:
            return
        raise RuntimeFailed(f"cannot update container {row.name!r}: no block I/O cgroup") from None
    try:
        if blkio_dir is not None:
            _write_v1(blkio_dir, oci.get("blockIO") or {})
        elif io_dir is not None:
            _write_v2(io_dir, oci.get("blockIO") or {})
    except OSError as exc:
        if not best_effort:
            raise RuntimeFailed(
                f"cannot update container {row.name!r}: {exc.filename}: {exc.strerror}"
            ) from exc


def _v1_dir(cg: Cgroup, controller: str) -> str | None:
    """The container's directory in `controller`'s v1 hierarchy; None where v2 holds it."""
    hierarchy = cg.layout.hierarchy_of(controller)
    return cg.dir_of(controller) if hierarchy is not None and hierarchy.version == 1 else None


def _wanted(block_io: dict[str, Any]) -> dict[str, dict[tuple[int, int], int]]:
    """{io.max key: {device: rate}} and "weight": {device: weight} from OCI's blockIO."""
    from cgroupfs.blkio import IO_MAX_KEYS
    from supervisor.resources import THROTTLE_KEYS

    out = {
        key: {(e["major"], e["minor"]): int(e["rate"]) for e in block_io.get(oci_key) or []}
        for key, oci_key in zip(IO_MAX_KEYS, THROTTLE_KEYS.values(), strict=True)
    }
    out["weight"] = {
        (e["major"], e["minor"]): int(e["weight"]) for e in block_io.get("weightDevice") or []
    }
    return out


def _write_rules(path: str, lines: list[str]) -> None:
    for line in lines:  # the kernel takes one rule per write
        with open(path, "w") as f:
            f.write(line)


def _read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def rules(current: str, wanted: dict[tuple[int, int], int], remove: str = "0") -> list[str]:
    """The writes that turn a per-device file (v1 `blkio.*_device`, v2 `io.weight`) holding
    `current` into `wanted`: "no rule" (`remove`) for the devices it drops, then each rule."""
    from cgroupfs import blkio

    held = blkio.parse_v1_device_values(current)
    lines = [f"{a}:{b} {remove}" for a, b in sorted(held.keys() - wanted.keys())]
    return lines + [blkio.v1_line(dev, value) for dev, value in sorted(wanted.items())]


def io_max_rules(current: str, block_io: dict[str, Any]) -> list[str]:
    """The writes that turn v2 `io.max` holding `current` into `block_io`'s throttles."""
    from cgroupfs import blkio

    wanted = _wanted(block_io)
    devices = set(blkio.parse_io_max(current)).union(
        *(wanted[key].keys() for key in blkio.IO_MAX_KEYS)
    )
    return [
        blkio.io_max_line(dev, {k: wanted[k][dev] for k in blkio.IO_MAX_KEYS if dev in wanted[k]})
        for dev in sorted(devices)
    ]


def _write_v1(directory: str, block_io: dict[str, Any]) -> None:
    from cgroupfs import blkio

    wanted = _wanted(block_io)
    files = dict(blkio.V1_THROTTLE_FILES)
    weight_file = blkio.weight_file(directory, blkio.V1_WEIGHT_DEVICE_FILES)
    if weight_file is not None:
        files["weight"] = weight_file
    for key, name in files.items():
        path = os.path.join(directory, name)
        _write_rules(path, rules(_read_text(path), wanted[key]))


def _write_v2(directory: str, block_io: dict[str, Any]) -> None:
    from cgroupfs import blkio

    path = os.path.join(directory, blkio.V2_IO_MAX)
    if not os.path.exists(path) and not any(_wanted(block_io).values()):
        return  # no io controller here (rootless: not delegated, issue 17) and nothing asked
    _write_rules(path, io_max_rules(_read_text(path), block_io))
    weight_file = blkio.weight_file(directory, blkio.V2_WEIGHT_FILES)
    if weight_file is not None:
        path = os.path.join(directory, weight_file)
        _write_rules(path, rules(_read_text(path), _wanted(block_io)["weight"], "default"))


# misc (issue 19) ----------------------------------------------------------------------------


def write_swappiness(row: ContainerRow, oci: dict[str, Any], best_effort: bool = False) -> None:
    """Set a running container's v1 memory.swappiness to `oci`'s, or to its parent cgroup's
    (the kernel's default for a new cgroup) when it has none. runc 1.1's `update` does not
    read swappiness from `--resources`, and writes back the one the container was created
    with on every update: so this comes after the runtime's update, each time."""
    from cgroupfs.errors import CgroupError
    from supervisor.stats import container_cgroup

    try:
        directory = _v1_dir(container_cgroup(row), "memory")
    except (CgroupError, StateError):
        return  # no memory cgroup to write (create refused a swappiness where none exists)
    if directory is None:
        return
    path = os.path.join(directory, "memory.swappiness")
    if not os.path.exists(path):
        return
    wanted = (oci.get("memory") or {}).get("swappiness")
    try:
        if wanted is None:
            wanted = int(_read_text(os.path.join(os.path.dirname(directory),
                                                 "memory.swappiness")))
        if int(_read_text(path)) != wanted:
            with open(path, "w") as f:
                f.write(str(wanted))
    except (OSError, ValueError) as exc:
        if not best_effort:
            raise RuntimeFailed(f"cannot update container {row.name!r}: {path}: {exc}") from exc
