"""`scopebox system service` driven by real clients: the docker CLI 20.10 (Debian's docker.io,
its binary only; tests/install-deps.sh caches it) and the docker SDK for Python, on a socket
of the test's own, over the module's private store."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import registryhelp as rh
from tests.clihelp import REPO, Scopebox, wait_for
from tests.registryhelp import free_port

DOCKER = "/var/cache/scopebox-tests/docker-cli/docker"
SCOPEBOX = str(REPO / ".venv/bin/scopebox")


class Service:
    def __init__(self, sb: Scopebox, sock: Path, idle: int, *flags: str) -> None:
        self.sock = sock
        self.log = sock.with_suffix(".log")
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [SCOPEBOX, "system", "service", "--time", str(idle), *flags, f"unix://{sock}"],
                env=sb.environ(), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        wait_for(lambda: sock.exists() or self.proc.poll() is not None, 20, "the socket")
        assert self.proc.poll() is None, self.log.read_text()

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "HOME": str(self.sock.parent),
               "DOCKER_HOST": f"unix://{self.sock}"}  # fmt: skip
        res = subprocess.run([DOCKER, *args], env=env, capture_output=True, text=True,
                             timeout=60)  # fmt: skip
        if check:
            assert res.returncode == 0, (args, res.stdout, res.stderr, self.log.read_text())
        return res

    def in_pty(self, *args: str, typed: bytes = b"", podman: bool = False) -> tuple[int, bytes]:
        """The docker CLI (`podman`: podman's remote client) on a terminal of 33 rows and
        101 columns: its exit code and all it wrote; `typed` is typed at the shell's prompt."""
        import fcntl
        import select
        import struct
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        env = {"PATH": os.environ["PATH"], "HOME": str(self.sock.parent),
               "DOCKER_HOST": f"unix://{self.sock}"}  # fmt: skip
        client = ["podman", "--url", f"unix://{self.sock}"] if podman else [DOCKER]
        proc = subprocess.Popen([*client, *args], stdin=slave, stdout=slave, stderr=slave,
                                env=env, start_new_session=True)  # fmt: skip
        os.close(slave)
        out = b""
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                if not select.select([master], [], [], 1)[0]:
                    continue
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the CLI is gone
                    break
                out += data
                if typed and out.endswith(b"# \x1b[6n"):  # the shell's prompt
                    os.write(master, typed)
                    typed = b""
            return proc.wait(10), out
        finally:
            os.close(master)
            if proc.poll() is None:
                proc.kill()

    def request(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        """One request on a fresh connection, closed after it."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(str(self.sock))
            s.sendall(raw)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        return int(lines[0].split()[1]), headers, body

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def svc(sb: Scopebox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if not os.access(DOCKER, os.X_OK):
        pytest.skip(f"no docker CLI at {DOCKER}: run tests/install-deps.sh")
    service = Service(sb, tmp_path_factory.mktemp("svc") / "api.sock", 0)
    yield service
    service.stop()
    assert service.proc.returncode == 0  # SIGTERM: a clean exit,
    assert not service.sock.exists()  # its socket file removed


def test_socket_is_root_only(svc: Service) -> None:
    assert oct(svc.sock.stat().st_mode & 0o777) == "0o660"


def test_docker_cli_everyday_flow(svc: Service, sb: Scopebox) -> None:
    out = svc.docker("version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}}")
    assert out.stdout.split() == ["1.41", "1.24"]
    cid = svc.docker("run", "-d", "--name", "web", "-l", "app=web", "-e", "X=1",
                     "busybox", "sh", "-c", "echo out; echo err >&2; sleep 100").stdout.strip()
    assert len(cid) == 64
    assert sb.state("web")["Status"] == "running"  # the engine's own view
    ps = svc.docker("ps", "--format", "{{.ID}} {{.Names}} {{.Image}} {{.Label \"app\"}}")
    assert ps.stdout.split() == [cid[:12], "web", "localhost/busybox:latest", "web"]
    fmt = "{{.Name}} {{.State.Status}} {{.Config.Image}} {{index .Config.Env 0}}"
    assert svc.docker("inspect", "-f", fmt, "web").stdout.split()[:3] == [
        "/web", "running", "localhost/busybox:latest"]
    wait_for(lambda: "err" in svc.docker("logs", "web").stderr, 10, "the container's output")
    logs = svc.docker("logs", "web")
    assert (logs.stdout, logs.stderr) == ("out\n", "err\n")  # demultiplexed by the CLI
    stamped = svc.docker("logs", "-t", "--tail", "1", "web").stderr
    assert stamped.endswith(" err\n") and stamped.startswith("20")
    svc.docker("stop", "-t", "1", "web")
    assert sb.state("web")["Status"] == "exited"
    assert svc.docker("ps", "-q").stdout == ""
    assert svc.docker("ps", "-aq", "--filter", "name=web").stdout.strip() == cid[:12]
    svc.docker("rm", "-f", "web")
    assert sb("ps", "-aq").stdout == ""
    images = svc.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert "localhost/busybox:latest" in images


def test_docker_cli_foreground_run(svc: Service, sb: Scopebox) -> None:
    """`docker run` without -d: attach (the hijacked stream), wait, start; --rm's wait is
    for the removal, and the exit code is the container's."""
    res = svc.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7",
                     check=False)  # fmt: skip
    assert (res.returncode, res.stdout, res.stderr) == (7, "out\n", "err\n")
    assert sb("ps", "-aq").stdout == ""  # --rm: gone when the client returns
    res = subprocess.run([DOCKER, "run", "-i", "--rm", "busybox", "sh", "-c", "cat; echo end"],
                         input="piped\n", capture_output=True, text=True, timeout=60,
                         env={"PATH": os.environ["PATH"], "HOME": str(svc.sock.parent),
                              "DOCKER_HOST": f"unix://{svc.sock}"})  # fmt: skip
    assert (res.returncode, res.stdout) == (0, "piped\nend\n"), res.stderr
    assert sb("ps", "-aq").stdout == ""
    # moby makes a missing working directory (Podman's API too); its CLI's -w refuses one
    res = svc.docker("run", "--rm", "-w", "/made/here", "busybox", "pwd")
    assert res.stdout == "/made/here\n"
    res = sb("run", "--rm", "-w", "/made/here", "busybox", "pwd", check=False)
    assert res.returncode == 126 and "does not exist on container" in res.stderr
    assert sb("ps", "-aq").stdout == ""


def test_docker_cli_and_sdk_exec(svc: Service) -> None:
    svc.docker("run", "-d", "--name", "ex", "busybox", "sleep", "100")
    try:
        res = svc.docker("exec", "ex", "sh", "-c", "echo in; echo err >&2; exit 4",
                         check=False)  # fmt: skip
        assert (res.returncode, res.stdout, res.stderr) == (4, "in\n", "err\n")
        res = subprocess.run([DOCKER, "exec", "-i", "ex", "cat"], input="fed\n",
                             capture_output=True, text=True, timeout=60,
                             env={"PATH": os.environ["PATH"], "HOME": str(svc.sock.parent),
                                  "DOCKER_HOST": f"unix://{svc.sock}"})  # fmt: skip
        assert (res.returncode, res.stdout) == (0, "fed\n"), res.stderr
        top = svc.docker("top", "ex").stdout.splitlines()
        assert "PID" in top[0].split() and "sleep 100" in top[1], top
        res = svc.docker("exec", "ex", "nosuchcmd", check=False)
        assert res.returncode == 127 and "nosuchcmd" in res.stderr
        import docker

        client = docker.DockerClient(base_url=f"unix://{svc.sock}")
        try:
            result = client.containers.get("ex").exec_run(["sh", "-c", "echo sdk; exit 2"])
            on_tty = client.containers.get("ex").exec_run(["tty"], tty=True)
        finally:
            client.close()
        assert (result.exit_code, result.output) == (2, b"sdk\n")
        assert on_tty.exit_code == 0 and on_tty.output.startswith(b"/dev/pts/"), on_tty
        # exec -it through a real terminal: the typed input, the process' exit code, and
        # the client's window size (set just after the start, then polled for: busybox's
        # stty size fails on a 0x0 terminal, and exits 0)
        code, out = svc.in_pty("exec", "-it", "ex", "sh", typed=b"echo typed; exit 5\n")
        assert code == 5 and b"typed\r\n" in out, out
        wait_size = ('i=0; until s=$(stty size 2>/dev/null) && [ "${s:-0 0}" != "0 0" ]; do '
                     'i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done; echo "$s"')
        code, out = svc.in_pty("exec", "-it", "ex", "sh", "-c", wait_size)
        assert (code, out) == (0, b"33 101\r\n")
        code, out = svc.in_pty("run", "-it", "--rm", "busybox", "sh", "-c",
                               wait_size + "; exit 4")  # the container's resize
        assert (code, out) == (4, b"33 101\r\n")
    finally:
        svc.docker("rm", "-f", "ex")


def test_docker_cli_events(svc: Service) -> None:
    since = str(int(time.time()) - 1)
    svc.docker("run", "--rm", "--name", "evt", "busybox", "true")
    until = str(int(time.time()) + 1)
    out = svc.docker("events", "--since", since, "--until", until, "--filter", "container=evt",
                     "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}").stdout
    lines = out.splitlines()
    for action in ("create", "start", "died", "remove"):
        assert f"container {action} evt" in lines, out
    assert lines.index("container create evt") < lines.index("container remove evt")


def test_docker_cli_errors(svc: Service) -> None:
    res = svc.docker("inspect", "nosuch", check=False)
    assert res.returncode == 1 and "No such object: nosuch" in res.stderr
    res = svc.docker("rm", "nosuch", check=False)
    assert res.returncode == 1
    assert res.stderr == "Error: No such container: nosuch\n"  # the CLI's words for a 404
    svc.docker("create", "--name", "twice", "busybox", "true")
    try:
        res = svc.docker("create", "--name", "twice", "busybox", "true", check=False)
        assert res.returncode == 1 and "name 'twice' is already in use" in res.stderr
    finally:
        svc.docker("rm", "twice")


def test_docker_cli_network_and_volume(svc: Service) -> None:
    svc.docker("network", "create", "apinet")
    svc.docker("volume", "create", "apivol")
    try:
        assert "apinet" in svc.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        assert "bridge" in svc.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        net = json.loads(svc.docker("network", "inspect", "apinet").stdout)[0]
        assert net["Name"] == "apinet" and net["IPAM"]["Config"][0]["Subnet"]
        vols = svc.docker("volume", "ls", "--format", "{{.Name}} {{.Driver}}").stdout
        assert "apivol local" in vols
    finally:
        svc.docker("network", "rm", "apinet")
        svc.docker("volume", "rm", "apivol")
    res = svc.docker("volume", "inspect", "apivol", check=False)
    assert res.returncode == 1


def test_docker_pull_from_local_registry(svc: Service, sb: Scopebox,
                                         tmp_path: Path) -> None:  # fmt: skip
    layout = rh.OciLayout(tmp_path / "oci")
    desc, _ = layout.add_image(rh.two_layer_image())
    layout.tag(desc, "v1")
    with rh.registry(tmp_path / "reg") as reg:
        rh.skopeo_push(layout.root, "v1", reg, "api/pulled:v1")
        ref = f"{reg.host}/api/pulled:v1"
        out = svc.docker("pull", ref)
        assert "Pull complete" in out.stdout or "Downloaded" in out.stdout, out.stdout
        # and push (to another name): Docker's progress lines, the digest the registry has
        svc.docker("tag", ref, f"{reg.host}/api/pushed:v2")
        out = svc.docker("push", f"{reg.host}/api/pushed:v2").stdout
        assert f"The push refers to repository [{reg.host}/api/pushed]" in out, out
        found = rh.skopeo_inspect(reg, "api/pushed:v2")
        assert found.returncode == 0, found.stderr
        assert f"v2: digest: {json.loads(found.stdout)['Digest']}" in out, out
        res = svc.docker("push", f"{reg.host}/api/never:v1", check=False)
        assert res.returncode == 1 and "does not exist locally" in res.stderr, res.stderr
        svc.docker("rmi", f"{reg.host}/api/pushed:v2")
    assert sb("image", "exists", ref, check=False).returncode == 0
    svc.docker("rmi", ref)
    assert sb("image", "exists", ref, check=False).returncode == 1


def test_sdk_run_logs_wait_remove(svc: Service, sb: Scopebox) -> None:
    import docker

    client = docker.DockerClient(base_url=f"unix://{svc.sock}")
    try:
        ctr = client.containers.run("busybox", ["sh", "-c", "echo hi; echo oops >&2; exit 3"],
                                    detach=True, name="sdk")  # fmt: skip
        assert client.containers.get("sdk").id == ctr.id
        assert ctr.wait() == {"StatusCode": 3, "Error": None}
        assert ctr.logs(stdout=True, stderr=False) == b"hi\n"
        assert ctr.logs(stdout=False, stderr=True) == b"oops\n"
        ctr.reload()
        assert (ctr.status, ctr.attrs["State"]["ExitCode"]) == ("exited", 3)
        ctr.remove()
        assert sb("ps", "-aq").stdout == ""
        assert client.containers.run("busybox", "echo direct", remove=True) == b"direct\n"
        with pytest.raises(docker.errors.NotFound):
            client.containers.get("sdk")
    finally:
        client.close()


def test_http_errors_and_versions(svc: Service) -> None:
    status, headers, body = svc.request(b"GET /v1.24/_ping HTTP/1.1\r\nHost: d\r\n"
                                        b"Connection: close\r\n\r\n")  # fmt: skip
    assert (status, headers["Api-Version"], body) == (200, "1.41", b"OK")
    assert "Access-Control-Allow-Origin" not in headers  # no --cors (test_cors_headers)
    status, _, body = svc.request(b"GET /v1.99/info HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status == 400 and "too new" in json.loads(body)["message"]
    status, _, body = svc.request(b"GET /containers/nosuch/json HTTP/1.1\r\n"
                                  b"Connection: close\r\n\r\n")  # fmt: skip
    assert status == 404 and "nosuch" in json.loads(body)["message"]
    status, _, body = svc.request(b"POST /containers/create HTTP/1.1\r\nContent-Length: 5\r\n"
                                  b"Connection: close\r\n\r\n{bad}")  # fmt: skip
    assert status == 400 and "invalid JSON" in json.loads(body)["message"]
    status, _, body = svc.request(b"garbage\r\n\r\n")
    assert status == 400
    assert svc.proc.poll() is None  # the service outlives bad requests


def test_concurrent_clients(svc: Service) -> None:
    """100 clients at once, on their own connections, asking for lists, for what is not
    there and with broken bodies: each answered as itself, the service stays up."""
    import concurrent.futures

    raws = [
        (200, b"GET /v1.41/containers/json?all=1 HTTP/1.1\r\nConnection: close\r\n\r\n"),
        (404, b"GET /containers/nosuch/json HTTP/1.1\r\nConnection: close\r\n\r\n"),
        (400, b"POST /containers/create HTTP/1.1\r\nContent-Length: 3\r\n"
              b"Connection: close\r\n\r\n{x}"),
        (200, b"GET /v4.3.1/libpod/info HTTP/1.1\r\nConnection: close\r\n\r\n"),
    ]  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        results = list(pool.map(lambda i: svc.request(raws[i % 4][1]), range(100)))
    assert [status for status, _, _ in results] == [raws[i % 4][0] for i in range(100)]
    assert all("message" in json.loads(body) for status, _, body in results if status != 200)
    assert svc.proc.poll() is None


def test_robust_against_bad_clients(svc: Service, sb: Scopebox, tmp_path: Path) -> None:
    """A huge body, a client that sends its request a byte at a time, a client gone in the
    middle of an attach and of a pull: each gets its answer or just its end, nothing
    half-made stays, the others are served meanwhile, the service stays up."""
    # a body over the limit: 413 at once (its bytes are not waited for), the connection closed
    status, _, body = svc.request(b"POST /containers/create HTTP/1.1\r\n"
                                  b"Content-Length: 1000000000\r\n\r\n{")  # fmt: skip
    assert status == 413 and "request body over" in json.loads(body)["message"]
    # bad creates, refused before or by the engine: an error each, no container left behind
    for doc in ({"Image": "busybox", "HostConfig": {"Binds": "/x:/y"}},
                {"Image": "busybox", "HostConfig": {"Devices": [{"PathOnHost": "/dev/nosuch"}]}},
                {"Image": "busybox", "HostConfig": {"Memory": "lots"}},
                {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "nosuchnet"}},
                ["not", "an", "object"]):  # fmt: skip
        body = json.dumps(doc).encode()
        status, _, reply = svc.request(b"POST /v1.41/containers/create?name=half HTTP/1.1\r\n"
                                       b"Content-Length: %d\r\nConnection: close\r\n\r\n%b"
                                       % (len(body), body))  # fmt: skip
        assert status in (400, 404, 500) and json.loads(reply)["message"], (doc, status, reply)
    assert sb("ps", "-aq").stdout == ""
    # images/load streams its body to a file (past the 64 MiB other bodies may have): a
    # 70 MiB one that is no archive is the loader's error, and its file is gone
    before = set(Path(tempfile.gettempdir()).glob("scopebox-load-*"))
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(svc.sock))
        size = 70 << 20
        s.sendall(f"POST /v1.41/images/load HTTP/1.1\r\nContent-Length: {size}\r\n"
                  "Connection: close\r\n\r\n".encode())  # fmt: skip
        zeros = bytes(1 << 20)
        for _ in range(70):
            s.sendall(zeros)
        head = s.recv(65536)
    assert head.split()[1] not in (b"200", b"413") and b'"message"' in head, head[:300]
    assert set(Path(tempfile.gettempdir()).glob("scopebox-load-*")) == before
    # a slow client holds only its own connection
    with socket.socket(socket.AF_UNIX) as slow:
        slow.connect(str(svc.sock))
        slow.sendall(b"GET /_ping HT")
        assert svc.request(b"GET /_ping HTTP/1.1\r\nConnection: close\r\n\r\n")[0] == 200
        for byte in b"TP/1.1\r\nConnection: close\r\n\r\n":
            slow.sendall(bytes([byte]))
        assert slow.recv(65536).startswith(b"HTTP/1.1 200 OK")
    # gone in the middle of an attach: the container goes on, its output is all kept
    svc.docker("run", "-d", "--name", "talker", "busybox", "sh", "-c",
               "i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.05; done")
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(svc.sock))
        s.sendall(b"POST /v1.41/containers/talker/attach?stream=1&stdout=1 HTTP/1.1\r\n"
                  b"Upgrade: tcp\r\nConnection: Upgrade\r\n\r\n")  # fmt: skip
        got = b""
        while b"line" not in got:
            got += s.recv(65536)
        assert got.startswith(b"HTTP/1.1 101")
    assert svc.docker("wait", "talker").stdout == "0\n"
    assert svc.docker("logs", "talker").stdout.splitlines()[-1] == "line 39"
    svc.docker("rm", "talker")
    # gone in the middle of a pull: the image is there whole or not at all; pulled again
    layout = rh.OciLayout(tmp_path / "oci")
    desc, _ = layout.add_image(rh.two_layer_image())
    layout.tag(desc, "v1")
    with rh.registry(tmp_path / "reg") as reg:
        rh.skopeo_push(layout.root, "v1", reg, "api/cut:v1")
        ref = f"{reg.host}/api/cut:v1"
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(svc.sock))
            s.sendall(f"POST /v1.41/images/create?fromImage={reg.host}/api/cut&tag=v1 "
                      "HTTP/1.1\r\n\r\n".encode())  # fmt: skip
            assert s.recv(65536).startswith(b"HTTP/1.1 200")
        listed = sb("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        if ref in listed:  # it had finished: then it runs
            assert sb("run", "--rm", ref, "true", check=False).returncode == 0
        svc.docker("pull", ref)
    svc.docker("rmi", ref)
    assert sb("images", "--format", "{{.Repository}}").stdout.split() == ["localhost/busybox"]
    assert svc.proc.poll() is None
    assert "Traceback" not in svc.log.read_text()


def test_cors_headers(sb: Scopebox, tmp_path: Path) -> None:
    """--cors ORIGIN (issue 19): every reply carries Podman 4.3's three CORS headers with the
    origin given; without --cors (the module's service) none."""
    service = Service(sb, tmp_path / "cors.sock", 0, "--cors", "http://ui.example")
    try:
        status, headers, _ = service.request(b"GET /_ping HTTP/1.1\r\nHost: d\r\n"
                                             b"Connection: close\r\n\r\n")
    finally:
        service.stop()
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "http://ui.example"
    assert "DELETE" in headers["Access-Control-Allow-Methods"]
    assert "X-Registry-Auth" in headers["Access-Control-Allow-Headers"]


def test_idle_exit(sb: Scopebox, tmp_path: Path) -> None:
    """--time 1: the service exits a second after its last client left, not while one is
    connected (Podman's rule)."""
    service = Service(sb, tmp_path / "idle.sock", 1)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(service.sock))
            held = time.monotonic()
            time.sleep(1.5)  # a connected client keeps it: nothing to poll for here
            assert service.proc.poll() is None
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
            assert s.recv(1024).startswith(b"HTTP/1.1 200 OK")
        assert time.monotonic() - held >= 1.5
        left = time.monotonic()
        assert service.proc.wait(15) == 0
        assert 0.9 < time.monotonic() - left < 10
        assert not service.sock.exists()
    finally:
        service.stop()


