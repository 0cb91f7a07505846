"""`scopebox logs`: read a container's output back from k8s-file or journald."""

from __future__ import annotations

import os
import select
from collections import deque
from collections.abc import Callable, Iterator

from supervisor.errors import UsageError
from supervisor.records import NamedTuple
from supervisor.timefmt import parse_rfc3339, rfc3339_ns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from supervisor.store import ContainerRow


class LogRecord(NamedTuple):
    """One record of a container's output, as the k8s-file line or journal entry held it."""

    timestamp: str  # RFC 3339 nano, UTC
    stream: str  # "stdout" | "stderr"
    data: bytes  # with its newline when the line is complete
    partial: bool = False


class LogQuery(NamedTuple):
    """Which records `logs` asks for."""

    follow: bool = False
    tail: int | None = None
    since: float | None = None
    timestamps: bool = False


def parse_cri_line(line: bytes) -> LogRecord | None:
    """`<RFC3339Nano> <stream> <F|P> <text>`; None for a malformed line."""
    parts = line.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3 or parts[1] not in (b"stdout", b"stderr") or parts[2] not in (b"F", b"P"):
        return None
    text = parts[3] if len(parts) == 4 else b""
    partial = parts[2] == b"P"
    return LogRecord(
        parts[0].decode(), parts[1].decode(), text if partial else text + b"\n", partial
    )


def k8s_files(path: str) -> list[str]:
    """Rotated files oldest first, then the current one."""
    rotated = []
    n = 1
    while os.path.exists(f"{path}.{n}"):
        rotated.append(f"{path}.{n}")
        n += 1
    return [*reversed(rotated), path]


def _read_k8s(path: str, current: BinaryIO | None = None) -> Iterator[LogRecord]:
    names = k8s_files(path)
    if current is not None:
        names = names[:-1]
    for name in names:
        try:
            with open(name, "rb") as f:
                for line in f:
                    rec = parse_cri_line(line)
                    if rec is not None:
                        yield rec
        except FileNotFoundError:
            continue
    if current is not None:
        yield from _drain(current)


def read_k8s(path: str, q: LogQuery) -> Iterator[LogRecord]:
    """The records `q` asks for (not followed) of a k8s-file log and its rotated files."""
    return _filtered(_read_k8s(path), q)


def _filtered(records: Iterator[LogRecord], q: LogQuery) -> Iterator[LogRecord]:
    if q.since is not None:
        since = q.since
        records = (r for r in records if (parse_rfc3339(r.timestamp) or 0) >= since)
    if q.tail is not None:
        return iter(_tail_lines(records, q.tail))
    return records


def _tail_lines(records: Iterator[LogRecord], n: int) -> list[LogRecord]:
    """The records making up the last n lines (a line may span several partial records)."""
    lines: deque[list[LogRecord]] = deque(maxlen=n) if n > 0 else deque(maxlen=1)
    current: list[LogRecord] = []
    for rec in records:
        current.append(rec)
        if not rec.partial:
            lines.append(current)
            current = []
    if current:
        lines.append(current)
    return [] if n <= 0 else [r for line in lines for r in line]


def read_logs(
    row: ContainerRow,
    log_path: str,
    q: LogQuery,
    still_running: Callable[[], bool],
    monitor_pid: int,
    cancel_fd: int | None = None,
) -> Iterator[LogRecord]:
    """The records `q` asks for; a follow ends with the container, or once `cancel_fd` (if
    given) is readable."""
    if cancel_fd is not None:
        still_running = _unless_readable(still_running, cancel_fd)
    driver = row.config.log.driver.value
    if driver == "none":
        raise UsageError("this container is using the 'none' log driver, cannot read logs:"
                         " this container is not logging output")  # Podman's words
    if driver == "journald":
        yield from _journald(row, q, still_running, monitor_pid, cancel_fd)
        return
    # Following reads the backlog through the same open file it then follows: no line
    # written in between can fall into a gap.
    current = _open_log(log_path) if q.follow else None
    yield from _filtered(_read_k8s(log_path, current), q)
    if q.follow:
        yield from _follow_k8s(log_path, still_running, monitor_pid, current, cancel_fd)


