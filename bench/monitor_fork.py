"""What a monitor forked from a shared parent would cost, against one interpreter per monitor.

    python3 -I -S bench/monitor_fork.py [N]      (best under the monitor's own interpreter)

A parent imports the monitor's modules (as a journald monitor holds them), then forks N
children, each of which runs a full garbage collection (every monitor's gc runs sooner or
later, and it writes to every tracked object's header), and idles. Children share the parent's
pages until they write to them; Private_Clean + Private_Dirty (smaps_rollup) counts what each
one wrote. With `gc.freeze()` in the parent before the fork, the collector leaves the parent's
objects alone. Compare with bench/monitor_footprint.py (a fresh interpreter per monitor).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def uss_kib(pid: int) -> int:
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def children(n: int, freeze: bool) -> tuple[int, list[int]]:
    """(the parent's USS, each child's) after each child's gc pass."""
    gc.collect()
    if freeze:
        gc.freeze()
    pids = []
    for _ in range(n):
        r, _w = os.pipe()
        pid = os.fork()
        if pid == 0:
            gc.collect()
            os.read(r, 1)  # idle, as a monitor between events
            os._exit(0)
        os.close(r)
        pids.append(pid)
    time.sleep(0.5)
    sizes = [uss_kib(pid) for pid in pids]
    for pid in pids:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    if freeze:
        gc.unfreeze()
    return uss_kib(os.getpid()), sizes


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    import _ctypes  # noqa: F401  the modules a journald monitor holds (test_monitor_modules)
    import _socket  # noqa: F401
    import select  # noqa: F401

    import cgroupfs.oom  # noqa: F401
    import conmon.events
    import conmon.main
    import conmon.monitor  # noqa: F401
    import units.journald  # noqa: F401

    print(f"interpreter {sys.executable}; {n} children each; load average "
          f"{Path('/proc/loadavg').read_text().split()[0]}")  # fmt: skip
    for freeze in (False, True):
        parent, sizes = children(n, freeze)
        print(f"{'gc.freeze() before fork' if freeze else 'plain fork':<24} parent USS {parent}"
              f" KiB; child USS median {sorted(sizes)[n // 2]} KiB")  # fmt: skip


if __name__ == "__main__":
    main()
