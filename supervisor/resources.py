"""Resource flags as Docker and Podman users write them, checked and turned into OCI
`linux.resources` before anything is created. Pure: the host's CPUs and memory nodes are passed
in (see `host_cpus`, `host_mems`)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from supervisor.errors import UsageError
from supervisor.notices import notice
from supervisor.sizes import parse_size

MIN_MEMORY = 6 * 1024 * 1024  # Docker's minimum
CPU_PERIOD = 100_000  # µs, the kernel's default CFS period
DEFAULT_PIDS_LIMIT = 2048  # Podman's default


@dataclass(frozen=True)
class ResourceOptions:
    """The resource limits asked (memory, CPU, pids, block I/O ...), as given."""

    memory: str | None = None
    memory_swap: str | None = None
    memory_reservation: str | None = None
    cpus: str | None = None
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    pids_limit: int | None = None
    blkio_weight: int | None = None
    # blkio (issue 19): PATH:WEIGHT and PATH:RATE as typed (named after their flags, which
    # `generate systemd --new` renders back from the field names)
    blkio_weight_device: tuple[str, ...] = ()
    device_read_bps: tuple[str, ...] = ()
    device_write_bps: tuple[str, ...] = ()
    device_read_iops: tuple[str, ...] = ()
    device_write_iops: tuple[str, ...] = ()
    # misc (issue 19): 0 to 100; negative: the kernel's (the parent cgroup's) value
    memory_swappiness: int | None = None
    # issue 19 (helper "flags"): cgroup v1's cpu.rt_period_us / cpu.rt_runtime_us
    cpu_rt_period: int | None = None
    cpu_rt_runtime: int | None = None


def oci_resources(
    opts: ResourceOptions, cpus: set[int], mems: set[int], devices: DeviceNumbers | None = None
) -> dict[str, Any]:
    """linux.resources without devices; raises UsageError with one line for bad values.
    `devices`: the numbers of the block devices the blkio flags name (`device_numbers`)."""
    out: dict[str, Any] = {}
    memory = _memory(opts)
    if memory:
        out["memory"] = memory
    cpu = _cpu(opts, cpus, mems)
    if cpu:
        out["cpu"] = cpu
    limit = DEFAULT_PIDS_LIMIT if opts.pids_limit is None else opts.pids_limit
    if limit < -1:
        raise UsageError(f"invalid --pids-limit {limit}: a positive number, or -1 for unlimited")
    if limit > 0:
        out["pids"] = {"limit": limit}
    if opts.blkio_weight is not None and opts.blkio_weight != 0:
        if not 10 <= opts.blkio_weight <= 1000:
            raise UsageError(f"invalid --blkio-weight {opts.blkio_weight}: from 10 to 1000")
        out["blockIO"] = {"weight": opts.blkio_weight}
    block_io = _block_io_devices(opts, devices or {})
    if block_io:
        out["blockIO"] = {**out.get("blockIO", {}), **block_io}
    return out


def _size(flag: str, value: str) -> int:
    try:
        return parse_size(value)
    except UsageError:
        raise UsageError(f"invalid {flag} {value!r}: expected a size like 512m or 1g") from None


def _memory(opts: ResourceOptions) -> dict[str, int]:
    out: dict[str, int] = {}
    limit = _size("--memory", opts.memory) if opts.memory else 0
    if limit and limit < MIN_MEMORY:  # 0 is "no limit", as in Podman
        raise UsageError(f"invalid --memory {opts.memory!r}: the minimum is 6m")
    if limit:
        out["limit"] = limit
    if opts.memory_swap:
        if not limit:
            raise UsageError("--memory-swap needs --memory")
        swap = -1 if opts.memory_swap == "-1" else _size("--memory-swap", opts.memory_swap)
        if swap != -1 and swap < limit:
            raise UsageError("--memory-swap is memory plus swap: it must be at least --memory")
        out["swap"] = swap
    elif limit:
        out["swap"] = 2 * limit  # Docker's default: as much swap as memory
    if opts.memory_reservation:
        reservation = _size("--memory-reservation", opts.memory_reservation)
        if limit and reservation > limit:
            raise UsageError("--memory-reservation must not be above --memory")
        out["reservation"] = reservation
    swappiness = opts.memory_swappiness  # misc (issue 19): Podman's check and words
    if swappiness is not None and swappiness > 100:
        raise UsageError(f"invalid value: {swappiness}, valid memory swappiness range is 0-100")
    if swappiness is not None and swappiness >= 0:
        out["swappiness"] = swappiness
    return out


def _cpu(opts: ResourceOptions, cpus: set[int], mems: set[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if opts.cpus is not None:
        if opts.cpu_quota is not None or opts.cpu_period is not None:
            raise UsageError("--cpus conflicts with --cpu-quota and --cpu-period: use one way")
        try:
            value = float(opts.cpus)
        except ValueError:
            raise UsageError(f"invalid argument {opts.cpus!r} for \"--cpus\" flag: not a"
                             " number") from None
        # Podman 4.3: 0 or less is no limit; more than this host's CPUs is allowed (the
        # kernel takes a quota over several periods' worth)
        if value > 0:
            if value * CPU_PERIOD < 1000:
                raise UsageError("CPU cfs quota cannot be less than 1ms (i.e. 1000) (--cpus)")
            out["quota"], out["period"] = int(value * CPU_PERIOD), CPU_PERIOD
    if opts.cpu_period is not None:
        if not 1000 <= opts.cpu_period <= 1_000_000:
            raise UsageError(f"invalid --cpu-period {opts.cpu_period}: from 1000 to 1000000 µs")
        out["period"] = opts.cpu_period
    if opts.cpu_quota is not None:
        if opts.cpu_quota != -1 and opts.cpu_quota < 1000:
            raise UsageError(f"invalid --cpu-quota {opts.cpu_quota}: at least 1000 µs, or -1")
        out["quota"] = opts.cpu_quota
    if opts.cpu_rt_period is not None:  # the kernel checks them (EINVAL at the runtime's write)
        out["realtimePeriod"] = opts.cpu_rt_period
    if opts.cpu_rt_runtime is not None:
        out["realtimeRuntime"] = opts.cpu_rt_runtime
    if opts.cpu_shares is not None:
        if not 2 <= opts.cpu_shares <= 262144:
            raise UsageError(f"invalid --cpu-shares {opts.cpu_shares}: from 2 to 262144")
        out["shares"] = opts.cpu_shares
    if opts.cpuset_cpus:
        _within("--cpuset-cpus", opts.cpuset_cpus, cpus, "CPUs")
        out["cpus"] = opts.cpuset_cpus
    if opts.cpuset_mems:
        _within("--cpuset-mems", opts.cpuset_mems, mems, "memory nodes")
        out["mems"] = opts.cpuset_mems
    return out


def parse_cpu_list(text: str) -> set[int]:
    """The kernel's list format: `0-3,5,7-8`."""
    out: set[int] = set()
    for part in text.strip().split(","):
        lo, dash, hi = part.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ValueError(part)
        first, last = int(lo), int(hi) if dash else int(lo)
        if last < first:
            raise ValueError(part)
        out.update(range(first, last + 1))
    return out