IN_MODIFY, IN_CREATE, IN_MOVED_TO = 0x2, 0x100, 0x80


def _follow_k8s(
    path: str,
    still_running: Callable[[], bool],
    monitor_pid: int,
    f: BinaryIO | None,
    cancel_fd: int | None,
) -> Iterator[LogRecord]:
    """New lines until the container's monitor exits (it flushes the log before it does).

    Woken by inotify on the log's directory (writes, and the new file after a rotation) and by
    the monitor's pidfd, never by a timer.
    """
    from cgroupfs.events import InotifyWatch

    pidfd = _pidfd(monitor_pid) if still_running() else None
    if pidfd is None:
        if f is not None:
            f.close()
        return  # nothing more will be written
    watch = InotifyWatch()
    watch.add_watch(os.path.dirname(path), IN_MODIFY | IN_CREATE | IN_MOVED_TO)
    try:
        while True:
            if f is None:
                f = _open_log(path)
            if f is not None:
                yield from _drain(f)
                if _rotated(f, path):
                    yield from _drain(f)  # what was written to it before the rename
                    f.close()
                    f = None
                    continue
            fds = [pidfd, watch.fileno()]
            ready = select.select(fds if cancel_fd is None else [*fds, cancel_fd], [], [])[0]
            watch.read_events()
            if cancel_fd in ready:
                return
            if pidfd in ready:
                f = f or _open_log(path)
                if f is not None:
                    yield from _drain(f)
                return
    finally:
        if f is not None:
            f.close()
        watch.close()
        os.close(pidfd)


def _unless_readable(running: Callable[[], bool], fd: int) -> Callable[[], bool]:
    def still_running() -> bool:
        return not select.select([fd], [], [], 0)[0] and running()

    return still_running


def _open_log(path: str) -> BinaryIO | None:
    try:
        return open(path, "rb")  # the caller closes it (or reopens it on rotation)
    except FileNotFoundError:
        return None


def _drain(f: BinaryIO) -> Iterator[LogRecord]:
    for line in f:
        if not line.endswith(b"\n"):
            f.seek(-len(line), os.SEEK_CUR)  # the rest of the line is still being written
            return
        rec = parse_cri_line(line)
        if rec is not None:
            yield rec


def _rotated(f: BinaryIO, path: str) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(f.fileno()).st_ino
    except FileNotFoundError:
        return False


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid) if pid > 0 else None
    except ProcessLookupError:
        return None


def _journald(
    row: ContainerRow,
    q: LogQuery,
    still_running: Callable[[], bool],
    monitor_pid: int,
    cancel_fd: int | None,
) -> Iterator[LogRecord]:
    from units import journal_reader

    match = {"CONTAINER_ID_FULL": row.id}
    running = still_running()
    if not running:
        _sync_journal()
    if q.follow and running:
        pidfd = _pidfd(monitor_pid)
        wake = tuple(fd for fd in (pidfd, cancel_fd) if fd is not None)
        synced: list[bool] = []

        def stop() -> bool:
            """The monitor is gone: its last lines were sent, but journald files them
            asynchronously; synced once, the final drain finds them (a follow read 19999 of
            20000 lines without it)."""
            if not synced:
                if still_running():
                    return False
                _sync_journal()
                synced.append(True)
            return True

        try:
            entries = journal_reader.follow(
                match, since=q.since, tail=q.tail, stop=stop, wake_fds=wake
            )
            yield from _journal_records(entries)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        return
    yield from _journal_records(journal_reader.read_entries(match, since=q.since, tail=q.tail))


def _journal_records(entries: Iterator[Any]) -> Iterator[LogRecord]:
    for e in entries:
        stream = "stderr" if e.priority == 3 else "stdout"
        data = e.message if e.partial else e.message + b"\n"
        yield LogRecord(rfc3339_ns(e.realtime_ns), stream, data, e.partial)


def _sync_journal() -> None:
    """journald files entries asynchronously: make the last lines of an exited container
    visible before reading (`journalctl --sync` asks journald and waits for it)."""
    import subprocess

    subprocess.run(["journalctl", "--sync"], capture_output=True, check=False)
