"""Read container output back from the journal (`scopebox logs`, `logs -f`).

Uses systemd-python's `systemd.journal.Reader`, imported lazily: only `logs` needs it.
Following waits on the reader's inotify descriptor (`reader.fileno()`), never a sleep loop.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from units.errors import JournalError

if TYPE_CHECKING:
    from systemd.journal import Reader

# Where journald keeps its files: volatile first, then persistent (journald.conf(5)).
JOURNAL_DIRS = ("/run/log/journal", "/var/log/journal")
DEFAULT_PRIORITY = 6  # LOG_INFO, what journald assumes when PRIORITY is missing
# How often `follow` asks `stop()` when nothing else wakes it.
STOP_CHECK_INTERVAL = 0.25


@dataclass(frozen=True, slots=True)
class JournalEntry:
    realtime_us: int  # __REALTIME_TIMESTAMP: microseconds since the epoch (journald's precision)
    message: bytes  # MESSAGE, unchanged (journald is binary-safe)
    priority: int
    partial: bool  # CONTAINER_PARTIAL_MESSAGE=true: the line continues in the next entry
    cursor: str

    @property
    def realtime_ns(self) -> int:
        return self.realtime_us * 1000

    @property
    def timestamp(self) -> datetime:
        seconds, micros = divmod(self.realtime_us, 1_000_000)
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def read_entries(
    match: Mapping[str, str],
    *,
    since: float | None = None,
    tail: int | None = None,
    path: str | None = None,
) -> Iterator[JournalEntry]:
    """Entries whose fields equal all of `match`, oldest first.

    `since`: only entries at or after this UNIX time (seconds). `tail`: only the last N.
    `path`: a journal directory instead of the system's. No journal at all: no entries.
    """
    reader = _open(match, path)
    if reader is None:
        return
    with reader:
        if tail is not None:
            yield from _read_tail(reader, tail, since)
        else:
            yield from _read_forward(reader, since)


def follow(
    match: Mapping[str, str],
    *,
    stop: Callable[[], bool],
    since: float | None = None,
    tail: int | None = None,
    path: str | None = None,
    wake_fds: Sequence[int] = (),
    check_interval: float = STOP_CHECK_INTERVAL,
) -> Iterator[JournalEntry]:
    """Like `read_entries`, then keep yielding new entries until `stop()` returns true.

    `stop()` is asked whenever the journal has nothing new; once it is true, what the
    journal holds by then is drained and the iterator ends. It is asked at least every
    `check_interval` seconds, and also as soon as one of `wake_fds` becomes readable
    (a pidfd of the container, say: level-triggered, it stays readable once it fired).
    """
    reader = _open(match, path)
    if reader is None:
        _wait_until(stop, wake_fds, check_interval, None)
        return
    with reader:
        fd = reader.fileno()  # before reading: sets the inotify watches (sd_journal_get_fd(3))
        if tail is not None:
            entries = _read_tail(reader, tail, since)
            yield from entries
            yield from _resume_after(reader, entries[-1].cursor if entries else None)
        else:
            yield from _read_forward(reader, since)
        while True:
            stopping = stop()  # asked before draining, so nothing logged before it is lost
            if stopping:
                reader.process()  # what journald filed meanwhile (a new file too)
            yield from _drain(reader, since)
            if stopping:
                return
            _wait_until(stop, wake_fds, check_interval, fd, once=True)
            reader.process()


def _open(match: Mapping[str, str], path: str | None) -> Reader | None:
    dirs = (path,) if path is not None else JOURNAL_DIRS
    if not any(os.path.isdir(d) for d in dirs):
        return None
    from systemd import journal  # lazy: a C extension only `logs` needs

    converters: dict[str, Callable[[Any], Any]] = {"MESSAGE": bytes, "__REALTIME_TIMESTAMP": int}
    try:
        reader = journal.Reader(path=path, converters=converters)
    except OSError as exc:
        raise JournalError(path or JOURNAL_DIRS[0], os.strerror(exc.errno or 0)) from exc
    for field, value in match.items():
        reader.add_match(f"{field}={value}")
    return reader


def _entry(fields: dict[str, Any]) -> JournalEntry:
    message = fields.get("MESSAGE", b"")
    if isinstance(message, list):  # a field given twice: journald keeps both
        message = message[0]
    priority = fields.get("PRIORITY", DEFAULT_PRIORITY)
    return JournalEntry(
        realtime_us=int(fields["__REALTIME_TIMESTAMP"]),
        message=bytes(message),
        priority=priority if isinstance(priority, int) else DEFAULT_PRIORITY,
        partial=fields.get("CONTAINER_PARTIAL_MESSAGE") == "true",
        cursor=str(fields["__CURSOR"]),
    )


def _since_us(since: float | None) -> int:
    return 0 if since is None else int(since * 1_000_000)


def _drain(reader: Reader, since: float | None) -> Iterator[JournalEntry]:
    """Entries from the reader's position to the current end of the journal."""
    floor = _since_us(since)
    while fields := reader.get_next():
        entry = _entry(fields)
        if entry.realtime_us >= floor:
            yield entry


def _read_forward(reader: Reader, since: float | None) -> Iterator[JournalEntry]:
    if since is None:
        reader.seek_head()
    else:
        reader.seek_realtime(since)
    yield from _drain(reader, since)


def _read_tail(reader: Reader, tail: int, since: float | None) -> list[JournalEntry]:
    floor = _since_us(since)
    newest_first: list[JournalEntry] = []
    reader.seek_tail()
    while len(newest_first) < tail and (fields := reader.get_previous()):
        entry = _entry(fields)
        if entry.realtime_us < floor:
            break
        newest_first.append(entry)
    newest_first.reverse()
    return newest_first


def _resume_after(reader: Reader, cursor: str | None) -> Iterator[JournalEntry]:
    """Position the reader after the newest entry already yielded (or the journal's end)."""
    if cursor is None:
        reader.seek_tail()
        if not reader.get_previous():
            reader.seek_head()  # nothing matches yet: every future match is new
        return
    reader.seek_cursor(cursor)
    fields = reader.get_next()
    # The entry under the cursor may have been vacuumed: then this one is new, keep it.
    if fields and fields["__CURSOR"] != cursor:
        yield _entry(fields)


def _wait_until(
    stop: Callable[[], bool],
    wake_fds: Sequence[int],
    interval: float,
    journal_fd: int | None,
    *,
    once: bool = False,
) -> None:
    """Block until the journal fd or a wake fd is readable or `interval` passed (`once`),
    or, without `once`, until `stop()` is true."""
    poller = select.poll()
    for fd in (*wake_fds, *(() if journal_fd is None else (journal_fd,))):
        poller.register(fd, select.POLLIN)
    while True:
        poller.poll(interval * 1000)
        if once or stop():
            return
