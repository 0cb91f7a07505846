"""Log drivers: k8s-file (CRI lines, rotation), journald (native protocol), none.

A failed write is never silent: it is counted in ``errors`` (the exit record's ``log_errors``)
and reported on the monitor's stderr, which the engine points at ``<rundir>/monitor.log``.
"""

from __future__ import annotations

import posix
import time

from conmon.record import rfc3339nano

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Clock = Callable[[], int]


def report(message: str) -> None:
    """One line on the monitor's stderr; the monitor must not die because stderr is gone."""
    try:  # noqa: SIM105 - contextlib costs the monitor memory
        posix.write(2, (message + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def _should_report(count: int) -> bool:
    # Powers of two: the first failures in full, then ever rarer, so ENOSPC cannot flood
    # monitor.log (itself on a tmpfs).
    return count & (count - 1) == 0


def format_cri_line(ts_ns: int, stream: str, data: bytes, partial: bool) -> bytes:
    """``<RFC3339Nano> <stream> <F|P> <data>\\n`` as Kubernetes' CRI log format."""
    head = "%s %s %s " % (rfc3339nano(ts_ns), stream, "P" if partial else "F")  # noqa: UP031
    return head.encode() + data + b"\n"


def rotation_renames(path: str, max_file: int) -> list[tuple[str, str]]:
    """Renames that shift ``path`` -> ``path.1`` -> ... keeping ``max_file`` files in all.

    Oldest first, so no rename overwrites a file that still has to move. With ``max_file``
    == 1 the result is empty: the caller unlinks ``path`` instead (never truncates in place).
    """
    renames = []
    for n in range(max_file - 1, 1, -1):
        renames.append((f"{path}.{n - 1}", f"{path}.{n}"))
    if max_file > 1:
        renames.append((path, f"{path}.1"))
    return renames


class NoneLog:
    """``--log-driver=none``: output goes to attach clients only."""

    errors = 0

    def write(self, stream: str, data: bytes, partial: bool) -> None:
        pass

    def write_block(self, stream: str, block: bytes) -> None:
        pass

    def close(self) -> None:
        pass


class K8sFileLog:
    """CRI log file with rotation when a write would exceed ``max_size`` (0 = unlimited)."""

    __slots__ = ("_clock", "_fd", "_size", "errors", "max_file", "max_size", "path")

    def __init__(
        self, path: str, max_size: int = 0, max_file: int = 1, clock: Clock = time.time_ns
    ) -> None:
        self.path = path
        self.max_size = max_size
        self.max_file = max(1, max_file)
        self.errors = 0
        self._clock = clock
        self._fd = -1
        self._size = 0
        self._open()

    def _open(self) -> None:
        flags = posix.O_WRONLY | posix.O_CREAT | posix.O_APPEND | posix.O_CLOEXEC
        self._fd = posix.open(self.path, flags, 0o640)
        self._size = posix.fstat(self._fd).st_size

    def write(self, stream: str, data: bytes, partial: bool) -> None:
        line = format_cri_line(self._clock(), stream, data, partial)
        if self.max_size and self._size and self._size + len(line) > self.max_size:
            self._rotate()
        self._write(line)

    def write_block(self, stream: str, block: bytes) -> None:
        """Whole lines, each ending with its newline (``LineFramer.feed_block``): one
        timestamp and one write for all, as conmon stamps a read's lines alike. Where a
        rotation falls inside the block, the lines that fit go first, in one write, and the
        rest after the rotation (rotation stays exact: before the line that would pass)."""
        head = "%s %s F " % (rfc3339nano(self._clock()), stream)  # noqa: UP031
        prefix = head.encode()
        # "L1\nP L2\n...P Ln\nP" without its last P is the block's lines after the first P:
        # one copy of the block, where concatenating would make three (a burst's output comes
        # in 64 KiB blocks, and the heap keeps what such copies made it grow by).
        body = block.replace(b"\n", b"\n" + prefix)
        if not self.max_size or self._size + len(body) <= self.max_size:
            self._write(memoryview(body)[: len(body) - len(prefix)], prefix)
            return
        out = prefix + body[: len(body) - len(prefix)]
        limit = self.max_size
        start = 0
        while limit and self._size + len(out) - start > limit:
            # Whole lines that fit: up to the last newline within the room left.
            cut = out.rfind(b"\n", start, start + max(0, limit - self._size)) + 1
            if cut > start:
                self._write(out[start:cut])
                start = cut
            elif self._size:
                self._rotate()
                if self._size:  # it failed (counted): append the rest to the current file
                    break
            else:  # one line longer than max_size alone: it gets a file of its own
                cut = out.index(b"\n", start) + 1
                self._write(out[start:cut])
                start = cut
            if start == len(out):
                return
        self._write(out[start:] if start else out)

    def _write(self, data: bytes | memoryview, head: bytes = b"") -> None:
        """`head` then `data`, in one system call when the file takes them whole."""
        if self._fd < 0:
            self._fail("log file is not open", None)
            return
        view = memoryview(data)
        try:
            if head:
                n = posix.writev(self._fd, (head, view))
                self._size += n
                # short (a full disk): the rest as any write's
                skip = n - len(head)
                view = view[skip:] if skip >= 0 else memoryview(head[n:] + view)
            while view:
                n = posix.write(self._fd, view)
                self._size += n
                view = view[n:]
        except OSError as exc:
            self._fail(f"writing {self.path!r}", exc)

    def _rotate(self) -> None:
        try:
            for src, dst in rotation_renames(self.path, self.max_file):
                try:  # noqa: SIM105
                    posix.rename(src, dst)
                except FileNotFoundError:
                    pass  # fewer old files than max_file so far
            if self.max_file == 1:
                posix.unlink(self.path)
        except OSError as exc:
            # Keep appending to the current file: an oversize log beats a lost line.
            self._fail(f"rotating {self.path!r}", exc)
            return
        posix.close(self._fd)
        self._fd = -1
        try:
            self._open()
        except OSError as exc:
            self._fail(f"reopening {self.path!r}", exc)

    def _fail(self, what: str, exc: OSError | None) -> None:
        self.errors += 1
        if _should_report(self.errors):
            report(f"conmon: log error #{self.errors}: {what}: {exc}")

    def close(self) -> None:
        if self._fd >= 0:
            posix.close(self._fd)
            self._fd = -1


class JournaldLog:
    """journald native protocol via :mod:`units.journald`.

    performance: imported here, not at module level: a k8s-file or none monitor never loads
    it (nor ``struct``), ~60 KiB less for the container's life."""

    __slots__ = ("_encode", "_priorities", "_static", "_writer", "errors")

    def __init__(
        self, cid: str, name: str, tag: str, socket_path: str | None = None, unit: str = ""
    ) -> None:
        from units.journald import (
            PRIORITY_STDERR,
            PRIORITY_STDOUT,
            JournalWriter,
            container_fields,
            encode_entry,
            encode_log_record,
        )

        self._encode = encode_log_record
        self._priorities = (PRIORITY_STDOUT, PRIORITY_STDERR)
        self._writer = JournalWriter(socket_path) if socket_path else JournalWriter()
        fields = container_fields(cid, name, tag)
        if unit:
            # `journalctl -u UNIT` also matches root's entries carrying OBJECT_SYSTEMD_UNIT:
            # a line sent just before the monitor exits reaches journald after the process
            # is gone, too late for journald to find its _SYSTEMD_UNIT.
            fields.append(("OBJECT_SYSTEMD_UNIT", unit.encode()))
        self._static = encode_entry(fields)
        self.errors = 0

    def write(self, stream: str, data: bytes, partial: bool) -> None:
        prio = self._priorities[stream == "stderr"]
        try:
            self._writer.send(self._encode(self._static, data, prio, partial))
        except OSError as exc:
            self.errors += 1
            if _should_report(self.errors):
                report(f"conmon: journald error #{self.errors}: {exc}")

    def write_block(self, stream: str, block: bytes) -> None:
        """One journal entry per line, as journald needs."""
        for line in block[:-1].split(b"\n"):
            self.write(stream, line, False)

    def close(self) -> None:
        self._writer.close()
