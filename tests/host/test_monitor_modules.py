"""performance (issue 16): the modules a real monitor holds once its container runs.

The monitor lives as long as its container, and each module it loads is private memory for
that whole life. `-X importtime` makes the interpreter log every import to the monitor's
stderr, the lazy ones made while it creates, starts and watches the container included, so
this is the steady-state set, not what a test script imports."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.host.test_conmon_runc import Harness

pytestmark = [pytest.mark.host]

# What a bare `python3 -I -S` already holds is not listed: only what the monitor adds.
STEADY_STATE = {
    "__future__", "_ctypes", "_socket", "errno", "select",
    "conmon", "conmon.framing", "conmon.logs", "conmon.main", "conmon.monitor",
    "conmon.protocol", "conmon.record", "conmon.state",
    # the OOM watch (v1: an eventfd; v2: inotify, which adds cgroupfs.inotify, ctypes, struct)
    "cgroupfs", "cgroupfs.fd", "cgroupfs.oom", "cgroupfs.parse",
}  # fmt: skip
V2_OOM_WATCH = {"cgroupfs.inotify", "ctypes", "ctypes._endian", "struct", "_struct"}
OPTIONAL = {"encodings.ascii"}  # reading cgroup files with encoding="ascii", where they exist


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness(Path(tempfile.mkdtemp(prefix="conmon-modules-")))
    try:
        yield h
    finally:
        h.cleanup()
        shutil.rmtree(h.base, ignore_errors=True)


def imported(log: str) -> set[str]:
    """Module names from `-X importtime` lines: `import time: self | cumulative |   name`."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in log.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }


def bare_interpreter() -> set[str]:
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-I", "-S", "-X", "importtime", "-c", "pass"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return imported(res.stderr)


def test_monitor_of_a_running_container_loads_only_its_own_modules(harness: Harness) -> None:
    sync = harness.start_monitor(["sleep", "1000"], python_flags=("-X", "importtime"))
    assert "pid" in sync
    mods = imported((harness.rundir / "monitor.log").read_text()) - bare_interpreter()
    extra = mods - STEADY_STATE - OPTIONAL
    # A k8s-file monitor never loads the journald writer (nor struct, on a v1 host).
    assert "units.journald" not in mods
    assert "cgroupfs.events" not in mods
    if not Path("/sys/fs/cgroup/memory").is_dir():  # v2: inotify
        assert "cgroupfs.inotify" in mods
    else:
        assert "cgroupfs.inotify" not in mods
    assert extra <= V2_OOM_WATCH, f"the monitor loads more than it needs: {sorted(extra)}"
    assert mods >= STEADY_STATE
