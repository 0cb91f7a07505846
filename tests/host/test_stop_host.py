"""`stop` and `kill` of a running container without the engine (supervisor/stopquick.py, issue
16): what a user sees right after the CLI returns, what it loads, and what a killed CLI leaves."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cases import unique
from tests.clihelp import REPO, SCOPEBOX, Scopebox, leftovers, wait_for

pytestmark = pytest.mark.host

TRAP = "trap 'exit 3' TERM; sleep 1000 & wait"
CODE = (
    f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
    "from supervisor.cli.main import main\n"
    "rc = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n')\n"
    "raise SystemExit(rc)\n"
)
HEAVY = {"supervisor.model", "supervisor.engine", "supervisor.container.reconcile",
         "supervisor.monitor", "subprocess", "dataclasses", "typing", "argparse", "re",
         "supervisor.api.containers"}  # fmt: skip


def traced(sb: Scopebox, *argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    res = subprocess.run([sys.executable, "-I", "-S", "-c", CODE, *argv], env=sb.environ(),
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    return res, set(res.stderr.rpartition("MODULES ")[2].split())


def started(sb: Scopebox, name: str, *command: str, flags: tuple[str, ...] = ()) -> str:
    cid = sb("run", "-d", "--network", "none", *flags, "--name", name, "busybox",
             *command).stdout.strip()  # fmt: skip
    wait_for(lambda: sb("logs", name).stdout.startswith("up"), what="the trap to be set")
    return cid


def test_stop_is_exited_at_once_and_loads_no_engine(sb: Scopebox) -> None:
    """The stop signal by pidfd, the exit record waited for by inotify, the row Exited with
    the command's code when the CLI returns; teardown follows in the monitor's exit command,
    and a `start` or `rm` at once waits it out."""
    name = unique("qstop")
    cid = started(sb, name, "sh", "-c", f"echo up; {TRAP}")
    res, mods = traced(sb, "stop", name)
    assert (res.returncode, res.stdout) == (0, f"{name}\n"), res
    assert not mods & HEAVY, mods & HEAVY
    assert "supervisor.stopquick" in mods
    ps = sb("ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").stdout
    assert ps.startswith("Exited (3)"), ps
    assert sb("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout == \
        "exited 3\n"  # fmt: skip
    events = sb("events", "--stream=false", "--filter", f"container={name}", "--format",
                "{{.Status}}").stdout.split()  # fmt: skip
    assert "stop" in events and "died" in events, events
    sb("start", name)  # at once: the previous run's teardown is waited out
    assert sb.state(name)["Status"] == "running"
    wait_for(lambda: sb("logs", name).stdout == "up\nup\n", what="the trap set again")
    assert sb("stop", name).stdout == f"{name}\n"
    assert sb.state(name)["ExitCode"] == 3
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_stop_timeout_kills_and_rm_container_goes(sb: Scopebox) -> None:
    """Past `-t`, SIGKILL (137); an --rm container is gone when stop returns, as Podman's."""
    name, auto = unique("qkill"), unique("qrm")
    cid = started(sb, name, "sh", "-c", "echo up; trap '' TERM; sleep 1000 & wait")
    res, mods = traced(sb, "stop", "-t", "1", name)
    assert (res.returncode, res.stdout) == (0, f"{name}\n") and not mods & HEAVY, res
    assert sb("inspect", "-f", "{{.State.ExitCode}}", name).stdout == "137\n"
    rm_cid = started(sb, auto, "sh", "-c", f"echo up; {TRAP}", flags=("--rm",))
    res, _ = traced(sb, "stop", "-t", "5", auto)
    assert (res.returncode, res.stdout) == (0, f"{auto}\n"), res
    assert (left := leftovers(sb, rm_cid)) == [], left
    assert sb("stop", "-i", auto).stdout == ""  # gone: --ignore, as Podman's
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_kill_is_quick_and_wait_sees_it(sb: Scopebox) -> None:
    name = unique("qsig")
    cid = started(sb, name, "sh", "-c", "echo up; trap 'exit 7' USR1; sleep 1000 & wait")
    res, mods = traced(sb, "kill", "-s", "USR1", name)
    assert (res.returncode, res.stdout) == (0, f"{name}\n") and not mods & HEAVY, res
    assert sb("wait", name).stdout == "7\n"
    res = sb("kill", name, check=False)  # not running: the engine's answer, Podman's words
    assert res.returncode == 125 and "not running" in res.stderr, res
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_cli_killed_during_stop(sb: Scopebox, tmp_path: Path) -> None:
    """A stop CLI SIGKILLed once the container has its signal: the container still ends
    Exited with its code, and nothing of its run is left (the monitor's exit command)."""
    name = unique("qdie")
    shared = tmp_path / "shared"
    shared.mkdir()
    cid = sb("run", "-d", "--network", "none", "-v", f"{shared}:/shared", "--name", name,
             "busybox", "sh", "-c", "trap 'touch /shared/term; sleep 1; exit 5' TERM;"
             " echo up; sleep 1000 & wait").stdout.strip()  # fmt: skip
    wait_for(lambda: sb("logs", name).stdout.startswith("up"), what="the trap to be set")
    proc = sb.popen("stop", "-t", "30", name)
    wait_for(lambda: (shared / "term").exists(), what="the stop signal")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_for(lambda: sb.state(name)["Status"] == "exited", what="the exit")
    assert sb.state(name)["ExitCode"] == 5
    rundir = f"{sb.runroot}/containers/{cid}"
    wait_for(lambda: not os.path.exists(rundir), what="the monitor's teardown")
    with open("/proc/self/mountinfo") as f:
        assert [line for line in f if cid in line] == []
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left


