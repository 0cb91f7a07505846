"""--sdnotify=healthy: the monitor's READY=1 reaches a real notify socket."""

from __future__ import annotations

import socket
from pathlib import Path

from conmon.health import sd_notify_ready


def test_ready_is_sent_to_a_path_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        sd_notify_ready(path)
        assert server.recv(64) == b"READY=1"


def test_ready_is_sent_to_an_abstract_socket() -> None:
    name = f"scopebox-test-notify-{id(object())}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        sd_notify_ready("@" + name)
        assert server.recv(64) == b"READY=1"


def test_a_missing_socket_is_reported_not_raised(tmp_path: Path, capfd: object) -> None:
    sd_notify_ready(str(tmp_path / "nobody-listens"))
    err = capfd.readouterr().err  # type: ignore[attr-defined]
    assert "READY=1" in err and "No such file" in err
