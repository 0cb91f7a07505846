"""verbs: `init` leaves the container created in the runtime (its init process waits for the
start, the command has not run), `start` runs that same process, rm takes it without -f."""

from __future__ import annotations

import json
import os
import subprocess

from tests.clihelp import Scopebox, leftovers


def _runc_state(sb: Scopebox, cid: str) -> dict[str, object]:
    res = subprocess.run(["runc", "--root", os.path.join(sb.runroot, "runc"), "state", cid],
                         capture_output=True, text=True, check=True)
    return dict(json.loads(res.stdout))


def _cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode().strip()


def test_init_creates_and_start_starts_the_same_process(sb: Scopebox) -> None:
    cid = sb("create", "--name", "verbs-init", "busybox", "sleep", "100").stdout.strip()
    try:
        assert sb("init", "verbs-init").stdout == "verbs-init\n"
        runc = _runc_state(sb, cid)
        assert runc["status"] == "created"
        pid = int(str(runc["pid"]))
        assert _cmdline(pid).endswith("runc init")  # waiting on the runtime's exec fifo
        state = sb.state("verbs-init")
        assert (state["Status"], state["Running"], state["Pid"]) == ("initialized", False, pid)
        again = sb("init", "verbs-init", check=False)
        assert again.returncode == 125 and "already been created in runtime" in again.stderr
        assert sb("start", "verbs-init").stdout == "verbs-init\n"
        assert _runc_state(sb, cid)["status"] == "running"
        assert _cmdline(pid) == "sleep 100"  # the process init made is the container's
        assert sb.state("verbs-init")["Status"] == "running"
    finally:
        sb("rm", "-f", "-t", "0", "verbs-init")
    assert leftovers(sb, cid) == []


def test_rm_takes_an_initialized_container_without_force(sb: Scopebox) -> None:
    cid = sb("create", "--name", "verbs-init-rm", "busybox", "sleep", "100").stdout.strip()
    sb("init", "verbs-init-rm")
    pid = int(str(_runc_state(sb, cid)["pid"]))
    assert sb("rm", "verbs-init-rm").stdout == "verbs-init-rm\n"
    assert not os.path.exists(f"/proc/{pid}")
    assert leftovers(sb, cid) == []
