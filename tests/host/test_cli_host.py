"""The CLI on the bare host: no systemd, cgroupfs manager, k8s-file logs, real runc."""

from __future__ import annotations

import fcntl
import json
import os
import signal
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
from tests.clihelp import REPO, SCOPEBOX, Scopebox, leftovers, wait_for

pytestmark = pytest.mark.host


def test_info_says_no_systemd(sb: Scopebox) -> None:
    out = sb("info", "--format", "json").stdout
    assert '"cgroupManager": "cgroupfs"' in out and '"systemd": false' in out
    assert '"logDriver": "k8s-file"' in out


def test_hello(sb: Scopebox) -> None:
    assert (
        sb("run", "--rm", "busybox", "echo", "hello from scopebox").stdout
        == "hello from scopebox\n"
    )


def test_full_disk_is_reported_not_hidden(sb: Scopebox, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)], check=True)
    try:
        name = cases.unique("full")
        res = sb(
            "run",
            "--name",
            name,
            "--log-opt",
            f"path={tiny}/ctr.log",
            "busybox",
            "sh",
            "-c",
            "seq 1 200000; echo done",
        )
        assert res.stdout.endswith("200000\ndone\n")  # attached output is not lost
        state = sb.state(name)
        assert state["ExitCode"] == 0
        assert "log write(s) failed" in str(state["Error"]), state
        sb("rm", name)
    finally:
        subprocess.run(["umount", str(tiny)], check=True)