def _within(flag: str, value: str, available: set[int], what: str) -> None:
    try:
        wanted = parse_cpu_list(value)
    except ValueError:
        raise UsageError(f"invalid {flag} {value!r}: expected a list like 0-1,3") from None
    outside = sorted(wanted - available)
    if outside:
        have = ",".join(map(str, sorted(available)))
        raise UsageError(
            f"invalid {flag} {value!r}: {outside} are not among this host's {what} ({have})"
        )


def _read_list(path: str, default: set[int]) -> set[int]:
    try:
        with open(path) as f:
            return parse_cpu_list(f.read())
    except (OSError, ValueError):
        return default


def host_cpus() -> set[int]:
    return _read_list("/sys/devices/system/cpu/online", {0})


def host_mems() -> set[int]:
    return _read_list("/sys/devices/system/node/online", {0})


# blkio (issue 19) ---------------------------------------------------------------------------

# OCI linux.resources.blockIO's throttle lists, by option (in the order Podman checks them)
THROTTLE_KEYS = {
    "device_read_bps": "throttleReadBpsDevice",
    "device_write_bps": "throttleWriteBpsDevice",
    "device_read_iops": "throttleReadIOPSDevice",
    "device_write_iops": "throttleWriteIOPSDevice",
}
DEVICE_FIELDS = ("blkio_weight_device", *THROTTLE_KEYS)
# path -> (major, minor) of a block device, or why it is none (a lower-case strerror, or
# NOT_BLOCK), for the paths `device_paths` lists
DeviceNumbers = Mapping[str, tuple[int, int] | str]
NOT_BLOCK = "not a block device"
# go-units' RAMInBytes, which Podman uses: binary units, a fraction, one optional space
_RATE = re.compile(r"(\d+(?:\.\d+)*) ?([kmgtp])?i?b?", re.IGNORECASE)
_MULT = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1


