"""A pod's own cgroup with the cgroupfs manager (helper podsx): its limits reach the kernel
and hold the pod's containers together; it goes with the pod."""

from __future__ import annotations

import json
import os

from cgroupfs.layout import detect
from tests.clihelp import Scopebox


def _dir(controller: str, path: str) -> str:
    h = detect().hierarchy_of(controller)
    assert h is not None, f"no {controller} controller here"
    return h.mount_point + path


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def test_pod_limits_reach_the_kernel(sb: Scopebox) -> None:
    pod = sb("pod", "create", "--name", "lim", "--cpus", "0.5", "-m", "32m").stdout.strip()
    doc = json.loads(sb("pod", "inspect", "lim").stdout)
    path = doc["CgroupPath"]
    assert path.endswith(f"/pod_{pod}") and doc["memory_limit"] == 32 << 20
    assert doc["cpu_quota"] == 50000 and doc["cpu_period"] == 100000
    sb("run", "-d", "--pod", "lim", "--name", "limc", "busybox", "sleep", "300")
    mem, cpu = _dir("memory", path), _dir("cpu", path)
    v2 = detect().hierarchy_of("memory").version == 2  # type: ignore[union-attr]
    if v2:
        assert _read(os.path.join(mem, "memory.max")) == str(32 << 20)
        assert _read(os.path.join(cpu, "cpu.max")).split() == ["50000", "100000"]
    else:
        assert _read(os.path.join(mem, "memory.limit_in_bytes")) == str(32 << 20)
        assert _read(os.path.join(cpu, "cpu.cfs_quota_us")) == "50000"
    # the member and the infra sit below the pod's cgroup
    for ref in ("limc", doc["InfraContainerID"]):
        with open(f"/proc/{sb.state(ref)['Pid']}/cgroup") as f:
            assert f"{path}/" in f.read()
    # the pod's memory limit binds a container that has none of its own
    res = sb("run", "--pod", "lim", "busybox", "sh", "-c", "head -c 96m /dev/zero | tail",
             check=False)
    assert res.returncode == 137, res
    sb("pod", "rm", "-f", "-t", "0", "lim")
    assert [h.mount_point for h in detect().hierarchies
            if os.path.exists(h.mount_point + path)] == []  # in no hierarchy at all


def test_pod_cgroup_parent_and_defaults(sb: Scopebox) -> None:
    pod = sb("pod", "create", "--name", "par", "--cgroup-parent", "/sbtest-pods").stdout.strip()
    doc = json.loads(sb("pod", "inspect", "par").stdout)
    assert (doc["CgroupParent"], doc["CgroupPath"]) == ("/sbtest-pods", f"/sbtest-pods/pod_{pod}")
    assert "cpu_quota" not in doc and "memory_limit" not in doc
    sb("run", "-d", "--pod", "par", "--name", "parc", "busybox", "sleep", "300")
    with open(f"/proc/{sb.state('parc')['Pid']}/cgroup") as f:
        assert f"/sbtest-pods/pod_{pod}/" in f.read()
    sb("pod", "rm", "-f", "-t", "0", "par")
    for h in detect().hierarchies:
        assert not os.path.exists(h.mount_point + f"/sbtest-pods/pod_{pod}")
        if os.path.isdir(h.mount_point + "/sbtest-pods"):
            os.rmdir(h.mount_point + "/sbtest-pods")
    # --share-parent=false: the pod has its cgroup, its members do not go under it
    pod = sb("pod", "create", "--name", "apart", "--share-parent=false").stdout.strip()
    sb("run", "-d", "--pod", "apart", "--name", "apartc", "busybox", "sleep", "300")
    with open(f"/proc/{sb.state('apartc')['Pid']}/cgroup") as f:
        assert f"pod_{pod}" not in f.read()
    sb("pod", "rm", "-f", "-t", "0", "apart")
    res = sb("pod", "create", "--name", "bad", "--cgroup-parent", "../x", check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1
    res = sb("pod", "create", "--name", "bad", "-m", "1k", check=False)
    assert res.stderr == "Error: minimum memory limit allowed is 6MB\n"
    assert sb("pod", "ps", "-q").stdout == ""


def test_pod_shares_cpuset_and_swap_reach_the_kernel(sb: Scopebox) -> None:
    """issue 19: -c, --cpuset-cpus/--cpuset-mems, --memory-swap on the pod's cgroup; a CPU
    the host lacks is the kernel's refusal at create, and leaves nothing."""
    res = sb("pod", "create", "--name", "bad", "--cpuset-cpus", "4095", check=False)
    assert res.returncode == 125 and "cannot set up the cgroup of pod bad" in res.stderr
    assert sb("pod", "ps", "-q").stdout == ""
    sb("pod", "create", "--name", "more", "-c", "512", "--cpuset-cpus", "0", "--cpuset-mems",
       "0", "-m", "32m", "--memory-swap", "64m")
    sb("pod", "start", "more")
    path = json.loads(sb("pod", "inspect", "more").stdout)["CgroupPath"]
    cpu, cpuset, mem = _dir("cpu", path), _dir("cpuset", path), _dir("memory", path)
    assert _read(os.path.join(cpuset, "cpuset.cpus")) == "0"
    assert _read(os.path.join(cpuset, "cpuset.mems")) == "0"
    if detect().hierarchy_of("cpu").version == 2:  # type: ignore[union-attr]
        assert _read(os.path.join(cpu, "cpu.weight")) == "20"
        assert _read(os.path.join(mem, "memory.swap.max")) == str(32 << 20)
    else:
        assert _read(os.path.join(cpu, "cpu.shares")) == "512"
        if os.path.exists(os.path.join(mem, "memory.memsw.limit_in_bytes")):
            assert _read(os.path.join(mem, "memory.memsw.limit_in_bytes")) == str(64 << 20)
    sb("pod", "rm", "-f", "-t", "0", "more")
    assert [h.mount_point for h in detect().hierarchies
            if os.path.exists(h.mount_point + path)] == []
