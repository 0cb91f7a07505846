"""Sizes as Docker users write them: 10m, 1g, 512k, 1024."""

from __future__ import annotations

from supervisor.errors import UsageError

# A container's k8s-file log by default: at most 5 files of 10 MiB (kubelet's
# containerLogMaxSize/containerLogMaxFiles), so a chatty container cannot fill the disk.
# Podman's log_size_max and Docker's json-file max-size are unlimited by default; `--log-opt
# max-size=0` asks for that here.
DEFAULT_LOG_MAX_SIZE = 10 << 20
DEFAULT_LOG_MAX_FILE = 5

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(value: str, decimal: bool = False) -> int:
    """`decimal`: k = 1000 (go-units' FromHumanSize, which Podman and Docker read a log's
    max-size with); else k = 1024 (RAMInBytes: memory, shm)."""
    text = value.strip().lower()
    if text.endswith("ib") or (text.endswith("b") and len(text) > 1 and text[-2] in "kmgt"):
        text = text[:-2] if text.endswith("ib") else text[:-1]
    num = text.rstrip("bkmgt")
    unit = text[len(num) :]
    try:
        n = float(num)
    except ValueError:
        n = -1.0
    if n < 0 or unit not in _UNITS:
        raise UsageError(f"invalid size {value!r} (examples: 512k, 10m, 1g)")
    if decimal:
        scale: int = 1000 ** "bkmgt".index(unit or "b")
        return round(n * scale)
    return int(n * _UNITS[unit])


def bytes_size(n: float) -> str:
    """Docker's go-units BytesSize: 4 significant digits, binary units."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.4g}{unit}"
        n /= 1024
    return f"{n}"


def human_size(n: float) -> str:
    """Docker's HumanSize: 3 significant digits, decimal units."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.4g}{unit}" if unit != "B" else f"{int(n)}B"
        n /= 1000
    return f"{n}"


def spaced_size(n: float) -> str:
    """Podman's `images` and `history` SIZE: go-units HumanSizeWithPrecision(n, 3) with a
    space put before the unit (`2.13 MB`, `0 B`)."""
    units = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    i = 0
    while n >= 1000 and i < len(units) - 1:
        n /= 1000
        i += 1
    return f"{n:.3g} {units[i]}"
