"""A restart policy outlives its monitor: kill -9 of the monitor under a real systemd.

systemd restarts the monitor (the unit's main process); the new monitor adopts the container
that still runs (ptrace for its exit status, the stdio pipes from systemd's fd store), so the
exit code is known and the policy holds (ARCHITECTURE.md, "Restart policies").
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.clihelp import Scopebox, leftovers, wait_for

pytestmark = pytest.mark.systemd

# Waits for /x/go, removes it (the next run waits again), says so, exits 7.
SCRIPT = "echo up; while [ ! -e /x/go ]; do sleep 0.05; done; rm /x/go; echo bye; exit 7"


def show(unit: str, *props: str) -> dict[str, str]:
    out = subprocess.run(
        ["systemctl", "show", unit, *(f"--property={p}" for p in props)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def start(sb: Scopebox, tmp_path: Path, policy: str) -> tuple[str, str]:
    name = f"mkill-{uuid.uuid4().hex[:8]}"
    cid = sb("run", "-d", "--name", name, "--restart", policy, "-v", f"{tmp_path}:/x",
             "busybox", "sh", "-c", SCRIPT).stdout.strip()  # fmt: skip
    wait_for(lambda: "up" in sb("logs", name).stdout, what="the first run's output")
    return name, cid


def kill_monitor(sb: Scopebox, name: str, cid: str) -> int:
    """SIGKILL the monitor; wait until systemd's next monitor has the container; its pid."""
    unit = f"scopebox-{cid}.service"
    before = sb.state(name)
    old_monitor, pid = int(before["ConmonPid"]), int(before["Pid"])  # type: ignore[call-overload]
    assert int(show(unit, "MainPID")["MainPID"]) == old_monitor
    os.kill(old_monitor, signal.SIGKILL)

    def adopted() -> bool:
        props = show(unit, "ActiveState", "MainPID", "Result")
        assert props["ActiveState"] in ("active", "activating", "deactivating"), props
        return props["ActiveState"] == "active" and int(props["MainPID"]) not in (0, old_monitor)

    wait_for(adopted, timeout=30, what="the next monitor to adopt the container")
    st = sb.state(name)
    # The same container, never interrupted; the new monitor is the unit's main process.
    assert st["Status"] == "running" and st["Pid"] == pid, st
    assert st["ConmonPid"] == int(show(unit, "MainPID")["MainPID"]), st
    return pid


def go(tmp_path: Path) -> None:
    (tmp_path / "go").write_text("")


def test_always_adopts_after_kill9_of_the_monitor(sb: Scopebox, tmp_path: Path) -> None:
    name, cid = start(sb, tmp_path, "always")
    pid = kill_monitor(sb, name, cid)
    assert sb.inspect(name)["RestartCount"] == 0  # an adoption is not a restart
    go(tmp_path)  # the adopted container exits 7 on its own: the policy restarts it

    def restarted() -> bool:
        st = sb.state(name)
        return st["Status"] == "running" and st["Pid"] not in (0, pid)

    wait_for(restarted, timeout=30, what="the restart after the adopted run's exit")
    assert sb.inspect(name)["RestartCount"] == 1
    wait_for(lambda: sb("logs", name).stdout == "up\nbye\nup\n", what="the second run's output")
    sb("stop", "-t", "1", name)
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 137, st
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_on_failure_count_and_exit_code_hold_across_monitor_kills(
    sb: Scopebox, tmp_path: Path
) -> None:
    name, cid = start(sb, tmp_path, "on-failure:1")
    first = kill_monitor(sb, name, cid)
    go(tmp_path)
    wait_for(lambda: sb.inspect(name)["RestartCount"] == 1 and sb.state(name)["Pid"] != first
             and sb("logs", name).stdout == "up\nbye\nup\n", timeout=30,
             what="the policy's one restart")  # fmt: skip
    kill_monitor(sb, name, cid)  # the second run's monitor too: the count stays 1
    go(tmp_path)
    wait_for(lambda: sb.state(name)["Status"] == "exited", timeout=30, what="the last exit")
    info = sb.inspect(name)
    assert info["RestartCount"] == 1, info
    st = info["State"]
    assert isinstance(st, dict) and st["ExitCode"] == 7 and not st["Error"], st
    assert sb("logs", name).stdout == "up\nbye\nup\nbye\n"
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_a_container_lost_with_its_monitor_counts_as_a_failure(
    sb: Scopebox, tmp_path: Path
) -> None:
    """Killed together: the kernel has no exit status left for anyone (PID 1 reaped it), so
    the exit is unknown (-1, State.Error says why) and on-failure restarts it."""
    name, cid = start(sb, tmp_path, "on-failure:1")
    st = sb.state(name)
    os.kill(int(st["ConmonPid"]), signal.SIGKILL)  # type: ignore[call-overload]
    os.kill(int(st["Pid"]), signal.SIGKILL)  # type: ignore[call-overload]
    wait_for(lambda: sb.inspect(name)["RestartCount"] == 1 and sb.state(name)["Pid"] != st["Pid"]
             and sb.state(name)["Status"] == "running", timeout=30,
             what="the restart after the lost exit")  # fmt: skip
    go(tmp_path)
    wait_for(lambda: sb.state(name)["Status"] == "exited", timeout=30, what="the last exit")
    assert sb.state(name)["ExitCode"] == 7 and sb.inspect(name)["RestartCount"] == 1
    sb("rm", name)
    assert leftovers(sb, cid) == []