def _split_device(item: str) -> tuple[str, str]:
    path, colon, value = item.partition(":")
    if not colon:
        raise UsageError(f"bad format: {item}")
    if not path.startswith("/dev/"):
        raise UsageError(f"bad format for device path: {item}")
    return path, value


def parse_weight_device(item: str) -> tuple[str, int]:
    """`--blkio-weight-device PATH:WEIGHT`: 10 to 1000, or 0 (none), as Podman checks it."""
    path, value = _split_device(item)
    weight = int(value) if value.isascii() and value.isdigit() else -1
    if weight < 0 or (weight > 0 and not 10 <= weight <= 1000):
        raise UsageError(f"invalid weight for device: {item}")
    return path, weight


def parse_device_rate(field_name: str, item: str) -> tuple[str, int]:
    """`--device-read-bps PATH:RATE` (bytes, with kb/mb/gb/... units) and the iops flags
    (a plain count), with Podman's messages."""
    path, value = _split_device(item)
    if field_name.endswith("_iops"):
        rate = int(value) if value.isascii() and value.isdigit() else -1
        if not 0 <= rate <= _UINT64_MAX:
            raise UsageError(
                f"invalid rate for device: {item}. The correct format is <device-path>:<number>."
                " Number must be a positive integer"
            )
        return path, rate
    rate = _bytes(value)
    if rate < 0:
        raise UsageError(
            f"invalid rate for device: {item}. The correct format is"
            " <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is"
            " optional and can be kb, mb, or gb"
        )
    return path, rate


def _bytes(value: str) -> int:
    """RAMInBytes's number, or -1."""
    found = _RATE.fullmatch(value) if value.isascii() else None
    if found is None:
        return -1
    try:
        number = float(found.group(1))
    except ValueError:  # 1.2.3
        return -1
    size = int(number * _MULT[(found.group(2) or "").lower()])
    return size if size <= _INT64_MAX else -1


def parsed_devices(opts: ResourceOptions) -> dict[str, dict[str, int]]:
    """Each blkio device option as {path: value}; the last one given for a path wins."""
    out: dict[str, dict[str, int]] = {}
    for item in opts.blkio_weight_device:
        path, weight = parse_weight_device(item)
        out.setdefault("blkio_weight_device", {})[path] = weight
    for name in THROTTLE_KEYS:
        for item in getattr(opts, name):
            path, rate = parse_device_rate(name, item)
            out.setdefault(name, {})[path] = rate
    return out


def device_paths(opts: ResourceOptions) -> set[str]:
    """The device paths the blkio options name (after checking their format)."""
    return {path for values in parsed_devices(opts).values() for path in values}


def device_numbers(paths: set[str]) -> dict[str, tuple[int, int] | str]:
    """The host's numbers of these block devices (symlinks followed, as Podman does)."""
    out: dict[str, tuple[int, int] | str] = {}
    for path in sorted(paths):
        try:
            st = os.stat(path)
        except OSError as exc:
            reason = os.strerror(exc.errno or 0)
            out[path] = reason[:1].lower() + reason[1:]
            continue
        if not stat.S_ISBLK(st.st_mode):
            out[path] = NOT_BLOCK
        else:
            out[path] = (os.major(st.st_rdev), os.minor(st.st_rdev))
    return out


def _numbers(path: str, name: str, devices: DeviceNumbers) -> tuple[int, int]:
    found = devices.get(path, "no such file or directory")
    if isinstance(found, tuple):
        return found
    if name == "blkio_weight_device":
        raise UsageError(f"failed to inspect '{path}' in --blkio-weight-device: {found}")
    raise UsageError(f"could not parse throttle device at {path}: {found}")


