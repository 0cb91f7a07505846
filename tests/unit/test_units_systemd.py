"""units.systemd's I/O layer without systemd: real sockets and a real dbus-daemon.

The systemd side itself is covered in tests/system/test_units_dbus.py (inside the test bed).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from units import systemd
from units.errors import BusConnectionError, BusError, BusTimeoutError

# A bus of our own: no service directories, so nothing is ever activated on this host.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def bus_daemon(tmp_path: Path) -> Iterator[str]:
    """A private dbus-daemon listening at a path of our own."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip("NEEDS dbus-daemon (Debian package dbus)")
    path = tmp_path / "bus"
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(path=path))
    proc = subprocess.Popen(
        [daemon, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it complains it may not raise its fd limit here
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()  # printed once it listens
        assert address.startswith(f"unix:path={path}")
        yield str(path)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_connect_is_none_without_systemd() -> None:
    if systemd.booted():
        pytest.skip("systemd is PID 1 here; the test bed covers connect()")
    assert systemd.connect() is None


def test_missing_socket_is_a_connection_error(tmp_path: Path) -> None:
    path = str(tmp_path / "no-such-socket")
    with pytest.raises(BusConnectionError, match="no-such-socket") as info:
        systemd.open_private(path)
    assert info.value.address == path


def test_silent_peer_times_out_during_authentication(tmp_path: Path) -> None:
    path = str(tmp_path / "silent")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        start = time.monotonic()
        with pytest.raises(BusConnectionError):
            systemd.open_private(path, timeout=0.3)
        assert time.monotonic() - start < 5


def _unit_new(serial: int) -> bytes:
    from jeepney import DBusAddress, new_signal

    manager = DBusAddress("/org/freedesktop/systemd1", interface="org.freedesktop.systemd1.Manager")
    sig = new_signal(manager, "UnitNew", "so", ("x.scope", "/org/freedesktop/systemd1/unit/x"))
    data: bytes = sig.serialise(serial=serial)
    return data


def test_signals_behind_the_ok_line_are_messages_not_a_longer_reply(tmp_path: Path) -> None:
    """systemd's private socket broadcasts every signal from BEGIN on: the OK line can come
    with a signal behind it in one read, and more keep coming while units change. A scripted
    peer (what PID 1 sent in the test bed, where `inspect` hung for minutes beside a unit
    restarting under a health check): the connection opens at once and the signal is the
    first message, not garbage after the OK."""
    import threading

    path = str(tmp_path / "private")
    stop = threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()

        def peer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(4096)  # AUTH EXTERNAL ... BEGIN, in one write
                conn.sendall(b"OK 0123456789abcdef0123456789abcdef\r\n" + _unit_new(1))
                serial = 2
                end = time.monotonic() + 3  # then silence: a broken reader times out and fails
                while not stop.wait(0.05) and time.monotonic() < end:  # a signal every 50 ms
                    try:
                        conn.sendall(_unit_new(serial))
                    except OSError:
                        return
                    serial += 1

        thread = threading.Thread(target=peer, daemon=True)
        thread.start()
        try:
            start = time.monotonic()
            with systemd.open_private(path, timeout=1.0) as conn:
                assert time.monotonic() - start < 0.9
                first = conn._conn._parser.get_next_message()
                assert first is not None and first.header.fields[3] == "UnitNew"
        finally:
            stop.set()
            thread.join(5)


def test_bus_hello_and_error_replies_on_a_real_bus(bus_daemon: str) -> None:
    with systemd.open_system_bus(bus_daemon) as conn:
        assert conn.transport == "bus"
        # No systemd on this bus: the daemon itself answers with a D-Bus error.
        with pytest.raises(BusError) as info:
            conn.get_unit_state("x.scope")
        assert info.value.name == "org.freedesktop.DBus.Error.ServiceUnknown"
        assert info.value.method == "GetUnit"


def test_job_wait_times_out_with_a_clear_error(bus_daemon: str) -> None:
    with systemd.open_system_bus(bus_daemon) as conn:
        conn._conn.watch_jobs(5)  # AddMatch is accepted by a real daemon
        with pytest.raises(BusTimeoutError, match="no answer from systemd within"):
            conn._conn.wait_job_removed(
                "/org/freedesktop/systemd1/job/1", time.monotonic() + 0.2, "x"
            )


def test_context_manager_closes_the_socket(bus_daemon: str) -> None:
    conn = systemd.open_system_bus(bus_daemon)
    with conn:
        pass
    with pytest.raises(BusConnectionError):
        conn.get_unit_state("x.scope")
