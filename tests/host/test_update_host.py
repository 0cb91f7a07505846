"""`scopebox update` on the bare host: runc with cgroupfs, limits read back from the kernel."""

from __future__ import annotations

import pytest

from tests.cases import PURE_V2, cgroup_file, unique
from tests.clihelp import Scopebox, wait_for

pytestmark = pytest.mark.host

MEMORY = ("memory", "memory.max" if PURE_V2 else "memory.limit_in_bytes")
PIDS = ("pids", "pids.max")
CPUSET = ("cpuset", "cpuset.cpus")


def kernel(sb: Scopebox, name: str, what: tuple[str, str]) -> str:
    pid = sb.state(name)["Pid"]
    assert isinstance(pid, int) and pid > 0
    return cgroup_file(pid, *what)


def test_running_container_gets_new_limits(sb: Scopebox) -> None:
    name = unique("upd")
    sb("run", "-d", "--name", name, "--memory", "64m", "busybox", "sleep", "1000")
    try:
        assert kernel(sb, name, MEMORY) == str(64 << 20)
        assert sb("update", "--memory", "128m", name).stdout == f"{name}\n"
        assert kernel(sb, name, MEMORY) == str(128 << 20)
        assert kernel(sb, name, PIDS) == "2048"
        sb("update", "--pids-limit", "100", name)
        assert kernel(sb, name, PIDS) == "100"
        assert kernel(sb, name, MEMORY) == str(128 << 20)  # the earlier update is kept
        sb("update", "--pids-limit", "-1", name)
        assert kernel(sb, name, PIDS) == "max"
    finally:
        sb("rm", "-f", name)


def test_bad_value_is_refused_and_nothing_changes(sb: Scopebox) -> None:
    name = unique("upd-bad")
    sb("run", "-d", "--name", name, "--memory", "64m", "busybox", "sleep", "1000")
    try:
        for flags in (
            ["--memory", "1m"],
            ["--memory-swap", "32m"],  # below the stored --memory
            ["--pids-limit", "100", "--cpus", "0.001"],  # under 1 ms of quota
        ):
            res = sb("update", *flags, name, check=False)
            assert res.returncode == 125, (flags, res)
            assert res.stderr.startswith("Error: ") and res.stderr.count("\n") == 1, res.stderr
            assert kernel(sb, name, MEMORY) == str(64 << 20)
            assert kernel(sb, name, PIDS) == "2048"
        res = sb("update", "--memory", "128m", "no-such-container", check=False)
        assert res.returncode == 125 and "no such container" in res.stderr
    finally:
        sb("rm", "-f", name)


def test_runtime_failure_changes_nothing(sb: Scopebox) -> None:
    """40 MiB in a tmpfs cannot be reclaimed without swap: the kernel refuses a 16 MiB limit.
    runc writes cpuset before memory, so the cpuset it changed must be put back."""
    name = unique("upd-busy")
    sb(
        "run", "-d", "--name", name, "--tmpfs", "/t", "busybox", "sh", "-c",
        "dd if=/dev/zero of=/t/f bs=1M count=40 2>/dev/null && echo filled && exec sleep 1000",
    )  # fmt: skip
    try:
        wait_for(lambda: "filled" in sb("logs", name).stdout, what="the tmpfs to fill")
        cpus, memory = kernel(sb, name, CPUSET), kernel(sb, name, MEMORY)
        last_cpu = cpus.replace("-", ",").split(",")[-1]
        res = sb("update", "--memory", "16m", "--cpuset-cpus", last_cpu, name, check=False)
        assert res.returncode == 125 and "memory" in res.stderr, res
        assert res.stderr.count("\n") == 1, res.stderr
        assert (kernel(sb, name, CPUSET), kernel(sb, name, MEMORY)) == (cpus, memory)
        sb("restart", "-t", "0", name)  # the store kept the old limits too
        assert kernel(sb, name, MEMORY) == memory
    finally:
        sb("rm", "-f", name)


def test_stopped_container_gets_them_at_the_next_start(sb: Scopebox) -> None:
    created, exited = unique("upd-new"), unique("upd-old")
    sb("create", "--name", created, "--memory", "64m", "busybox", "sleep", "1000")
    sb("run", "-d", "--name", exited, "busybox", "sleep", "1000")
    try:
        sb("stop", "-t", "0", exited)
        for name in (created, exited):
            sb("update", "--memory", "96m", "--pids-limit", "77", name)
            assert sb.state(name)["Status"] in ("created", "exited")  # not started by update
            sb("start", name)
            assert kernel(sb, name, MEMORY) == str(96 << 20)
            assert kernel(sb, name, PIDS) == "77"
    finally:
        sb("rm", "-f", created, exited)
