"""run/create's process and namespace flags on the bare host with real runc, checked where the
kernel keeps them: /proc/<pid>/ns/*, /proc/sys, /proc/mounts, /proc/self/status, cgroup files.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.cases import unique
from tests.clihelp import REPO, SCOPEBOX, Scopebox, wait_for

pytestmark = pytest.mark.host

HAS_INIT = any(
    os.path.exists(p)
    for p in ("/usr/libexec/podman/catatonit", "/usr/bin/catatonit", "/usr/bin/tini-static")
)
NEEDS_INIT = pytest.mark.skipif(not HAS_INIT, reason="--init: install catatonit")


def _run(sb: Scopebox, *args: str) -> str:
    return sb("run", "--rm", *args).stdout


def _pid(sb: Scopebox, name: str) -> int:
    return int(sb("inspect", "--format", "{{.State.Pid}}", name).stdout)


def _inspect(sb: Scopebox, name: str) -> dict[str, object]:
    doc = json.loads(sb("inspect", name).stdout)[0]
    assert isinstance(doc, dict)
    return doc


def _ns(pid: int | str, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


@pytest.fixture(scope="module")
def other(sb: Scopebox) -> str:
    """A running container whose namespaces others join."""
    name = unique("nsowner")
    sb("run", "-d", "--name", name, "busybox", "sleep", "1000")
    return name


# --init ---------------------------------------------------------------------------------------


@NEEDS_INIT
def test_init_is_pid_1_and_the_command_its_child(sb: Scopebox) -> None:
    out = _run(sb, "--init", "busybox", "ps", "-o", "pid,ppid,args")
    rows = [line.split(None, 2) for line in out.splitlines()[1:]]
    assert rows[0][0] == "1" and rows[0][2] == "/run/podman-init -- ps -o pid,ppid,args"
    assert rows[1][1] == "1" and rows[1][2] == "ps -o pid,ppid,args"


@NEEDS_INIT
def test_init_forwards_the_stop_signal(sb: Scopebox) -> None:
    """`sleep` as PID 1 ignores SIGTERM (the kernel drops signals a PID 1 has no handler
    for): without an init, stop waits for SIGKILL; with one, SIGTERM ends it at once."""
    name = unique("init")
    sb("run", "-d", "--init", "--name", name, "busybox", "sleep", "1000")
    began = time.monotonic()
    sb("stop", "-t", "20", name)
    assert time.monotonic() - began < 8
    assert sb("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "143"
    sb("rm", name)


@NEEDS_INIT
@pytest.mark.parametrize("init", [True, False])
def test_init_reaps_orphans(sb: Scopebox, init: bool) -> None:
    """An orphan is re-parented to PID 1: `sleep` (exec'd as PID 1) never reaps it, the
    init does. Without --init the zombie stays: the test can tell the two apart."""
    name = unique("reap")
    flags = ["--init"] if init else []
    sb("run", "-d", *flags, "--name", name, "busybox", "sh", "-c",
       "(sleep 0.1 &); exec sleep 1000")

    def states() -> list[str]:
        out = sb("exec", name, "ps", "-o", "stat,args").stdout
        rows = [line.split(None, 1) for line in out.splitlines()[1:]]
        return [stat for stat, args in rows if args == "sleep 0.1" or stat.startswith("Z")]

    wait_for(lambda: not any(s.startswith("S") for s in states()), 10, "the orphan's exit")
    zombies = [s for s in states() if s.startswith("Z")]
    assert (zombies == []) is init, zombies
    sb("rm", "-f", "-t", "0", name)


def test_init_refused_without_a_private_pid_namespace(sb: Scopebox) -> None:
    res = sb("run", "--rm", "--init", "--pid", "host", "busybox", "true", check=False)
    assert res.returncode == 125
    assert "cannot add init binary as PID 1 (PID namespace isn't private)" in res.stderr
    res = sb("run", "--rm", "--init", "--init-path", "/nonexistent", "busybox", "true",
             check=False)
    assert (res.returncode, res.stderr.count("\n")) == (125, 1)
    assert "container-init binary not found on the host: stat /nonexistent" in res.stderr


# namespaces -----------------------------------------------------------------------------------

KINDS = [("pid", "pid"), ("ipc", "ipc"), ("uts", "uts"), ("cgroupns", "cgroup")]


@pytest.mark.parametrize(("flag", "kind"), KINDS)
def test_namespace_modes_reach_the_kernel(
    sb: Scopebox, other: str, flag: str, kind: str
) -> None:
    mine = _ns("self", kind)
    theirs = _ns(_pid(sb, other), kind)
    seen = {
        mode: _run(sb, f"--{flag}", mode, "busybox", "readlink", f"/proc/self/ns/{kind}").strip()
        for mode in ("host", "private", f"container:{other}",
                     f"ns:/proc/{_pid(sb, other)}/ns/{kind}")
    }
    assert seen["host"] == mine
    assert seen["private"] not in (mine, theirs)
    assert seen[f"container:{other}"] == theirs
    assert seen[f"ns:/proc/{_pid(sb, other)}/ns/{kind}"] == theirs


def test_namespace_defaults(sb: Scopebox) -> None:
    """pid, ipc and uts private; the cgroup namespace the host's (Podman on cgroup v1)."""
    out = _run(sb, "busybox", "sh", "-c", "for k in pid ipc uts cgroup; do"
               " readlink /proc/self/ns/$k; done").split()
    host = [_ns("self", k) for k in ("pid", "ipc", "uts", "cgroup")]
    assert [a == b for a, b in zip(out, host, strict=True)] == [False, False, False, True]


def test_container_namespace_needs_a_running_container(sb: Scopebox) -> None:
    res = sb("run", "--rm", "--pid", "container:nosuch", "busybox", "true", check=False)
    assert res.returncode == 125
    assert 'no container with name or ID "nosuch" found' in res.stderr
    stopped = unique("stopped")
    sb("create", "--name", stopped, "busybox", "true")
    name = unique("joiner")
    res = sb("run", "--name", name, "--uts", f"container:{stopped}", "busybox", "true",
             check=False)
    assert res.returncode == 126
    assert "is running: container is stopped" in res.stderr
    sb("rm", "-f", name, stopped)


def test_uts_shared_keeps_the_other_hostname(sb: Scopebox, other: str) -> None:
    theirs = sb("exec", other, "hostname").stdout
    assert _run(sb, "--uts", f"container:{other}", "busybox", "hostname") == theirs
    assert _run(sb, "--uts", "host", "busybox", "hostname").strip() == os.uname().nodename


def test_bad_namespace_modes(sb: Scopebox) -> None:
    for args, text in (
        (["--pid", "bogus"], "unrecognized namespace mode bogus passed"),
        (["--cgroupns", "none"], "unrecognized namespace mode none passed"),
        (["--ipc", "ns:/nonexistent"],
         "cannot find specified IPC namespace path: stat /nonexistent"),
    ):
        res = sb("run", "--rm", *args, "busybox", "true", check=False)
        assert (res.returncode, text in res.stderr) == (125, True), res.stderr


# /dev/shm, sysctls --------------------------------------------------------------------------


def _shm_line(out: str) -> str:
    return next((line for line in out.splitlines() if line.split()[1] == "/dev/shm"), "")


def test_shm_size(sb: Scopebox) -> None:
    default = _shm_line(_run(sb, "busybox", "cat", "/proc/mounts"))
    assert "size=64000k" in default  # Podman's default (65536000 bytes)
    sized = _shm_line(_run(sb, "--shm-size", "32m", "busybox", "cat", "/proc/mounts"))
    assert "size=32768k" in sized
    assert _shm_line(_run(sb, "--ipc", "none", "busybox", "cat", "/proc/mounts")) == ""
    res = sb("run", "--rm", "--shm-size", "bogus", "busybox", "true", check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: unable to translate --shm-size: invalid size: 'bogus'\n")


def test_sysctls_reach_proc_sys(sb: Scopebox) -> None:
    out = _run(
        sb, "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.msgmax=1000",
        "--sysctl", "fs.mqueue.msg_max=20", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward",
        "/proc/sys/kernel/msgmax", "/proc/sys/fs/mqueue/msg_max",
    )
    assert out.split() == ["1", "1000", "20"]
    with open("/proc/sys/kernel/msgmax") as f:
        assert f.read().strip() != "1000"  # the host's own is untouched


def test_sysctl_errors(sb: Scopebox) -> None:
    for args, text in (
        (["--sysctl", "vm.swappiness=10"], "sysctl 'vm.swappiness' is not allowed"),
        (["--sysctl", "kernel.hostname=x"], "sysctl 'kernel.hostname' is not allowed"),
        (["--sysctl", "bogus"], "bogus is invalid, sysctl values must be in the form of"),
        (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
         "can't be set since Network Namespace set to host"),
    ):
        res = sb("run", "--rm", *args, "busybox", "true", check=False)
        assert (res.returncode, text in res.stderr) == (125, True), res.stderr


def test_default_sysctls_from_containers_conf(sb: Scopebox, tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text('[containers]\ndefault_sysctls = ["net.ipv4.ping_group_range=0 0",'
                    ' "kernel.msgmax=4242"]\n')
    box = Scopebox({**sb.env, "CONTAINERS_CONF": str(conf)})
    out = box("run", "--rm", "--sysctl", "kernel.msgmax=777", "busybox", "cat",
              "/proc/sys/net/ipv4/ping_group_range", "/proc/sys/kernel/msgmax").stdout
    assert out.split() == ["0", "0", "777"]  # the flag over the file
    # With the host's network a default net.* sysctl is left out, not an error.
    assert box("run", "--rm", "--network", "host", "busybox", "true").returncode == 0


# process -------------------------------------------------------------------------------------


def test_group_add_and_keep_groups(sb: Scopebox) -> None:
    status = _run(sb, "--group-add", "10", "--group-add", "nogroup", "busybox", "cat",
                  "/proc/self/status")
    groups = next(line for line in status.splitlines() if line.startswith("Groups:"))
    assert sorted(groups.split()[1:], key=int) == ["10", "65534"]  # a name from /etc/group
    res = sb("run", "--rm", "--group-add", "wheel", "busybox", "true", check=False)
    # Podman 4.3 looks groups up at the start: its run exits 126
    assert res.returncode == 126 and "unable to find group wheel" in res.stderr
    res = sb("run", "--rm", "--group-add", "keep-groups", "--group-add", "10", "busybox", "true",
             check=False)
    assert res.returncode == 125 and "not allowed with any other --group-add" in res.stderr
    assert sb("run", "--rm", "--group-add", "keep-groups", "busybox", "true").returncode == 0


def test_oom_score_adj(sb: Scopebox) -> None:
    assert _run(sb, "--oom-score-adj", "500", "busybox", "cat", "/proc/self/oom_score_adj") \
        == "500\n"
    res = sb("run", "--rm", "--oom-score-adj", "abc", "busybox", "true", check=False)
    assert res.returncode == 125 and 'invalid argument "abc" for "--oom-score-adj"' in res.stderr


def _memory_cgroup_file(pid: int, name: str) -> Path:
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.strip().split(":", 2) for line in f]
    v1 = [path for _, ctrl, path in lines if "memory" in ctrl.split(",")]
    if not v1:
        pytest.skip("no cgroup v1 memory controller (on v2 the kernel has no such switch)")
    return Path("/sys/fs/cgroup/memory") / v1[0].lstrip("/") / name


def test_oom_kill_disable_reaches_memory_oom_control(sb: Scopebox) -> None:
    for flags, want in ((["--oom-kill-disable"], "1"), ([], "0")):
        name = unique("oom")
        sb("run", "-d", *flags, "--name", name, "busybox", "sleep", "1000")
        control = _memory_cgroup_file(_pid(sb, name), "memory.oom_control").read_text()
        assert f"oom_kill_disable {want}" in control
        sb("rm", "-f", "-t", "0", name)


def test_env_host_over_the_image_under_the_flags(sb: Scopebox) -> None:
    """Podman 4.3's order (its CompleteSpec, and the real podman here): the caller's
    environment over the image's (PATH too), -e over both; --unsetenv-all leaves it."""
    box = Scopebox({**sb.env, "RF_FROM_HOST": "host", "RF_OVERRIDDEN": "host"})
    out = box("run", "--rm", "--env-host", "-e", "RF_OVERRIDDEN=flag", "busybox", "sh", "-c",
              "echo $RF_FROM_HOST $RF_OVERRIDDEN $PATH").stdout.split()
    assert out == ["host", "flag", os.environ["PATH"]]
    assert box("run", "--rm", "busybox", "sh", "-c", "echo $RF_FROM_HOST").stdout == "\n"
    out = box("run", "--rm", "--env-host", "--unsetenv-all", "busybox", "/bin/sh", "-c",
              "echo $RF_FROM_HOST $container").stdout
    assert out == "host\n"


@pytest.mark.skipif(not os.path.exists("/usr/share/zoneinfo/Asia/Tokyo"), reason="no tzdata")
def test_tz(sb: Scopebox) -> None:
    assert _run(sb, "--tz", "Asia/Tokyo", "busybox", "date", "+%Z") == "JST\n"
    local = _run(sb, "--tz", "local", "busybox", "md5sum", "/etc/localtime").split()[0]
    import hashlib

    assert local == hashlib.md5(Path("/etc/localtime").read_bytes()).hexdigest()
    res = sb("run", "--rm", "--tz", "Nowhere/Bogus", "busybox", "true", check=False)
    assert res.returncode == 125 and "/usr/share/zoneinfo/Nowhere/Bogus" in res.stderr


def test_timeout_kills_the_container(sb: Scopebox) -> None:
    began = time.monotonic()
    res = sb("run", "--rm", "--timeout", "1", "busybox", "sleep", "30", check=False)
    assert res.returncode == 255  # Podman's: conmon records -1 for a container it timed out
    assert time.monotonic() - began < 15
    res = sb("run", "--name", "timed", "--timeout", "1", "busybox", "sleep", "30", check=False)
    assert res.returncode == 255
    assert sb("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "timed").stdout == (
        "exited -1\n")
    sb("rm", "timed")
    assert sb("run", "--rm", "--timeout", "30", "busybox", "true").returncode == 0


def test_rmi_removes_the_image_unless_used(sb: Scopebox, tmp_path: Path) -> None:
    tag = f"localhost/{unique('rmi')}:v1"
    before = sb("ps", "-aq").stdout
    sb("tag", "busybox", tag)
    assert sb("run", "--rmi", tag, "true").returncode == 0
    assert sb("image", "exists", tag, check=False).returncode == 1
    assert sb("image", "exists", "busybox").returncode == 0  # another name: only this one went
    # An image of its own (one name): kept while another container uses it, then removed.
    source = unique("src")
    sb("create", "--name", source, "busybox", "true")
    sb("export", "-o", str(tmp_path / "rootfs.tar"), source)
    sb("rm", source)
    image_id = sb("import", str(tmp_path / "rootfs.tar"), tag).stdout.strip()
    holder = unique("holder")
    sb("create", "--name", holder, tag, "true")
    assert sb("run", "--rmi", tag, "true").returncode == 0
    assert sb("image", "exists", tag).returncode == 0  # still used by `holder`
    sb("rm", holder)
    assert sb("run", "--rmi", tag, "true").returncode == 0
    assert sb("image", "exists", image_id, check=False).returncode == 1
    assert sb("ps", "-aq").stdout == before  # --rmi implies --rm


def test_annotations_reach_the_runtime_config(sb: Scopebox) -> None:
    name = unique("ann")
    sb("create", "--name", name, "--annotation", "com.example.a=1", "--annotation", "b=x=y",
       "busybox", "true")
    assert _inspect(sb, name)["Config"]["Annotations"] == {  # type: ignore[index]
        "com.example.a": "1", "b": "x=y"}
    sb("start", name)
    cid = sb("inspect", "--format", "{{.Id}}", name).stdout.strip()
    spec = json.loads(Path(sb.root, "containers", cid, "config.json").read_text())
    assert spec["annotations"]["com.example.a"] == "1"
    sb("rm", name)
    res = sb("create", "--annotation", "bogus", "busybox", "true", check=False)
    assert res.returncode == 125 and "annotations must be formatted KEY=VALUE" in res.stderr


def test_inspect_shows_what_was_asked(sb: Scopebox, other: str) -> None:
    name = unique("insp")
    sb("create", "--name", name, "--shm-size", "32m", "--oom-score-adj", "100",
       "--group-add", "10", "--tz", "UTC", "--timeout", "5", "--pid", f"container:{other}",
       "--uts", "host", "--sysctl", "kernel.msgmax=1000", "busybox", "true")
    doc = _inspect(sb, name)
    hc, cfg = doc["HostConfig"], doc["Config"]
    assert isinstance(hc, dict) and isinstance(cfg, dict)
    other_id = sb("inspect", "--format", "{{.Id}}", other).stdout.strip()
    assert {k: hc[k] for k in ("ShmSize", "OomScoreAdj", "OomKillDisable", "Init", "PidMode",
                               "IpcMode", "UTSMode", "CgroupMode", "GroupAdd")} == {
        "ShmSize": 33554432, "OomScoreAdj": 100, "OomKillDisable": False, "Init": False,
        "PidMode": f"container:{other_id}", "IpcMode": "shareable", "UTSMode": "host",
        "CgroupMode": "host", "GroupAdd": ["10"]}
    assert hc["Sysctls"]["kernel.msgmax"] == "1000"  # and containers.conf's default_sysctls
    assert (cfg["Timezone"], cfg["Timeout"]) == ("UTC", 5)
    sb("rm", name)


def test_catatonit_is_where_install_deps_puts_it() -> None:
    """tests/install-deps.sh installs catatonit: the --init tests above must not skip in CI."""
    assert HAS_INIT, "apt-get install catatonit"


# issue 19 (helper s26-runflags): --umask, --unsetenv(-all), --env-merge, --label-file,
# --pidfile, --conmon-pidfile, -q ----------------------------------------------------------------


def _environ(pid: int) -> list[str]:
    """The container process' environment as the kernel keeps it."""
    return Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")[:-1]


def test_umask_is_the_process_umask(sb: Scopebox) -> None:
    out = _run(sb, "--umask", "0077", "busybox", "sh", "-c",
               "grep Umask /proc/self/status; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d")
    assert out.split() == ["Umask:", "0077", "600", "700"]
    assert _run(sb, "busybox", "grep", "Umask", "/proc/self/status").split() == ["Umask:", "0022"]
    assert _run(sb, "--umask", "7", "busybox", "grep", "Umask", "/proc/self/status").split() == [
        "Umask:", "0007"]
    name = unique("umask")
    sb("create", "--name", name, "--umask", "77", "busybox", "true")
    assert sb("inspect", "--format", "{{.Config.Umask}}", name).stdout == "0077\n"
    sb("rm", name)
    res = sb("run", "--rm", "--umask", "0o22", "busybox", "true", check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: running container create option: invalid umask string 0o22: invalid"
        " argument\n")


def test_containers_conf_umask_under_the_flag(sb: Scopebox, tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text('[containers]\numask = "0027"\n')
    box = Scopebox({**sb.env, "CONTAINERS_CONF": str(conf)})
    assert _run(box, "busybox", "grep", "Umask", "/proc/self/status").split() == [
        "Umask:", "0027"]
    assert _run(box, "--umask", "0002", "busybox", "grep", "Umask",
                "/proc/self/status").split() == ["Umask:", "0002"]


def test_unsetenv_and_env_merge_reach_the_process(sb: Scopebox) -> None:
    name = unique("env")
    sb("run", "-d", "--name", name, "--env-merge", "PATH=${PATH}:/opt/x",
       "--unsetenv", "container", "-e", "A=1", "busybox", "sleep", "1000")
    env = _environ(_pid(sb, name))
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/x" in env
    assert not any(e.startswith("container=") for e in env) and "A=1" in env
    cfg_env = json.loads(sb("inspect", "--format", "{{json .Config.Env}}", name).stdout)
    assert cfg_env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/x",
                       "TERM=xterm", "A=1"]
    sb("rm", "-f", "-t", "0", name)
    sb("run", "-d", "--name", name, "--unsetenv-all", "-e", "A=1", "busybox", "/bin/sleep",
       "1000")  # (no PATH left)
    # HOME and HOSTNAME come at start, as Podman's; nothing of the defaults is left
    assert sorted(e.partition("=")[0] for e in _environ(_pid(sb, name))) == [
        "A", "HOME", "HOSTNAME"]
    sb("rm", "-f", "-t", "0", name)


def test_label_file_labels(sb: Scopebox, tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_text("# labels\nrf.team=blue\nrf.tier=back\n")
    name = unique("lbl")
    sb("create", "--name", name, "--label-file", str(path), "-l", "rf.tier=front",
       "busybox", "true")
    labels = json.loads(sb("inspect", "--format", "{{json .Config.Labels}}", name).stdout)
    assert labels == {"rf.team": "blue", "rf.tier": "front"}
    assert sb("ps", "-a", "--filter", "label=rf.team=blue", "--format",
              "{{.Names}}").stdout == f"{name}\n"
    sb("rm", name)
    res = sb("create", "--label-file", str(tmp_path / "nosuch"), "busybox", "true",
             check=False)
    assert (res.returncode, res.stderr) == (
        125, f"Error: unable to process labels: open {tmp_path}/nosuch: no such file or"
        " directory\n")


def test_pid_files_hold_the_container_and_the_monitor(sb: Scopebox, tmp_path: Path) -> None:
    pidfile, conmon = tmp_path / "ctr.pid", tmp_path / "mon.pid"
    name = unique("pidf")
    sb("run", "-d", "--name", name, "--pidfile", str(pidfile), "--conmon-pidfile", str(conmon),
       "busybox", "sleep", "1000")
    st = sb.state(name)
    assert pidfile.read_text() == str(st["Pid"])  # no newline, as Podman's
    assert conmon.read_text() == str(st["ConmonPid"])
    # the container's init in its own PID namespace; the monitor its parent
    assert Path(f"/proc/{st['Pid']}/cmdline").read_bytes() == b"sleep\x001000\x00"
    assert _ns(st["Pid"], "pid") != _ns("self", "pid")
    stat = Path(f"/proc/{st['Pid']}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(stat[1]) == st["ConmonPid"]
    doc = _inspect(sb, name)
    assert (doc["PidFile"], doc["ConmonPidFile"]) == (str(pidfile), str(conmon))
    # written again at each start
    sb("stop", "-t", "0", name)
    sb("start", name)
    again = sb.state(name)
    assert again["Pid"] != st["Pid"] and pidfile.read_text() == str(again["Pid"])
    assert conmon.read_text() == str(again["ConmonPid"])
    sb("rm", "-f", "-t", "0", name)


def test_unwritable_pid_file_fails_the_start_and_leaves_nothing(sb: Scopebox) -> None:
    name = unique("pidbad")
    res = sb("run", "--rm", "--name", name, "--pidfile", "/nonexistent-rf/x", "busybox", "true",
             check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: writing the --pidfile file /nonexistent-rf/x: No such file or directory\n")
    assert sb("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}").stdout == ""
    res = sb("run", "-d", "--name", name, "--conmon-pidfile", "/nonexistent-rf/y", "busybox",
             "sleep", "100", check=False)
    assert res.returncode == 125 and "--conmon-pidfile file /nonexistent-rf/y" in res.stderr
    assert sb("inspect", "--format", "{{.State.Status}}", name).stdout == "created\n"
    # no process of it is left running (the created container was killed and deleted)
    left = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p) == b"sleep\x00100\x00"]
    assert left == []
    sb("rm", name)


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_quiet_and_content_trust_are_accepted(sb: Scopebox) -> None:
    res = sb("run", "-q", "--disable-content-trust", "--rm", "busybox", "echo", "hi")
    assert (res.stdout, res.stderr) == ("hi\n", "")
    res = sb("create", "--quiet", "--disable-content-trust=false", "busybox", "true")
    assert res.stderr == ""
    sb("rm", res.stdout.strip())


def test_the_monitor_gets_containers_conf(sb: Scopebox, tmp_path: Path) -> None:
    """As Podman gives conmon CONTAINERS_CONF: the monitor's exit command reads the settings
    the container was made with."""
    conf = tmp_path / "containers.conf"
    conf.write_text("[engine]\nstop_timeout = 7\n")
    env = {**sb.environ(), "CONTAINERS_CONF": str(conf)}
    res = subprocess.run([*SCOPEBOX, "run", "-d", "busybox", "sleep", "100"], env=env,
                         capture_output=True, text=True, cwd=REPO, timeout=60, check=True)
    cid = res.stdout.strip()
    try:
        pid = sb("inspect", "-f", "{{.State.ConmonPid}}", cid).stdout.strip()
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"CONTAINERS_CONF={conf}".encode() in environ
    finally:
        sb("rm", "-f", "-t", "0", cid)
