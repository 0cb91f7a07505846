"""journald's rate limit lifted for scopebox's own units only, not for the host.

journald (systemd 252) limits each unit to RateLimitBurst= messages per RateLimitIntervalSec=
(10000 in 30 s, scaled up with free space): a busy container's lines beyond that are dropped
silently. journald reads a per-unit burst from /run/systemd/units/log-rate-limit-burst:UNIT, a
symlink whose target is the number; PID 1 writes it from LogRateLimitBurst= of a service, but
refuses that setting on scopes. The monitor's scope (scopebox-conmon-ID.scope, whose processes
send the container's lines) gets that file from the engine, before the scope exists: journald
reads it whenever it refreshes what it knows of a sender (at the first line, then every second).
A restart policy's service gets the same number as LogRateLimitBurst= (PID 1's own file).

Standard library only (teardown runs in the monitor's exit command under `python3 -I -S`).
"""

from __future__ import annotations

import contextlib
import os

UNITS_DIR = "/run/systemd/units"
# journald multiplies the burst by (log2(free bytes) - 16) / 4 in 32-bit arithmetic: 10^8
# stays below 2^32 up to 2^58 bytes free, and is ~3 * 10^6 lines a second, far above what
# journald itself writes (~10^5 here): in effect no limit.
BURST = 100_000_000


def monitor_scope(cid: str) -> str:
    """The unit whose processes send a container's lines: its monitor's scope."""
    return f"scopebox-conmon-{cid}.scope"


def burst_file(unit: str, units_dir: str = UNITS_DIR) -> str:
    return os.path.join(units_dir, f"log-rate-limit-burst:{unit}")


def lift(unit: str, units_dir: str = UNITS_DIR) -> bool:
    """Write `unit`'s burst file; False where there is no system journald to read it (no
    systemd, or not root: a user's units log to the same journald, which reads the system's
    directory only)."""
    if not os.path.isdir(units_dir) or not os.access(units_dir, os.W_OK):
        return False
    path = burst_file(unit, units_dir)
    tmp = f"{path}.scopebox-tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(str(BURST), tmp)
    os.replace(tmp, path)
    return True


def restore(unit: str, units_dir: str = UNITS_DIR) -> None:
    """Remove `unit`'s burst file (journald's default applies again); gone already is fine."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        os.unlink(burst_file(unit, units_dir))
