"""The differential tier for the Docker API: `scopebox system service` beside `podman system
service` (4.3), on the tier's stores (the same image and shared containers), the same
requests, the same status codes and JSON keys, but for what differs on purpose (listed here and
in docs/DIFFERENCES.md, "The Docker API")."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clihelp import wait_for
from tests.compat.harness import Engine

pytestmark = [pytest.mark.host, pytest.mark.compat]

API_STATUS_DIFFERENCES = {
    # Docker's codes: a name in use is a conflict (409), a broken body the client's (400),
    # stopping a container that is not running is "not modified" (304); podman: 500, 500, 204
    ("POST", "/v1.41/containers/create?name=d1", 2): (409, 500),
    ("POST", "/v1.41/containers/create", 1): (400, 500),
    ("POST", "/v1.41/containers/d1/stop", 1): (304, 204),
}
API_KEY_DIFFERENCES = {
    # podman's list entries carry create-request fields Docker's do not, and lack HostConfig;
    # its image list has Podman's Names, Digest and History
    "/v1.41/containers/json?all=1": ({"HostConfig"}, {"AdjustCPUShares", "Config", "Name",
                                                      "NetworkingConfig", "Platform"}),
    "/v1.41/images/json": (set(), {"Digest", "History", "Names"}),
    # Docker's inspect has SizeRootFs only when asked (size=1); podman's always
    "/v1.41/containers/d1/json": (set(), {"SizeRootFs"}),
}


def test_beside_podman_service(engines: dict[str, Engine], tmp_path: Path) -> None:
    socks = {name: tmp_path / f"{name}.sock" for name in engines}
    procs = {}
    for name, eng in engines.items():
        argv = [*eng.argv, "system", "service", "--time", "0", f"unix://{socks[name]}"]
        procs[name] = subprocess.Popen(argv, env={**os.environ, **eng.env},
                                       stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for name, sock in socks.items():
            wait_for(sock.exists, 20, f"{name}'s socket")
        ours_sock, psock = socks["scopebox"], socks["podman"]
        requests: list[tuple[str, str, object]] = [
            ("GET", "/_ping", None), ("GET", "/v1.41/version", None),
            ("GET", "/v1.41/info", None),
            ("POST", "/v1.41/containers/create?name=d1",
             {"Image": "busybox", "Cmd": ["sleep", "30"], "Labels": {"a": "b"}}),
            ("POST", "/v1.41/containers/create?name=d1", {"Image": "busybox"}),
            ("POST", "/v1.41/containers/create", b"{bad"),
            ("POST", "/v1.41/containers/create", {"Image": "nosuchimage"}),
            ("GET", "/v1.41/containers/json?all=1", None),
            ("GET", "/v1.41/containers/d1/json", None),
            ("GET", "/v1.41/containers/nosuch/json", None),
            ("POST", "/v1.41/containers/d1/stop", None),
            ("POST", "/v1.41/containers/d1/start", None),
            ("POST", "/v1.41/containers/d1/start", None),
            ("POST", "/v1.41/containers/d1/kill?signal=KILL", None),
            ("POST", "/v1.41/containers/d1/wait", None),
            ("POST", "/v1.41/containers/nosuch/start", None),
            ("GET", "/v1.41/images/json", None), ("GET", "/v1.41/images/busybox/json", None),
            ("GET", "/v1.41/images/nosuch/json", None), ("GET", "/v1.41/networks", None),
            ("POST", "/v1.41/volumes/create", {"Name": "dv"}),
            ("GET", "/v1.41/volumes", None), ("GET", "/v1.41/volumes/dv", None),
            ("DELETE", "/v1.41/volumes/dv", None), ("DELETE", "/v1.41/containers/d1", None),
            ("DELETE", "/v1.41/containers/d1", None), ("GET", "/v1.41/system/df", None),
            ("GET", "/v1.41/nosuch", None),
        ]  # fmt: skip
        seen: dict[tuple[str, str], int] = {}
        problems = []
        for method, path, body in requests:
            seen[method, path] = n = seen.get((method, path), 0) + 1
            ours = _call(ours_sock, method, path, body)
            theirs = _call(psock, method, path, body)
            want = API_STATUS_DIFFERENCES.get((method, path, n), (theirs[0], theirs[0]))
            if (ours[0], theirs[0]) != want:
                problems.append(f"{method} {path} #{n}: {ours[0]} here, {theirs[0]} podman")
            if ours[0] >= 400 and not (isinstance(ours[1], dict) and "message" in ours[1]):
                problems.append(f"{method} {path}: no JSON message: {ours[1]!r}")
            if ours[0] >= 300 or ours[0] != theirs[0] or path == "/_ping":
                continue
            only_ours, only_theirs = API_KEY_DIFFERENCES.get(path, (set(), set()))
            ka, kb = _keys(ours[1]), _keys(theirs[1])
            if (ka - kb, kb - ka) != (only_ours, only_theirs):
                problems.append(f"{method} {path}: keys only here {sorted(ka - kb)}, only "
                                f"podman's {sorted(kb - ka)}")  # fmt: skip
        assert problems == []
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(10)
        for eng in engines.values():  # what the requests made, should one have failed
            eng("rm", "-f", "d1")
            eng("volume", "rm", "-f", "dv")


def _call(sock: Path, method: str, path: str, body: object) -> tuple[int, Any]:
    """One request on its own connection: the status and the JSON (de-chunked) or bytes."""
    data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(sock))
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        rest = out
    try:
        return int(head.split()[1]), json.loads(rest)
    except ValueError:
        return int(head.split()[1]), rest


def _keys(doc: Any) -> set[str]:
    if isinstance(doc, list):
        return set(doc[0]) if doc and isinstance(doc[0], dict) else set()
    return set(doc) if isinstance(doc, dict) else set()