def test_killed_cleanup_is_finished_by_the_next_reader(sb: Scopebox, tmp_path: Path) -> None:
    """The monitor's exit command (cleanup) dies half-way; the next `ps` finishes its work."""
    cid = sb(
        "run",
        "-d",
        "--rm",
        "-v",
        f"{tmp_path}:/shared",
        "busybox",
        "sh",
        "-c",
        "while [ ! -e /shared/go ]; do sleep 0.05; done; exit 5",
    ).stdout.strip()
    lock = os.open(f"{sb.runroot}/locks/{cid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the cleanup will block on this
    marker = f"supervisor.cli.cleanup.*{cid}"  # the monitor's exit command

    def cleanup_pids() -> list[int]:
        out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    try:
        (tmp_path / "go").touch()
        wait_for(lambda: bool(cleanup_pids()), what="the cleanup to start")
        # A reader records the exit while the monitor still lives (no cleanup from it)...
        assert sb("inspect", "-f", "{{.State.Status}}", cid).stdout == "exited\n"
        # ...then the cleanup dies before it could tear anything down.
        for pid in cleanup_pids():
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(lock)
    wait_for(lambda: cid not in sb("ps", "-aq", "--no-trunc").stdout, what="ps to finish it")
    assert leftovers(sb, cid) == []


def test_symlinked_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    box = Scopebox(
        {"SCOPEBOX_ROOT": str(tmp_path / "link"), "SCOPEBOX_RUNROOT": str(tmp_path / "run")}
    )
    box.ensure_busybox()
    cid = box("run", "-d", "busybox", "sleep", "100").stdout.strip()
    box("rm", "-f", cid)
    with open("/proc/self/mountinfo") as f:
        assert [line for line in f if str(real) in line] == []


def test_relative_rootfs(sb: Scopebox, tmp_path: Path) -> None:
    rootfs = tmp_path / "rfs"
    rootfs.mkdir()
    subprocess.run(
        ["tar", "-C", str(rootfs), "-xf", "-"],
        check=True,
        input=subprocess.run(
            ["sh", str(REPO / "packaging/busybox-rootfs.sh"), "/dev/stdout"], capture_output=True
        ).stdout,
    )
    res = subprocess.run(
        [*SCOPEBOX, "create", "--rootfs", "rfs", "echo", "from-dir"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=sb.environ(),
    )
    cid = res.stdout.strip()
    assert res.returncode == 0, res
    sb("start", cid)  # from another directory
    assert sb("wait", cid).stdout == "0\n"
    assert sb("logs", cid).stdout == "from-dir\n"
    sb("rm", cid)
    # DIR:O (Podman's, 030-run.bats): an overlay over the tree, whose files stay as they are
    out = sb("run", "--rm", "--rootfs", f"{rootfs}:O", "sh", "-c",
             "echo new > /bin/busybox-note; rm /etc/passwd; cat /bin/busybox-note").stdout
    assert out == "new\n"
    assert not (rootfs / "bin" / "busybox-note").exists() and (rootfs / "etc/passwd").exists()

    def unmounted() -> bool:  # --rm: the monitor's exit command may still be at it
        with open("/proc/self/mountinfo") as f:
            return not [line for line in f if sb.root in line and "/merged" in line]

    wait_for(unmounted, 10, "the overlay's unmount")


def test_real_container_config_validates_against_the_oci_schema(sb: Scopebox) -> None:
    from tests.unit.test_spec_schema import make_validator

    name = cases.unique("schema")
    cid = sb(
        "create",
        "--name",
        name,
        "-e",
        "A=1",
        "-v",
        "/etc:/hostetc:ro",
        "--tmpfs",
        "/t",
        "--ulimit",
        "nofile=100:200",
        "-u",
        "nobody",
        "busybox",
        "true",
    ).stdout.strip()
    sb("start", name)
    sb("wait", name)
    config = json.loads((Path(sb.root) / "containers" / cid / "config.json").read_text())
    errors = [e.message for e in make_validator().iter_errors(config)]
    assert errors == []
    assert config["process"]["user"]["uid"] == 65534
    sb("rm", name)


def test_network_host_and_stop_signal(sb: Scopebox) -> None:
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    out = sb("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link").stdout
    assert len(out.splitlines()) == len(host_links.splitlines()) >= 1
    none = sb("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link").stdout
    assert [line.split(":")[1].strip() for line in none.splitlines()] == ["lo"]
    name = cases.unique("sig")
    sb(
        "run",
        "-d",
        "--name",
        name,
        "--stop-signal",
        "SIGUSR1",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 11' USR1; while :; do sleep 0.1; done",
    )
    sb("stop", "-t", "5", name)
    assert sb.state(name)["ExitCode"] == 11
    sb("rm", name)


def test_cgroup_parent_is_a_path_with_cgroupfs(sb: Scopebox) -> None:
    parent = f"/{cases.unique('sbx-parent')}"
    try:
        cid = sb("run", "-d", "--cgroup-parent", parent, "busybox", "sleep", "1000")
        cid = cid.stdout.strip()
        pid = sb.state(cid)["Pid"]
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        ours = "0::" if cases.PURE_V2 else ":memory:"  # the v2 line, or v1's memory one
        assert any(line.endswith(f":{parent}/{cid}") for line in lines if ours in line), lines
        sb("rm", "-f", cid)
        memory = "" if cases.PURE_V2 else "/memory"
        assert not Path(f"/sys/fs/cgroup{memory}{parent}/{cid}").exists()
        res = sb("run", "--rm", "--cgroup-parent", "a/../b", "busybox", "true", check=False)
        assert res.returncode == 125 and "--cgroup-parent" in res.stderr
    finally:
        roots = [Path("/sys/fs/cgroup")] if cases.PURE_V2 else Path("/sys/fs/cgroup").iterdir()
        for hierarchy in roots:
            if (hierarchy / parent.lstrip("/")).is_dir():
                (hierarchy / parent.lstrip("/")).rmdir()


def test_cgroups_disabled_needs_crun(sb: Scopebox) -> None:
    before = cases.container_dirs(sb)
    runtime = json.loads(sb("info", "--format", "json").stdout)["host"]["ociRuntime"]["name"]
    res = sb("run", "--rm", "--cgroups", "disabled", "busybox", "true", check=False)
    if runtime == "crun":  # the v2 lane
        assert res.returncode == 0, res
    else:
        assert res.returncode == 125 and "crun" in res.stderr, res  # this host runs runc
    if Path("/proc/self/cgroup").read_text().splitlines()[-1].endswith("::/"):
        # The bare host: no unit of our own to split. (The v2 lane runs inside a unit; there
        # split runs in tests/system/test_restart_systemd.py::test_split_cgroups_in_a_notify_unit.)
        res = sb("run", "--rm", "--cgroups", "split", "busybox", "true", check=False)
        assert res.returncode == 125 and "split" in res.stderr, res
    else:
        assert os.environ.get("SCOPEBOX_VM") == "1", "the host tier runs in a unit only in the lane"
    assert cases.container_dirs(sb) == before
