"""The real monitor driving real runc on the bare host (cgroupfs driver, no systemd).

Each test plays the engine's part of the monitor protocol (ARCHITECTURE.md): start the monitor
with sync/start pipes, read its pid, let it create the container, attach, `runc start`, collect
the attach frames and wait for the exit record.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.host]

CHECKOUT = Path(__file__).resolve().parents[2]
RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "echo", "cat", "sleep", "true", "false", "printf", "head", "tr", "yes", "seq")
CGROUP_PARENT = "scopebox-test"
BOOTSTRAP = (
    f"import sys; sys.path.insert(0, {str(CHECKOUT)!r}); from conmon.main import main; main()"
)
DEADLINE = 20.0


def _prerequisites() -> str | None:
    if os.geteuid() != 0:
        return "needs root"
    if not os.access(RUNC, os.X_OK):
        return f"runc not found at {RUNC}"
    if not BUSYBOX.exists():
        return "/bin/busybox (busybox-static) is missing"
    return None


_missing = _prerequisites()
if _missing:
    pytestmark.append(pytest.mark.skip(reason=f"PREREQUISITE MISSING: {_missing}"))


def oci_config(args: list[str], cid: str, stdin: bool = False) -> dict[str, object]:
    """A minimal runc config: busybox rootfs, own namespaces, cgroupfs path, sane rlimits."""
    hard = min(1024, _nofile_hard())
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/bin", "HOME=/"],
            "cwd": "/",
            "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": hard, "soft": hard}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "conmon-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
            },
            {
                "destination": "/sys",
                "type": "sysfs",
                "source": "sysfs",
                "options": ["nosuid", "noexec", "nodev", "ro"],
            },
        ],
        "linux": {
            "cgroupsPath": f"/{CGROUP_PARENT}/{cid}",
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
        },
    }


def _nofile_hard() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


@dataclass
class Result:
    sync: list[dict[str, object]]
    frames: list[tuple[int, bytes]] = field(default_factory=list)
    record: dict[str, object] | None = None

    def stream(self, stream_id: int) -> bytes:
        return b"".join(data for sid, data in self.frames if sid == stream_id)


class Harness:
    """One container's bundle, run dir and runc root, and the engine's side of the protocol."""

    def __init__(self, base: Path, log_driver: str = "k8s-file") -> None:
        self.cid = uuid.uuid4().hex + uuid.uuid4().hex
        self.base = base
        self.bundle = base / "bundle"
        self.rundir = base / "run"
        self.runc_root = base / "runc"
        self.exit_file = base / "exit"
        self.log_path = base / "ctr.log"
        self.log_driver = log_driver
        self.monitor_pid = 0
        self.sync_r = -1
        self.start_w = -1
        self.pre_attached: socket.socket | None = None
        for d in (self.bundle / "rootfs" / "bin", self.rundir, self.runc_root):
            d.mkdir(parents=True)
        shutil.copy2(BUSYBOX, self.bundle / "rootfs" / "bin" / "busybox")
        for applet in APPLETS:
            (self.bundle / "rootfs" / "bin" / applet).symlink_to("busybox")

    def runc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [RUNC, "--root", str(self.runc_root), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=DEADLINE,
        )

    def start_monitor(
        self,
        args: list[str],
        *extra: str,
        memory_limit: int = 0,
        pid_ns: bool = True,
        attach: bool = False,
        python_flags: tuple[str, ...] = (),
        python: str = sys.executable,
    ) -> dict[str, object]:
        """Write the bundle, start the monitor, let it create and start the container; return
        its second sync line. `attach`: connect before the go byte, as a foreground run does."""
        config = oci_config(args, self.cid)
        linux = config["linux"]
        assert isinstance(linux, dict)
        if not pid_ns:
            linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != "pid"]
        if memory_limit:
            linux["resources"] = {"memory": {"limit": memory_limit, "swap": memory_limit}}
        (self.bundle / "config.json").write_text(json.dumps(config))
        sync_r, sync_w = os.pipe()
        start_r, start_w = os.pipe()
        self.sync_r, self.start_w = sync_r, start_w
        argv = [
            python, "-I", "-S", *python_flags, "-c", BOOTSTRAP,
            f"--cid={self.cid}", "--name=conmon-test", f"--bundle={self.bundle}",
            f"--rundir={self.rundir}", f"--exit-file={self.exit_file}", f"--runtime={RUNC}",
            f"--runtime-arg=--root={self.runc_root}", f"--log-driver={self.log_driver}",
            f"--log-path={self.log_path}", f"--sync-fd={sync_w}", f"--start-fd={start_r}",
            *extra,
        ]  # fmt: skip
        with open(self.rundir / "monitor.log", "wb") as err:
            proc = subprocess.Popen(
                argv, pass_fds=(sync_w, start_r), start_new_session=True, stderr=err
            )
        os.close(sync_w)
        os.close(start_r)
        assert proc.wait(timeout=DEADLINE) == 0  # the intermediate process exits at once
        first = read_json_line(sync_r)
        self.monitor_pid = int(first["monitor_pid"])  # type: ignore[call-overload]
        assert (self.rundir / "monitor.pid").read_text().strip() == str(self.monitor_pid)
        if attach:
            self.pre_attached = self._connect()
        os.write(start_w, b"1")  # "you are in your scope now": go
        os.close(start_w)
        self.start_w = -1
        return read_json_line(sync_r)

    def attach(self) -> socket.socket:
        """The socket connected before the go byte, if any, else a new connection."""
        sock, self.pre_attached = self.pre_attached, None
        return sock if sock is not None else self._connect()

    def _connect(self) -> socket.socket:
        dirfd = os.open(self.rundir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            sock.connect(f"/proc/self/fd/{dirfd}/attach")
        finally:
            os.close(dirfd)
        return sock

    def wait_monitor_exit(self, timeout: float = DEADLINE) -> None:
        try:
            pidfd = os.pidfd_open(self.monitor_pid)
        except ProcessLookupError:
            return
        try:
            ready, _, _ = select.select([pidfd], [], [], timeout)
            assert ready, f"monitor {self.monitor_pid} still running after {timeout}s"
        finally:
            os.close(pidfd)

    def record(self) -> dict[str, object]:
        return json.loads(self.exit_file.read_text())  # type: ignore[no-any-return]

    def log_lines(self) -> list[tuple[str, str, bytes]]:
        out = []
        for line in self.log_path.read_bytes().splitlines():
            ts, stream, flag, data = line.split(b" ", 3)
            assert ts.endswith(b"Z") and len(ts) == len("2026-11-23T05:14:24.123456789Z")
            out.append((stream.decode(), flag.decode(), data))
        return out

    def monitor_log(self) -> str:
        return (self.rundir / "monitor.log").read_text()

    def cleanup(self) -> None:
        for fd in (self.sync_r, self.start_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.runc("delete", "--force", self.cid, check=False)
        if self.monitor_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.monitor_pid, signal.SIGKILL)
        for hier in Path("/sys/fs/cgroup").iterdir():
            for path in (hier / CGROUP_PARENT / self.cid, hier / CGROUP_PARENT):
                with contextlib.suppress(OSError):
                    path.rmdir()  # the parent stays while other tests use it: EBUSY is fine


def read_json_line(fd: int, timeout: float = DEADLINE) -> dict[str, object]:
    buf = b""
    end = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        assert ready, f"no sync line within {timeout}s (got {buf!r})"
        chunk = os.read(fd, 1)
        assert chunk, f"sync fd closed before a full line (got {buf!r})"
        buf += chunk
    return json.loads(buf)  # type: ignore[no-any-return]


def collect_frames(sock: socket.socket, timeout: float = DEADLINE) -> list[tuple[int, bytes]]:
    """Output frames (2 = stdout, 3 = stderr) until EOF; the exit frame (4) is checked apart."""
    return [f for f in collect_all_frames(sock, timeout) if f[0] != 4]


def collect_all_frames(sock: socket.socket, timeout: float = DEADLINE) -> list[tuple[int, bytes]]:
    frames: list[tuple[int, bytes]] = []
    end = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
        assert ready, f"attach stream did not end within {timeout}s"
        msg = sock.recv(1 << 17)
        if not msg:
            return frames
        frames.append((msg[0], msg[1:]))


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    try:
        yield h
    finally:
        h.cleanup()


def run_attached(h: Harness, args: list[str], *extra: str) -> Result:
    reply = h.start_monitor(args, *extra, attach=True)
    assert "pid" in reply, reply
    sock = h.attach()
    with sock:
        frames = collect_frames(sock)
    # The record is written before clients are closed, so it exists once we saw EOF.
    result = Result(sync=[reply], frames=frames, record=h.record())
    h.wait_monitor_exit()
    return result


def test_streams_reach_k8s_file_and_attach(harness: Harness) -> None:
    script = "echo out1; echo err1 >&2; head -c 40000 /dev/zero | tr '\\0' a; echo; printf tail"
    res = run_attached(harness, ["sh", "-c", script])
    assert res.record is not None
    assert res.record["exit_code"] == 0 and res.record["signal"] == 0
    assert res.record["oom_killed"] is False and res.record["log_errors"] == 0
    assert res.stream(2) == b"out1\n" + b"a" * 40000 + b"\ntail"
    assert res.stream(3) == b"err1\n"
    lines = harness.log_lines()
    assert ("stderr", "F", b"err1") in lines
    out = [(flag, data) for stream, flag, data in lines if stream == "stdout"]
    assert out == [
        ("F", b"out1"),
        ("P", b"a" * 16384),
        ("P", b"a" * 16384),
        ("F", b"a" * (40000 - 2 * 16384)),
        ("P", b"tail"),
    ]


@pytest.mark.parametrize(("script", "code"), [("exit 42", 42), ("true", 0)])
def test_exit_code(harness: Harness, script: str, code: int) -> None:
    res = run_attached(harness, ["sh", "-c", script])
    assert res.record is not None
    assert (res.record["exit_code"], res.record["signal"]) == (code, 0)
    finished = str(res.record["finished_at"])
    assert finished.startswith(time.strftime("%Y-%m-%dT", time.gmtime()))


def test_killed_by_signal_gives_128_plus_signal(harness: Harness) -> None:
    reply = harness.start_monitor(["sleep", "100"], attach=True)
    sock = harness.attach()
    with sock:
        harness.runc("kill", harness.cid, "9")
        frames = collect_all_frames(sock)
    record = harness.record()
    assert (record["exit_code"], record["signal"]) == (137, 9)
    # The record also arrives in-band, last, identical to the file (which --rm removes).
    assert frames == [(4, harness.exit_file.read_bytes())]
    assert int(reply["pid"]) > 1  # type: ignore[call-overload]
    harness.wait_monitor_exit()


def test_stdin_reaches_cat(harness: Harness) -> None:
    harness.start_monitor(["cat"], "--stdin", attach=True)
    sock = harness.attach()
    with sock:
        sock.send(b"hello\n")
        sock.send(b"world")
        sock.shutdown(socket.SHUT_WR)  # closes the container's stdin: cat exits
        frames = collect_frames(sock)
    assert b"".join(d for sid, d in frames if sid == 2) == b"hello\nworld"
    assert harness.record()["exit_code"] == 0
    assert harness.log_lines() == [("stdout", "F", b"hello"), ("stdout", "P", b"world")]


def test_create_error_reports_runtime_message(harness: Harness) -> None:
    reply = harness.start_monitor(["/no/such/binary"])
    assert set(reply) == {"error"}
    assert "/no/such/binary" in str(reply["error"]), reply
    assert os.read(harness.sync_r, 100) == b""  # the monitor closed the sync fd
    harness.wait_monitor_exit()
    assert not harness.exit_file.exists()


def test_killed_attach_client_does_not_hurt(harness: Harness) -> None:
    harness.start_monitor(["sh", "-c", "read x; seq 1 20000"], "--stdin")
    # A separate process is the client, so it can die by SIGKILL mid-stream.
    client_code = (
        "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET);"
        f"s.connect({str(harness.rundir / 'attach')!r}); s.send(b'go\\n');"
        "s.recv(100); print('got', flush=True); sys.stdin.read()"
    )
    client = subprocess.Popen(
        [sys.executable, "-c", client_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline() == b"got\n"  # mid-stream: it has output, more follows
        client.kill()
        client.wait(timeout=DEADLINE)
    finally:
        client.kill()
        client.wait()
    harness.wait_monitor_exit()
    assert harness.record()["exit_code"] == 0
    lines = harness.log_lines()
    assert [d for _s, _f, d in lines] == [str(i).encode() for i in range(1, 20001)]


def test_slow_client_gets_everything(harness: Harness) -> None:
    """As conmon's: the container waits for a client that lags (more than 4 MiB behind for
    2 s here) instead of losing its output."""
    harness.start_monitor(["sh", "-c", "head -c 12000000 /dev/zero | tr '\\0' x"], attach=True)
    sock = harness.attach()
    with sock:
        time.sleep(2)  # behind, but less than the stall timeout (5 s)
        got, record = 0, b""
        while frame := sock.recv(1 << 17):
            if frame[0] == 4:  # the exit record
                record = frame[1:]
            else:
                got += len(frame) - 1
    assert (got, json.loads(record)["exit_code"]) == (12_000_000, 0)
    harness.wait_monitor_exit()
    log = harness.rundir / "monitor.log"
    assert not log.exists() or "dropped" not in log.read_text()


def test_stuck_client_is_dropped_and_counted(harness: Harness) -> None:
    harness.start_monitor(["sh", "-c", "head -c 12000000 /dev/zero | tr '\\0' x"], attach=True)
    sock = harness.attach()  # never reads: the container waits 5 s for it, then goes on
    with sock:
        harness.wait_monitor_exit()
    assert harness.record()["exit_code"] == 0
    assert "dropped attach client #1" in harness.monitor_log()
    size = sum(len(d) for _s, _f, d in harness.log_lines())
    assert size == 12_000_000


def test_exit_command_runs_after_the_record(harness: Harness) -> None:
    seen = harness.base / "seen"
    cmd = f"cat {harness.exit_file} > {seen}"
    run_attached(harness, ["sh", "-c", "exit 3"], "--exit-command=/bin/sh", "--exit-command=-c",
                 f"--exit-command={cmd}")  # fmt: skip
    # wait_monitor_exit returned: the monitor waits for its exit command before exiting.
    assert json.loads(seen.read_text())["exit_code"] == 3
    assert not (harness.rundir / "attach").exists()


def test_oom_kill_is_recorded(harness: Harness) -> None:
    # The shell doubles a string until the 16 MiB memory cgroup limit kills it.
    harness.start_monitor(["sh", "-c", "x=a; while :; do x=$x$x; done"], memory_limit=16 << 20)
    harness.wait_monitor_exit()
    record = harness.record()
    assert record["oom_killed"] is True
    assert (record["exit_code"], record["signal"]) == (137, 9)


def test_no_oom_without_memory_pressure(harness: Harness) -> None:
    harness.start_monitor(["true"], memory_limit=16 << 20)
    harness.wait_monitor_exit()
    assert harness.record()["oom_killed"] is False


def test_pipe_held_outside_the_container_does_not_delay_forever(harness: Harness) -> None:
    # Without a pid namespace the background `sleep` outlives the container's init and keeps
    # stdout open: the monitor must give up draining and still write the record.
    t0 = time.monotonic()
    harness.start_monitor(["sh", "-c", "sleep 30 & echo started"], pid_ns=False)
    harness.wait_monitor_exit(timeout=10)
    assert time.monotonic() - t0 < 10
    assert harness.record()["exit_code"] == 0
    assert harness.log_lines() == [("stdout", "F", b"started")]


def test_detach_keeps_stdin_open_and_shut_wr_closes_it(harness: Harness) -> None:
    harness.start_monitor(["cat"], "--stdin", attach=True)
    first = harness.attach()
    first.send(b"one\n")
    first.close()  # a detach: the container's stdin stays open
    second = harness.attach()
    with second:
        second.send(b"two\n")
        second.shutdown(socket.SHUT_WR)
        frames = collect_frames(second)
    assert harness.record()["exit_code"] == 0
    assert harness.log_lines() == [("stdout", "F", b"one"), ("stdout", "F", b"two")]
    assert b"two\n" in b"".join(d for _sid, d in frames)
