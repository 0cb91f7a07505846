"""End-to-end cases through the CLI, shared by the bare-host tier and the systemd tier."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.clihelp import Scopebox, leftovers, wait_for


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def running(sb: Scopebox, name: str) -> bool:
    return sb.state(name)["Status"] == "running"


def exit_codes(sb: Scopebox) -> None:
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


def exit_137_after_kill9(sb: Scopebox) -> None:
    name = unique("k9")
    proc = sb.popen("run", "--rm", "--name", name, "busybox", "sleep", "1000")
    try:
        wait_for(
            lambda: sb("ps", "-q", "--filter", f"name={name}").stdout.strip() != "",
            what="the container to run",
        )
        pid = int(sb.state(name)["Pid"])  # type: ignore[call-overload]
        os.kill(pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == 137
    finally:
        proc.kill()
        proc.wait()
    wait_for(
        lambda: name not in sb("ps", "-a", "--format", "{{.Names}}").stdout,
        what="--rm to remove the container",
    )


def detached_lifecycle(sb: Scopebox) -> str:
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
    assert leftovers(sb, cid) == []
    return cid


def cli_killed_during_foreground(sb: Scopebox, shared: Path) -> None:
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


def monitor_killed(sb: Scopebox) -> None:
    for finish in ("stop", "rm-f"):
        name = unique("mon")
        cid = sb("run", "-d", "--name", name, "busybox", "sleep", "1000").stdout.strip()
        state = sb.state(name)
        monitor = int(state["ConmonPid"])  # type: ignore[call-overload]
        os.kill(monitor, signal.SIGKILL)
        wait_for(
            lambda monitor=monitor: (
                not os.path.exists(f"/proc/{monitor}/stat")
                or "Z" in Path(f"/proc/{monitor}/stat").read_text().split(")")[-1][:3]
            ),
            what="the monitor to die",
        )
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
        assert leftovers(sb, cid) == []


def parallel_run_rm(sb: Scopebox, n: int = 20) -> None:
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


def bad_input(sb: Scopebox) -> None:
    def count() -> int:
        return (
            len(os.listdir(f"{sb.root}/containers"))
            if os.path.isdir(f"{sb.root}/containers")
            else 0
        )

    before = count()
    res = sb("run", "--rm", "no-such-image-xyz", "true", check=False)
    assert res.returncode == 125 and "no such image" in res.stderr, res
    res = sb("run", "--no-such-flag", "busybox", "true", check=False)
    assert res.returncode == 125 and "--no-such-flag" in res.stderr, res
    res = sb("run", "-p", "80:80", "busybox", "true", check=False)
    assert res.returncode == 125 and "not supported" in res.stderr, res
    res = sb("run", "--rm", "--ulimit", "nofile=99999999:99999999", "busybox", "true", check=False)
    assert res.returncode == 125 and "nofile" in res.stderr, res
    assert count() == before
    name = unique("dup")
    cid = sb("run", "-d", "--name", name, "busybox", "sleep", "1000").stdout.strip()
    res = sb("run", "-d", "--name", name, "busybox", "true", check=False)
    assert res.returncode == 125 and "already in use" in res.stderr, res
    res = sb("rm", name, check=False)
    assert res.returncode == 125 and "running" in res.stderr, res
    assert running(sb, name)
    assert count() == before + 1
    sb("rm", "-f", name)
    assert leftovers(sb, cid) == []


def interactive_stdin(sb: Scopebox) -> None:
    res = sb("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z", input="hello\n")
    assert res.stdout == "HELLO\n", res


def foreground_streams(sb: Scopebox) -> None:
    res = sb("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; printf partial")
    assert res.stdout == "out\npartial" and res.stderr == "err\n", res


def run_subprocess(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
