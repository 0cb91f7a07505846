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
    assert "conmon.monitor" in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN
    # performance (issue 16): the journald writer (and struct) only for --log-driver=journald
    assert not mods & {"units.journald", "struct", "_struct"}


def test_journald_log_stays_lean() -> None:
    mods = loaded_modules("import conmon.monitor; from conmon.logs import JournaldLog as J;"
                          " J('a' * 64, 'n', 't', socket_path='/nonexistent')")  # fmt: skip
    assert "units.journald" in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN


def test_oom_watch_module_stays_lean() -> None:
    # Imported by the monitor after `create` (cgroupfs.oom; cgroupfs.events for v2's inotify).
    mods = loaded_modules("import conmon.monitor, cgroupfs.oom")
    assert "cgroupfs.oom" in mods and "cgroupfs.events" not in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN
    mods = loaded_modules("import conmon.monitor, cgroupfs.events")
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN


def test_health_modules_stay_lean() -> None:
    # Imported by the monitor of a container with a healthcheck, for the container's life.
    mods = loaded_modules("import conmon.monitor, conmon.health")
    assert "conmon.health_state" in mods
    assert not {m.split(".")[0] for m in mods} & FORBIDDEN


def test_terminal_module_stays_lean() -> None:
    # terminals: imported by the monitor of a tty container, for the container's life
    mods = loaded_modules("import conmon.monitor, conmon.terminal, fcntl")
    assert "conmon.terminal" in mods
    assert not {m.split(".")[0] for m in mods} & (FORBIDDEN | {"termios", "array", "tty"})
