"""Looking into a pod (issue 15, helper podsx): `pod top`, `pod logs`, `pod stats` with real
containers; what a user reads on the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import time

from tests.clihelp import SCOPEBOX, Scopebox


def _pod(sb: Scopebox) -> tuple[str, str, str]:
    sb("pod", "rm", "-f", "-t", "0", "--ignore", "look")  # an earlier test's, had it failed
    pod = sb("pod", "create", "--name", "look").stdout.strip()
    a = sb("run", "-d", "--pod", "look", "--name", "la", "busybox", "sh", "-c",
           "echo one; echo two >&2; exec sleep 300").stdout.strip()
    b = sb("run", "-d", "--pod", "look", "--name", "lb", "busybox", "sh", "-c",
           "sleep 0.3; echo three; exec sleep 301").stdout.strip()
    time.sleep(0.8)
    return pod, a, b


def test_pod_top(sb: Scopebox) -> None:
    assert sb("pod", "create", "--name", "idle").returncode == 0
    res = sb("pod", "top", "idle")  # nothing runs: nothing shown, as Podman
    assert (res.returncode, res.stdout) == (0, "")
    _pod(sb)
    lines = sb("pod", "top", "look", "pid", "args").stdout.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    # each container's processes by their pids in its own pid namespace (Podman's psgo);
    # args end with a space, as psgo joins the NUL-ended words of /proc/PID/cmdline
    procs = sorted((ln.split(None, 1)[1], int(ln.split()[0])) for ln in lines[1:])
    assert procs == [("/catatonit -P ", 1), ("sleep 300 ", 1), ("sleep 301 ", 1)], lines
    # --latest: every argument is a descriptor
    assert sb("pod", "top", "-l", "comm").stdout.split()[0] == "COMMAND"
    sb("stop", "-t", "0", "lb")
    assert "sleep 301" not in sb("pod", "top", "look").stdout
    res = sb("pod", "top", "look", "nosuch", check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1
    res = sb("pod", "top", check=False)
    assert res.stderr == "Error: you must provide the name or id of a running pod\n"
    res = sb("pod", "top", "nosuch", check=False)
    assert res.returncode == 125 and res.stderr.endswith("no such pod\n")
    sb("pod", "rm", "-a", "-f", "-t", "0")


def test_pod_logs(sb: Scopebox) -> None:
    _, a, b = _pod(sb)
    res = sb("pod", "logs", "look")
    # merged by time, each line prefixed by its container's short id (the infra says nothing)
    assert res.stdout == f"{a[:12]} one\n{b[:12]} three\n"
    assert res.stderr == f"{a[:12]} two\n"
    assert sb("pod", "logs", "--names", "look").stdout == "la one\nlb three\n"
    res = sb("pod", "logs", "-c", "la", "look")
    assert (res.stdout, res.stderr) == ("one\n", "two\n")
    assert sb("pod", "logs", "--tail", "1", "-c", "lb", "look").stdout == "three\n"
    ts = sb("pod", "logs", "-t", "-n", "look").stdout.splitlines()
    assert [ln.split(" ", 1)[0] for ln in ts] == ["la", "lb"]
    assert ts[0].split(" ")[1].endswith("Z") and ts[0].endswith(" one")
    res = sb("pod", "logs", "-c", "nosuch", "look", check=False)
    assert res.returncode == 125
    assert res.stderr == "Error: container nosuch is not in pod look: no such container\n"
    res = sb("pod", "logs", check=False)
    assert res.stderr == "Error: specify at least one pod name or ID to log\n"
    # -f: lines as they come, the end when every container's run is over
    follow = subprocess.Popen([*SCOPEBOX, "pod", "logs", "-f", "--names", "look"],
                              env={**os.environ, **sb.env}, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        sb("exec", "la", "sh", "-c", "echo late > /proc/1/fd/1")
        time.sleep(0.5)
        sb("stop", "-t", "0", "la", "lb")
        out, _ = follow.communicate(timeout=20)
    finally:
        follow.kill()
    assert follow.returncode == 0
    lines = out.splitlines()  # what was there already (each container's, in its order), then
    assert sorted(lines[:2]) == ["la one", "lb three"] and lines[2:] == ["la late"], lines
    sb("pod", "rm", "-a", "-f", "-t", "0")


def test_pod_stats(sb: Scopebox) -> None:
    pod, a, b = _pod(sb)
    sb("pod", "create", "--name", "other")
    res = sb("pod", "stats", "--no-stream", "look")
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["POD", "CID", "NAME", "CPU", "%", "MEM", "USAGE/", "LIMIT",
                                "MEM", "%", "NET", "IO", "BLOCK", "IO", "PIDS"]
    assert [ln.split()[2] for ln in lines[1:]] == [f"{pod[:12]}-infra", "la", "lb"]
    assert all(ln.split()[0] == pod[:12] for ln in lines[1:])
    doc = json.loads(sb("pod", "stats", "--no-stream", "--format", "json", "look").stdout)
    assert [d["CID"] for d in doc[1:]] == [a[:12], b[:12]]
    assert all(d["PIDS"] == "1" and d["CPU"].endswith("%") for d in doc)
    # no pod named: the running ones; -a: all of them (one not running reads "--")
    names = sb("pod", "stats", "--no-stream", "--format", "{{.Name}}").stdout.split()
    assert names == ["NAME", f"{pod[:12]}-infra", "la", "lb"]
    every = sb("pod", "stats", "--no-stream", "-a", "--format", "{{.Pod}} {{.CPU}}").stdout
    assert len(every.splitlines()) == 5 and every.splitlines()[-1].endswith(" --")
    res = sb("pod", "stats", "--no-stream", "nosuch", check=False)
    assert res.returncode == 125 and res.stderr.endswith("no such pod\n")
    sb("pod", "rm", "-a", "-f", "-t", "0")


def test_exit_policy_stop(sb: Scopebox) -> None:
    """--exit-policy stop: the last container's exit stops the pod; continue keeps it up."""
    sb("pod", "create", "--name", "once", "--exit-policy", "stop")
    sb("pod", "create", "--name", "stays")
    for pod in ("once", "stays"):
        sb("run", "--pod", pod, "busybox", "true")
    deadline = time.monotonic() + 10
    while json.loads(sb("pod", "inspect", "once").stdout)["State"] != "Exited":
        assert time.monotonic() < deadline, sb("pod", "inspect", "once").stdout
        time.sleep(0.2)
    doc = json.loads(sb("pod", "inspect", "stays").stdout)
    assert doc["State"] == "Degraded" and doc["ExitPolicy"] == "continue"
    sb("pod", "rm", "-a", "-f", "-t", "0")