def test_inspect_says_stopping_while_stop_waits(sb: Scopebox) -> None:
    """Podman's `stopping` state while the grace period runs; other commands go on."""
    name = unique("qstopping")
    started(sb, name, "sh", "-c", "echo up; trap '' TERM; sleep 1000 & wait")
    stopper = subprocess.Popen([*sb.wrap, *SCOPEBOX, "stop", "-t", "20", name],
                               env=sb.environ(), cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: sb("inspect", "-f", "{{.State.Status}} {{.State.Running}}",
                            name).stdout == "stopping false\n", what="the stopping state")
        assert name in sb("ps", "-a").stdout
        sb("kill", name)
        assert stopper.wait(timeout=30) == 0
    finally:
        stopper.kill()
        stopper.wait()
    assert sb("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name).stdout == (
        "exited 137\n")
    sb("rm", name)


def _watching(pid: int) -> bool:
    """The process holds an inotify descriptor (wait's quick path blocks on one)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    links = []
    for fd in fds:
        with contextlib.suppress(OSError):  # closed meanwhile
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return "anon_inode:inotify" in links


def test_wait_blocks_on_the_exit_record_without_the_engine(sb: Scopebox) -> None:
    """wait's quick path (supervisor/waitquick.py, issue 16): blocked on the monitor's exit
    record, it prints the code of the exit that follows, and the exit shows at once in
    `ps -a`; an `rm` right after waits out the cleanup, as after the engine's `wait`."""
    name = unique("qwait")
    cid = started(sb, name, "sh", "-c", "echo up; trap 'exit 7' USR1; sleep 1000 & wait")
    proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", CODE, "wait", name],
                            env=sb.environ(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_for(lambda: _watching(proc.pid), what="wait to block on the exit record")
        sb("kill", "-s", "USR1", name)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    mods = set(err.rpartition("MODULES ")[2].split())
    assert (proc.returncode, out) == (0, "7\n"), err
    assert "supervisor.waitquick" in mods
    assert not mods & (HEAVY - {"supervisor.api.containers"}), mods & HEAVY
    ps = sb("ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").stdout
    assert ps.startswith("Exited (7)"), ps
    sb("rm", name)
    assert (left := leftovers(sb, cid)) == [], left
