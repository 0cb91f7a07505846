"""Block I/O limits as the kernel names and prints them: v1 `blkio.*` files (one `MAJ:MIN
VALUE` line per device) and v2 `io.max` (`MAJ:MIN rbps=N wbps=max riops=N wiops=max`), per
Documentation/admin-guide/cgroup-v1/blkio-controller.rst and cgroup-v2.rst ("IO").

Pure: names, parsers and the lines to write. Only `scopebox update` writes them (OCI runtimes'
`update` leave throttle limits alone: see supervisor/update.py), never this package.
"""

from __future__ import annotations

from os import path as _path

Device = tuple[int, int]  # (major, minor)

# The four throttles by io.max's keys, and their v1 files
IO_MAX_KEYS = ("rbps", "wbps", "riops", "wiops")
V1_THROTTLE_FILES = {
    "rbps": "blkio.throttle.read_bps_device",
    "wbps": "blkio.throttle.write_bps_device",
    "riops": "blkio.throttle.read_iops_device",
    "wiops": "blkio.throttle.write_iops_device",
}
V2_IO_MAX = "io.max"
# Proportional weights: CFQ's files, then BFQ's (the kernel has one of them, or none)
V1_WEIGHT_FILES = ("blkio.weight", "blkio.bfq.weight")
V1_WEIGHT_DEVICE_FILES = ("blkio.weight_device", "blkio.bfq.weight_device")
V2_WEIGHT_FILES = ("io.weight", "io.bfq.weight")


def _device(text: str) -> Device | None:
    major, colon, minor = text.partition(":")
    if not (colon and major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def parse_v1_device_values(text: str) -> dict[Device, int]:
    """A v1 per-device file (`blkio.throttle.read_bps_device`, `blkio.weight_device`)."""
    out: dict[Device, int] = {}
    for line in text.splitlines():
        fields = line.split()
        dev = _device(fields[0]) if len(fields) == 2 else None
        if dev is not None and fields[1].isdigit():
            out[dev] = int(fields[1])
    return out


def parse_io_max(text: str) -> dict[Device, dict[str, int | None]]:
    """v2 `io.max`: the limits per device, None for `max` (no limit)."""
    out: dict[Device, dict[str, int | None]] = {}
    for line in text.splitlines():
        fields = line.split()
        dev = _device(fields[0]) if fields else None
        if dev is None:
            continue
        limits: dict[str, int | None] = {}
        for item in fields[1:]:
            key, _, value = item.partition("=")
            if key in IO_MAX_KEYS:
                limits[key] = int(value) if value.isdigit() else None
        out[dev] = limits
    return out


def v1_line(dev: Device, value: int) -> str:
    """One rule for a v1 per-device file; 0 removes the device's rule."""
    return f"{dev[0]}:{dev[1]} {value}"


def io_max_line(dev: Device, limits: dict[str, int]) -> str:
    """One `io.max` rule setting all four keys; a key absent or 0 is `max` (no limit)."""
    values = " ".join(f"{k}={limits.get(k) or 'max'}" for k in IO_MAX_KEYS)
    return f"{dev[0]}:{dev[1]} {values}"


def weight_file(directory: str, names: tuple[str, ...]) -> str | None:
    """The first of `names` present in a cgroup directory (a feature probe)."""
    return next((n for n in names if _path.exists(_path.join(directory, n))), None)