def test_pod_id_files_and_infra_pidfile(sb: Scopebox, tmp_path: object) -> None:
    """What generated units use: --pod-id-file everywhere, --infra-conmon-pidfile."""
    idf, pidf = f"{tmp_path}/p.pod-id", f"{tmp_path}/p.pid"
    pod = sb("pod", "create", "--name", "byfile", "--pod-id-file", idf,
             "--infra-conmon-pidfile", pidf).stdout.strip()
    with open(idf) as f:
        assert f.read() == pod
    sb("run", "-d", "--pod-id-file", idf, "--name", "bf1", "busybox", "sleep", "300")
    infra = json.loads(sb("pod", "inspect", "byfile").stdout)["InfraContainerID"]
    with open(pidf) as f:  # written when the infra started (with bf1); it has no monitor:
        assert int(f.read()) == sb.state(infra)["Pid"]  # catatonit stands for it
    assert sb.state(infra)["ConmonPid"] == 0
    assert sb("pod", "stop", "-t", "0", "--pod-id-file", idf).stdout.strip() == pod
    assert sb("pod", "start", "--pod-id-file", idf).stdout.strip() == pod
    with open(pidf) as f:  # a new run: the file follows it
        assert int(f.read()) == sb.state(infra)["Pid"]
    # kill -9 of the monitor-less infra: the next reader records it and tears down
    os.kill(sb.state(infra)["Pid"], 9)
    deadline = time.monotonic() + 10
    while sb.state(infra)["Status"] != "exited":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sb.state(infra)["ExitCode"] == -1 and "unknown" in sb.state(infra)["Error"]
    assert not os.path.exists(f"{sb.runroot}/containers/{infra}")  # its run dir: torn down
    sb("pod", "stop", "-t", "0", "byfile")
    assert sb.state(infra)["ExitCode"] == -1
    sb("pod", "start", "byfile")
    sb("pod", "stop", "-t", "1", "byfile")  # SIGTERM: catatonit's 0
    assert (sb.state(infra)["Status"], sb.state(infra)["ExitCode"]) == ("exited", 0)
    res = sb("pod", "rm", "--ignore", "--pod-id-file", f"{tmp_path}/nosuch", check=False)
    assert res.returncode == 125
    assert res.stderr == f"Error: reading pod ID file: open {tmp_path}/nosuch: no such file" \
                         " or directory\n"
    res = sb("run", "--pod", "byfile", "--pod-id-file", idf, "busybox", "true", check=False)
    assert res.stderr == "Error: cannot specify both --pod and --pod-id-file\n"
    assert sb("pod", "rm", "-f", "-t", "0", "--pod-id-file", idf).stdout.strip() == pod
    assert sb("ps", "-aq").stdout == ""


def test_pod_clone(sb: Scopebox) -> None:
    sb("pod", "create", "--name", "orig", "--label", "a=b", "--cpus", "0.5")
    sb("create", "--pod", "orig", "--name", "om", "busybox", "sh", "-c", "hostname; sleep 300")
    new = sb("pod", "clone", "orig").stdout.strip()
    doc = json.loads(sb("pod", "inspect", "orig-clone").stdout)
    assert doc["Id"] == new and doc["Labels"] == {"a": "b"} and doc["cpu_quota"] == 50000
    assert [c["Name"] for c in doc["Containers"]][1:] == ["om-clone"]
    # --start, --destroy, a name: the copy runs in its own namespaces, the original is gone
    sb("pod", "clone", "--start", "--destroy", "--memory", "64m", "orig", "copy")
    assert sb("pod", "exists", "orig", check=False).returncode == 1
    doc = json.loads(sb("pod", "inspect", "copy").stdout)
    assert doc["State"] == "Running" and doc["memory_limit"] == 64 << 20
    assert [c["Name"] for c in doc["Containers"]][1:] == ["om-clone1"]
    infra = doc["InfraContainerID"]
    for kind in ("net", "uts"):
        a = os.readlink(f"/proc/{sb.state('om-clone1')['Pid']}/ns/{kind}")
        assert a == os.readlink(f"/proc/{sb.state(infra)['Pid']}/ns/{kind}")
    res = sb("pod", "clone", "nosuch", check=False)
    assert res.returncode == 125 and res.stderr.endswith("no such pod\n")
    sb("pod", "rm", "-a", "-f", "-t", "0")
    assert sb("ps", "-aq").stdout == ""
