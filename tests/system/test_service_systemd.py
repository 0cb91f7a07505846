"""The Docker API by socket activation under a real systemd (the test bed): the shipped
scopebox.socket listens while no process runs; a connection starts scopebox.service, which
answers on the socket systemd passed it and exits once idle (--time 5)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supervisor import install_units
from tests.clihelp import REPO, wait_for

pytestmark = pytest.mark.systemd

SOCKET_PATH = "/run/scopebox/scopebox.sock"
DOCKER = "/var/cache/scopebox-tests/docker-cli/docker"


def show(unit: str, prop: str) -> str:
    return subprocess.run(["systemctl", "show", "-P", prop, unit], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip


def get(path: str) -> tuple[int, bytes]:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(SOCKET_PATH)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_socket_activation_and_idle_exit() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "supervisor.install_units",
         "--scopebox", str(REPO / ".venv/bin/scopebox")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert (res.returncode, res.stderr) == (0, "")
    try:
        subprocess.run(["systemctl", "restart", install_units.API_SOCKET], check=True)
        assert show(install_units.API_SOCKET, "ActiveState") == "active"
        assert show(install_units.API_SERVICE, "ActiveState") == "inactive"  # no process yet
        assert oct(Path(SOCKET_PATH).stat().st_mode & 0o777) == "0o660"
        status, body = get("/v1.41/_ping")  # the connection starts the service
        assert (status, body) == (200, b"OK")
        assert show(install_units.API_SERVICE, "ActiveState") == "active"
        status, body = get("/containers/json?all=1")
        assert status == 200 and isinstance(json.loads(body), list)
        left = time.monotonic()
        wait_for(lambda: show(install_units.API_SERVICE, "ActiveState") == "inactive", 30,
                 "the idle service to exit")  # fmt: skip
        assert time.monotonic() - left > 3  # --time 5: not before it was idle
        assert show(install_units.API_SERVICE, "Result") == "success"
        assert show(install_units.API_SOCKET, "ActiveState") == "active"  # still listening
        assert get("/_ping") == (200, b"OK")  # and started again by the next connection
        # the opt-in Docker path: a client that knows only /var/run/docker.sock reaches it;
        # Docker's own socket (this bed's image has docker.io's docker.socket) is never replaced
        def docker_socket() -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "supervisor.install_units",
                                   "--scopebox", str(REPO / ".venv/bin/scopebox"),
                                   "--docker-socket"], capture_output=True, text=True, cwd=REPO,
                                  timeout=120)  # fmt: skip

        if os.path.exists("/run/docker.sock") and not os.path.islink("/run/docker.sock"):
            res = docker_socket()
            assert (res.returncode, res.stderr) == (
                125, "Error: /run/docker.sock exists and is not scopebox's: not replaced\n")
            assert not os.path.islink("/run/docker.sock")
            subprocess.run(["systemctl", "stop", "docker.socket", "docker.service"], check=False)
            os.unlink("/run/docker.sock")  # systemd leaves a stopped socket's file
        res = docker_socket()
        assert (res.returncode, res.stderr) == (0, "")
        if Path(DOCKER).exists():
            env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # no DOCKER_HOST: Docker's path
            out = subprocess.run([DOCKER, "version", "--format", "{{.Server.Platform.Name}}"],
                                 env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
            assert out.returncode == 0 and out.stdout.startswith("scopebox "), out
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect("/var/run/docker.sock")
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 200 OK")
    finally:
        res = subprocess.run([sys.executable, "-m", "supervisor.install_units", "--scopebox",
                              str(REPO / ".venv/bin/scopebox"), "--no-docker-socket"],
                             capture_output=True, text=True, cwd=REPO, timeout=120)  # fmt: skip
        assert (res.returncode, res.stderr) == (0, "")
        assert not os.path.lexists("/run/docker.sock"), os.readlink("/run/docker.sock")
        subprocess.run(["systemctl", "stop", install_units.API_SOCKET,
                        install_units.API_SERVICE], check=False)  # fmt: skip
