"""`scopebox update` under a real systemd: crun with the systemd cgroup driver.

crun (1.8) writes memory and pids limits into the cgroup it creates inside the scope
(`machine.slice/scopebox-<id>.scope/container`) and sets no MemoryLimit=/TasksMax= unit
property; the engine sets those itself. Both are read back here: the container's own cgroup
files, the effective (hierarchical) memory limit, and what `systemctl show` says.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cases import PURE_V2, cgroup_file, unique
from tests.clihelp import Scopebox

pytestmark = pytest.mark.systemd


def unit_show(cid: str, *props: str) -> dict[str, str]:
    out = subprocess.run(
        ["systemctl", "show", *(f"-p{p}" for p in props), f"scopebox-{cid}.scope"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


MEMORY_FILE = "memory.max" if PURE_V2 else "memory.limit_in_bytes"
MEMORY_PROP = "MemoryMax" if PURE_V2 else "MemoryLimit"  # systemd's name for it


def effective_memory_limit(pid: int) -> int:
    if PURE_V2:  # the smallest memory.max on the way up from the container's cgroup
        path = Path(f"/proc/{pid}/cgroup").read_text().splitlines()[0].split(":", 2)[2]
        here, limits = Path("/sys/fs/cgroup" + path), []
        while here != Path("/sys/fs/cgroup"):
            value = (here / "memory.max").read_text().strip()
            limits += [int(value)] if value != "max" else []
            here = here.parent
        return min(limits)
    stat = dict(line.split() for line in cgroup_file(pid, "memory", "memory.stat").splitlines())
    return int(stat["hierarchical_memory_limit"])


def test_update_reaches_the_kernel_and_the_scope(sb: Scopebox) -> None:
    name = unique("upd")
    cid = sb("run", "-d", "--name", name, "--memory", "64m", "busybox", "sleep", "1000").stdout
    cid = cid.strip()
    try:
        pid = sb.state(name)["Pid"]
        assert isinstance(pid, int) and pid > 0
        assert unit_show(cid, MEMORY_PROP)[MEMORY_PROP] == str(64 << 20)
        sb("update", "--memory", "128m", "--pids-limit", "100", name)
        assert cgroup_file(pid, "memory", MEMORY_FILE) == str(128 << 20)
        assert effective_memory_limit(pid) == 128 << 20  # the scope's limit no longer binds
        assert cgroup_file(pid, "pids", "pids.max") == "100"
        props = unit_show(cid, "MemoryLimit", "MemoryMax", "TasksMax")
        # Hybrid v1: systemd's MemoryLimit= is memory.limit_in_bytes; MemoryMax= is v2 only.
        memory = (
            {"MemoryLimit": "infinity", "MemoryMax": str(128 << 20)}
            if PURE_V2
            else {"MemoryLimit": str(128 << 20), "MemoryMax": "infinity"}
        )
        assert props == {**memory, "TasksMax": "100"}
        res = sb("update", "--memory", "1m", name, check=False)
        assert res.returncode == 125 and res.stderr.count("\n") == 1, res
        assert cgroup_file(pid, "memory", MEMORY_FILE) == str(128 << 20)
        assert unit_show(cid, MEMORY_PROP)[MEMORY_PROP] == str(128 << 20)
        res = sb("update", "--pids-limit", "-1", name, check=False)
        if PURE_V2:  # v2: runc and crun write "max" for -1, and the scope follows
            assert res.returncode == 0, res
            assert cgroup_file(pid, "pids", "pids.max") == "max"
            assert unit_show(cid, "TasksMax")["TasksMax"] == "infinity"
        else:
            # crun 1.8 cannot lift a v1 pids limit with `update` (it writes "-1" to pids.max,
            # and 0 means "unchanged"): refused, and nothing changes.
            assert res.returncode == 125 and "pids.max" in res.stderr, res
            assert cgroup_file(pid, "pids", "pids.max") == "100"
            assert unit_show(cid, "TasksMax")["TasksMax"] == "100"
    finally:
        sb("rm", "-f", name)


def test_stopped_container_gets_them_at_the_next_start(sb: Scopebox) -> None:
    name = unique("upd-new")
    cid = sb("create", "--name", name, "--memory", "64m", "busybox", "sleep", "1000").stdout
    cid = cid.strip()
    try:
        sb("update", "--memory", "96m", name)
        sb("start", name)
        pid = sb.state(name)["Pid"]
        assert isinstance(pid, int) and pid > 0
        assert effective_memory_limit(pid) == 96 << 20
        assert unit_show(cid, MEMORY_PROP)[MEMORY_PROP] == str(96 << 20)
    finally:
        sb("rm", "-f", name)
