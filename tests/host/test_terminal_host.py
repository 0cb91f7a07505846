"""Terminals driven through a real pseudo-terminal: `exec -it`, `run -it`, `start -ai` and
`attach` as a user types them (the outer pty's window size, resizing, line editing, ctrl-c,
detach keys, re-attach, the exit code, the terminal restored), and `-t` without one."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Iterator

import pytest

from tests.clihelp import REPO, SCOPEBOX, Scopebox

pytestmark = pytest.mark.host


class Term:
    """The CLI on the follower end of a fresh pty (its controlling terminal), us on the other."""

    def __init__(self, sb: Scopebox, *args: str, rows: int = 30, cols: int = 100) -> None:
        self.leader, follower = pty.openpty()
        self.resize(rows, cols)
        # Our own handle on the CLI's terminal: its modes after the CLI is gone.
        self.follower = os.dup(follower)
        self.cooked = termios.tcgetattr(self.follower)

        def own_terminal() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([*SCOPEBOX, *args], stdin=follower, stdout=follower,
                                     stderr=follower, env=sb.environ(), cwd=REPO,
                                     start_new_session=True, preexec_fn=own_terminal)  # fmt: skip
        os.close(follower)
        self.seen = b""

    def resize(self, rows: int, cols: int) -> None:
        # The kernel sends SIGWINCH to the terminal's foreground group, as a terminal emulator.
        fcntl.ioctl(self.leader, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, data: bytes) -> None:
        os.write(self.leader, data)

    def expect(self, want: bytes, timeout: float = 20) -> bytes:
        end = time.monotonic() + timeout
        while want not in self.seen:
            left = end - time.monotonic()
            assert left > 0, f"{want!r} not seen in {self.seen!r}"
            if select.select([self.leader], [], [], left)[0]:
                try:
                    chunk = os.read(self.leader, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"EOF before {want!r}; seen {self.seen!r}"
                self.seen += chunk
        before, _, self.seen = self.seen.partition(want)
        return before

    def wait(self) -> int:
        code = self.proc.wait(timeout=30)
        self.drain(0.2)  # what the CLI wrote last
        # Whatever way the CLI left, the terminal is as it found it (echo, canonical mode).
        assert termios.tcgetattr(self.follower) == self.cooked
        os.close(self.follower)
        os.close(self.leader)
        return code

    def drain(self, seconds: float) -> bytes:
        """What the terminal shows in the next `seconds` (a check that nothing more comes)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if select.select([self.leader], [], [], left)[0]:
                try:
                    chunk = os.read(self.leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.seen += chunk
        return self.seen


@pytest.fixture(scope="module")
def web(sb: Scopebox) -> Iterator[str]:
    cid = sb("run", "-d", "busybox", "sleep", "1000").stdout.strip()
    yield cid
    sb("rm", "-f", "-t", "0", cid)


def test_exec_it_is_a_terminal_of_the_outer_size_and_follows_resizes(
    sb: Scopebox, web: str
) -> None:
    t = Term(sb, "exec", "-it", web, "sh")
    t.expect(b"/ # ")  # the prompt came through: our terminal is in raw mode
    t.send(b"tty; echo $TERM; stty size; echo =d''one\r")  # the echoed line does not hold =done
    out = t.expect(b"=done\r\n", 30)
    assert b"/dev/pts/" in out and b"xterm\r\n" in out and b"30 100\r\n" in out, out
    t.resize(41, 123)
    t.send(b"stty size; echo =ag''ain\r")
    assert b"41 123\r\n" in t.expect(b"=again\r\n")
    # Line editing is the container's pty's: a backspace removes the c.
    t.send(b"echo a\"\"b\x7fc=e\r")
    t.expect(b"\nac=e\r\n")
    # ctrl-c is a byte in raw mode: the container's terminal makes it sh's SIGINT.
    t.send(b"sh -c 'trap \"echo trapped-$((6*7)); exit\" INT; echo =wai\"\"ting; "
           b"while :; do sleep 1; done'\r")
    t.expect(b"=waiting\r\n")  # the trap is set
    t.send(b"\x03")
    t.expect(b"trapped-42")
    t.send(b"exit 3\r")
    assert t.wait() == 3


def test_exec_t_errors_and_exit_codes_through_a_terminal(sb: Scopebox, web: str) -> None:
    for command, code in ((["nosuchcmd"], 127), (["/etc"], 126), (["true"], 0)):
        t = Term(sb, "exec", "-t", web, *command)
        assert t.wait() == code, (command, t.seen)


def test_exec_t_without_any_terminal_and_detached(sb: Scopebox, web: str) -> None:
    """As Podman's: the pty is held for the exec (no terminal around is needed), -d -t leaves
    it to a drain process and prints the session id; the process keeps its terminal."""
    res = subprocess.run([*SCOPEBOX, "exec", "-t", web, "sh", "-c", "tty; exit 4"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         env=sb.environ(), cwd=REPO, timeout=60)  # fmt: skip
    assert (res.returncode, res.stderr) == (4, "")
    assert re.fullmatch(r"/dev/pts/\d+\n", res.stdout), res.stdout  # text mode: \r\n is \n
    res = sb("exec", "-d", "-t", web, "sh", "-c", "sleep 1; tty > /tmp/dt; echo $? >> /tmp/dt")
    assert re.fullmatch(r"[0-9a-f]{64}\n", res.stdout), res.stdout
    deadline = time.monotonic() + 30
    while "\n0\n" not in (out := sb("exec", web, "cat", "/tmp/dt", check=False).stdout):
        assert time.monotonic() < deadline, out
        time.sleep(0.2)
    assert out.startswith("/dev/pts/"), out


def test_exec_it_detach_keys_leave_the_process_running(sb: Scopebox, web: str) -> None:
    t = Term(sb, "exec", "-it", "--detach-keys=ctrl-x,y", web, "sh")
    t.expect(b"/ # ")
    t.send(b"echo $$ > /tmp/detached-sh; echo =r''eady\r")
    t.expect(b"=ready\r\n")
    t.send(b"\x18y")
    assert t.wait() == 255  # Podman 4.3's, with its line
    assert b"Error: detached from container" in t.seen
    pid = sb("exec", web, "cat", "/tmp/detached-sh").stdout.strip()
    # Still running after its client left, and still on its terminal.
    assert sb("exec", web, "sh", "-c", f"test -t 0 < /proc/{pid}/fd/0 && readlink /proc/{pid}/fd/0"
              ).stdout.startswith("/dev/pts/")
    sb("exec", web, "kill", "-9", pid)


def test_non_tty_stdin_detach_keys_leave_it_running(sb: Scopebox) -> None:
    """Podman's detach keys work on a non-tty -i too (typed bytes on a pipe)."""
    name = "sb-nt-detach"
    proc = subprocess.Popen([*SCOPEBOX, "run", "-i", "--name", name, "busybox", "sh", "-c",
                             "while read x; do echo got-$x; done; sleep 100"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=sb.environ(), cwd=REPO)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("a\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == "got-a\n"
    proc.stdin.write("\x10\x11b\n")
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
    assert sb("inspect", "-f", "{{.State.Status}}", name).stdout == "running\n"
    assert sb("logs", name).stdout == "got-a\n"  # nothing after the keys reached it
    sb("rm", "-f", "-t", "0", name)


def test_attach_by_two_clients_from_other_shells(sb: Scopebox, tmp_path: object) -> None:
    fifo = f"{tmp_path}/go"
    os.mkfifo(fifo)
    cid = sb("run", "-d", "-v", f"{tmp_path}:/w", "busybox", "sh", "-c",
             "read x < /w/go; echo out-line; echo err-line >&2; exit 4").stdout.strip()  # fmt: skip
    clients = [subprocess.Popen([*SCOPEBOX, "attach", *flags, cid], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=sb.environ(), cwd=REPO)
               for flags in ((), ("--no-stdin", "--sig-proxy=false"))]  # fmt: skip
    # Both are connected once the monitor has accepted them: wait for two sockets of theirs.
    end = time.monotonic() + 20
    while _attach_sockets(clients) < 2:
        assert time.monotonic() < end, "attach clients did not connect"
        time.sleep(0.05)
    with open(fifo, "w") as f:
        f.write("go\n")
    for client in clients:
        out, err = client.communicate(timeout=30)
        assert (client.returncode, out, err) == (4, "out-line\n", "err-line\n")
    sb("rm", cid)


def _attach_sockets(clients: list[subprocess.Popen[str]]) -> int:
    count = 0
    for client in clients:
        with contextlib.suppress(OSError):
            fds = os.listdir(f"/proc/{client.pid}/fd")
            count += any(os.readlink(f"/proc/{client.pid}/fd/{fd}").startswith("socket:")
                         for fd in fds)  # fmt: skip
    return count


def test_attach_errors_are_podmans(sb: Scopebox, web: str) -> None:
    done = sb("run", "-d", "busybox", "true").stdout.strip()
    sb("wait", done)
    res = sb("attach", done, check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: you can only attach to running containers\n")
    res = sb("attach", "--detach-keys=ctrl-zz", web, check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: invalid detach keys: Unknown character: 'ctrl-zz'\n")
    sb("rm", done)


# -- run -t: the monitor owns the container's terminal -------------------------------------


def test_run_it_is_a_terminal_of_the_outer_size_line_editing_ctrl_c_and_exit_code(
    sb: Scopebox,
) -> None:
    t = Term(sb, "run", "-it", "--rm", "busybox", "sh")
    t.expect(b"/ # ")
    t.send(b"tty; echo $TERM; stty size; echo =d''one\r")
    out = t.expect(b"=done\r\n", 30)
    assert b"/dev/pts/0\r\n" in out and b"xterm\r\n" in out and b"30 100\r\n" in out, out
    t.resize(41, 123)  # SIGWINCH to the CLI, a `ctl` line to the monitor, TIOCSWINSZ there
    t.send(b"stty size; echo =ag''ain\r")
    assert b"41 123\r\n" in t.expect(b"=again\r\n")
    t.send(b"echo a\"\"b\x7fc=e\r")  # the backspace is the container's terminal's business
    t.expect(b"\nac=e\r\n")
    t.send(b"sh -c 'trap \"echo trapped-$((6*7)); exit\" INT; echo =wai\"\"ting; "
           b"while :; do sleep 1; done'\r")
    t.expect(b"=waiting\r\n")
    t.send(b"\x03")  # a byte in raw mode; the container's terminal makes it SIGINT
    t.expect(b"trapped-42")
    t.send(b"exit 3\r")
    assert t.wait() == 3


def test_detach_keys_leave_it_running_and_attach_finds_the_same_terminal(sb: Scopebox) -> None:
    t = Term(sb, "run", "-it", "--name", "dk", "busybox", "sh")
    t.expect(b"/ # ")
    # Wait for the command's own output (not a prompt): typed before busybox's line editor
    # is ready, the line is echoed and redrawn with a prompt of its own (CI saw that under load).
    t.send(b"v=kept-$((40+2)); echo =v''-set\r")
    t.expect(b"=v-set\r\n")
    t.expect(b"/ # ")
    t.send(b"\x10")
    t.send(b"\x11")
    assert t.wait() == 0  # Podman's: exit 0, nothing printed (busybox's cursor query aside)
    assert re.sub(rb"\x1b\[[0-9;]*[A-Za-z]|\r|/ # ", b"", t.seen) == b"", t.seen
    assert sb("inspect", "-f", "{{.State.Status}}", "dk").stdout == "running\n"
    # Another shell attaches, with other detach keys; the shell variable is still there.
    t = Term(sb, "attach", "--detach-keys=ctrl-x", "dk")
    t.send(b"echo $v =a''t\r")
    t.expect(b"kept-42 =at\r\n")
    t.send(b"\x10\x11echo =pq''-passed\r")  # ctrl-p ctrl-q are just bytes now
    t.expect(b"=pq-passed\r\n")
    t.send(b"\x18")
    assert t.wait() == 0
    t = Term(sb, "attach", "dk")
    t.send(b"exit 5\r")
    assert t.wait() == 5
    assert sb("inspect", "-f", "{{.State.ExitCode}}", "dk").stdout == "5\n"
    sb("rm", "dk")


def test_two_clients_share_a_terminal_and_it_outlives_the_cli_that_made_it(
    sb: Scopebox,
) -> None:
    import signal

    t = Term(sb, "run", "-it", "--name", "shared", "busybox", "sh")
    t.expect(b"/ # ")
    os.kill(t.proc.pid, signal.SIGKILL)  # no goodbye: the terminal is the monitor's
    t.proc.wait(timeout=30)
    assert sb("inspect", "-f", "{{.State.Status}}", "shared").stdout == "running\n"
    a, b = Term(sb, "attach", "shared"), Term(sb, "attach", "--no-stdin", "shared")
    _wait_attached(sb, "shared", 2)
    a.send(b"echo =bo''th\r")
    a.expect(b"=both\r\n")
    b.expect(b"=both\r\n")
    b.send(b"echo =ign''ored\r")  # --no-stdin: never reaches the container
    a.send(b"exit 7\r")
    assert a.wait() == 7 and b.wait() == 7
    assert b"=ignored" not in a.seen + b.seen
    sb("rm", "shared")


def _wait_attached(sb: Scopebox, name: str, count: int) -> None:
    """The monitor holds `count` attach connections (its fds), so no output is missed."""
    rundir = f"{sb.runroot}/containers/{sb('inspect', '-f', '{{.Id}}', name).stdout.strip()}"
    with open(f"{rundir}/monitor.pid") as f:
        pid = int(f.read())
    end = time.monotonic() + 20
    while True:
        socks = sum(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
                    for fd in os.listdir(f"/proc/{pid}/fd"))  # fmt: skip
        if socks >= count + 1:  # and the listener
            return
        assert time.monotonic() < end, "attach clients did not connect"
        time.sleep(0.05)


def test_create_t_then_start_ai_and_the_tty_log(sb: Scopebox) -> None:
    cid = sb("create", "-t", "-i", "busybox", "sh", "-c",
             "read x; echo got-$x; tty; exit 4").stdout.strip()  # fmt: skip
    assert sb("inspect", "-f", "{{.Config.Tty}}", cid).stdout == "true\n"
    t = Term(sb, "start", "-ai", cid)
    t.send(b"word\r")
    t.expect(b"got-word\r\n/dev/pts/0\r\n")
    assert t.wait() == 4
    # The log is the terminal's output, "\r\n" and all, as Podman's conmon writes it.
    logs = subprocess.run([*SCOPEBOX, "logs", cid], capture_output=True, env=sb.environ(),
                          cwd=REPO, timeout=60, check=True)  # fmt: skip
    assert logs.stdout == b"word\r\ngot-word\r\n/dev/pts/0\r\n"
    sb("rm", cid)


def test_detach_keys_off_in_containers_conf(sb: Scopebox, tmp_path: object) -> None:
    conf = f"{tmp_path}/containers.conf"
    with open(conf, "w") as f:
        f.write('[engine]\ndetach_keys = ""\n')
    box = Scopebox({**sb.env, "CONTAINERS_CONF": conf})
    t = Term(box, "run", "-it", "--rm", "busybox", "sh")
    t.expect(b"/ # ")
    t.send(b"\x10\x11echo =st''ill-here\r")
    t.expect(b"=still-here\r\n")
    t.send(b"exit 2\r")
    assert t.wait() == 2


def test_run_t_without_a_terminal_is_podmans(sb: Scopebox) -> None:
    res = subprocess.run([*SCOPEBOX, "run", "--rm", "-t", "busybox", "sh", "-c", "tty; echo x"],
                         stdin=subprocess.DEVNULL, capture_output=True, env=sb.environ(),
                         cwd=REPO, timeout=60)  # fmt: skip
    assert (res.returncode, res.stdout, res.stderr) == (0, b"/dev/pts/0\r\nx\r\n", b"")
    res = subprocess.run([*SCOPEBOX, "run", "--rm", "-ti", "busybox", "sh", "-c",
                          "read v; echo got=$v; exit 6"], input=b"piped\n", capture_output=True,
                         env=sb.environ(), cwd=REPO, timeout=60)  # fmt: skip
    assert res.returncode == 6 and res.stdout.endswith(b"got=piped\r\n"), res
    assert res.stderr.endswith(b' level=warning msg="The input device is not a TTY. The --tty '
                               b'and --interactive flags might not work properly"\n')  # fmt: skip
    before = sb("ps", "-aq").stdout
    res = subprocess.run([*SCOPEBOX, "run", "-t", "--detach-keys=ctrl-zz", "busybox", "true"],
                         capture_output=True, text=True, env=sb.environ(), cwd=REPO, timeout=60)
    assert (res.returncode, res.stderr) == (
        126, "Error: invalid detach keys: Unknown character: 'ctrl-zz'\n")
    assert sb("ps", "-aq").stdout == before  # nothing made (Podman leaves one)


def test_run_it_first_command_reads_the_callers_size(sb: Scopebox) -> None:
    """Podman's system test: stdin a terminal, stdout a pipe, `stty size` the container's first
    command: the size is the container terminal's before its process starts."""
    leader, follower = pty.openpty()
    try:
        fcntl.ioctl(leader, termios.TIOCSWINSZ, struct.pack("HHHH", 27, 56, 0, 0))
        for _ in range(3):  # a race lost would show as "stty: standard input" now and then
            res = subprocess.run([*SCOPEBOX, "run", "-it", "--rm", "busybox", "stty", "size"],
                                 stdin=follower, capture_output=True, env=sb.environ(),
                                 cwd=REPO, timeout=60)  # fmt: skip
            assert (res.returncode, res.stdout) == (0, b"27 56\r\n"), res
    finally:
        os.close(leader)
        os.close(follower)


def test_sig_proxy_forwards_signals_to_non_tty_containers(sb: Scopebox) -> None:
    import signal

    trap = "trap 'echo got-usr1; exit 9' USR1; echo ready; while :; do sleep 0.1; done"
    cid = sb("run", "-d", "busybox", "sh", "-c", trap).stdout.strip()
    attach = sb.popen("attach", cid)
    _wait_attached(sb, cid, 1)
    run = sb.popen("run", "--rm", "busybox", "sh", "-c", trap)
    assert run.stdout is not None and run.stdout.readline() == "ready\n"
    for cli in (attach, run):
        cli.send_signal(signal.SIGUSR1)
        out, _err = cli.communicate(timeout=30)
        assert (cli.returncode, out.replace("ready\n", "", 0)) == (9, "got-usr1\n")
    sb("rm", cid)
    # --sig-proxy=false: the CLI keeps the signal (and dies of it); the container runs on.
    cid = sb("run", "-d", "busybox", "sh", "-c", trap).stdout.strip()
    cli = sb.popen("attach", "--sig-proxy=false", cid)
    _wait_attached(sb, cid, 1)
    cli.send_signal(signal.SIGUSR1)
    assert cli.wait(timeout=30) == -signal.SIGUSR1
    assert sb("inspect", "-f", "{{.State.Status}}", cid).stdout == "running\n"
    sb("rm", "-f", "-t", "0", cid)


# What tomllib loads, when a containers.conf naming our keys is read the first time.
TOMLLIB = {"re", "datetime", "enum"}


def test_exec_into_a_running_container_loads_no_engine(sb: Scopebox, web: str) -> None:
    """exec's quick path (supervisor/execquick.py, issue 16): a plain exec, with -e, -w and
    -t, reads the monitor's arguments and the row's plain columns; neither the model, the
    engine nor `subprocess` are loaded (each costs the exec milliseconds); events as the
    engine's."""
    import sys

    code = (f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
            "from supervisor.cli.main import main\n"
            "rc = main(sys.argv[1:])\n"
            "sys.stdout.flush()\n"
            "sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n')\n"
            "raise SystemExit(rc)\n")  # fmt: skip
    heavy = {"supervisor.model", "supervisor.engine", "supervisor.execute", "subprocess",
             "dataclasses", "typing", "supervisor.container.reconcile", "supervisor.monitor"}
    for args, want in ((["sh", "-c", "echo $A; pwd; exit 3"], (3, "b\n/tmp\n")),
                       (["-t", "sh", "-c", "exit 4"], (4, ""))):  # fmt: skip
        res = subprocess.run([sys.executable, "-I", "-S", "-c", code, "exec", "-e", "A=b",
                              "-w", "/tmp", *args[:-3], web, *args[-3:]], env=sb.environ(),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=60)  # fmt: skip
        mods = set(res.stderr.rpartition("MODULES ")[2].split())
        assert (res.returncode, res.stdout.replace("\r", "")) == want, res
        # -t: the runtime's exec --detach with its console socket in the run dir (cwd)
        assert not mods & heavy, mods & heavy
        # issue 14: json (and its re), sqlite3's datetime, signal's and socket's enums,
        # selectors, ctypes (tomllib's own, once per containers.conf text: tomlcache.py)
        light = {"json", "re", "datetime", "enum", "socket", "selectors", "ctypes"}
        assert not mods & light - (TOMLLIB if "tomllib" in mods else set()), mods


def test_attach_loads_neither_the_engine_nor_socket(sb: Scopebox) -> None:
    """attach's quick path (issue 14): the container's output, its exit code, and none of the
    modules that cost its start milliseconds (`socket` builds enums, `selectors`)."""
    import sys

    code = (f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
            "from supervisor.cli.main import main\n"
            "rc = main(sys.argv[1:])\n"
            "sys.stdout.flush()\n"
            "sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n')\n"
            "raise SystemExit(rc)\n")  # fmt: skip
    cid = sb("run", "-d", "busybox", "sh", "-c", "sleep 2; echo late; exit 6").stdout.strip()
    res = subprocess.run([sys.executable, "-I", "-S", "-c", code, "attach", "--no-stdin", cid],
                         env=sb.environ(), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    mods = set(res.stderr.rpartition("MODULES ")[2].split())
    assert (res.returncode, res.stdout) == (6, "late\n"), res
    # (json, state's enum: at the exit record, after the output)
    heavy = {"socket", "selectors", "subprocess", "datetime", "supervisor.engine",
             "supervisor.model", "supervisor.api.containers"}  # fmt: skip
    assert mods & heavy - (TOMLLIB if "tomllib" in mods else set()) == set()
    sb("rm", cid)
