"""The Docker API service (issue 18), scopebox's beside podman's, on private stores.

    python bench/api_service.py [--runs N]

For each, in one run and interleaved (a spawn, request or cycle of one, then of the other):
the first reply after the service was spawned (what a socket-activated start costs,
interpreter and imports included: the median of 5 spawns), the median of warm
`GET /containers/json` on one kept-open connection, before and after a request only
scopebox's event loop answers (until then its quick.py answers: no asyncio yet),
`POST create` + `start` + `wait` of `true` over the API (median), and the service's RSS while
serving (after those); then podman's remote client against each: `podman --url ps -a`
from the service's spawn and `podman --url run --rm busybox true`. Both run
containers without a network and with the same containers.conf (podman's ulimits must fit
this sandbox's); for scopebox also `docker run --rm busybox true` end to end with the docker
CLI 20.10 (tests/install-deps.sh caches it). The checkout's bytecode is compiled first, as an
install compiles it (a stale .pyc makes every start compile that module again), and scopebox
runs from a command written as the install writes it (`python -I -S`, no site). Prints the
load average too: on a busy machine the numbers are the load's.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKER = "/var/cache/scopebox-tests/docker-cli/docker"
GET = b"GET /v1.41/containers/json HTTP/1.1\r\nHost: d\r\n\r\n"


def reply(s: socket.socket) -> int:
    """Read one reply (by length or chunked); its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        while not body.endswith(b"0\r\n\r\n"):
            body += s.recv(65536)
    elif b"content-length: " in lower:
        length = int(lower.split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += s.recv(65536)
    return int(head.split()[1])


def post(s: socket.socket, path: str, body: bytes = b"") -> int:
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return reply(s)


def connect(sock: str, proc: subprocess.Popen[bytes]) -> socket.socket:
    while True:
        if proc.poll() is not None:
            sys.exit(f"{proc.args}: exited {proc.returncode}")
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
            return s
        except OSError:
            s.close()
            time.sleep(0.002)


def first_reply(argv: list[str], env: dict[str, str], sock: str) -> tuple[float, float]:
    """Seconds from the spawn to the first reply, and the CPU seconds the service used for it
    (the wall time on a loaded machine is mostly waiting for a core)."""
    if os.path.exists(sock):
        os.unlink(sock)
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with connect(sock, proc) as s:
            s.sendall(GET)
            reply(s)
            wall = time.monotonic() - start
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return wall, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    finally:
        proc.terminate()
        proc.wait(10)


def started(argv: list[str], env: dict[str, str], sock: str) -> tuple[subprocess.Popen[bytes],
                                                                    socket.socket]:  # fmt: skip
    if os.path.exists(sock):
        os.unlink(sock)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, connect(sock, proc)


def cycle(s: socket.socket, name: str) -> float:
    t = time.monotonic()
    create = b'{"Image": "busybox", "Cmd": ["true"]}'
    statuses = (post(s, f"/v1.41/containers/create?name={name}", create),
                post(s, f"/v1.41/containers/{name}/start"),
                post(s, f"/v1.41/containers/{name}/wait"))  # fmt: skip
    took = time.monotonic() - t
    if statuses != (201, 204, 200):
        sys.exit(f"create/start/wait answered {statuses}")
    s.sendall(f"DELETE /v1.41/containers/{name} HTTP/1.1\r\nHost: d\r\n\r\n".encode())
    reply(s)
    return took


def warm(s: socket.socket) -> float:
    t = time.monotonic()
    s.sendall(GET)
    reply(s)
    return time.monotonic() - t


def measure(services: dict[str, tuple[list[str], dict[str, str], str]], runs: int
            ) -> dict[str, dict[str, str]]:  # fmt: skip
    """Every figure of each service, interleaved (one spawn, request or cycle of each in
    turn): the load changes while they run, and both see the same."""
    firsts: dict[str, list[tuple[float, float]]] = {k: [] for k in services}
    for _ in range(5):
        for key, (argv, env, sock) in services.items():
            firsts[key].append(first_reply(argv, env, sock))
    out: dict[str, dict[str, str]] = {}
    procs = {k: started(*v) for k, v in services.items()}
    try:
        # scopebox: before the first other request, quick.py answers (no event loop yet)
        quick = {k: [warm(procs[k][1]) for _ in range(1)] for k in services}
        for _ in range(runs):
            for k in services:
                quick[k].append(warm(procs[k][1]))
        for _, s in procs.values():  # a request only the event loop answers: scopebox's
            s.sendall(b"GET /v1.41/containers/nosuch/json HTTP/1.1\r\nHost: d\r\n\r\n")
            reply(s)
        loop: dict[str, list[float]] = {k: [] for k in services}
        cycles: dict[str, list[float]] = {k: [] for k in services}
        for _ in range(runs):
            for k in services:
                loop[k].append(warm(procs[k][1]))
        for i in range(max(3, runs // 6)):
            for k in services:
                cycles[k].append(cycle(procs[k][1], f"bench{i}"))
        for k, (proc, _) in procs.items():
            with open(f"/proc/{proc.pid}/status") as f:
                rss = f.read().split("VmRSS:")[1].split("\n")[0].strip()
            cold = statistics.median(w for w, _ in firsts[k])
            cold_cpu = statistics.median(c for _, c in firsts[k])
            out[k] = {"first reply": f"{cold * 1000:.0f} ms ({cold_cpu * 1000:.0f} ms CPU)",
                      "warm GET /containers/json": f"{statistics.median(quick[k][1:]) * 1000:.2f}"
                      f" ms, after an event-loop request {statistics.median(loop[k]) * 1000:.2f}"
                      " ms",
                      "create+start+wait true": f"{statistics.median(cycles[k]) * 1000:.0f} ms",
                      "RSS serving": rss}  # fmt: skip
        return out
    finally:
        for proc, s in procs.values():
            s.close()
            proc.terminate()
            proc.wait(10)


def remote_figures(services: dict[str, tuple[list[str], dict[str, str], str]],
                   client_env: dict[str, str], runs: int = 5) -> dict[str, dict[str, str]]:
    """Podman's remote client (`podman --url`), interleaved: `ps -a` from the service's spawn
    (the first /libpod/ requests of a socket-activated start, the client's own start
    included) and `run --rm busybox true` end to end on a warm service."""
    firsts: dict[str, list[float]] = {k: [] for k in services}
    runs_: dict[str, list[float]] = {k: [] for k in services}

    def remote(sock: str, *args: str) -> None:
        res = subprocess.run(["podman", "--url", f"unix://{sock}", *args], env=client_env,
                             capture_output=True, text=True)  # fmt: skip
        if res.returncode != 0:
            sys.exit(f"podman --url {' '.join(args)}: {res.stderr.strip()}")

    for _ in range(runs):
        for k, (argv, env, sock) in services.items():
            t = time.monotonic()
            proc, s = started(argv, env, sock)
            s.close()
            remote(sock, "ps", "-a")
            firsts[k].append(time.monotonic() - t)
            proc.terminate()
            proc.wait(10)
    procs = {k: started(*v) for k, v in services.items()}
    try:
        for _ in range(runs):
            for k, (_, _, sock) in services.items():
                t = time.monotonic()
                remote(sock, "run", "--rm", "busybox", "true")
                runs_[k].append(time.monotonic() - t)
    finally:
        for proc, s in procs.values():
            s.close()
            proc.terminate()
            proc.wait(10)
    return {k: {"podman --url ps -a from the spawn":
                f"{statistics.median(firsts[k]) * 1000:.0f} ms",
                "podman --url run --rm busybox true":
                f"{statistics.median(runs_[k]) * 1000:.0f} ms (min {min(runs_[k]) * 1000:.0f})"}
            for k in services}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=30)
    a = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    python = str(REPO / ".venv/bin/python")
    subprocess.run([python, "-m", "compileall", "-q", str(REPO / "supervisor")], check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([python, "-m", "supervisor.classcache"], check=True, capture_output=True,
                   cwd=REPO)  # fmt: skip
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = tmp / "containers.conf"
    conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={hard}:{hard}", "nproc=4096:4096"]\n'
                    'netns = "none"\n')  # fmt: skip
    pbase = ["podman", "--root", str(tmp / "proot"), "--runroot", str(tmp / "prun"),
             "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
    penv = {**os.environ, "CONTAINERS_CONF": str(conf)}
    # the command as the install writes it (install_units.LAUNCHER: `python -I -S`, the
    # package's directory on sys.path; here the checkout's and the virtualenv's, where anyio is)
    sys.path.insert(0, str(REPO))
    from supervisor.install_units import render_launcher

    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    launcher = tmp / "scopebox"
    launcher.write_text(render_launcher(python, str(REPO)).replace(
        "sys.path.append(", f"sys.path.append({site!r})\nsys.path.append(", 1))
    launcher.chmod(0o755)
    scopebox = [str(launcher)]
    env = {**os.environ, "SCOPEBOX_ROOT": str(tmp / "root"),
           "SCOPEBOX_RUNROOT": str(tmp / "run"), "CONTAINERS_CONF": str(conf)}  # fmt: skip
    try:
        sock = str(tmp / "api.sock")
        psock = str(tmp / "podman.sock")
        tar = tmp / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([*scopebox, "import", str(tar), "busybox"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        argv = [*scopebox, "system", "service", "--time", "0", f"unix://{sock}"]
        services = {"scopebox": (argv, env, sock)}
        if shutil.which("podman"):
            subprocess.run([*pbase, "import", str(tar), "busybox"], env=penv, check=True,
                           capture_output=True)  # fmt: skip
            services["podman"] = ([*pbase, "system", "service", "--time", "0",
                                   f"unix://{psock}"], penv, psock)  # fmt: skip
        for key, figures in measure(services, a.runs).items():
            print(f"{key + ':':9}", ", ".join(f"{k} {v}" for k, v in figures.items()))
        print(f"load average: {os.getloadavg()[0]:.1f}")
        if "podman" in services:
            for key, figures in remote_figures(services, penv).items():
                print(f"{key + ':':9}", ", ".join(f"{k} {v}" for k, v in figures.items()))
            print(f"load average: {os.getloadavg()[0]:.1f}")
        if os.access(DOCKER, os.X_OK):
            if os.path.exists(sock):
                os.unlink(sock)
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            try:
                while not os.path.exists(sock):
                    time.sleep(0.01)
                denv = {"PATH": os.environ["PATH"], "HOME": str(tmp),
                        "DOCKER_HOST": f"unix://{sock}"}  # fmt: skip
                times = []
                for _ in range(5):
                    t = time.monotonic()
                    res = subprocess.run([DOCKER, "run", "--rm", "busybox", "true"], env=denv,
                                         capture_output=True, text=True)  # fmt: skip
                    if res.returncode != 0:
                        sys.exit(f"docker run failed: {res.stderr.strip()}")
                    times.append(time.monotonic() - t)
                print(f"scopebox: docker run --rm busybox true median "
                      f"{statistics.median(times):.2f} s (min {min(times):.2f})")
            finally:
                proc.terminate()
                proc.wait(10)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        subprocess.run([*scopebox, "rm", "-a", "-f"], env=env, capture_output=True)
        if shutil.which("podman"):
            subprocess.run([*pbase, "rm", "-a", "-f"], env=penv, capture_output=True)
        # podman's storage leaves its overlay mounted under its root
        subprocess.run(["umount", str(tmp / "proot/overlay")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
