"""journald native-protocol writer (import-light: the per-container monitor uses it).

Protocol: https://systemd.io/JOURNAL_NATIVE_PROTOCOL/ . One datagram per entry to
``/run/systemd/journal/socket``; a field is ``NAME=value\\n``, or, when the value holds a
newline, ``NAME\\n`` + little-endian 64-bit length + value + ``\\n``. An entry too big for one
datagram goes into a sealed memfd passed with SCM_RIGHTS.
"""

from __future__ import annotations

import _socket
import errno
import posix
import struct

JOURNAL_SOCKET = "/run/systemd/journal/socket"
PRIORITY_STDOUT = 6  # LOG_INFO, as conmon
PRIORITY_STDERR = 3  # LOG_ERR
_SNDBUF = 8 * 1024 * 1024
_SEND_TIMEOUT = 0.5  # seconds per try a full journald queue may stall the monitor
_SEND_TRIES = 20  # then the entry is given up: journald stalled 10 s is stuck, not busy


class FieldNameError(ValueError):
    """A field name journald would reject (must be ``[A-Z0-9_]+``, not starting with ``_``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"invalid journal field name {name!r}")


def _check_name(name: str) -> None:
    if not name or name[0] == "_" or name[0].isdigit() or len(name) > 64:
        raise FieldNameError(name)
    if name.strip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"):
        raise FieldNameError(name)


def encode_field(name: str, value: bytes) -> bytes:
    """One field in the native format; binary-safe for values with newlines."""
    _check_name(name)
    key = name.encode("ascii")
    if b"\n" in value:
        return key + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return key + b"=" + value + b"\n"


def encode_entry(fields: list[tuple[str, bytes]]) -> bytes:
    """A whole entry (the payload of one datagram)."""
    return b"".join([encode_field(name, value) for name, value in fields])


def container_fields(cid: str, name: str, tag: str) -> list[tuple[str, bytes]]:
    """The per-container fields conmon attaches to every line (users filter on them)."""
    fields = [("CONTAINER_ID", cid[:12].encode()), ("CONTAINER_ID_FULL", cid.encode())]
    if name:
        fields.append(("CONTAINER_NAME", name.encode()))
    if tag:
        fields.append(("CONTAINER_TAG", tag.encode()))
    fields.append(("SYSLOG_IDENTIFIER", (tag or name or cid[:12]).encode()))
    return fields


def encode_log_record(static: bytes, message: bytes, priority: int, partial: bool) -> bytes:
    """One container log line: ``static`` is ``encode_entry(container_fields(...))``."""
    parts = [
        encode_field("MESSAGE", message),
        b"PRIORITY=%d\n" % priority,
        static,
    ]
    if partial:
        parts.append(b"CONTAINER_PARTIAL_MESSAGE=true\n")
    return b"".join(parts)


class JournalWriter:
    """Sends entries to journald; :meth:`send` raises ``OSError`` when journald refuses."""

    __slots__ = ("_path", "_sock")

    def __init__(self, path: str = JOURNAL_SOCKET) -> None:
        self._path = path
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
        try:  # noqa: SIM105 - contextlib costs the monitor memory
            # Bigger entries fit a datagram; journald itself raises the limit on its side.
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF, _SNDBUF)
        except OSError:
            pass
        sock.settimeout(_SEND_TIMEOUT)
        self._sock = sock

    def send(self, payload: bytes) -> None:
        """Send one encoded entry (see :func:`encode_entry`). A full queue is waited out:
        journald busy under load for more than one try's 0.5 s lost a line of 20000 (bed)."""
        for _ in range(_SEND_TRIES - 1):
            try:
                self._sock.sendto(payload, self._path)
                return
            except TimeoutError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                    raise
                self._send_memfd(payload)
                return
        self._sock.sendto(payload, self._path)  # the last try: its error is the caller's

    def _send_memfd(self, payload: bytes) -> None:
        import fcntl  # only for the rare huge entry

        fd = posix.memfd_create("journal-entry", posix.MFD_CLOEXEC | posix.MFD_ALLOW_SEALING)
        try:
            view = memoryview(payload)
            while view:
                view = view[posix.write(fd, view) :]
            # journald accepts a memfd only when sealed against further change.
            fcntl.fcntl(
                fd,
                fcntl.F_ADD_SEALS,
                fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL,
            )
            anc = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("i", fd))]
            self._sock.sendmsg([], anc, 0, self._path)
        finally:
            posix.close(fd)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()