def _replies(s: socket.socket, n: int) -> list[tuple[int, bytes]]:
    """The next `n` replies on a kept-open connection (by Content-Length; not HEAD's)."""
    data, out = b"", []
    while len(out) < n:
        while b"\r\n\r\n" not in data:
            data += s.recv(65536) or pytest.fail(f"closed after {out}")
        head, _, data = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        length = int(dict(x.split(": ", 1) for x in lines[1:]).get("Content-Length", "0"))
        while len(data) < length:
            data += s.recv(65536)
        out.append((int(lines[0].split()[1]), data[:length]))
        data = data[length:]
    return out


def _event_loop_loaded(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the service has imported asyncio (its C part is mapped into the process)."""
    with open(f"/proc/{proc.pid}/maps") as f:
        return "/_asyncio." in f.read()


def test_first_requests_before_the_event_loop(sb: Scopebox, tmp_path: Path) -> None:
    """A started service answers plain requests (_ping, version, the lists) before it imports
    asyncio (supervisor/service/quick.py); one that sees only those exits idle without it.
    The first other request hands every connection to the event loop, pipelined requests and
    idle connections included, and each is answered there."""
    service = Service(sb, tmp_path / "quick.sock", 1)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(str(service.sock))
            s.sendall(b"GET /v1.41/_ping HTTP/1.1\r\nHost: d\r\n\r\n"
                      b"GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: d\r\n\r\n"
                      b"GET /images/json HTTP/1.1\r\nHost: d\r\n\r\n"
                      b"GET /v1.41/version HTTP/1.1\r\nHost: d\r\n\r\n")  # fmt: skip
            (ping, ps, images, version) = _replies(s, 4)
            assert ping == (200, b"OK") and ps[0] == 200 and isinstance(json.loads(ps[1]), list)
            assert any("busybox:latest" in i["RepoTags"][0] for i in json.loads(images[1]))
            assert json.loads(version[1])["ApiVersion"] == "1.41"
            assert not _event_loop_loaded(service.proc)
        if shutil.which("podman"):  # podman --url's version, ps and images too
            for args, out in ((["version", "--format", "{{.Server.APIVersion}}"], "4.3.1\n"),
                              (["ps", "-a", "--format", "{{.Image}}", "--filter", "name=^$"], ""),
                              (["images", "--format", "{{.Repository}}", "--filter",
                                "reference=busybox"], "localhost/busybox\n")):  # fmt: skip
                res = _remote(service, *args)
                assert (res.returncode, res.stdout) == (0, out), res
            assert not _event_loop_loaded(service.proc)
        assert service.proc.wait(15) == 0  # idle a second: gone, asyncio never loaded
        assert not service.sock.exists()
    finally:
        service.stop()

    service = Service(sb, tmp_path / "handover.sock", 1)
    try:
        with socket.socket(socket.AF_UNIX) as s, socket.socket(socket.AF_UNIX) as idle:
            s.settimeout(30)
            idle.settimeout(30)
            s.connect(str(service.sock))
            idle.connect(str(service.sock))
            s.sendall(b"HEAD /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
            assert not _event_loop_loaded(service.proc)
            # a quick request with one for the event loop right behind it, in one write
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n"
                      b"GET /containers/nosuch/json HTTP/1.1\r\nHost: d\r\n\r\n")  # fmt: skip
            (ping, missing) = _replies(s, 2)
            assert ping == (200, b"OK")
            assert missing[0] == 404 and "nosuch" in json.loads(missing[1])["message"]
            assert _event_loop_loaded(service.proc)
            for conn in (s, idle):  # both go on, now on the event loop
                conn.sendall(b"GET /containers/json HTTP/1.1\r\nHost: d\r\n\r\n")
                ((status, body),) = _replies(conn, 1)
                assert status == 200 and isinstance(json.loads(body), list)
        assert service.proc.wait(15) == 0
        assert not service.sock.exists()
    finally:
        service.stop()

    # a head that trickles in goes to the event loop (its head timeout rules there)
    service = Service(sb, tmp_path / "trickle.sock", 0)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(str(service.sock))
            s.sendall(b"GET /_ping HTTP/1.1\r\n")
            time.sleep(0.5)
            s.sendall(b"Host: d\r\n\r\n")
            assert _replies(s, 1) == [(200, b"OK")]
            assert _event_loop_loaded(service.proc)
    finally:
        service.stop()

    # SIGTERM before the event loop: a clean exit, the socket file removed
    service = Service(sb, tmp_path / "term.sock", 0)
    try:
        assert service.request(b"GET /_ping HTTP/1.1\r\nConnection: close\r\n\r\n")[0] == 200
        assert not _event_loop_loaded(service.proc)
        service.proc.terminate()
        assert service.proc.wait(15) == 0
        assert not service.sock.exists()
    finally:
        service.stop()


def test_listings_follow_the_store(tmp_path: Path) -> None:
    """The service keeps the store of its listings open between requests (supervisor.api.
    read_session), before and after the event loop took over: what another process changes
    shows at once, and a store moved away is not read any more (nor a new one in its place
    mistaken for it)."""
    box = Scopebox({"SCOPEBOX_ROOT": str(tmp_path / "root"),
                    "SCOPEBOX_RUNROOT": str(tmp_path / "run")})  # fmt: skip
    box.ensure_busybox()
    service = Service(box, tmp_path / "follow.sock", 0)

    def names(path: str) -> list[str]:
        status, _, body = service.request(f"GET {path} HTTP/1.1\r\nHost: d\r\n"
                                          "Connection: close\r\n\r\n".encode())  # fmt: skip
        assert status == 200, body
        return sorted(n for item in json.loads(body)
                      for n in item.get("Names") or item.get("RepoTags") or [])  # fmt: skip

    try:
        assert names("/containers/json?all=1") == []
        box("create", "--name", "follow1", "busybox", "true")
        assert names("/containers/json?all=1") == ["/follow1"]  # quick.py
        assert service.request(b"GET /containers/nosuch/json HTTP/1.1\r\n"
                               b"Connection: close\r\n\r\n")[0] == 404  # the event loop's
        box("create", "--name", "follow2", "busybox", "true")
        assert names("/containers/json?all=1") == ["/follow1", "/follow2"]
        box("rm", "follow1", "follow2")
        assert names("/containers/json?all=1") == []
        assert "localhost/busybox:latest" in names("/images/json")
        os.rename(tmp_path / "root", tmp_path / "moved")  # another store in its place
        assert names("/images/json") == []
        shutil.rmtree(tmp_path / "root")
        os.rename(tmp_path / "moved", tmp_path / "root")
        assert "localhost/busybox:latest" in names("/images/json")
    finally:
        service.stop()
        box("rm", "-a", "-f", check=False)


COMPOSE_FILE = """\
version: "3.8"
services:
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "echo \\"hello $$GREETING from $$ROLE\\" > /www/index.html && exec httpd -f -p 80 -h /www"]
    env_file: web.env
    environment:
      GREETING: compose
    ports:
      - "127.0.0.1:${WEB_PORT}:80"
    volumes:
      - data:/www
    networks: [front]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/"]
      interval: 1s
      timeout: 2s
      retries: 10
  client:
    image: busybox
    init: true
    depends_on:
      web: {condition: service_healthy}
    networks: [front]
    command: ["sh", "-c", "while true; do wget -q -O - http://web/ || echo failed; sleep 0.2; done"]
  job:
    image: busybox
    depends_on:
      web: {condition: service_healthy}
    networks: [front]
    volumes:
      - data:/data
    command: ["sh", "-c", "wget -q -O - http://web/ > /data/fetched && echo job done"]
