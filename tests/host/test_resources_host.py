"""The resource seam on the real kernel: what a run made is recorded before it is made and
undone by whoever comes next, even after a SIGKILL of the monitor and the container."""

from __future__ import annotations

import json
import os
import signal
import sqlite3

from tests.clihelp import Scopebox, wait_for


def recorded(sb: Scopebox, cid: str) -> list[str]:
    db = sqlite3.connect(os.path.join(sb.root, "state.db"))
    try:
        (names,) = db.execute("SELECT resources FROM containers WHERE id = ?", (cid,)).fetchone()
    finally:
        db.close()
    return list(json.loads(names))


def mounted(path: str) -> bool:
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def test_run_records_its_resources_and_stop_clears_them(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--network", "none", "busybox", "sleep", "1000").stdout.strip()
    assert recorded(sb, cid) == ["rundir", "rootfs", "runtime"]
    assert mounted(os.path.join(sb.root, "containers", cid, "merged"))
    sb("stop", "-t", "0", cid)
    # stop returns once the container is Exited; its monitor's exit command tears the run
    # down a moment later (issue 16, docs/DIFFERENCES.md): every resource goes then
    wait_for(lambda: recorded(sb, cid) == []
             and not mounted(os.path.join(sb.root, "containers", cid, "merged"))
             and not os.path.exists(os.path.join(sb.runroot, "containers", cid)),
             timeout=15, what="the teardown after stop")  # fmt: skip
    sb("rm", cid)


def test_sigkill_of_monitor_and_container_is_torn_down_by_the_next_reader(sb: Scopebox) -> None:
    cid = sb("run", "-d", "busybox", "sleep", "1000").stdout.strip()
    st = sb.state(cid)
    os.kill(int(str(st["ConmonPid"])), signal.SIGKILL)
    os.kill(int(str(st["Pid"])), signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{st['Pid']}"), what="the container's init to go")
    assert sb.state(cid)["Status"] == "exited"  # this read reconciles and tears down
    assert recorded(sb, cid) == []
    assert not mounted(os.path.join(sb.root, "containers", cid, "merged"))
    assert sb("start", cid).returncode == 0  # the next run starts clean
    sb("rm", "-f", cid)
