"""units.journald: native-protocol encoding, checked by an independent decoder and a real
datagram socket standing where journald's would be."""

from __future__ import annotations

import array
import fcntl
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conmon.logs import JournaldLog
from units.journald import (
    FieldNameError,
    JournalWriter,
    container_fields,
    encode_entry,
    encode_field,
)

CID = "f00dbeef" * 8


def decode(payload: bytes) -> list[tuple[str, bytes]]:
    """journald's parsing rules (systemd.io/JOURNAL_NATIVE_PROTOCOL), written independently."""
    out = []
    pos = 0
    while pos < len(payload):
        nl = payload.index(b"\n", pos)
        eq = payload.find(b"=", pos, nl)
        if eq >= 0:
            out.append((payload[pos:eq].decode(), payload[eq + 1 : nl]))
            pos = nl + 1
        else:
            (size,) = struct.unpack_from("<Q", payload, nl + 1)
            start = nl + 9
            out.append((payload[pos:nl].decode(), payload[start : start + size]))
            assert payload[start + size : start + size + 1] == b"\n"
            pos = start + size + 1
    return out


def test_simple_and_binary_fields() -> None:
    assert encode_field("MESSAGE", b"hello") == b"MESSAGE=hello\n"
    assert encode_field("MESSAGE", b"a\nb") == b"MESSAGE\n" + (3).to_bytes(8, "little") + b"a\nb\n"


@given(st.lists(st.tuples(st.sampled_from(["MESSAGE", "A_1", "X"]), st.binary()), max_size=6))
def test_entries_decode_back(fields: list[tuple[str, bytes]]) -> None:
    assert decode(encode_entry(fields)) == fields


@pytest.mark.parametrize("name", ["", "_PID", "lower", "WITH-DASH", "1ST", "A" * 65])
def test_bad_field_names_are_refused(name: str) -> None:
    with pytest.raises(FieldNameError):
        encode_field(name, b"x")


def test_container_fields_identifier_fallbacks() -> None:
    tagged = dict(container_fields(CID, "web", "mytag"))
    assert tagged["SYSLOG_IDENTIFIER"] == b"mytag" and tagged["CONTAINER_TAG"] == b"mytag"
    assert tagged["CONTAINER_ID"] == CID[:12].encode()
    assert tagged["CONTAINER_ID_FULL"] == CID.encode()
    assert dict(container_fields(CID, "web", ""))["SYSLOG_IDENTIFIER"] == b"web"
    anonymous = dict(container_fields(CID, "", ""))
    assert anonymous["SYSLOG_IDENTIFIER"] == CID[:12].encode()
    assert "CONTAINER_TAG" not in anonymous and "CONTAINER_NAME" not in anonymous


@pytest.fixture
def journal_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "socket")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    with sock:
        yield path, sock


def test_log_records_carry_conmon_fields(journal_socket: tuple[str, socket.socket]) -> None:
    path, server = journal_socket
    log = JournaldLog(CID, "web", "", socket_path=path)
    log.write("stdout", b"line one", False)
    log.write("stderr", b"multi\nline", True)
    log.close()
    first = dict(decode(server.recv(65536)))
    assert first["MESSAGE"] == b"line one" and first["PRIORITY"] == b"6"
    assert first["CONTAINER_NAME"] == b"web" and first["SYSLOG_IDENTIFIER"] == b"web"
    assert "CONTAINER_PARTIAL_MESSAGE" not in first
    second = dict(decode(server.recv(65536)))
    assert second["MESSAGE"] == b"multi\nline" and second["PRIORITY"] == b"3"
    assert second["CONTAINER_PARTIAL_MESSAGE"] == b"true"
    assert log.errors == 0


def test_huge_entry_goes_through_a_sealed_memfd(journal_socket: tuple[str, socket.socket]) -> None:
    path, server = journal_socket
    big = os.urandom(16 * 1024 * 1024)  # larger than any datagram the kernel allows
    writer = JournalWriter(path)
    writer.send(encode_entry([("MESSAGE", big)]))
    writer.close()
    fds = array.array("i")
    data, anc, _flags, _addr = server.recvmsg(16, socket.CMSG_SPACE(fds.itemsize))
    assert data == b""
    level, kind, raw = anc[0]
    assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS)
    fds.frombytes(raw[: fds.itemsize])
    fd = fds[0]
    try:
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        assert seals & fcntl.F_SEAL_WRITE and seals & fcntl.F_SEAL_SEAL
        assert dict(decode(os.pread(fd, len(big) + 100, 0)))["MESSAGE"] == big
    finally:
        os.close(fd)


def test_missing_journal_is_a_counted_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = JournaldLog(CID, "", "", socket_path=str(tmp_path / "absent"))
    log.write("stdout", b"x", False)
    log.close()
    assert log.errors == 1
    assert "journald error #1" in capfd.readouterr().err


def test_a_full_journald_queue_is_waited_out(journal_socket: tuple[str, socket.socket]) -> None:
    """journald busy under load: the entry waits (tries of 0.5 s) instead of being lost."""
    import threading

    path, server = journal_socket
    sent = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as filler:
        filler.setblocking(False)
        try:  # fill the receiver's queue until the kernel would block a sender
            while True:
                filler.sendto(b"MESSAGE=fill\n", path)
                sent += 1
        except BlockingIOError:
            pass
        writer = JournalWriter(path)

        def drain() -> None:
            for _ in range(sent):
                server.recv(65536)

        later = threading.Timer(1.3, drain)  # more than two tries' time
        later.start()
        try:
            writer.send(encode_entry([("MESSAGE", b"last")]))
        finally:
            later.join()
            writer.close()
    assert dict(decode(server.recv(65536)))["MESSAGE"] == b"last"