def _block_io_devices(opts: ResourceOptions, devices: DeviceNumbers) -> dict[str, Any]:
    """blockIO's weightDevice and throttle lists (inspect shows the paths from the options)."""
    out: dict[str, Any] = {}
    for name, values in parsed_devices(opts).items():
        entries = []
        for path, value in values.items():
            major, minor = _numbers(path, name, devices)
            key = "weight" if name == "blkio_weight_device" else "rate"
            entries.append({"major": major, "minor": minor, key: value})
        out["weightDevice" if name == "blkio_weight_device" else THROTTLE_KEYS[name]] = entries
    return out


@dataclass(frozen=True)
class BlkioSupport:
    """Whether the kernel offers proportional block I/O weights (CFQ's or BFQ's files)."""

    weight: bool
    weight_device: bool


# Podman's words when it drops a weight the kernel cannot apply (its sysinfo checks)
NO_WEIGHT = (
    "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
)
NO_WEIGHT_DEVICE = (
    "Your kernel does not support Block I/O weight_device or the cgroup is not mounted."
    " Weight-device discarded."
)


# misc (issue 19): Podman's words when cgroup v2 has no memory.swappiness
NO_SWAPPINESS = ("Your kernel does not support memory swappiness capabilities or the cgroup is"
                 " not mounted. Memory swappiness discarded.")


def discard_unsupported(
    opts: ResourceOptions, support: BlkioSupport, devices: DeviceNumbers
) -> ResourceOptions:
    """Podman drops a weight the kernel has no file for, with a warning, rather than let the
    runtime fail on it at start; a weight device is checked first (format, device)."""
    if opts.blkio_weight is not None and not support.weight:
        notice(NO_WEIGHT)
        opts = replace(opts, blkio_weight=None)
    if opts.blkio_weight_device and not support.weight_device:
        for item in opts.blkio_weight_device:
            _numbers(parse_weight_device(item)[0], "blkio_weight_device", devices)
        notice(NO_WEIGHT_DEVICE)
        opts = replace(opts, blkio_weight_device=())
    return opts


def discard_swappiness(opts: ResourceOptions, supported: bool) -> ResourceOptions:
    """misc (issue 19): as a weight, a swappiness the memory controller has no
    memory.swappiness for (cgroup v2) is dropped with Podman's warning; a bad one refused."""
    if opts.memory_swappiness is None or opts.memory_swappiness < 0 or supported:
        return opts
    _memory(opts)
    notice(NO_SWAPPINESS)
    return replace(opts, memory_swappiness=None)


def discard_realtime(opts: ResourceOptions, unified: bool) -> ResourceOptions:
    """issue 19: cgroup v2 has no real-time CPU limits: dropped with Podman's warnings."""
    if not unified or (opts.cpu_rt_period is None and opts.cpu_rt_runtime is None):
        return opts
    if opts.cpu_rt_period is not None:
        notice("Realtime period not supported on cgroups V2 systems")
    if opts.cpu_rt_runtime is not None:
        notice("Realtime runtime not supported on cgroups V2 systems")
    return replace(opts, cpu_rt_period=None, cpu_rt_runtime=None)


def swappiness_support() -> bool:
    """misc (issue 19): a v1 memory hierarchy with memory.swappiness (v2 has none)."""
    from cgroupfs.layout import detect

    hierarchy = detect().hierarchy_of("memory")
    return (hierarchy is not None and hierarchy.version == 1
            and os.path.exists(os.path.join(hierarchy.mount_point, "memory.swappiness")))


def blkio_support() -> BlkioSupport:
    """Probe the kernel's weight files: v1 at the blkio hierarchy's root; v2 offers the
    weights with its `io` controller."""
    from cgroupfs import blkio
    from cgroupfs.layout import detect

    layout = detect()
    hierarchy = layout.hierarchy_of("blkio")
    if hierarchy is not None and hierarchy.version == 1:
        root = hierarchy.mount_point
        return BlkioSupport(
            blkio.weight_file(root, blkio.V1_WEIGHT_FILES) is not None,
            blkio.weight_file(root, blkio.V1_WEIGHT_DEVICE_FILES) is not None,
        )
    unified = layout.hierarchy_of("io")
    return BlkioSupport(unified is not None, unified is not None)
