"""Restart policies under a real systemd: the monitor is scopebox-<id>.service's main process."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conmon.restart import backoff
from tests.clihelp import REPO, SCOPEBOX, Scopebox, leftovers, wait_for

pytestmark = pytest.mark.systemd


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def journal(*match: str) -> list[dict[str, str]]:
    subprocess.run(["journalctl", "--sync"], check=False)
    out = subprocess.run(
        ["journalctl", "-o", "json", "--no-pager", *match],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def show(unit: str, *props: str) -> dict[str, str]:
    out = subprocess.run(
        ["systemctl", "show", unit, *(f"--property={p}" for p in props)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def unit_loaded(unit: str) -> bool:
    return show(unit, "LoadState").get("LoadState") == "loaded"


def test_on_failure_3_restarts_exactly_three_times_with_backoff(sb: Scopebox) -> None:
    name = unique("onfail")
    cid = sb("run", "-d", "--name", name, "--restart", "on-failure:3", "busybox",
             "sh", "-c", "echo run $(date +%s); exit 1").stdout.strip()  # fmt: skip
    unit = f"scopebox-{cid}.service"

    def done() -> bool:
        return sb.state(name)["Status"] == "exited"

    wait_for(done, timeout=30, what="the policy to give up")
    info = sb.inspect(name)
    assert info["RestartCount"] == 3, info
    assert info["State"]["ExitCode"] == 1, info  # type: ignore[index]
    assert info["HostConfig"]["RestartPolicy"] == {  # type: ignore[index]
        "Name": "on-failure", "MaximumRetryCount": 3,
    }  # fmt: skip
    # Four runs, each in the log and in the unit's journal; no fifth one comes.
    time.sleep(1.5)
    assert sb("logs", name).stdout.count("run ") == 4
    runs = [e for e in journal("-u", unit) if e.get("MESSAGE", "").startswith("run ")]
    assert len(runs) == 4, runs
    stamps = [int(e["__REALTIME_TIMESTAMP"]) / 1e6 for e in runs]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    print("restart gaps (s):", [round(g, 3) for g in gaps])
    for i, gap in enumerate(gaps, start=1):  # Docker's back-off: 0.1, 0.2, 0.4 s at least
        assert gap >= backoff(i), (i, gaps)
    assert sb.state(name)["Status"] == "exited" and not unit_loaded(unit)
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_on_failure_backoff_grows(sb: Scopebox) -> None:
    """With more retries the doubling shows past systemd's own latency."""
    name = unique("grow")
    cid = sb("run", "-d", "--name", name, "--restart", "on-failure:6", "busybox",
             "sh", "-c", "echo run; exit 2").stdout.strip()  # fmt: skip
    wait_for(lambda: sb.state(name)["Status"] == "exited", timeout=60, what="six restarts")
    runs = [e for e in journal("-u", f"scopebox-{cid}.service") if e.get("MESSAGE") == "run"]
    stamps = [int(e["__REALTIME_TIMESTAMP"]) / 1e6 for e in runs]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    print("restart gaps (s):", [round(g, 3) for g in gaps])
    assert len(gaps) == 6 and sb.inspect(name)["RestartCount"] == 6
    assert gaps[5] >= 3.2 and gaps[4] >= 1.6 and gaps[5] > gaps[4] > gaps[2], gaps
    assert sb.state(name)["ExitCode"] == 2
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_always_comes_back_after_kill9_and_stop_ends_it(sb: Scopebox) -> None:
    name = unique("always")
    cid = sb("run", "-d", "--name", name, "--restart", "always", "busybox",
             "sh", "-c", "echo up; exec sleep 1000").stdout.strip()  # fmt: skip
    unit = f"scopebox-{cid}.service"
    props = show(unit, "Type", "Restart", "Delegate", "KillMode", "MainPID", "ActiveState")
    assert props["Type"] == "notify" and props["Restart"] == "always", props
    assert props["Delegate"] == "yes" and props["KillMode"] == "mixed", props
    assert props["ActiveState"] == "active"
    state = sb.state(name)
    assert int(props["MainPID"]) == state["ConmonPid"], (props, state)
    first = int(state["Pid"])  # type: ignore[call-overload]
    os.kill(first, signal.SIGKILL)

    def back() -> bool:
        st = sb.state(name)
        return st["Status"] == "running" and st["Pid"] not in (0, first)

    try:
        wait_for(back, timeout=30, what="the container to come back")
    except AssertionError:
        print(sb.state(name), subprocess.run(["journalctl", "-u", unit, "--no-pager"],
                                             capture_output=True, text=True).stdout)
        raise
    assert sb.inspect(name)["RestartCount"] == 1
    assert sb("logs", name).stdout == "up\nup\n"
    sb("stop", "-t", "2", name)
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 137, st  # sleep ignores SIGTERM
    time.sleep(1)
    assert sb.state(name)["Status"] == "exited" and not unit_loaded(unit)
    # start again: a new count, a running unit; rm -f takes the unit with it.
    sb("start", name)
    assert sb.state(name)["Status"] == "running" and sb.inspect(name)["RestartCount"] == 0
    assert show(unit, "ActiveState")["ActiveState"] == "active"
    sb("rm", "-f", name)
    assert leftovers(sb, cid) == []


def test_systemctl_stop_stops_the_container_for_good(sb: Scopebox) -> None:
    name = unique("sysstop")
    script = "trap 'exit 7' TERM; while :; do sleep 0.1; done"
    cid = sb("run", "-d", "--name", name, "--restart", "always", "--stop-timeout", "3",
             "busybox", "sh", "-c", script).stdout.strip()  # fmt: skip
    subprocess.run(["systemctl", "stop", f"scopebox-{cid}.service"], check=True)
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 7, st
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_restart_policy_bad_values(sb: Scopebox) -> None:
    for bad in ("sometimes", "on-failure:x", "always:3", "on-failure:-1"):
        res = sb("run", "-d", "--restart", bad, "busybox", "true", check=False)
        assert res.returncode == 125 and "--restart" in res.stderr, res
    res = sb("run", "-d", "--rm", "--restart", "always", "busybox", "true", check=False)
    assert res.returncode == 125 and "--rm" in res.stderr
    assert sb("ps", "-aq").stdout == ""


def test_start_failure_under_a_policy_leaves_nothing(sb: Scopebox) -> None:
    name = unique("nocmd")
    res = sb("run", "-d", "--name", name, "--restart", "always", "busybox", "/nonexistent",
             check=False)  # fmt: skip
    assert res.returncode == 127 and "nonexistent" in res.stderr, res
    cid = sb.inspect(name)["Id"]
    assert not unit_loaded(f"scopebox-{cid}.service")
    sb("rm", name)
    assert leftovers(sb, str(cid)) == []


def _run_in_unit(unit: str, *args: str) -> None:
    """systemd-run a `Type=notify`, `Delegate=yes` service (what Quadlet generates)."""
    subprocess.run(
        ["systemd-run", f"--unit={unit}", "-p", "Type=notify", "-p", "NotifyAccess=all",
         "-p", "Delegate=yes", "-p", "KillMode=mixed", "-p", f"WorkingDirectory={REPO}",
         "-p", "TimeoutStartSec=60", *SCOPEBOX, *args],
        check=True, timeout=90,
    )  # fmt: skip


PURE_V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _cgroup(pid: int) -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    raise AssertionError(f"no unified cgroup for {pid}")


def test_split_cgroups_in_a_notify_unit(sb: Scopebox, tmp_path: Path) -> None:
    name = unique("split")
    unit = f"{name}.service"
    cidfile = f"/run/{name}.cid"
    _run_in_unit(unit, "run", "-d", "--name", name, "--cidfile", cidfile, "--replace",
                 "--cgroups=split", "--sdnotify=conmon", "busybox", "sh", "-c",
                 "echo split-up; trap 'exit 3' TERM; while :; do sleep 0.1; done")  # fmt: skip
    cid = Path(cidfile).read_text()
    props = show(unit, "ActiveState", "MainPID", "ControlGroup")
    st = sb.state(name)
    assert props["ActiveState"] == "active", props
    assert int(props["MainPID"]) == st["ConmonPid"], (props, st)  # MAINPID= from the CLI
    # Pure v2: the unit's own cgroup must hold no process for the container's controllers, so
    # the monitor sits in <unit>/supervisor (as Podman's conmon); hybrid keeps it in the unit's.
    monitor_cg = props["ControlGroup"] + ("/supervisor" if PURE_V2 else "")
    assert _cgroup(int(st["ConmonPid"])) == monitor_cg  # type: ignore[call-overload]
    assert _cgroup(int(st["Pid"])) == f"{props['ControlGroup']}/{cid}"  # type: ignore[call-overload]
    status = subprocess.run(["systemctl", "status", unit, "--no-pager"],
                            capture_output=True, text=True).stdout  # fmt: skip
    assert "active (running)" in status and cid in status, status
    subprocess.run(["systemctl", "stop", unit], check=True, timeout=60)
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 3, st
    # --replace: the same name again replaces it; rm --cidfile -i cleans up.
    os.unlink(cidfile)
    new = sb("run", "-d", "--name", name, "--replace", "--cidfile", cidfile, "busybox",
             "sleep", "100").stdout.strip()  # fmt: skip
    assert new != cid and Path(cidfile).read_text() == new
    assert leftovers(sb, cid) == []
    sb("rm", "-f", "-i", "--cidfile", cidfile)
    assert not os.path.exists(cidfile) and leftovers(sb, new) == []
    assert sb("rm", "-f", "-i", "--cidfile", cidfile).returncode == 0