networks:
  front:
volumes:
  data:
"""  # noqa: E501


def test_compose_project_up_to_down(svc: Service, sb: Scopebox, tmp_path: Path) -> None:
    """docker-compose 1.29 (Debian's): three services on a user network of the project's (a
    web server with a healthcheck, a client reaching it by its service name, a one-shot job
    writing into the server's named volume; both wait for the server to be healthy), a
    published port, an environment file; ps, logs, exec -T; down -v leaves nothing behind."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("no docker-compose: run tests/install-deps.sh")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE)
    (tmp_path / "web.env").write_text("ROLE=server\n")
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "WEB_PORT": str(port),
           "DOCKER_HOST": f"unix://{svc.sock}"}  # fmt: skip

    def dc(*args: str) -> str:
        res = subprocess.run([compose, "-p", "apitest", *args], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == 0, (args, res.stdout, res.stderr, svc.log.read_text()[-3000:])
        return res.stdout

    down = False
    try:
        dc("up", "-d")
        ps = {line.split()[0]: line for line in dc("ps").splitlines()[2:]}
        assert "Up (healthy)" in ps["apitest_web_1"], ps  # depends_on waited for it
        assert f"127.0.0.1:{port}->80/tcp" in ps["apitest_web_1"], ps
        assert " Up " in ps["apitest_client_1"], ps
        wait_for(lambda: "Exit 0" in dc("ps", "job"), 20, "the job's end")
        job_log = dc("logs", "--no-color", "job").splitlines()
        assert job_log[-1].split() == ["job_1", "|", "job", "done"], job_log
        wait_for(lambda: "hello compose from server" in sb("logs", "apitest_client_1").stdout,
                 20, "the client's request to http://web/")  # polled with the quicker CLI
        assert "client_1  | hello compose from server" in dc("logs", "--no-color", "client")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            assert reply.read() == b"hello compose from server\n"
        # the container's own limits (an exec's soft NOFILE may be raised by runc 1.1 itself)
        out = dc("exec", "-T", "web", "sh", "-c",
                 "cat /www/index.html /www/fetched; grep files /proc/1/limits")  # fmt: skip
        assert out.split()[:8] + out.split()[-3:] == [
            "hello", "compose", "from", "server", "hello", "compose", "from", "server",
            "1024", "2048", "files"], out  # fmt: skip
        labels = json.loads(sb("volume", "inspect", "apitest_data").stdout)[0]["Labels"]
        assert labels["com.docker.compose.project"] == "apitest"
        assert "apitest_front" in sb("network", "ls", "--format", "{{.Name}}").stdout
        dc("down", "-v")
        down = True
    finally:
        if not down:
            subprocess.run([compose, "-p", "apitest", "down", "-v", "-t", "1"], cwd=tmp_path,
                           env=env, capture_output=True, timeout=120)  # fmt: skip
    assert sb("ps", "-aq").stdout == ""
    assert sb("network", "ls", "--format", "{{.Name}}").stdout.split() == ["podman"]
    assert sb("volume", "ls", "-q").stdout == ""


def test_docker_cli_cp_and_stats(svc: Service, tmp_path: Path) -> None:
    """docker cp both ways (HEAD/GET/PUT archive), docker stats --no-stream, commit, save,
    load, history, system df."""
    cid = svc.docker("run", "-d", "--name", "cps", "busybox", "sleep", "100").stdout.strip()
    try:
        (tmp_path / "in.txt").write_text("into the container\n")
        (tmp_path / "tree/sub").mkdir(parents=True)
        (tmp_path / "tree/sub/f").write_text("deep\n")
        svc.docker("cp", str(tmp_path / "in.txt"), "cps:/tmp/")
        svc.docker("cp", str(tmp_path / "tree"), "cps:/tmp/copied")
        assert svc.docker("exec", "cps", "cat", "/tmp/in.txt", "/tmp/copied/sub/f").stdout == (
            "into the container\ndeep\n")
        svc.docker("cp", "cps:/etc/hostname", str(tmp_path / "out"))
        assert (tmp_path / "out").read_text() == cid[:12] + "\n"
        svc.docker("cp", "cps:/tmp/copied", str(tmp_path / "back"))
        assert (tmp_path / "back/sub/f").read_text() == "deep\n"
        res = svc.docker("cp", "cps:/nosuch", str(tmp_path), check=False)
        assert res.returncode == 1 and "No such container:path: cps:/nosuch" in res.stderr
        # PUT into a directory that is not there: Docker's 404; onto a file: a 400
        tar = io.BytesIO()
        with tarfile.open(fileobj=tar, mode="w") as tf:
            info = tarfile.TarInfo("f")
            info.size = 3
            tf.addfile(info, io.BytesIO(b"hi\n"))
        bodies = {}
        for path, want in (("/nosuch/dir", 404), ("/etc/hostname", 400), ("/tmp", 200)):
            status, _, bodies[path] = svc.request(
                f"PUT /v1.41/containers/cps/archive?path={path} HTTP/1.1\r\n"
                f"Content-Length: {len(tar.getvalue())}\r\nConnection: close\r\n\r\n"
                .encode() + tar.getvalue())  # fmt: skip
            assert status == want, (path, status, bodies[path])
        assert json.loads(bodies["/nosuch/dir"])["message"] == (
            "Could not find the file /nosuch/dir in container cps")
        assert svc.docker("exec", "cps", "cat", "/tmp/f").stdout == "hi\n"
        # Podman's rename (podman-remote's cp to a new name): OLD -> NEW, a bad one a 400
        for rename, want in (('{"f": "renamed"}', 200), ("[1]", 400)):
            status, _, body = svc.request(
                f"PUT /v4.3.1/libpod/containers/cps/archive?path=/tmp&rename="
                f"{urllib.parse.quote(rename)} HTTP/1.1\r\n"
                f"Content-Length: {len(tar.getvalue())}\r\nConnection: close\r\n\r\n"
                .encode() + tar.getvalue())  # fmt: skip
            assert status == want, (rename, status, body)
        assert svc.docker("exec", "cps", "cat", "/tmp/renamed").stdout == "hi\n"
        stats = svc.docker("stats", "--no-stream", "--format",
                           "{{.Name}} {{.PIDs}} {{.MemUsage}}", "cps").stdout.split()  # fmt: skip
        assert stats[:2] == ["cps", "1"] and stats[2] != "0B", stats
        # commit, save, rmi, load, history, system df
        svc.docker("commit", "-c", "ENV FROM_COMMIT=yes", "cps", "committed:v1")
        assert svc.docker("run", "--rm", "committed:v1", "sh", "-c",
                          "cat /tmp/in.txt; echo $FROM_COMMIT").stdout == (
            "into the container\nyes\n")  # fmt: skip
        svc.docker("save", "-o", str(tmp_path / "saved.tar"), "committed:v1")
        svc.docker("rmi", "committed:v1")
        assert "Loaded image: localhost/committed:v1" in svc.docker(
            "load", "-i", str(tmp_path / "saved.tar")).stdout
        history = svc.docker("history", "--format", "{{.CreatedBy}}", "committed:v1").stdout
        assert history.splitlines() == [f"scopebox commit {cid[:12]}", "scopebox import"]
        df = svc.docker("system", "df", "--format", "{{.Type}} {{.TotalCount}}").stdout
        assert "Images 2" in df and "Containers 1" in df, df
        svc.docker("rmi", "committed:v1")
    finally:
        svc.docker("rm", "-f", "cps")


def test_testcontainers(svc: Service, sb: Scopebox, monkeypatch: pytest.MonkeyPatch) -> None:
    """testcontainers 4.15 (its Ryuk reaper disabled: no Docker Hub here): a container runs on
    a network of the test's (the host tier's default network mode is none), its logs are
    waited for, its mapped port is reached, and it and the network are gone afterwards."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{svc.sock}")
    from testcontainers.core.config import testcontainers_config
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.network import Network
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy
    from testcontainers.core.waiting_utils import wait_for_logs

    monkeypatch.setattr(testcontainers_config, "ryuk_disabled", True)
    script = ("mkdir /www && echo from testcontainers > /www/index.html && echo serving && "
              "exec httpd -f -p 8080 -h /www")  # fmt: skip
    with Network() as net, DockerContainer("busybox").with_command(["sh", "-c", script]) \
            .with_exposed_ports(8080).with_network(net) as web:
        wait_for_logs(web, LogMessageWaitStrategy("serving"), timeout=30)
        host, port = web.get_container_host_ip(), web.get_exposed_port(8080)
        # inside a container (this machine is one) testcontainers takes the network's gateway
        # from the list's NetworkSettings; on a plain host, localhost
        gateway = json.loads(sb("network", "inspect", net.name).stdout)[0]["subnets"][0]
        assert host in ("localhost", gateway["gateway"])
        with urllib.request.urlopen(f"http://{host}:{port}/", timeout=10) as reply:
            assert reply.read() == b"from testcontainers\n"
        stdout, _ = web.get_logs()
        assert stdout == b"serving\n"
        attrs = web.get_wrapped_container().attrs
        assert attrs["HostConfig"]["NetworkMode"] == net.name
        assert sb("ps", "-q").stdout.strip() == attrs["Id"][:12]
    assert sb("ps", "-aq").stdout == ""
    assert sb("network", "ls", "--format", "{{.Name}}").stdout.split() == ["podman"]


def test_uri_schemes_as_podman(sb: Scopebox) -> None:
    """A URI of no scheme Podman serves is Podman's one line; a bad port, its own."""
    for uri, scheme in (("localhost:9292", "localhost"), ("myunix.sock", "")):
        res = sb("system", "service", uri, check=False)
        assert (res.returncode, res.stdout, res.stderr) == (
            125, "", f'Error: API Service endpoint scheme "{scheme}" is not supported. Try '
                     f"tcp://{uri} or unix:/{uri}\n")
    res = sb("system", "service", "tcp:localhost:99999", check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: unable to create socket localhost:99999: listen tcp: address 99999: "
             "invalid port\n")


@pytest.mark.parametrize("form", ["tcp:localhost:{port}", "tcp://127.0.0.1:{port}"])
def test_tcp_plain_http_as_podman(sb: Scopebox, tmp_path: Path, form: str) -> None:
    """Without TLS material a tcp URI (both of Podman's forms) is served as plain HTTP, as
    Podman's service does; --cors is logged at debug level in Podman's words."""
    port = free_port()
    log = tmp_path / "service.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([SCOPEBOX, "system", "service", "--log-level=debug", "--cors=*",
                                 "--time", "0", form.format(port=port)],
                                env=sb.environ(), stdout=out, stderr=subprocess.STDOUT)
    try:
        rh.wait_port(port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_ping", timeout=10) as reply:
            assert reply.read() == b"OK"
            assert reply.headers["Access-Control-Allow-Origin"] == "*"
    finally:
        proc.terminate()
        proc.wait()
    assert 'level=debug msg="CORS Headers were set to \\"*\\""' in log.read_text()


def test_tcp_with_tls(sb: Scopebox, tmp_path: Path) -> None:
    """With TLS material the docker CLI's --tlsverify (its certificate signed by the client
    CA) runs a container through it, hijacked attach included; a client without a
    certificate, or speaking plain HTTP, gets nothing."""
    if not os.access(DOCKER, os.X_OK):
        pytest.skip(f"no docker CLI at {DOCKER}: run tests/install-deps.sh")
    port = free_port()
    uri = f"tcp://127.0.0.1:{port}"
    ca, cert, key = rh.make_ca(tmp_path / "tls")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=tmp_path / "tls")  # noqa: E731
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out",
        "client.csr", "-subj", "/CN=docker client")  # fmt: skip
    (tmp_path / "tls/client.cnf").write_text("extendedKeyUsage=clientAuth\n")
    run("openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "client.crt", "-days", "2", "-extfile",
        "client.cnf")  # fmt: skip
    log = tmp_path / "service.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([SCOPEBOX, "system", "service", "--time", "0", "--tls-cert", cert,
                                 "--tls-key", key, "--tls-client-ca", ca, uri],
                                env=sb.environ(), stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        rh.wait_port(port, proc)
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}

        def docker(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([DOCKER, "-H", uri, *args], env=env, capture_output=True,
                                  text=True, timeout=60)  # fmt: skip

        verify = ["--tlsverify", "--tlscacert", ca, "--tlscert", str(tmp_path / "tls/client.crt"),
                  "--tlskey", str(tmp_path / "tls/client.key")]  # fmt: skip
        res = docker(*verify, "run", "--rm", "busybox", "echo", "over tls")
        assert (res.returncode, res.stdout) == (0, "over tls\n"), (res.stderr, log.read_text())
        res = docker("--tls", "--tlscacert", ca, "version")  # no client certificate
        assert res.returncode == 1 and "Server:" not in res.stdout, res.stdout
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # plain HTTP
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
            assert b"200 OK" not in s.recv(1024)
        res = docker(*verify, "version", "--format", "{{.Server.APIVersion}}")
        assert (res.returncode, res.stdout) == (0, "1.41\n"), res.stderr
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0, log.read_text()
    assert sb("ps", "-aq").stdout == ""


def test_podman_remote_client(svc: Service) -> None:
    """Podman's own routes (/libpod/...), as podman 4.3's remote client uses them: version,
    ps, inspect, info, images, exists; a missing container is Podman's error and exit code."""
    if shutil.which("podman") is None:
        pytest.skip("no podman")

    def remote(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["podman", "--url", f"unix://{svc.sock}", *args],
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    svc.docker("run", "-d", "--name", "lp", "--label", "k=v", "busybox", "sleep", "100")
    try:
        res = remote("version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}")
        assert (res.returncode, res.stdout) == (0, "4.3.1 4.3.1\n"), res.stderr
        res = remote("ps", "--format", "{{.Names}} {{.Labels.k}} {{.Status}}")
        assert res.returncode == 0 and res.stdout.startswith("lp v Up "), res
        assert res.stdout.rstrip().endswith("ago"), res.stdout
        res = remote("inspect", "--format", "{{.State.Status}} {{.Name}}", "lp")
        assert (res.returncode, res.stdout) == (0, "running lp\n"), res.stderr
        res = remote("info", "--format", "{{.Store.GraphDriverName}}")
        assert (res.returncode, res.stdout) == (0, "overlay\n"), res.stderr
        res = remote("images", "--format", "{{.Repository}}:{{.Tag}}")
        assert "localhost/busybox:latest" in res.stdout.split(), res
        assert remote("container", "exists", "lp").returncode == 0
        assert remote("container", "exists", "nosuch").returncode == 1
        res = remote("container", "inspect", "nosuch")
        assert res.returncode == 125 and "no such container" in res.stderr, res
        status, _, body = svc.request(b"GET /v4.3.1/libpod/containers/nosuch/json HTTP/1.1\r\n"
                                      b"Connection: close\r\n\r\n")  # fmt: skip
        assert (status, json.loads(body)) == (404, {
            "cause": "no such container", "response": 404,
            "message": 'no container with name or ID "nosuch" found: no such container'})
        # the pull podman's run sends (policy missing) of a local image, and of none with
        # policy never: Podman's JSON lines
        image_id = svc.docker("image", "inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
        image_id = image_id.removeprefix("sha256:")
        for query, want in (
            ("busybox&policy=missing", {"images": [image_id], "id": image_id}),
            ("nosuchimage&policy=never", {"error": "nosuchimage: image not known"}),  # Podman's
        ):
            status, headers, body = svc.request(
                f"POST /v4.3.1/libpod/images/pull?reference={query} HTTP/1.1\r\n"
                "Connection: close\r\n\r\n".encode())  # fmt: skip
            assert (status, headers["Transfer-Encoding"]) == (200, "chunked")
            assert json.loads(body.split(b"\r\n")[1]) == want
        res = remote("rm", "lp")  # running: refused, as by the CLI
        assert res.returncode != 0 and "running" in res.stderr, res
        res = remote("rm", "-f", "-t", "0", "lp")
        assert (res.returncode, res.stdout) == (0, "lp\n"), res
        assert svc.docker("ps", "-aq", "--filter", "name=^lp$").stdout == ""
        res = remote("rm", "nosuch")
        assert res.returncode == 1 and "no such container" in res.stderr, res
        assert remote("rm", "--ignore", "nosuch").returncode == 0
    finally:
        svc.docker("rm", "-f", "lp", check=False)


def _remote(svc: Service, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", "--url", f"unix://{svc.sock}", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip


def _blob_digests(text: str) -> list[str]:
    blobs = [line.split()[2] for line in text.splitlines() if line.startswith("Copying blob ")]
    assert blobs and all(b.startswith("sha256:") and len(b) == 71 for b in blobs), text
    return blobs


def test_podman_remote_terminal_and_pull(svc: Service, sb: Scopebox, tmp_path: Path) -> None:
    """podman's remote client: run -it and exec -it through a real terminal (its window size,
    asked before the start, reaches the container), pull from a local registry and run it."""
    if shutil.which("podman") is None:
        pytest.skip("no podman")
    wait_size = ('i=0; until s=$(stty size 2>/dev/null) && [ "${s:-0 0}" != "0 0" ]; do '
                 'i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done; echo "$s"')
    code, out = svc.in_pty("run", "-it", "--rm", "busybox", "sh", "-c", wait_size + "; exit 4",
                           podman=True)  # fmt: skip
    assert (code, out) == (4, b"33 101\r\n"), out
    assert _remote(svc, "run", "-d", "--name", "rmt-tty", "busybox", "sleep", "60").returncode == 0
    try:
        code, out = svc.in_pty("exec", "-it", "rmt-tty", "sh", typed=b"echo typed; exit 5\n",
                               podman=True)  # fmt: skip
        assert code == 5 and b"typed\r\n" in out, out
    finally:
        _remote(svc, "rm", "-f", "-t", "0", "rmt-tty")
    layout = rh.OciLayout(tmp_path / "oci")
    desc, _ = layout.add_image(rh.two_layer_image())
    layout.tag(desc, "v1")
    with rh.registry(tmp_path / "reg") as reg:
        rh.skopeo_push(layout.root, "v1", reg, "remote/pulled:v1")
        ref = f"{reg.host}/remote/pulled:v1"
        res = _remote(svc, "pull", "--tls-verify=false", ref)
        image_id = res.stdout.strip()
        assert res.returncode == 0 and len(image_id) == 64, res
        # Podman's progress words on stderr, as its own service's pull sends them
        assert res.stderr.splitlines() == [
            f"Trying to pull {ref}...", "Getting image source signatures",
            *(f"Copying blob {d}" for d in _blob_digests(res.stderr)),
            f"Copying config sha256:{image_id}", "Writing manifest to image destination",
            "Storing signatures"], res.stderr  # fmt: skip
        res = _remote(svc, "images", "--format", "{{.ID}}", "--filter", f"reference={ref}")
        assert res.stdout == image_id[:12] + "\n", res
        res = _remote(svc, "pull", "--tls-verify=false", f"{reg.host}/remote/nosuch:v1")
        assert res.returncode == 125 and "manifest unknown" in res.stderr, res
    res = _remote(svc, "rmi", ref)
    assert (res.returncode, res.stdout) == (0, f"Untagged: {ref}\nDeleted: {image_id}\n"), res
    assert sb("image", "exists", ref, check=False).returncode == 1


def test_podman_remote_create_body_errors(svc: Service, sb: Scopebox) -> None:
    """A SpecGenerator setting the service does not map is refused by name (never dropped),
    a broken body is a 400; nothing is made, no traceback."""
    def create(body: bytes) -> tuple[int, dict[str, object]]:
        status, _, reply = svc.request(
            b"POST /v4.3.1/libpod/containers/create HTTP/1.1\r\nContent-Type: application/json"
            b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        return status, json.loads(reply)

    status, doc = create(json.dumps({"image": "busybox", "name": "rmt-bad",
                                     "apparmor_profile": "x", "oci_runtime": "crun"}).encode())
    assert (status, doc["response"]) == (400, 400), doc
    assert str(doc["message"]).endswith(": apparmor_profile, oci_runtime"), doc
    status, doc = create(b'{"image": ')
    assert status == 400 and doc["message"], doc
    status, doc = create(json.dumps({"name": "rmt-bad"}).encode())
    assert status == 400 and "no image" in str(doc["message"]), doc
    status, doc = create(json.dumps({"image": "busybox", "name": "rmt-bad",
                                     "portmappings": [{"container_port": 0}]}).encode())
    assert status == 400 and "port" in str(doc["message"]), doc
    assert sb("container", "exists", "rmt-bad", check=False).returncode == 1
    assert "Traceback" not in svc.log.read_text()


def test_podman_remote_system_verbs(svc: Service, sb: Scopebox) -> None:
    """podman-remote's system df, image tree, generate systemd (every option it sends) and
    system prune: the same report as the CLI's own verb on the same store; prune removes what
    its filter names and nothing else."""
    if shutil.which("podman") is None:
        pytest.skip("no podman")
    sb("create", "--name", "rmt-prune1", "--label", "rmtprune=1", "busybox", "true")
    unit = ("generate", "systemd", "--new", "--name", "--no-header", "--env", "FOO=bar",
            "--after", "a.service", "--wants", "b.service", "--requires", "c.service",
            "--restart-policy", "always", "--restart-sec", "5", "--start-timeout", "9",
            "--stop-timeout", "7", "--container-prefix", "ctr", "--separator", "_",
            "rmt-prune1")  # fmt: skip
    for args in (("system", "df"), ("image", "tree", "busybox"), unit):
        res = _remote(svc, *args)
        # the units name the service's program and the CLI's: which one ran each
        ours, theirs = (re.sub(r"(Exec\w+=-?)\S+", r"\1SCOPEBOX", text)
                        for text in (res.stdout, sb(*args).stdout))  # fmt: skip
        assert (res.returncode, ours) == (0, theirs), res.stderr
    sb("create", "--name", "rmt-prune2", "busybox", "true")
    try:
        res = _remote(svc, "system", "prune", "-f", "--filter", "label=rmtprune=1")
        assert res.returncode == 0 and "Deleted Containers\n" in res.stdout, res
        assert res.stdout.endswith("Total reclaimed space: 0B\n"), res.stdout
        assert sb("container", "exists", "rmt-prune1", check=False).returncode == 1
        assert sb("container", "exists", "rmt-prune2", check=False).returncode == 0
        res = _remote(svc, "system", "prune", "-f", "--filter", "bogus=1")
        assert (res.returncode, res.stderr) == (125, "Error: bogus is an invalid filter\n")
    finally:
        sb("rm", "-f", "rmt-prune1", "rmt-prune2", check=False)
    assert "Traceback" not in svc.log.read_text()


def test_podman_remote_manifest_push(svc: Service, sb: Scopebox, tmp_path: Path) -> None:
    """podman-remote's manifest create, add, inspect, push (Podman's words on stderr, the
    list and its image in the registry) and rm, on /libpod/manifests."""
    if shutil.which("podman") is None:
        pytest.skip("no podman")
    with rh.registry(tmp_path / "reg") as reg:
        try:
            assert _remote(svc, "manifest", "create", "localhost/rmt-mlp").returncode == 0
            res = _remote(svc, "manifest", "add", "localhost/rmt-mlp",
                          "containers-storage:localhost/busybox:latest")  # fmt: skip
            assert res.returncode == 0, res.stderr
            doc = json.loads(_remote(svc, "manifest", "inspect", "localhost/rmt-mlp").stdout)
            assert [m["platform"]["architecture"] for m in doc["manifests"]] == ["amd64"]
            res = _remote(svc, "manifest", "push", "--tls-verify=false", "localhost/rmt-mlp",
                          f"{reg.host}/rmt/ml:1")  # fmt: skip
            words = re.sub(r"sha256:[0-9a-f]{64}", "D", res.stderr).splitlines()
            assert (res.returncode, words) == (0, [  # podman 4.3.1's, against its service
                "Getting image list signatures", "Copying 1 of 1 images in list",
                "Copying image D (1/1)", "Getting image source signatures", "Copying blob D",
                "Copying config D", "Writing manifest to image destination",
                "Storing signatures", "Writing manifest list to image destination",
                "Storing list signatures"]), res.stderr  # fmt: skip
            raw = rh.skopeo_inspect(reg, "rmt/ml:1", raw=True)
            assert raw.returncode == 0 and json.loads(raw.stdout) == doc, raw.stderr
            body = b'{"Operation": "update", "Images": "busybox"}'  # not a list: a 400
            status, _, reply = svc.request(
                b"PUT /v4.3.1/libpod/manifests/localhost%%2Frmt-mlp HTTP/1.1\r\nContent-Length:"
                b" %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))  # fmt: skip
            assert (status, json.loads(reply)["message"]) == (
                400, "decode(): Images: expected a list of strings")
            res = _remote(svc, "manifest", "rm", "localhost/rmt-mlp")
            assert res.returncode == 0 and res.stdout.startswith("Untagged: localhost/rmt-mlp"), res
            assert sb("manifest", "exists", "localhost/rmt-mlp", check=False).returncode == 1
        finally:
            sb("manifest", "rm", "localhost/rmt-mlp", check=False)


def test_docker_build_sdk_and_compose(svc: Service, sb: Scopebox, tmp_path: Path) -> None:
    """`POST /build` (supervisor/build): the docker CLI's classic builder, the SDK's
    images.build and docker-compose's `build:`; a failing RUN's exit code reaches the CLI."""
    import docker

    app = tmp_path / "app"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM busybox\nARG WHO\nCOPY msg /msg\n"
                                    "RUN echo built-for-$WHO >> /msg\nCMD [\"cat\", \"/msg\"]\n")
    (app / "msg").write_text("from the context\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DOCKER_BUILDKIT": "0",
           "DOCKER_HOST": f"unix://{svc.sock}"}  # fmt: skip
    res = subprocess.run([DOCKER, "build", "-t", "apibuild:v1", "--build-arg", "WHO=cli",
                          str(app)], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, (res.stdout, res.stderr, svc.log.read_text()[-3000:])
    assert "STEP 4/5: RUN echo built-for-$WHO >> /msg" in res.stdout
    assert "Successfully built" in res.stdout
    assert sb("run", "--rm", "apibuild:v1").stdout == "from the context\nbuilt-for-cli\n"
    (app / "Dockerfile.bad").write_text("FROM busybox\nRUN exit 7\n")
    bad = subprocess.run([DOCKER, "build", "-f", str(app / "Dockerfile.bad"), str(app)],
                         env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 7 and "exit status 7" in bad.stderr
    client = docker.DockerClient(base_url=f"unix://{svc.sock}")
    # rm=True: the SDK's default (False) keeps the step containers, as Docker's does
    image, logs = client.images.build(path=str(app), tag="apibuild:v2", labels={"l": "v"},
                                      buildargs={"WHO": "sdk"}, rm=True)  # fmt: skip
    assert image.labels == {"l": "v"} and "localhost/apibuild:v2" in image.tags
    assert any("aux" in line for line in logs)
    client.close()
    compose = shutil.which("docker-compose")
    if compose is not None:
        (tmp_path / "docker-compose.yml").write_text(
            'version: "3"\nservices:\n  job:\n    build:\n      context: ./app\n'
            "      args:\n        WHO: compose\n    image: apibuild:v3\n")
        out = subprocess.run([compose, "-p", "apibuild", "build"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert out.returncode == 0, (out.stdout, out.stderr)
        assert sb("run", "--rm", "apibuild:v3").stdout.endswith("built-for-compose\n")
    sb("rmi", "apibuild:v1", "apibuild:v2", *(["apibuild:v3"] if compose else []))
    assert sb("ps", "-a", "--format", "{{.Image}} {{.Command}} {{.Status}}").stdout == ""
