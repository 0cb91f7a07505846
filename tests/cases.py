"""End-to-end tests through the CLI, run by both tiers.

Not collected here (the file name is not test_*): tests/host/test_cli_host.py and
tests/system/test_cli_systemd.py import them and supply the `sb` fixture and their marker.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cgroupfs.parse import parse_flat_keyed
from tests.clihelp import Scopebox, leftovers, wait_for
from tests.testbed import HOST_KMSG


def process_gone(pid: int) -> bool:
    """Exited: no /proc entry, or a zombie nobody has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def container_dirs(sb: Scopebox) -> list[str]:
    """The store's container directories, once settled: a `run --rm` hands its last removal
    to its monitor's exit command (issue 16), so a directory no container row names is given
    a moment (10 s) to go before it counts as made (or leaked)."""
    path = f"{sb.root}/containers"
    deadline = time.monotonic() + 10
    while True:
        dirs = sorted(os.listdir(path)) if os.path.isdir(path) else []
        known = set(sb("ps", "-a", "-q", "--no-trunc").stdout.split()) if dirs else set()
        if set(dirs) <= known or time.monotonic() > deadline:
            return dirs
        time.sleep(0.2)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def running(sb: Scopebox, name: str) -> bool:
    return sb.state(name)["Status"] == "running"


def pid_of(sb: Scopebox, name: str) -> int:
    """The container's pid; 0 while it has no row or no pid yet."""
    res = sb("inspect", "--type", "container", "-f", "{{.State.Pid}}", name, check=False)
    return int(res.stdout.strip() or 0) if res.returncode == 0 else 0


def test_exit_codes(sb: Scopebox) -> None:
    for cmd, code in (
        (["true"], 0),
        (["sh", "-c", "exit 42"], 42),
        (["nosuchcmd"], 127),
        (["/etc/passwd"], 126),
    ):
        res = sb("run", "--rm", "busybox", *cmd, check=False)
        assert res.returncode == code, (cmd, res.returncode, res.stderr)
    res = sb("run", "--rm", "busybox", "nosuchcmd", check=False)
    assert res.stderr.count("\n") == 1 and "nosuchcmd" in res.stderr, res.stderr


def test_exit_137_after_kill9(sb: Scopebox) -> None:
    name = unique("k9")
    proc = sb.popen("run", "--rm", "--name", name, "busybox", "sleep", "1000")
    try:
        # Its pid, not just its row: os.kill(0, ...) would kill this test's process group.
        wait_for(lambda: pid_of(sb, name) != 0, what="the container to run")
        os.kill(pid_of(sb, name), signal.SIGKILL)
        assert proc.wait(timeout=30) == 137
    finally:
        proc.kill()
        proc.wait()
    wait_for(
        lambda: name not in sb("ps", "-a", "--format", "{{.Names}}").stdout,
        what="--rm to remove the container",
    )


