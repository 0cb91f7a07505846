"""The CLI under a real systemd: transient scopes over D-Bus, journald logs, the same cases."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests import cases
from tests.cases import (  # noqa: F401 (collected by pytest in this module)
    test_bad_input,
    test_bad_input_more,
    test_bad_resource_values_create_nothing,
    test_cgroup_conf_needs_pure_v2,
    test_cli_killed_during_foreground,
    test_cpus_limit_holds_a_busy_loop_near_half_a_cpu,
    test_create_start_restart_rename,
    test_detached_lifecycle,
    test_exit_137_after_kill9,
    test_exit_codes,
    test_foreground_streams,
    test_fork_bomb_is_contained,
    test_interactive_stdin,
    test_labels_and_formats,
    test_logs_follow,
    test_logs_follow_has_no_gap,
    test_logs_options,
    test_monitor_killed,
    test_multi_container_verbs_carry_on,
    test_oom_event_seen_within_1s,
    test_oom_killed,
    test_parallel_run_rm,
    test_pause_unpause,
    test_reboot_marks_exited,
    test_resource_limits_reach_the_kernel,
    test_rm_containers,
    test_run_flags,
    test_run_rm_hand_off_survives_a_killed_exit_command,
    test_verbs_right_after_wait_and_stop_do_not_race_the_cleanup,
)
from tests.cases_health import (  # noqa: F401 (collected by pytest in this module)
    test_exec,
    test_health_on_failure_kill,
    test_health_on_failure_restart,
    test_health_on_failure_stop,
    test_health_restart_loop_stops_for_good,
    test_health_timeout_kills_the_check_and_what_it_started,
    test_healthcheck_healthy_unhealthy_starting,
    test_healthcheck_run_exit_codes,
    test_image_healthcheck_is_honoured,
)
from tests.cases_units import test_cidfile_replace_and_ignore  # noqa: F401
from tests.clihelp import Scopebox, leftovers, wait_for

pytestmark = pytest.mark.systemd


def journal(*match: str) -> list[dict[str, str]]:
    subprocess.run(["journalctl", "--sync"], check=False)
    out = subprocess.run(
        ["journalctl", "-o", "json", "--no-pager", *match],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def unit_state(unit: str) -> str:
    return subprocess.run(
        ["systemctl", "is-active", unit], capture_output=True, text=True
    ).stdout.strip()


def test_info_says_systemd(sb: Scopebox) -> None:
    info = json.loads(sb("info", "--format", "json").stdout)["host"]
    assert info["cgroupManager"] == "systemd" and info["systemd"] is True
    assert info["logDriver"] == "journald"


def test_lifecycle_scopes_and_journal(sb: Scopebox) -> None:
    name = cases.unique("web")
    cid = sb(
        "run",
        "-d",
        "--name",
        name,
        "busybox",
        "sh",
        "-c",
        "echo hello-journal; echo oops >&2; exec sleep 1000",
    ).stdout.strip()
    assert f"{name} Up" in sb("ps", "--format", "{{.Names}} {{.Status}}").stdout
    wait_for(lambda: len(journal(f"CONTAINER_NAME={name}")) >= 2, what="journal entries")
    entries = {e["MESSAGE"]: e for e in journal(f"CONTAINER_NAME={name}")}
    out, err = entries["hello-journal"], entries["oops"]
    assert out["CONTAINER_ID"] == cid[:12] and out["CONTAINER_ID_FULL"] == cid
    assert out["PRIORITY"] == "6" and err["PRIORITY"] == "3"
    assert out["SYSLOG_IDENTIFIER"] == name
    logs = sb("logs", name)
    assert logs.stdout == "hello-journal\n" and logs.stderr == "oops\n", logs
    for unit in (f"scopebox-{cid}.scope", f"scopebox-conmon-{cid}.scope"):
        assert unit_state(unit) == "active", unit
        status = subprocess.run(
            ["systemctl", "status", "--no-pager", unit], capture_output=True, text=True
        ).stdout
        assert "machine.slice" in status or "CGroup" in status, status
    sleep_pid = sb.state(name)["Pid"]
    cgroup = Path(f"/proc/{sleep_pid}/cgroup").read_text()
    assert f"machine.slice/scopebox-{cid}.scope" in cgroup, cgroup
    sb("stop", "-t", "1", name)
    state = sb.state(name)
    assert state["Status"] == "exited" and state["ExitCode"] == 137
    assert f"{name} Exited (137)" in sb("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_systemctl_stop_records_exit(sb: Scopebox) -> None:
    name = cases.unique("sysstop")
    cid = sb(
        "run",
        "-d",
        "--name",
        name,
        "busybox",
        "sh",
        "-c",
        "trap 'exit 3' TERM; while :; do sleep 0.1; done",
    ).stdout.strip()
    subprocess.run(["systemctl", "stop", f"scopebox-{cid}.scope"], check=True, timeout=60)
    assert sb("wait", name, timeout=60).stdout.strip() == "3"
    assert sb.state(name)["ExitCode"] == 3
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_no_line_dropped_by_journald(sb: Scopebox) -> None:
    """journald's default limit is 10000 messages in 30 s per unit, scaled up with free space
    (about x4 here): 60000 lines in a few seconds exceed it unless lifted, for the container's
    unit (supervisor.journal_limit; tests/system/test_journald_limit.py without any drop-in)."""
    name = cases.unique("flood")
    n = 60000
    sb("run", "--name", name, "busybox", "sh", "-c", f"seq 1 {n}", timeout=300)
    wait_for(
        lambda: sb("logs", "--tail", "1", name).stdout == f"{n}\n",
        timeout=60,
        what="the last line in the journal",
    )
    lines = sb("logs", name).stdout.splitlines()
    assert lines == [str(i) for i in range(1, n + 1)]
    sb("rm", name)


def test_partial_line_flag(sb: Scopebox) -> None:
    name = cases.unique("partial")
    sb("run", "--name", name, "busybox", "printf", "no-newline")
    entries = journal(f"CONTAINER_NAME={name}")
    assert [e["MESSAGE"] for e in entries] == ["no-newline"]
    assert entries[0].get("CONTAINER_PARTIAL_MESSAGE") == "true"
    assert sb("logs", name).stdout == "no-newline"
    sb("rm", name)


def test_k8s_file_driver_under_systemd(sb: Scopebox) -> None:
    name = cases.unique("k8s")
    sb("run", "--name", name, "--log-driver", "k8s-file", "busybox", "echo", "in-a-file")
    path = sb.inspect(name)["LogPath"]
    assert isinstance(path, str) and Path(path).read_text().endswith(" stdout F in-a-file\n")
    assert sb("logs", name).stdout == "in-a-file\n"
    sb("rm", name)


@pytest.mark.parametrize("runtime", ["crun", "runc"])
def test_limits_are_unit_properties(sb: Scopebox, runtime: str) -> None:
    """`systemctl show` tells the truth whichever runtime made the scope (crun alone would
    write only the cgroup files, which systemd may later reset)."""
    box = Scopebox({"SCOPEBOX_RUNTIME": runtime})
    cid = box(
        "run",
        "-d",
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "64",
        "--cpu-shares",
        "512",
        "busybox",
        "sleep",
        "1000",
    ).stdout.strip()
    # Pure v2 has systemd's v2 names: MemoryMax=, and CPUWeight= (512 shares as runc's weight).
    memory, cpu = ("MemoryMax", "CPUWeight") if cases.PURE_V2 else ("MemoryLimit", "CPUShares")
    props = (memory, "CPUQuotaPerSecUSec", "TasksMax", cpu)
    out = subprocess.run(
        ["systemctl", "show", *(f"-p{p}" for p in props), f"scopebox-{cid}.scope"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(out) == sorted(
        [
            "CPUQuotaPerSecUSec=500ms",
            "CPUWeight=20" if cases.PURE_V2 else "CPUShares=512",
            f"{memory}={64 << 20}",
            "TasksMax=64",
        ]
    )
    box("rm", "-f", cid)


def test_cgroup_parent_is_a_slice_with_systemd(sb: Scopebox) -> None:
    cid = sb(
        "run", "-d", "--cgroup-parent", "scopebox-test.slice", "busybox", "sleep", "1000"
    ).stdout.strip()
    for unit in (f"scopebox-{cid}.scope", f"scopebox-conmon-{cid}.scope"):
        out = subprocess.run(
            ["systemctl", "show", "-p", "Slice", unit], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert out == "Slice=scopebox-test.slice", (unit, out)
    sb("rm", "-f", cid)
    res = sb("run", "--rm", "--cgroup-parent", "/not/a/slice", "busybox", "true", check=False)
    assert res.returncode == 125 and "slice" in res.stderr


def test_cgroups_disabled_with_crun(sb: Scopebox) -> None:
    """No cgroup of its own: the container stays in its monitor's scope."""
    box = Scopebox({"SCOPEBOX_RUNTIME": "crun"})
    cid = box("run", "-d", "--cgroups", "disabled", "busybox", "sleep", "1000").stdout.strip()
    pid = box.state(cid)["Pid"]
    lines = Path(f"/proc/{pid}/cgroup").read_text()
    assert f"scopebox-conmon-{cid}.scope" in lines and f"scopebox-{cid}.scope" not in lines
    assert unit_state(f"scopebox-{cid}.scope") in ("inactive", "")
    res = box("update", "--memory", "64m", cid, check=False)
    assert res.returncode == 125 and "no cgroup" in res.stderr
    res = box(
        "run", "--rm", "--cgroups", "disabled", "--memory", "64m", "busybox", "true", check=False
    )
    assert res.returncode == 125 and "--cgroups=disabled" in res.stderr
    box("rm", "-f", cid)
    assert leftovers(box, cid) == []

