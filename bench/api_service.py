"""The Docker API service (issue 18), scopebox's beside podman's, on private stores.

    python bench/api_service.py [--runs N]

For each: the first reply after the service was spawned (what a socket-activated start costs,
interpreter and imports included), the median of warm `GET /containers/json` on one kept-open
connection, the service's RSS; for scopebox also `docker run --rm busybox true` end to end with
the docker CLI 20.10 (tests/install-deps.sh caches it). Prints the load average too: on a busy
machine the numbers are the load's.
"""

from __future__ import annotations

import argparse
import os
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


def reply(s: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += s.recv(65536)


def measure(argv: list[str], env: dict[str, str], sock: str, runs: int) -> tuple[float, float, str]:
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                break
            except OSError:
                s.close()
                time.sleep(0.002)
        with s:
            s.sendall(GET)
            reply(s)
            cold = time.monotonic() - start
            warm = []
            for _ in range(runs):
                t = time.monotonic()
                s.sendall(GET)
                reply(s)
                warm.append(time.monotonic() - t)
        with open(f"/proc/{proc.pid}/status") as f:
            rss = f.read().split("VmRSS:")[1].split("\n")[0].strip()
        return cold, statistics.median(warm), rss
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=30)
    a = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    try:
        sock = str(tmp / "api.sock")
        env = {**os.environ, "SCOPEBOX_ROOT": str(tmp / "root"),
               "SCOPEBOX_RUNROOT": str(tmp / "run")}  # fmt: skip
        scopebox = [str(REPO / ".venv/bin/scopebox")]
        tar = tmp / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([*scopebox, "import", str(tar), "busybox"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        argv = [*scopebox, "system", "service", "--time", "0", f"unix://{sock}"]
        cold, warm, rss = measure(argv, env, sock, a.runs)
        print(f"scopebox: first reply {cold * 1000:.0f} ms, warm GET /containers/json "
              f"{warm * 1000:.1f} ms, RSS {rss}")
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
        if shutil.which("podman"):
            if os.path.exists(sock):
                os.unlink(sock)
            argv = ["podman", "--root", str(tmp / "proot"), "--runroot", str(tmp / "prun"),
                    "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend",
                    "file", "system", "service", "--time", "0", f"unix://{sock}"]  # fmt: skip
            cold, warm, rss = measure(argv, dict(os.environ), sock, a.runs)
            print(f"podman:   first reply {cold * 1000:.0f} ms, warm GET /containers/json "
                  f"{warm * 1000:.1f} ms, RSS {rss}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        subprocess.run([*scopebox, "rm", "-a", "-f"], env=env, capture_output=True)
        # podman's storage leaves its overlay mounted under its root
        subprocess.run(["umount", str(tmp / "proot/overlay")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
