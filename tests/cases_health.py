"""End-to-end cases for `exec` and healthchecks, run by both tiers (like tests/cases.py).

Not collected here: tests/host/test_cli_host.py and tests/system/test_cli_systemd.py import them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.cases import process_gone, unique
from tests.clihelp import Scopebox, leftovers, wait_for

FAST = ("--health-interval", "300ms")


def health(sb: Scopebox, name: str) -> dict[str, Any]:
    st = sb.state(name)
    assert "Health" in st, st
    h = st["Health"]
    assert isinstance(h, dict)
    return h


def ps_status(sb: Scopebox, name: str) -> str:
    return sb("ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").stdout.strip()


def test_healthcheck_healthy_unhealthy_starting(sb: Scopebox) -> None:
    good, bad, slow, plain = (unique(p) for p in ("hgood", "hbad", "hslow", "hnone"))
    sb("run", "-d", "--name", good, "--health-cmd", "echo fine", *FAST, "busybox", "sleep", "1000")
    sb("run", "-d", "--name", bad, "--health-cmd", "echo nope; exit 1", *FAST,
       "--health-retries", "2", "busybox", "sleep", "1000")  # fmt: skip
    sb("run", "-d", "--name", slow, "--health-cmd", "true", "--health-interval", "1h",
       "busybox", "sleep", "1000")  # fmt: skip
    sb("run", "-d", "--name", plain, "busybox", "sleep", "1000")
    wait_for(lambda: health(sb, good)["Status"] == "healthy", timeout=20, what="healthy")
    h = health(sb, good)
    assert h["FailingStreak"] == 0 and h["Log"][0]["ExitCode"] == 0, h
    assert h["Log"][0]["Output"] == "fine", h
    wait_for(lambda: health(sb, bad)["Status"] == "unhealthy", timeout=20, what="unhealthy")
    h = health(sb, bad)
    # Not before the retries: every result so far failed, at least two of them.
    assert h["FailingStreak"] >= 2 and len(h["Log"]) >= 2, h
    assert all(e["ExitCode"] == 1 and e["Output"] == "nope" for e in h["Log"]), h
    assert health(sb, slow) == {"Status": "starting", "FailingStreak": 0, "Log": []}
    assert "Health" not in sb.state(plain)
    assert ps_status(sb, good).endswith("(healthy)"), ps_status(sb, good)
    assert ps_status(sb, bad).endswith("(unhealthy)"), ps_status(sb, bad)
    assert ps_status(sb, slow).endswith("(starting)"), ps_status(sb, slow)
    assert ps_status(sb, plain).startswith("Up") and "(" not in ps_status(sb, plain)
    names = sb("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").stdout.split()
    assert bad in names and good not in names and plain not in names, names
    names = sb("ps", "--filter", "health=none", "--format", "{{.Names}}").stdout.split()
    assert plain in names and good not in names, names
    config = sb.inspect(bad)["Config"]
    assert isinstance(config, dict)
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "echo nope; exit 1"],
                                     "Interval": 300_000_000, "Timeout": 30_000_000_000,
                                     "StartPeriod": 0, "Retries": 2}  # fmt: skip
    res = sb("ps", "--filter", "health=sick", check=False)
    assert res.returncode == 125 and "health" in res.stderr, res
    sb("rm", "-f", good, bad, slow, plain)


def test_healthcheck_run_exit_codes(sb: Scopebox) -> None:
    name, plain = unique("hrun"), unique("hplain")
    sb("run", "-d", "--name", name, "--health-cmd", "test -e /tmp/ok", "--health-interval", "1h",
       "--health-retries", "1", "busybox", "sleep", "1000")  # fmt: skip
    sb("run", "-d", "--name", plain, "busybox", "sleep", "1000")
    res = sb("healthcheck", "run", name, check=False)
    assert (res.returncode, res.stdout) == (1, "unhealthy\n"), res
    assert health(sb, name)["Status"] == "unhealthy"
    sb("exec", name, "touch", "/tmp/ok")
    res = sb("healthcheck", "run", name, check=False)
    assert (res.returncode, res.stdout) == (0, ""), res
    h = health(sb, name)
    assert h["Status"] == "healthy" and [e["ExitCode"] for e in h["Log"]] == [1, 0], h
    res = sb("healthcheck", "run", plain, check=False)
    assert res.returncode == 125 and "no defined healthcheck" in res.stderr, res
    res = sb("healthcheck", "run", "no-such-container-x", check=False)
    assert res.returncode == 125 and "no such container" in res.stderr, res
    sb("stop", "-t", "0", name)
    res = sb("healthcheck", "run", name, check=False)
    assert res.returncode == 125 and "not running" in res.stderr, res
    sb("rm", "-f", name, plain)


def test_health_on_failure_kill(sb: Scopebox) -> None:
    name = unique("hkill")
    cid = sb("run", "-d", "--name", name, "--health-cmd", "exit 1", *FAST, "--health-retries",
             "2", "--health-on-failure", "kill", "busybox", "sleep", "1000").stdout.strip()
    assert sb("wait", name, timeout=60).stdout.strip() == "137"
    state = sb.state(name)
    assert state["ExitCode"] == 137 and state["Status"] == "exited", state
    h = health(sb, name)
    assert h["Status"] == "unhealthy" and h["FailingStreak"] == 2, h
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_health_on_failure_stop(sb: Scopebox) -> None:
    """stop sends the stop signal (the container's trap makes it exit 7), not SIGKILL."""
    name = unique("hstop")
    sb("run", "-d", "--name", name, "--health-cmd", "exit 1", *FAST, "--health-retries", "1",
       "--health-on-failure", "stop", "busybox",
       "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done")  # fmt: skip
    assert sb("wait", name, timeout=60).stdout.strip() == "7"
    assert health(sb, name)["Status"] == "unhealthy"
    sb("rm", name)


def test_health_on_failure_restart(sb: Scopebox) -> None:
    """The first run is unhealthy (one line in /runs); the re-created one (same rootfs) is
    healthy. --stop-timeout 1: sleep as PID 1 ignores SIGTERM, the SIGKILL follows."""
    name = unique("hrestart")
    cid = sb("run", "-d", "--name", name, "--stop-timeout", "1",
             "--health-cmd", 'test "$(wc -l < /runs)" -ge 2', *FAST, "--health-retries", "1",
             "--health-on-failure", "restart", "busybox",
             "sh", "-c", "echo run >> /runs; echo started; exec sleep 1000").stdout.strip()
    first = sb.state(name)
    wait_for(lambda: health(sb, name)["Status"] == "healthy", timeout=40, what="restart")
    info = sb.inspect(name)
    state = info["State"]
    assert isinstance(state, dict)
    assert state["Status"] == "running" and info["RestartCount"] == 1, info
    assert state["Pid"] != first["Pid"] and state["StartedAt"] != first["StartedAt"], state
    assert state["ConmonPid"] == first["ConmonPid"]  # re-created by the same monitor
    assert process_gone(int(first["Pid"]))  # type: ignore[call-overload]
    assert sb("exec", name, "cat", "/runs").stdout == "run\nrun\n"
    wait_for(lambda: sb("logs", name).stdout == "started\nstarted\n", what="both runs logged")
    sb("stop", name)
    assert sb.state(name)["Status"] == "exited"
    sb("rm", name)
    assert leftovers(sb, cid) == []


def test_health_restart_loop_stops_for_good(sb: Scopebox) -> None:
    """A container that is never healthy is restarted over and over; rm -f still ends it
    at once, and stop keeps it down."""
    for finish in ("stop", "rm-f"):
        name = unique("hloop")
        cid = sb("run", "-d", "--name", name, "--stop-timeout", "1", "--health-cmd", "exit 1",
                 "--health-interval", "100ms", "--health-retries", "1",
                 "--health-on-failure", "restart", "busybox", "sleep", "1000").stdout.strip()
        wait_for(lambda n=name: sb.inspect(n)["RestartCount"] != 0, timeout=30, what="restart")
        if finish == "stop":
            sb("stop", name, timeout=60)
            state = sb.state(name)
            assert state["Status"] == "exited", state
            monitor = int(state["ConmonPid"] or 0)  # type: ignore[call-overload]
            assert monitor == 0 or process_gone(monitor)
            sb("rm", name)
        else:
            sb("rm", "-f", name, timeout=60)
        assert leftovers(sb, cid) == []


def test_health_timeout_kills_the_check_and_what_it_started(sb: Scopebox) -> None:
    name = unique("htimeout")
    sb("run", "-d", "--name", name, "--health-cmd", "sleep 7771 & sleep 7772", *FAST,
       "--health-timeout", "300ms", "--health-retries", "1", "busybox", "sleep", "1000")

    def timed_out() -> int:
        return sum(e["ExitCode"] == -1 for e in health(sb, name)["Log"])

    wait_for(lambda: timed_out() >= 3, timeout=30, what="three timed-out checks")
    h = health(sb, name)
    assert h["Status"] == "unhealthy", h
    assert h["Log"][-1]["Output"] == "Health check exceeded timeout (0.3s)", h
    # At most the check in flight is alive: none of the earlier ones left anything behind.
    assert len(_pids_running("sleep 7771")) <= 1 and len(_pids_running("sleep 7772")) <= 1
    sb("rm", "-f", name)
    wait_for(lambda: not _pids_running("sleep 777"), what="the last check to go")


def _pids_running(cmdline: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if cmd.decode(errors="replace").startswith(cmdline):
                found.append(int(entry))
    return found


def test_exec(sb: Scopebox) -> None:
    name = unique("exec")
    sb("run", "-d", "--name", name, "-e", "FROM_RUN=1", "busybox", "sleep", "1000")
    res = sb("exec", name, "sh", "-c", "echo out; echo err >&2; echo $FROM_RUN; exit 3",
             check=False)  # fmt: skip
    assert (res.returncode, res.stdout, res.stderr) == (3, "out\n1\n", "err\n"), res
    out = sb("exec", "-e", "A=b", "-u", "nobody", "-w", "/tmp", name,
             "sh", "-c", "echo $A; id -u; pwd; echo $FROM_RUN").stdout  # fmt: skip
    assert out.split() == ["b", "65534", "/tmp", "1"], out
    assert sb("exec", "-i", name, "tr", "a-z", "A-Z", input="hello\n").stdout == "HELLO\n"
    # The exec'd process lands in the container's cgroups (the runtime leaves the legacy
    # name=systemd tracking hierarchy of hybrid hosts alone, as for Podman).
    init = int(sb.state(name)["Pid"])  # type: ignore[call-overload]

    def cgroups(text: str) -> list[str]:
        return [line for line in text.splitlines() if ":name=systemd:" not in line]

    mine = cgroups(sb("exec", name, "cat", "/proc/self/cgroup").stdout)
    assert mine == cgroups(Path(f"/proc/{init}/cgroup").read_text()) and mine, mine
    sb("exec", "-d", name, "sh", "-c", "sleep 0.2; echo later > /tmp/d")
    wait_for(lambda: sb("exec", name, "cat", "/tmp/d", check=False).stdout == "later\n",
             what="the detached exec")  # fmt: skip
    for cmd, code in ((["nosuchcmd"], 127), (["/etc/passwd"], 126)):
        res = sb("exec", name, *cmd, check=False)
        assert res.returncode == code and res.stderr.count("\n") == 1, res
        assert cmd[0] in res.stderr or code == 126, res  # crun's 126 names no file
    # A detached exec that cannot start is Podman's 125 (tests/compat: "exec -d web nosuchcmd")
    res = sb("exec", "-d", name, "nosuchcmd", check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1, res
    res = sb("exec", "-t", name, "tty", check=False)  # no terminal here: its own pty, as Podman
    assert res.returncode == 0 and res.stdout.startswith("/dev/pts/"), res
    res = sb("exec", "-u", "nosuchuser", name, "true", check=False)
    assert res.returncode == 125 and "nosuchuser" in res.stderr, res
    res = sb("exec", "no-such-container-x", "true", check=False)
    assert res.returncode == 125 and "no such container" in res.stderr, res
    assert sb("exec", name, "ls", "/proc").returncode == 0
    rundir = f"{sb.runroot}/containers/{sb.inspect(name)['Id']}"
    assert not [f for f in os.listdir(rundir) if f.startswith("exec-")]  # no process files left
    sb("stop", "-t", "0", name)
    res = sb("exec", name, "true", check=False)
    assert res.returncode == 125 and "not running" in res.stderr, res
    sb("rm", name)


def test_image_healthcheck_is_honoured(sb: Scopebox) -> None:
    """An image whose config has a HEALTHCHECK, as `docker build` writes it (`import` cannot
    set one, as in Docker): busybox's row copied under a new id with Healthcheck added."""
    import sqlite3
    import uuid

    tag = f"localhost/hcimg-{uuid.uuid4().hex[:8]}:latest"
    db = sqlite3.connect(f"{sb.root}/state.db")
    with db:
        cols = [c[1] for c in db.execute("PRAGMA table_info(images)")]
        row = dict(zip(cols, db.execute(
            "SELECT * FROM images WHERE names LIKE '%busybox%'").fetchone(), strict=True))
        config = json.loads(row["config"])
        config["config"]["Healthcheck"] = {"Test": ["CMD-SHELL", "echo from-image"],
                                           "Interval": 300_000_000, "Retries": 2}  # fmt: skip
        row.update(id=uuid.uuid4().hex * 2, names=json.dumps([tag]), config=json.dumps(config))
        db.execute(f"INSERT INTO images ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                   [row[c] for c in cols])  # fmt: skip
    db.close()
    name, off, mine = unique("himg"), unique("himgoff"), unique("himgmine")
    sb("run", "-d", "--name", name, tag, "sleep", "1000")
    sb("create", "--name", off, "--no-healthcheck", tag, "true")
    sb("create", "--name", mine, "--health-retries", "5", tag, "true")
    wait_for(lambda: health(sb, name)["Status"] == "healthy", timeout=20, what="healthy")
    assert health(sb, name)["Log"][0]["Output"] == "from-image"
    hc = sb.inspect(mine)["Config"]["Healthcheck"]  # type: ignore[index]
    assert hc["Test"] == ["CMD-SHELL", "echo from-image"] and hc["Retries"] == 5, hc
    assert hc["Interval"] == 300_000_000 and hc["Timeout"] == 30_000_000_000, hc
    assert "Healthcheck" not in sb.inspect(off)["Config"]  # type: ignore[operator]
    assert "Health" not in sb.state(off)
    sb("rm", "-f", name, off, mine)
    sb("rmi", tag)
