"""Resource flags as Docker and Podman users write them, checked and turned into OCI
`linux.resources` before anything is created. Pure: the host's CPUs and memory nodes are passed
in (see `host_cpus`, `host_mems`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supervisor.errors import UsageError
from supervisor.sizes import parse_size

MIN_MEMORY = 6 * 1024 * 1024  # Docker's minimum
CPU_PERIOD = 100_000  # µs, the kernel's default CFS period
DEFAULT_PIDS_LIMIT = 2048  # Podman's default


@dataclass(frozen=True)
class ResourceOptions:
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


def oci_resources(opts: ResourceOptions, cpus: set[int], mems: set[int]) -> dict[str, Any]:
    """linux.resources without devices; raises UsageError with one line for bad values."""
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
    return out


def _size(flag: str, value: str) -> int:
    try:
        return parse_size(value)
    except UsageError:
        raise UsageError(f"invalid {flag} {value!r}: expected a size like 512m or 1g") from None


def _memory(opts: ResourceOptions) -> dict[str, int]:
    out: dict[str, int] = {}
    limit = _size("--memory", opts.memory) if opts.memory else 0
    if opts.memory and limit < MIN_MEMORY:
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
    return out


def _cpu(opts: ResourceOptions, cpus: set[int], mems: set[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if opts.cpus is not None:
        if opts.cpu_quota is not None or opts.cpu_period is not None:
            raise UsageError("--cpus conflicts with --cpu-quota and --cpu-period: use one way")
        try:
            value = float(opts.cpus)
        except ValueError:
            value = -1.0
        if not 0.01 <= value <= len(cpus):
            raise UsageError(
                f"invalid --cpus {opts.cpus!r}: from 0.01 to {len(cpus)} (this host's CPUs)"
            )
        out["quota"], out["period"] = int(value * CPU_PERIOD), CPU_PERIOD
    if opts.cpu_period is not None:
        if not 1000 <= opts.cpu_period <= 1_000_000:
            raise UsageError(f"invalid --cpu-period {opts.cpu_period}: from 1000 to 1000000 µs")
        out["period"] = opts.cpu_period
    if opts.cpu_quota is not None:
        if opts.cpu_quota != -1 and opts.cpu_quota < 1000:
            raise UsageError(f"invalid --cpu-quota {opts.cpu_quota}: at least 1000 µs, or -1")
        out["quota"] = opts.cpu_quota
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