def test_detached_lifecycle(sb: Scopebox) -> None:
    name = unique("web")
    cid = sb(
        "run",
        "-d",
        "--name",
        name,
        "busybox",
        "sh",
        "-c",
        "echo to-stdout; echo to-stderr >&2; exec sleep 1000",
    ).stdout.strip()
    assert len(cid) == 64
    ps = sb("ps", "--format", "{{.Names}}|{{.Status}}").stdout
    assert f"{name}|Up" in ps, ps
    wait_for(lambda: "to-stderr" in sb("logs", name).stderr, what="logs")
    logs = sb("logs", name)
    assert logs.stdout == "to-stdout\n" and logs.stderr == "to-stderr\n", logs
    assert sb("stop", "-t", "1", name).returncode == 0
    state = sb.state(name)
    # sleep as PID 1 ignores SIGTERM: stop escalates to SIGKILL after the timeout.
    assert state["Status"] == "exited" and state["ExitCode"] == 137, state
    ps_a = sb("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    assert f"{name} Exited (137)" in ps_a, ps_a
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_cli_killed_during_foreground(sb: Scopebox, tmp_path: Path) -> None:
    shared = tmp_path
    name = unique("fg")
    go = shared / "go"
    proc = sb.popen(
        "run",
        "--name",
        name,
        "-v",
        f"{shared}:/shared",
        "busybox",
        "sh",
        "-c",
        "while [ ! -e /shared/go ]; do sleep 0.05; done; exit 7",
    )
    wait_for(
        lambda: sb("ps", "-q", "--filter", f"name={name}").stdout.strip() != "",
        what="the container to run",
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert running(sb, name)
    go.touch()
    assert sb("wait", name, timeout=30).stdout.strip() == "7"
    state = sb.state(name)
    assert state["Status"] == "exited" and state["ExitCode"] == 7, state
    sb("rm", name)


def test_run_rm_hand_off_survives_a_killed_exit_command(sb: Scopebox, tmp_path: Path) -> None:
    """issue 16: a foreground `run --rm` returns once the exit is recorded and the row is gone
    (name free, not in `ps -a`), leaving the teardown to the monitor's exit command. With that
    command killed (SIGKILL) before it could run, the teardown is still recorded, and the next
    `create` finishes it: no mount, runtime state, cgroup, unit, dir or row is left."""
    import fcntl

    name = unique("handoff")
    proc = sb.popen("run", "--rm", "--name", name, "--network", "none", "-v",
                    f"{tmp_path}:/shared", "busybox", "sh", "-c",
                    "while [ ! -e /shared/go ]; do sleep 0.05; done; exit 5")  # fmt: skip
    wait_for(lambda: sb("ps", "-q", "--filter", f"name={name}").stdout.strip() != "",
             what="the container to run")  # fmt: skip
    state = sb.state(name)
    cid, monitor = str(sb.inspect(name)["Id"]), int(state["ConmonPid"])  # type: ignore[call-overload]
    marker = f"supervisor.cli.cleanup.*{cid}"  # the monitor's exit command

    def exit_commands() -> list[int]:
        out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
        # the monitor's own command line holds its exit command's words too: not it
        return [int(p) for p in out.stdout.split() if int(p) != monitor]

    lock = os.open(f"{sb.runroot}/locks/{cid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the CLI and the exit command both wait for it
    try:
        (tmp_path / "go").touch()
        wait_for(lambda: bool(exit_commands()), what="the exit command to start")
        for pid in exit_commands():
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: process_gone(monitor), what="the monitor to end")
    finally:
        os.close(lock)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 5, (proc.returncode, err)
    assert cid not in sb("ps", "-aq", "--no-trunc").stdout
    assert sb("inspect", cid, check=False).returncode == 125
    # The hand-off happened: the teardown is still to do (the rootfs is mounted).
    assert any(item.startswith("mount") for item in leftovers(sb, cid)), leftovers(sb, cid)
    again = sb("create", "--name", name, "--network", "none", "busybox", "true").stdout.strip()
    assert (left := leftovers(sb, cid)) == [], left
    sb("rm", again)


def test_monitor_killed(sb: Scopebox) -> None:
    for finish in ("stop", "rm-f"):
        name = unique("mon")
        cid = sb("run", "-d", "--name", name, "busybox", "sleep", "1000").stdout.strip()
        state = sb.state(name)
        monitor = int(state["ConmonPid"])  # type: ignore[call-overload]
        os.kill(monitor, signal.SIGKILL)
        wait_for(lambda monitor=monitor: process_gone(monitor), what="the monitor to die")
        # The container outlives its monitor, and ps says so.
        assert f"{name} running" in sb("ps", "--format", "{{.Names}} {{.State}}").stdout
        if finish == "stop":
            sb("stop", "-t", "1", name)
            state = sb.state(name)
            assert state["Status"] == "exited", state
            assert "monitor" in str(state["Error"]), state
            sb("rm", name)
        else:
            sb("rm", "-f", name)
        assert (left := leftovers(sb, cid)) == [], left


def test_parallel_run_rm(sb: Scopebox, n: int = 20) -> None:
    names = [unique("par") for _ in range(n)]

    def run(name: str) -> str:
        return sb("run", "-d", "--name", name, "busybox", "sleep", "1000").stdout.strip()

    with ThreadPoolExecutor(max_workers=n) as pool:
        cids = list(pool.map(run, names))
        assert all(len(c) == 64 for c in cids)
        assert len(set(cids)) == n
        listed = sb("ps", "--format", "{{.Names}}").stdout.split()
        assert set(names) <= set(listed)
        list(pool.map(lambda name: sb("rm", "-f", name), names))
    for cid in cids:
        assert leftovers(sb, cid) == [], cid


def test_bad_input(sb: Scopebox) -> None:
    def count() -> int:
        return len(container_dirs(sb))

    before = count()
    res = sb("run", "--rm", "no-such-image-xyz", "true", check=False)
    assert res.returncode == 125 and "no such image" in res.stderr, res
    res = sb("run", "--no-such-flag", "busybox", "true", check=False)
    assert res.returncode == 125 and "--no-such-flag" in res.stderr, res
    res = sb("run", "-p", "99999:80", "busybox", "true", check=False)
    assert res.returncode == 125 and "between 1 and 65535" in res.stderr, res
    res = sb("run", "--pod", "no-such-pod-xyz", "busybox", "true", check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: no pod with name or ID no-such-pod-xyz found: no such pod\n"), res
    res = sb("run", "--rm", "--ulimit", "nofile=99999999:99999999", "busybox", "true", check=False)
    assert res.returncode == 125 and "nofile" in res.stderr, res
    assert count() == before
    name = unique("dup")
    cid = sb("run", "-d", "--name", name, "busybox", "sleep", "1000").stdout.strip()
    res = sb("run", "-d", "--name", name, "busybox", "true", check=False)
    assert res.returncode == 125 and "already in use" in res.stderr, res
    res = sb("rm", name, check=False)
    assert res.returncode == 2 and "running" in res.stderr, res
    assert running(sb, name)
    assert count() == before + 1
    sb("rm", "-f", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_interactive_stdin(sb: Scopebox) -> None:
    res = sb("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z", input="hello\n")
    assert res.stdout == "HELLO\n", res


def test_foreground_streams(sb: Scopebox) -> None:
    res = sb("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; printf partial")
    assert res.stdout == "out\npartial" and res.stderr == "err\n", res


def run_subprocess(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def test_run_flags(sb: Scopebox, tmp_path: Path) -> None:
    tmp = tmp_path
    envf = tmp / "env"
    envf.write_text("FROM_FILE=1\n# a comment\n\n")
    vol = tmp / "vol"
    vol.mkdir()
    (vol / "f").write_text("data\n")
    script = (
        "echo $A $FROM_FILE; pwd; id -u; hostname; cat /data/f;"
        " touch /data/x 2>/dev/null || echo data-ro; touch /scratch/x && echo tmpfs-rw;"
        " touch /y 2>/dev/null || echo root-ro"
    )
    out = sb(
        "run",
        "--rm",
        "-e",
        "A=b",
        "--env-file",
        str(envf),
        "-w",
        "/tmp",
        "-u",
        "nobody",
        "--hostname",
        "box1",
        "-v",
        f"{vol}:/data:ro",
        "--tmpfs",
        "/scratch",
        "--read-only",
        "busybox",
        "sh",
        "-c",
        script,
    ).stdout
    assert out.splitlines() == [
        "b 1",
        "/tmp",
        "65534",
        "box1",
        "data",
        "data-ro",
        "tmpfs-rw",
        "root-ro",
    ], out
    assert not (vol / "x").exists()
    assert sb("run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint").stdout == (
        "via entrypoint\n"
    )
    res = sb("run", "--rm", "-u", "nosuchuser", "busybox", "true", check=False)
    assert res.returncode == 126 and "nosuchuser" in res.stderr, res  # Podman's 126


def test_create_start_restart_rename(sb: Scopebox) -> None:
    name = unique("cr")
    cid = sb("create", "--name", name, "busybox", "sh", "-c", "echo ran").stdout.strip()
    assert sb("ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").stdout == (
        "Created\n"
    )
    sb("start", name)
    assert sb("wait", name).stdout == "0\n"
    sb("start", name)
    assert sb("wait", name).stdout == "0\n"
    assert sb("logs", name).stdout == "ran\nran\n"
    new = unique("renamed")
    sb("rename", name, new)
    assert sb.inspect(new)["Id"] == cid
    assert sb("inspect", name, check=False).returncode == 125
    svc = unique("svc")
    sb("run", "-d", "--name", svc, "busybox", "sh", "-c", "echo up; exec sleep 1000")
    first = sb.state(svc)["StartedAt"]
    sb("restart", "-t", "0", svc)
    state = sb.state(svc)
    assert state["Status"] == "running" and state["StartedAt"] != first, state
    wait_for(lambda: sb("logs", svc).stdout == "up\nup\n", what="two runs in the log")
    sb("rm", "-f", svc, new)


def test_labels_and_formats(sb: Scopebox) -> None:
    name = unique("lab")
    cid = sb("run", "-d", "--name", name, "-l", "app=web", "busybox", "sleep", "1000").stdout
    cid = cid.strip()
    assert sb("ps", "-q", "--filter", "label=app=web", "--no-trunc").stdout.split() == [cid]
    assert sb("ps", "-q", "--filter", "label=app=db").stdout == ""
    ps = [c for c in json.loads(sb("ps", "--format", "json").stdout) if c["Id"] == cid]
    assert ps and ps[0]["Names"] == [name] and ps[0]["State"] == "running"
    assert ps[0]["Labels"] == {"app": "web"}
    info = sb.inspect(name)
    for key in ("Id", "Name", "Created", "Config", "HostConfig", "State", "Image"):
        assert key in info, key
    state = info["State"]
    assert isinstance(state, dict)
    for key in ("Status", "Running", "Pid", "ExitCode", "OOMKilled", "StartedAt", "FinishedAt"):
        assert key in state, key
    assert sb("inspect", "-f", "{{.Config.Labels.app}} {{.State.Running}}", name).stdout == (
        "web true\n"
    )
    table = sb("ps", "--format", "table {{.Names}}\t{{.State}}").stdout.splitlines()
    assert table[0].split() == ["NAMES", "STATE"] and f"{name}" in table[1] + "".join(table)
    res = sb("rmi", "busybox", check=False)
    assert res.returncode == 2 and "in use" in res.stderr, res
    sb("rm", "-f", name)


def test_reboot_marks_exited(sb: Scopebox) -> None:
    """A real reboot cannot happen here: the processes die (as at a reboot) and the store's
    recorded boot id is rewritten to another boot's."""
    name = unique("boot")
    cid = sb("run", "-d", "--name", name, "busybox", "sleep", "1000").stdout.strip()
    state = sb.state(name)
    # The monitor first: killed second, it could record the container's death (137) in
    # between, and a reboot leaves no such record.
    for pid in (state["ConmonPid"], state["Pid"]):
        os.kill(int(pid), signal.SIGKILL)  # type: ignore[call-overload]
    db = sqlite3.connect(f"{sb.root}/state.db")
    with db:
        db.execute("UPDATE containers SET boot_id = 'another-boot' WHERE id = ?", (cid,))
    db.close()
    state = sb.state(name)
    assert state["Status"] == "exited" and "reboot" in str(state["Error"]), state
    assert f"{name} Exited" in sb("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_logs_options(sb: Scopebox) -> None:
    name = unique("lo")
    sb("run", "--name", name, "busybox", "sh", "-c", "echo one; echo two; echo three")
    assert sb("logs", "--tail", "2", name).stdout == "two\nthree\n"
    stamped = sb("logs", "-t", name).stdout.splitlines()
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (one|two|three)"
    assert len(stamped) == 3 and all(re.fullmatch(pattern, line) for line in stamped), stamped
    assert sb("logs", "--since", "2099-01-01", name).stdout == ""
    assert sb("logs", "--since", "10m", name).stdout == "one\ntwo\nthree\n"
    res = sb("logs", "--tail", "x", name, check=False)
    assert res.returncode == 125 and "--tail" in res.stderr
    sb("rm", name)


def test_rm_containers(sb: Scopebox) -> None:
    """--rm containers: stop and wait still answer, and the name is free at once."""
    cid = sb("run", "-d", "--rm", "busybox", "sleep", "100").stdout.strip()
    assert sb("stop", "-t", "1", cid).returncode == 0
    assert (left := leftovers(sb, cid)) == [], left
    cid = sb("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.3; exit 3").stdout.strip()
    assert sb("wait", cid).stdout == "3\n"
    name = unique("again")
    for _ in range(5):
        sb("run", "--rm", "--name", name, "busybox", "true")


def test_multi_container_verbs_carry_on(sb: Scopebox) -> None:
    name = unique("multi")
    sb("run", "-d", "--name", name, "busybox", "sleep", "1000")
    res = sb("stop", "-t", "0", "no-such-container", name, check=False)
    assert res.returncode == 125 and "no-such-container" in res.stderr
    assert res.stdout.split() == [name]
    assert sb.state(name)["Status"] == "exited"
    sb("rm", name)


def test_bad_input_more(sb: Scopebox, tmp_path: Path) -> None:
    tmp = tmp_path

    def count() -> int:
        return len(container_dirs(sb))

    before = count()
    res = sb("run", "--rm", "-v", f"{tmp}/nonexistent:/x", "busybox", "true", check=False)
    assert res.returncode == 125 and "does not exist" in res.stderr, res
    res = sb("run", "--rm", "--entrypoint", "[x", "busybox", check=False)
    assert res.returncode == 125 and "--entrypoint" in res.stderr, res
    res = sb("run", "--rm", "--entrypoint", '["echo", 1]', "busybox", check=False)
    assert res.returncode == 125 and "strings" in res.stderr, res
    assert count() == before
    # Docker leaves an unset `-e NAME` out rather than failing.
    out = sb("run", "--rm", "-e", "SCOPEBOX_SURELY_UNSET", "busybox", "env").stdout
    assert "SCOPEBOX_SURELY_UNSET" not in out
    name = unique("never")
    sb("create", "--name", name, "busybox", "true")
    res = sb("logs", "-f", name, timeout=10)
    assert res.stdout == "" and res.returncode == 0
    sb("rm", name)


def test_logs_follow(sb: Scopebox, tmp_path: Path) -> None:
    shared = tmp_path
    """`logs -f` streams lines as they come and ends when the container exits."""
    name = unique("follow")
    sb(
        "run",
        "-d",
        "--name",
        name,
        "-v",
        f"{shared}:/shared",
        "busybox",
        "sh",
        "-c",
        "echo first; while [ ! -e /shared/go ]; do sleep 0.05; done; echo second; echo err >&2",
    )
    proc = sb.popen("logs", "-f", name)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "first\n"  # before the container has finished
    (shared / "go").touch()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out == "second\n" and err == "err\n", (out, err)
    sb("rm", name)


def test_logs_follow_has_no_gap(sb: Scopebox) -> None:
    """Follow under load: every line once, in order."""
    name = unique("nogap")
    n = 20000
    sb("run", "-d", "--name", name, "busybox", "seq", "1", str(n))
    out = sb("logs", "-f", name, timeout=120).stdout
    lines = out.splitlines()
    want = [str(i) for i in range(1, n + 1)]
    assert lines == want, (len(lines), sorted(set(want) - set(lines), key=int)[:20])
    sb("rm", name)


# Pure cgroup v2 (the VM lane, tests/vm/lane.py): one hierarchy, v2 file names.
PURE_V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def cgroup_file(pid: int, controller: str, name: str) -> str:
    """A file of the container's cgroup, read from the kernel: on v1 the `controller`
    hierarchy's, on pure v2 the one hierarchy's (path from /proc/PID/cgroup)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        hid, controllers, path = line.split(":", 2)
        if PURE_V2 and hid == "0":
            return Path(f"/sys/fs/cgroup{path}/{name}").read_text().strip()
        if controller in controllers.split(","):
            return Path(f"/sys/fs/cgroup/{controllers}{path}/{name}").read_text().strip()
    raise AssertionError(f"no {controller} cgroup for pid {pid}")


def cpu_usage_ns(pid: int) -> int:
    """The cgroup's own CPU time counter (v1 cpuacct.usage, v2 cpu.stat usage_usec)."""
    if PURE_V2:
        return parse_flat_keyed(cgroup_file(pid, "cpu", "cpu.stat"))["usage_usec"] * 1000
    return int(cgroup_file(pid, "cpuacct", "cpuacct.usage"))


def test_resource_limits_reach_the_kernel(sb: Scopebox) -> None:
    name = unique("lim")
    sb(
        "run",
        "-d",
        "--name",
        name,
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
    )
    pid = int(sb.state(name)["Pid"])  # type: ignore[call-overload]
    if PURE_V2:
        assert cgroup_file(pid, "memory", "memory.max") == str(64 << 20)
        assert cgroup_file(pid, "pids", "pids.max") == "64"
        assert cgroup_file(pid, "cpu", "cpu.max") == "50000 100000"
        # --cpu-shares 512 as a v2 weight: runc's and crun's 1 + (shares - 2) * 9999 / 262142
        assert cgroup_file(pid, "cpu", "cpu.weight") == "20"
    else:
        assert cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(64 << 20)
        assert cgroup_file(pid, "pids", "pids.max") == "64"
        assert cgroup_file(pid, "cpu", "cpu.cfs_quota_us") == "50000"
        assert cgroup_file(pid, "cpu", "cpu.cfs_period_us") == "100000"
        assert cgroup_file(pid, "cpu", "cpu.shares") == "512"
    sb("rm", "-f", name)
    name = unique("deflim")
    sb("run", "-d", "--name", name, "busybox", "sleep", "1000")
    pid = int(sb.state(name)["Pid"])  # type: ignore[call-overload]
    assert cgroup_file(pid, "pids", "pids.max") == "2048"  # Podman's default
    sb("rm", "-f", name)


def test_oom_killed(sb: Scopebox) -> None:
    # The kernel kills `tail` (not the container's init): still OOMKilled, as users expect.
    name = unique("oom")
    res = sb(
        "run",
        "--name",
        name,
        "--memory",
        "32m",
        "busybox",
        "sh",
        "-c",
        "head -c 100m /dev/zero | tail",
        check=False,
    )
    assert res.returncode == 137
    state = sb.state(name)
    assert state["OOMKilled"] is True and state["ExitCode"] == 137, state
    sb("rm", name)
    name = unique("nooom")
    sb(
        "run",
        "--name",
        name,
        "--memory",
        "32m",
        "busybox",
        "sh",
        "-c",
        "head -c 8m /dev/zero | tail > /dev/null",
    )
    state = sb.state(name)
    assert state["OOMKilled"] is False and state["ExitCode"] == 0, state
    sb("rm", name)


def kernel_oom_kills(needle: str) -> list[int]:
    """Stamps (ns since boot, the kernel log's clock) of OOM kills whose line names `needle`."""
    # The test bed masks /dev/kmsg (its journald must not read the host's log).
    path = HOST_KMSG if os.path.exists(HOST_KMSG) else "/dev/kmsg"
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    stamps = []
    try:
        while True:
            try:
                rec = os.read(fd, 8192).decode(errors="replace")
            except BlockingIOError:
                break
            except BrokenPipeError:  # overwritten while we read: carry on from the next one
                continue
            if not rec:
                raise AssertionError(f"{path} reads as empty: not the kernel log")
            prefix, _, text = rec.partition(";")
            if text.startswith("oom-kill:") and needle in text:
                stamps.append(int(prefix.split(",")[2]) * 1000)
    finally:
        os.close(fd)
    return stamps


def test_oom_event_seen_within_1s(sb: Scopebox) -> None:
    # The container lives on 2 s after its `tail` is OOM-killed, so an event that is seen at
    # all within 1 s of the kernel's kill was seen as it happened, not found at exit. `tail`
    # offers itself as the victim, and so does `head`: a second OOM can come before the
    # first victim's pages are uncharged (seen here: head's pipe pages), and it must not pick
    # the init `sh`, whose exit code the test reads.
    name = unique("oomseen")
    victim = "echo 1000 > /proc/self/oom_score_adj; exec"
    sb("run", "-d", "--name", name, "--memory", "32m", "busybox", "sh", "-c",
       f"sh -c '{victim} head -c 100m /dev/zero' | sh -c '{victim} tail'; sleep 2")  # fmt: skip
    cid = str(sb.inspect(name)["Id"])
    code = sb("wait", name).stdout.strip()
    assert code == "0", (code, sb("logs", name).stdout)
    record = json.loads(Path(sb.root, "containers", cid, "exit").read_text())
    kills = kernel_oom_kills(cid)
    assert record["oom_killed"] is True and 1 <= len(kills) <= 2, (record, kills)
    # The two clocks agree to a few ms here; 50 ms of slack for that.
    delay = record["oom_seen_monotonic_ns"] - kills[0]
    assert -50_000_000 < delay < 1_000_000_000, delay
    print(f"oom event seen {delay / 1e6:.1f} ms after the kill")
    assert sb.state(name)["OOMKilled"] is True
    sb("rm", name)


def test_bad_resource_values_create_nothing(sb: Scopebox) -> None:
    before = container_dirs(sb)
    for flags in (
        ["--memory", "10x"],
        ["--cpus", "0.0001"],  # under 1 ms of quota (Podman: 0 or less is no limit)
        ["--cpuset-cpus", "999"],
        ["--memory", "1m"],
        ["--memory-swap", "1g"],
        ["--blkio-weight", "abc"],
    ):
        res = sb("run", "--rm", *flags, "busybox", "true", check=False)
        assert res.returncode == 125 and res.stderr.count("\n") == 1, (flags, res.stderr)
        assert flags[0].lstrip("-") in res.stderr, (flags, res.stderr)
    assert container_dirs(sb) == before


def test_pause_unpause(sb: Scopebox, tmp_path: Path) -> None:
    name = unique("pause")
    counter = tmp_path / "c"
    sb(
        "run",
        "-d",
        "--name",
        name,
        "-v",
        f"{tmp_path}:/shared",
        "busybox",
        "sh",
        "-c",
        "i=0; while :; do i=$((i+1)); echo $i > /shared/c; sleep 0.02; done",
    )
    wait_for(lambda: counter.exists() and counter.read_text().strip() != "", what="a count")
    sb("pause", name)
    assert sb.state(name)["Status"] == "paused"
    # Podman's ps: a paused container only with -a, its status "Paused" (Docker's: listed,
    # "Up 5 seconds (Paused)")
    assert name not in sb("ps", "--format", "{{.Names}}").stdout
    assert f"{name} Paused\n" in sb("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    frozen = counter.read_text()
    deadline = time.monotonic() + 0.5  # a frozen counter must not move in this window
    while time.monotonic() < deadline:
        assert counter.read_text() == frozen
    sb("unpause", name)
    wait_for(lambda: counter.read_text() not in ("", frozen), what="the counter to move on")
    res = sb("unpause", name, check=False)
    assert res.returncode == 125 and "not paused" in res.stderr
    sb("pause", name)
    sb("stop", "-t", "1", name)  # a paused container can be stopped
    assert sb.state(name)["Status"] == "exited"
    sb("rm", name)


def test_fork_bomb_is_contained(sb: Scopebox) -> None:
    name = unique("bomb")
    sb(
        "run",
        "-d",
        "--name",
        name,
        "--pids-limit",
        "64",
        "busybox",
        "sh",
        "-c",
        # Each bomb waits for its two children, so the tree holds its pids (a bomb whose
        # processes exit can die out under load); the init execs its sleep: no fork to fail.
        "bomb() { bomb & bomb & wait; }; bomb & exec sleep 1000",
    )
    pid = int(sb.state(name)["Pid"])  # type: ignore[call-overload]

    def refused_forks() -> int:  # the kernel's count of forks refused at pids.max
        return parse_flat_keyed(cgroup_file(pid, "pids", "pids.events"))["max"]

    wait_for(lambda: refused_forks() > 0, timeout=30, what="the bomb to hit its pids budget")
    assert int(cgroup_file(pid, "pids", "pids.current")) <= 64
    assert cgroup_file(pid, "pids", "pids.max") == "64"
    assert sb.state(name)["Status"] == "running"  # the bomb did not take its container down
    # The host (and the engine) stay usable meanwhile.
    assert sb("run", "--rm", "busybox", "echo", "still-fine").stdout == "still-fine\n"
    cid = sb.inspect(name)["Id"]
    sb("rm", "-f", name)
    assert isinstance(cid, str) and leftovers(sb, cid) == []


def test_cpus_limit_holds_a_busy_loop_near_half_a_cpu(sb: Scopebox) -> None:
    name = unique("cpu")
    sb("run", "-d", "--name", name, "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done")
    pid = int(sb.state(name)["Pid"])  # type: ignore[call-overload]

    def used_ns() -> int:
        return cpu_usage_ns(pid)

    start_ns, t0 = used_ns(), time.monotonic()
    deadline = t0 + 2.0  # the measuring window (a rate needs a duration)
    while time.monotonic() < deadline:
        time.sleep(0.1)
    share = (used_ns() - start_ns) / ((time.monotonic() - t0) * 1e9)
    # The limit holds: never above half a cpu (and a little for the 2 s window's edges).
    # The lower bound only shows the loop ran: on a loaded machine it may get less than
    # its quota (this test failed so with other test runs on this 2-core machine).
    assert 0.05 <= share <= 0.6, share
    sb("rm", "-f", name)


def test_cgroup_conf_needs_pure_v2(sb: Scopebox) -> None:
    pure_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    res = sb(
        "run",
        "--rm",
        "--cgroup-conf",
        "memory.high=64m",
        "busybox",
        "cat",
        "/proc/self/cgroup",
        check=False,
    )
    if pure_v2:  # the VM lane (issue 6)
        assert res.returncode == 0, res
    else:
        assert res.returncode == 125 and "cgroup v2" in res.stderr, res
    res = sb("run", "--rm", "--cgroup-conf", "../x=1", "busybox", "true", check=False)
    assert res.returncode == 125, res


def test_verbs_right_after_wait_and_stop_do_not_race_the_cleanup(sb: Scopebox) -> None:
    """`wait` and `stop` answer at the monitor's exit record, before its exit command (the
    cleanup) has run: an `rm`, `start` or `rm` of an --rm container that follows at once
    waits that cleanup out instead of tearing down beside it (issue 16)."""
    a, b, c = unique("wrm"), unique("wstart"), unique("wauto")
    cid = sb("run", "-d", "--name", a, "busybox", "sleep", "1000").stdout.strip()
    sb("run", "-d", "--name", b, "busybox",
       "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done")  # fmt: skip
    sb("run", "-d", "--rm", "--name", c, "busybox", "sleep", "1000")
    missing = f'Error: no container with name or ID "{c}" found: no such container\n'
    for name in (a, c):
        os.kill(int(sb.state(name)["Pid"]), 9)  # type: ignore[call-overload]
        res = sb("wait", name, check=False)
        # An --rm container's cleanup may finish before `wait` starts: Podman's wait then
        # finds no container by that name either.
        gone = name == c and res.returncode == 125 and res.stderr == missing
        assert gone or res.stdout == "137\n", res
    sb("rm", a)  # at once: the cleanup may still run
    assert (left := leftovers(sb, cid)) == [], left
    res = sb("rm", c, check=False)  # --rm: its cleanup removes it, whoever comes first
    assert res.returncode == 1 and res.stderr == missing, res
    wait_for(lambda: sb("inspect", "-f", "{{.State.Status}}", b).stdout == "running\n")
    assert sb("stop", b).stdout == f"{b}\n"
    assert sb.state(b)["ExitCode"] == 3
    sb("start", b)  # at once, the same
    assert sb.state(b)["Status"] == "running"
    cid_b = str(sb.inspect(b)["Id"])
    sb("rm", "-f", "-t", "0", b)
    assert (left := leftovers(sb, cid_b)) == [], left
