"""The monitor lives as long as its container: its imports are part of its memory budget."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
# Each of these costs the monitor 0.3-2 MiB of private memory (or pulls in one that does).
FORBIDDEN = {
    "json", "re", "subprocess", "asyncio", "argparse", "datetime", "logging", "pathlib",
    "enum", "typing", "signal", "socket", "dataclasses", "threading", "contextlib",
    "collections", "functools", "supervisor", "jeepney", "systemd",
    # `os` and what it drags in (~0.3 MiB): the monitor uses the builtin `posix` instead.
    "os", "posixpath", "genericpath", "stat", "_collections_abc",
}  # fmt: skip


def loaded_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c",
         f"import sys; sys.path.insert(0, {str(CHECKOUT)!r}); {code}; print(*sys.modules)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return set(out.split())


def test_entry_point_needs_only_builtins_before_the_first_sync_line() -> None:
    before = loaded_modules("pass")
    mods = loaded_modules("import conmon.main")
    # _socket too: the attach socket must be listening before the engine learns our pid.
    assert mods - before == {"conmon", "conmon.main", "conmon.protocol", "__future__", "_socket"}


def test_monitor_imports_stay_lean() -> None:
    mods = loaded_modules("import conmon.main, conmon.monitor")
    assert "conmon.monitor" in mods and "units.journald" in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN


def test_oom_watch_module_stays_lean() -> None:
    # Imported by the monitor after `create` (cgroupfs.events, owned elsewhere).
    mods = loaded_modules("import conmon.monitor, cgroupfs.events")
    assert "cgroupfs.events" in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN


def test_health_modules_stay_lean() -> None:
    # Imported by the monitor of a container with a healthcheck, for the container's life.
    mods = loaded_modules("import conmon.monitor, conmon.health")
    assert "conmon.health_state" in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN
