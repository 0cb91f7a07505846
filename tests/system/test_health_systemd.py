"""Healthchecks under a real systemd: status changes reach the journal, one entry each."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests import cases
from tests.cases_health import health
from tests.clihelp import Scopebox, leftovers, wait_for
from tests.system.test_cli_systemd import journal
from tests.system.test_restart_systemd import _run_in_unit, show

pytestmark = pytest.mark.systemd


def test_health_status_changes_are_journal_entries_one_per_change(sb: Scopebox) -> None:
    name = cases.unique("hjournal")
    cid = sb("run", "-d", "--name", name, "--health-cmd", "test -e /tmp/ok",
             "--health-interval", "200ms", "--health-retries", "1",
             "busybox", "sh", "-c", "echo only-output; exec sleep 1000").stdout.strip()  # fmt: skip

    def streak_at_least(n: int) -> bool:
        h = health(sb, name)
        return h["Status"] == ("healthy" if n == 0 else "unhealthy") and (
            h["FailingStreak"] >= n if n else len(h["Log"]) >= 3 and h["Log"][-3]["ExitCode"] == 0
        )

    wait_for(lambda: streak_at_least(4), timeout=30, what="four failures in a row")
    sb("exec", name, "touch", "/tmp/ok")
    wait_for(lambda: streak_at_least(0), timeout=30, what="three passes in a row")
    sb("exec", name, "rm", "/tmp/ok")
    wait_for(lambda: streak_at_least(4), timeout=30, what="four failures again")
    events = journal(f"CONTAINER_NAME={name}", "SCOPEBOX_EVENT=health_status")
    # Three changes (starting -> unhealthy -> healthy -> unhealthy) over a dozen checks.
    assert [e["SCOPEBOX_HEALTH_STATUS"] for e in events] == ["unhealthy", "healthy", "unhealthy"]
    for e in events:
        assert e["CONTAINER_ID"] == cid[:12] and e["SCOPEBOX_ID"] == cid, e
        assert f" container health_status {cid} (" in e["MESSAGE"], e  # events: Podman's line
    # The entries are events, not the container's output.
    assert sb("logs", name).stdout == "only-output\n"
    sb("rm", "-f", name)


def test_sdnotify_healthy_unit_is_active_only_after_a_passing_check(sb: Scopebox) -> None:
    """--sdnotify=healthy from a Type=notify unit: the CLI sends only MAINPID= (the monitor);
    READY=1 comes from the monitor after the first passing check, two seconds in."""
    name = cases.unique("nhealthy")
    unit = f"{name}.service"
    started = time.monotonic()
    _run_in_unit(unit, "run", "-d", "--name", name, "--cgroups=split", "--sdnotify=healthy",
                 "--health-cmd", "test -e /tmp/ok", "--health-interval", "300ms",
                 "busybox", "sh", "-c", "sleep 2; touch /tmp/ok; exec sleep 100")  # fmt: skip
    assert time.monotonic() - started >= 2.0  # systemd-run waited for the check to pass
    props = show(unit, "ActiveState", "MainPID")
    st = sb.state(name)
    assert props["ActiveState"] == "active" and int(props["MainPID"]) == st["ConmonPid"], props
    assert health(sb, name)["Status"] == "healthy"
    # Nothing was passed to the container (that is --sdnotify=container).
    assert sb("exec", name, "sh", "-c", "echo ${NOTIFY_SOCKET:-none}").stdout == "none\n"
    subprocess.run(["systemctl", "stop", unit], check=True, timeout=60)
    cid = str(sb.inspect(name)["Id"])
    sb("rm", "-f", name)
    assert leftovers(sb, cid) == []


def test_sdnotify_healthy_needs_a_healthcheck(sb: Scopebox) -> None:
    name = cases.unique("nohc")
    res = sb("run", "-d", "--name", name, "--sdnotify=healthy", "busybox", "true", check=False)
    assert res.returncode == 125 and "needs a healthcheck" in res.stderr, res
    assert name not in sb("ps", "-a", "--format", "{{.Names}}").stdout


def test_health_restart_under_a_restart_policy_is_the_policy_s_restart(sb: Scopebox) -> None:
    """--health-on-failure=restart with --restart=on-failure: the monitor (the unit's main
    process) stops the container, which exits 0 on SIGTERM, and still asks systemd for another
    run: counted in RestartCount, a new monitor, the same rootfs. stop ends it for good."""
    name = cases.unique("hpolicy")
    # Healthy until /fail exists, and again once it runs a second time.
    cid = sb("run", "-d", "--name", name, "--restart", "on-failure", "--stop-timeout", "5",
             "--health-cmd", 'test ! -e /fail -o "$(wc -l < /runs)" -ge 2',
             "--health-interval", "300ms", "--health-retries", "1",
             "--health-on-failure", "restart", "busybox", "sh", "-c",
             "echo run >> /runs; trap 'exit 0' TERM; while :; do sleep 0.1; done",
             ).stdout.strip()  # fmt: skip
    unit = f"scopebox-{cid}.service"
    wait_for(lambda: health(sb, name)["Status"] == "healthy", timeout=40, what="first healthy")
    first = sb.state(name)
    sb("exec", name, "touch", "/fail")
    wait_for(lambda: sb.inspect(name)["RestartCount"] == 1, timeout=40, what="the restart")
    wait_for(lambda: health(sb, name)["Status"] == "healthy", timeout=40, what="healthy again")
    info = sb.inspect(name)
    state = info["State"]
    assert isinstance(state, dict)
    assert state["Status"] == "running" and info["RestartCount"] == 1, info
    assert state["ConmonPid"] != first["ConmonPid"]  # systemd ran the monitor again
    assert show(unit, "ActiveState", "MainPID") == {
        "ActiveState": "active", "MainPID": str(state["ConmonPid"])}  # fmt: skip
    assert sb("exec", name, "cat", "/runs").stdout == "run\nrun\n"
    time.sleep(1.5)  # healthy now: no further restart
    assert sb.inspect(name)["RestartCount"] == 1
    sb("stop", name, timeout=60)
    st = sb.state(name)
    assert st["Status"] == "exited" and st["ExitCode"] == 0, st
    assert show(unit, "LoadState")["LoadState"] != "loaded"
    sb("rm", name)
    assert leftovers(sb, cid) == []
