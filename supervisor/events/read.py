"""Reading events: the file (events.log.1 then events.log, followed with inotify, across
rotations) and journald (systemd-python's reader, followed with its own wait).

`follow` waits on a file descriptor (no polling loop) until an event comes, the --until time
passes or the caller is interrupted.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator

from supervisor.events.record import Event, from_json

CHUNK = 64 * 1024


def _lines(fd: int, carry: bytearray) -> Iterator[Event]:
    """Every complete line from fd's offset to its end; a torn tail waits in `carry`."""
    while True:
        data = os.read(fd, CHUNK)
        if not data:
            return
        carry += data
        *done, rest = bytes(carry).split(b"\n")
        carry[:] = rest
        for line in done:
            ev = from_json(line.decode("utf-8", "replace")) if line.strip() else None
            if ev is not None:
                yield ev


def _open(path: str) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None


def _same_file(fd: int, path: str) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return True  # not made again yet: keep the one we hold
    held = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (held.st_dev, held.st_ino)


def _skipped(held: int, older: str) -> Iterator[Event]:
    """Two rotations while we slept: events.log.1 is a file we never held; read it whole.
    (A third one in that time would have replaced it: waking once per 1 MB is enough.)"""
    fd = _open(older)
    if fd is None:
        return
    try:
        if not _same_file(held, older):
            yield from _lines(fd, bytearray())
    finally:
        os.close(fd)


def file_events(path: str, past: bool, follow: bool, deadline_ns: int | None,
                cancel_fd: int | None = None) -> Iterator[Event]:  # fmt: skip
    """The file's events: the past ones if `past`, then (`follow`) new ones as they come,
    until `deadline_ns` (CLOCK_REALTIME) if given, or until `cancel_fd` is readable."""
    watch = None
    if follow:
        from cgroupfs.events import InotifyWatch

        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        watch = InotifyWatch()
        # 0x2 IN_MODIFY, 0x80 IN_MOVED_TO, 0x100 IN_CREATE: a write, a rotation, a new file
        watch.add_watch(os.path.dirname(path), 0x2 | 0x80 | 0x100)
    try:
        if past:
            old = _open(path + ".1")
            if old is not None:
                try:
                    yield from _lines(old, bytearray())
                finally:
                    os.close(old)
        fd = _open(path)
        if fd is not None and not past:
            os.lseek(fd, 0, os.SEEK_END)
        carry = bytearray()
        try:
            if fd is not None and past:
                yield from _lines(fd, carry)
            while watch is not None:
                if not _wait(watch.fileno(), deadline_ns, cancel_fd):
                    return
                watch.read_events()
                if fd is None:
                    fd = _open(path)
                if fd is None:
                    continue
                yield from _lines(fd, carry)
                if not _same_file(fd, path):  # rotated: the old one is drained, take the new
                    yield from _skipped(fd, path + ".1")
                    os.close(fd)
                    fd, carry = _open(path), bytearray()
                    if fd is not None:
                        yield from _lines(fd, carry)
        finally:
            if fd is not None:
                os.close(fd)
    finally:
        if watch is not None:
            watch.close()


def _wait(fd: int, deadline_ns: int | None, cancel_fd: int | None) -> bool:
    """Whether fd became readable before the deadline and before `cancel_fd` did."""
    timeout = None
    if deadline_ns is not None:
        timeout = max(0.0, (deadline_ns - time.time_ns()) / 1e9)
    fds = [fd] if cancel_fd is None else [fd, cancel_fd]
    ready, _, _ = select.select(fds, [], [], timeout)
    return bool(ready) and cancel_fd not in ready


# -- journald ----------------------------------------------------------------------------------


def journal_events(past_ns: int | None, follow: bool, deadline_ns: int | None,
                   cancel_fd: int | None = None) -> Iterator[Event]:  # fmt: skip
    """scopebox's entries (SYSLOG_IDENTIFIER=scopebox with SCOPEBOX_EVENT) since `past_ns`
    (None: only new ones)."""
    from systemd import journal

    reader = journal.Reader()
    try:
        reader.add_match(SYSLOG_IDENTIFIER="scopebox")
        if past_ns is None:
            reader.seek_tail()
            reader.get_previous()
        else:
            reader.seek_realtime(past_ns / 1e9)
        while True:
            for entry in iter(reader.get_next, {}):
                ev = entry_event(entry)
                if ev is not None:
                    yield ev
            if not follow:
                return
            if not _wait(reader.fileno(), deadline_ns, cancel_fd):
                return
            reader.process()
    finally:
        reader.close()


def entry_event(entry: dict[str, object]) -> Event | None:
    """An event from its journal fields (those of `write.journal_fields`)."""
    import json

    from supervisor.events.record import CONTAINER, parse_rfc3339nano

    def text(key: str) -> str:
        value = entry.get(key)
        return "" if value is None else str(value)

    if not text("SCOPEBOX_EVENT") or not text("SCOPEBOX_TYPE"):
        return None
    try:
        when = parse_rfc3339nano(text("SCOPEBOX_TIME"))
        code = int(text("SCOPEBOX_EXIT_CODE") or 0)
        labels = json.loads(text("SCOPEBOX_LABELS") or "{}")
    except ValueError:
        return None
    kind = text("SCOPEBOX_TYPE")
    attrs = tuple(sorted((str(k), str(v)) for k, v in labels.items())) if kind == CONTAINER \
        else None
    return Event(kind, text("SCOPEBOX_EVENT"), when, id=text("SCOPEBOX_ID"),
                 name=text("SCOPEBOX_NAME"), image=text("SCOPEBOX_IMAGE"), exit_code=code,
                 network=text("SCOPEBOX_NETWORK_NAME"),
                 health_status=text("SCOPEBOX_HEALTH_STATUS"), pod_id=text("SCOPEBOX_POD_ID"),
                 attributes=attrs)  # fmt: skip