def test_foreground_run_under_a_policy_sees_the_first_run(sb: Scopebox) -> None:
    """The first run waits for the foreground CLI's attach: no output is lost; the CLI
    returns the first run's exit code (as Docker) while systemd goes on restarting."""
    name = unique("fg")
    res = sb("run", "--name", name, "--restart", "on-failure:1", "busybox",
             "sh", "-c", "echo out; echo err >&2; exit 3", check=False)  # fmt: skip
    assert (res.returncode, res.stdout, res.stderr) == (3, "out\n", "err\n"), res
    assert sb("wait", name).stdout == "3\n"
    assert sb.inspect(name)["RestartCount"] == 1
    assert sb("logs", name).stdout == "out\nout\n"
    cid = str(sb.inspect(name)["Id"])
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_kill_disables_the_policy_until_the_next_start(sb: Scopebox) -> None:
    name = unique("killed")
    cid = sb("run", "-d", "--name", name, "--restart", "always", "busybox",
             "sh", "-c", "trap 'echo usr1' USR1; while :; do sleep 0.1; done").stdout.strip()
    sb("kill", "-s", "USR1", name)  # non-fatal: the container goes on, the policy stays
    wait_for(lambda: "usr1" in sb("logs", name).stdout, what="the trap's output")
    sb("kill", name)
    wait_for(lambda: sb.state(name)["Status"] == "exited", what="the kill")
    time.sleep(1)
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 137, st
    assert sb.inspect(name)["RestartCount"] == 0
    assert not unit_loaded(f"scopebox-{cid}.service")
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_logs_follow_spans_every_run(sb: Scopebox) -> None:
    name = unique("follow")
    cid = sb("run", "-d", "--name", name, "--restart", "on-failure:2", "busybox",
             "sh", "-c", "sleep 0.3; echo line; exit 1").stdout.strip()  # fmt: skip
    res = sb("logs", "-f", name, timeout=60)
    assert res.stdout == "line\nline\nline\n", res
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 1, st
    assert sb.inspect(name)["RestartCount"] == 2
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_sdnotify_container_passes_the_socket_to_the_container(sb: Scopebox) -> None:
    """--sdnotify=container: the unit is started only when the container itself says READY=1
    (the host's systemd-notify, bound in read-only, does it); its main pid is the monitor."""
    name = unique("ntfy")
    unit = f"{name}.service"
    started = time.monotonic()
    _run_in_unit(unit, "run", "-d", "--name", name, "--cgroups=split", "--sdnotify=container",
                 "-v", "/usr:/usr:ro", "-v", "/usr/lib:/lib:ro", "-v", "/usr/lib64:/lib64:ro",
                 "busybox", "sh", "-c", "echo $NOTIFY_SOCKET; sleep 2;"
                 " /usr/bin/systemd-notify --ready; echo sent $?; exec sleep 100")  # fmt: skip
    assert time.monotonic() - started >= 2.0  # systemd-run waited for the container's READY
    props = show(unit, "ActiveState", "MainPID")
    st = sb.state(name)
    assert props["ActiveState"] == "active" and int(props["MainPID"]) == st["ConmonPid"], props
    wait_for(lambda: "sent 0" in sb("logs", name).stdout, what="the container's notify")
    assert sb("logs", name).stdout == "/run/notify/notify.sock\nsent 0\n"
    subprocess.run(["systemctl", "stop", unit], check=True, timeout=60)
    cid = str(sb.inspect(name)["Id"])
    sb("rm", "-f", name)
    assert leftovers(sb, cid) == []
