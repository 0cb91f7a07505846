"""Restart policies without systemd (the cgroupfs manager): the monitor restarts the container
itself, with Docker's back-off, and a user's stop, kill or rm -f ends that."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.cases_units import test_cidfile_replace_and_ignore  # noqa: F401
from tests.clihelp import Scopebox, leftovers, wait_for

pytestmark = pytest.mark.host


def _systemd_is_init() -> bool:
    with open("/proc/1/comm") as f:
        return f.read().strip() == "systemd"


in_place = pytest.mark.skipif(_systemd_is_init(),
                              reason="systemd restarts the monitor there (its own tests)")


def _count(sb: Scopebox, ref: str) -> int:
    return int(sb("inspect", "--format", "{{.RestartCount}}", ref).stdout)


def _in_backoff(sb: Scopebox, ref: str) -> bool:
    out = sb("inspect", "--format", "{{.State.Restarting}} {{.RestartCount}}", ref).stdout.split()
    return out[0] == "true" and int(out[1]) >= 5  # the next back-off is 3.2 s or more


def _monitor_gone(sb: Scopebox, cid: str) -> bool:
    rundir = os.path.join(sb.runroot, "containers", cid)
    return not os.path.exists(os.path.join(rundir, "monitor.pid"))


@in_place
def test_on_failure_restarts_n_times_and_keeps_the_exit_code(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "on-failure:3", "busybox",
             "sh", "-c", "echo ran; exit 3").stdout.strip()  # fmt: skip
    assert sb("wait", cid).stdout == "3\n"
    st = sb.state(cid)
    assert (st["Status"], st["ExitCode"], _count(sb, cid)) == ("exited", 3, 3)
    assert sb.inspect(cid)["HostConfig"]["RestartPolicy"] == {  # type: ignore[index]
        "Name": "on-failure", "MaximumRetryCount": 3,
    }  # fmt: skip
    assert sb("logs", cid).stdout == "ran\n" * 4
    events = sb("events", "--stream=false", "--filter", f"container={cid}",
                "--format", "{{.Status}}").stdout.split()  # fmt: skip
    # Podman's order: each restart is died, restart, init, start; one cleanup at the end
    assert events == ["create", "init", "start", *["died", "restart", "init", "start"] * 3,
                      "died", "cleanup"], events  # fmt: skip
    sb("rm", cid)
    assert leftovers(sb, cid) == []


@in_place
def test_on_failure_does_not_restart_a_success(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "on-failure", "busybox", "true").stdout.strip()
    assert sb("wait", cid).stdout == "0\n"
    assert _count(sb, cid) == 0
    sb("rm", cid)


@in_place
def test_always_restarts_until_stopped_and_start_resets_the_count(sb: Scopebox) -> None:
    # The first run leaves a file in the container's root and exits 0; the next one stays.
    cid = sb("run", "-d", "--restart", "always", "busybox", "sh", "-c",
             "test -e /stay && exec sleep 1000; touch /stay; sleep 1").stdout.strip()  # fmt: skip
    first = sb.state(cid)["StartedAt"]
    wait_for(lambda: _count(sb, cid) == 1 and sb.state(cid)["Status"] == "running",
             timeout=15, what="the restart")  # fmt: skip
    pid = sb.state(cid)["Pid"]
    assert str(sb.state(cid)["StartedAt"]) > str(first)  # the last run's, as Podman's
    assert isinstance(pid, int) and pid > 0 and os.path.exists(f"/proc/{pid}")
    sb("stop", "-t", "1", cid)
    st = sb.state(cid)
    assert (st["Status"], st["ExitCode"]) == ("exited", 137)
    assert _monitor_gone(sb, cid)
    time.sleep(0.5)  # a restart would come after 0.2 s
    assert sb.state(cid)["Status"] == "exited"
    sb("start", cid)
    assert (_count(sb, cid), sb.state(cid)["Status"]) == (0, "running")
    sb("rm", "-f", "-t", "0", cid)
    assert leftovers(sb, cid) == []


@in_place
def test_stop_during_the_backoff_ends_the_restarts_at_once(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "always", "busybox", "sh", "-c", "exit 4").stdout.strip()
    wait_for(lambda: _in_backoff(sb, cid), timeout=15, what="a long back-off")
    ps = sb("ps", "--filter", f"id={cid}", "--format", "{{.State}}").stdout
    assert ps == "running\n"  # a restart pending: the policy holds it (State.Restarting)
    assert sb.state(cid)["Pid"] == 0  # no process in the back-off (Podman's scripts wait so)
    began = time.monotonic()
    sb("stop", cid)
    assert time.monotonic() - began < 3
    count = _count(sb, cid)
    st = sb.state(cid)
    assert (st["Status"], st["ExitCode"], st["Restarting"]) == ("exited", 4, False)
    assert _monitor_gone(sb, cid)
    time.sleep(0.3)
    assert _count(sb, cid) == count and sb.state(cid)["Status"] == "exited"
    sb("rm", cid)
    assert leftovers(sb, cid) == []


@in_place
def test_rm_force_during_the_backoff_leaves_nothing(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "always", "busybox", "true").stdout.strip()
    wait_for(lambda: _in_backoff(sb, cid), timeout=15, what="a long back-off")
    began = time.monotonic()
    sb("rm", "-f", cid)
    assert time.monotonic() - began < 3
    assert sb("ps", "-aq").stdout == ""
    assert leftovers(sb, cid) == []


@in_place
def test_unless_stopped_stays_down_after_kill(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "unless-stopped", "busybox", "sleep", "1000").stdout.strip()
    sb("kill", cid)
    assert sb("wait", cid).stdout == "137\n"
    time.sleep(0.3)
    st = sb.state(cid)
    assert (st["Status"], st["ExitCode"], _count(sb, cid)) == ("exited", 137, 0)
    sb("rm", cid)


@in_place
def test_a_killed_monitor_leaves_a_consistent_state(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "always", "busybox", "sleep", "1000").stdout.strip()
    monitor = sb.state(cid)["ConmonPid"]
    assert isinstance(monitor, int) and monitor > 0
    os.kill(monitor, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{monitor}"), what="the monitor's end")
    assert sb.state(cid)["Status"] == "running"  # the container lives on, unsupervised
    sb("rm", "-f", "-t", "0", cid)
    assert sb("ps", "-aq").stdout == ""
    assert leftovers(sb, cid) == []


def test_restart_no_works_and_shows_in_inspect(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "no", "busybox", "true").stdout.strip()
    assert sb.inspect(cid)["HostConfig"]["RestartPolicy"] == {  # type: ignore[index]
        "Name": "no", "MaximumRetryCount": 0,
    }  # fmt: skip
    sb("rm", "-f", cid)


def test_restart_and_rm_conflict(sb: Scopebox) -> None:
    res = sb("run", "--rm", "--restart", "always", "busybox", "true", check=False)
    assert res.returncode == 125 and "--restart and --rm" in res.stderr, res
    assert sb("ps", "-aq").stdout == ""


def test_split_needs_a_cgroup_of_its_own_or_works(sb: Scopebox) -> None:
    """On the bare host the test runner sits in some cgroup: split puts the container
    below it, and the monitor stays where the CLI was."""
    res = sb("run", "--rm", "--cgroups=split", "busybox", "cat", "/proc/self/cgroup", check=False)
    assert res.returncode == 0 or "needs to run inside a cgroup" in res.stderr, res


@in_place
def test_pod_stop_ends_its_members_restarts_together(sb: Scopebox) -> None:
    """kube play's pods have restartPolicy Always: `pod stop` gives their grace periods at
    once (not one after another) and no member comes back, one in a back-off neither."""
    sb("pod", "create", "--name", "rp")
    for name, cmd in (("rp1", "sleep 1000"), ("rp2", "sleep 1000"), ("rp3", "sleep 1000"),
                      ("rp4", "exit 1")):
        sb("run", "-d", "--pod", "rp", "--name", name, "--restart", "always", "busybox",
           "sh", "-c", f"trap '' TERM; {cmd}")  # deaf to SIGTERM: the grace period runs out
    wait_for(lambda: _count(sb, "rp4") >= 3, what="rp4's restarts")
    began = time.monotonic()
    sb("pod", "stop", "-t", "2", "rp")
    assert time.monotonic() - began < 5  # 2 s for all, not 2 s each (6 s)
    time.sleep(0.5)
    out = sb("ps", "-a", "--filter", "pod=rp", "--format", "{{.Names}} {{.State}}").stdout
    assert sorted(out.split("\n")[:-1])[-4:] == [f"rp{i} exited" for i in range(1, 5)], out
    sb("pod", "rm", "-f", "rp")


@in_place
def test_a_monitor_killed_in_the_backoff_leaves_an_exited_container(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "always", "busybox", "sh", "-c", "exit 5").stdout.strip()
    wait_for(lambda: _in_backoff(sb, cid), timeout=15, what="a long back-off")
    monitor = sb.state(cid)["ConmonPid"]
    assert isinstance(monitor, int) and monitor > 0
    os.kill(monitor, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{monitor}"), what="the monitor's end")
    st = sb.state(cid)  # the reader makes the last record final and cleans up
    assert (st["Status"], st["ExitCode"], st["Pid"]) == ("exited", 5, 0)
    assert not os.path.exists(os.path.join(sb.runroot, "containers", cid))  # run dir gone
    sb("rm", cid)
    assert leftovers(sb, cid) == []


@in_place
def test_kill_during_the_backoff_ends_the_restarts_at_once(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "always", "busybox", "sh", "-c", "exit 6").stdout.strip()
    wait_for(lambda: _in_backoff(sb, cid), timeout=15, what="a long back-off")
    sb("kill", cid)
    wait_for(lambda: sb.state(cid)["Status"] == "exited", timeout=2, what="the exit")
    assert sb.state(cid)["ExitCode"] == 6  # the last run's code stays
    sb("rm", cid)
    assert leftovers(sb, cid) == []
