"""units.journal_reader against the test bed's real journald, by a field unique to each test.

Run inside the bed:
    python tests/testbed.py run -- .venv/bin/pytest -q tests/system/test_units_journal.py
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from units.journal_reader import JournalEntry, follow, read_entries

pytestmark = pytest.mark.systemd

FIELD = "SCOPEBOX_TEST_ID"


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex


def send(tag: str, message: bytes | str, **fields: str) -> None:
    from systemd import journal

    raw = message if isinstance(message, bytes) else message.encode()
    # sendv, not send: send() takes MESSAGE as str only; the native protocol is binary-safe.
    journal.sendv(b"MESSAGE=" + raw, f"{FIELD}={tag}", *(f"{k}={v}" for k, v in fields.items()))


def sync() -> None:
    """Return once journald has stored everything sent before (journalctl --sync)."""
    subprocess.run(["journalctl", "--sync"], check=True)


def messages(entries: Iterator[JournalEntry] | list[JournalEntry]) -> list[bytes]:
    return [entry.message for entry in entries]


def test_read_back_by_a_unique_field(tag: str) -> None:
    send(tag, "one")
    send(tag, b"two\nlines \xff\x00 binary", PRIORITY="3")
    send(tag, "three (partial)", CONTAINER_PARTIAL_MESSAGE="true")
    send(uuid.uuid4().hex, "someone else's")
    sync()
    entries = list(read_entries({FIELD: tag}))
    assert messages(entries) == [b"one", b"two\nlines \xff\x00 binary", b"three (partial)"]
    assert [e.priority for e in entries] == [6, 3, 6]
    assert [e.partial for e in entries] == [False, False, True]
    stamps = [e.realtime_us for e in entries]
    assert stamps == sorted(stamps)
    assert abs(entries[0].timestamp.timestamp() - time.time()) < 60


def test_tail_and_since(tag: str) -> None:
    for i in range(5):
        send(tag, f"early {i}")
    sync()
    middle = time.time()
    for i in range(3):
        send(tag, f"late {i}")
    sync()
    match = {FIELD: tag}
    assert messages(read_entries(match, tail=2)) == [b"late 1", b"late 2"]
    assert messages(read_entries(match, tail=0)) == []
    assert len(list(read_entries(match, tail=100))) == 8
    assert messages(read_entries(match, since=middle)) == [b"late 0", b"late 1", b"late 2"]
    assert messages(read_entries(match, since=middle, tail=10)) == [
        b"late 0",
        b"late 1",
        b"late 2",
    ]
    assert messages(read_entries(match, since=middle, tail=1)) == [b"late 2"]
    assert list(read_entries(match, since=time.time() + 3600)) == []


def test_follow_yields_entries_written_after_it_started(tag: str) -> None:
    """Each entry received triggers the next write: only a live follow can see them all."""
    for i in range(3):
        send(tag, f"old {i}")
    sync()
    deadline = time.monotonic() + 20
    seen: list[bytes] = []
    done_r, done_w = os.pipe()

    def stop() -> bool:
        return len(seen) >= 6 or time.monotonic() > deadline

    # check_interval far above the deadline: only the journal's inotify fd (and the done
    # pipe, for the end) can wake follow() in time.
    try:
        for entry in follow({FIELD: tag}, stop=stop, tail=1, wake_fds=[done_r], check_interval=60):
            seen.append(entry.message)
            if len(seen) < 6:
                send(tag, f"new {len(seen) - 1}")
            else:
                os.write(done_w, b"x")
    finally:
        os.close(done_r)
        os.close(done_w)
    assert seen == [b"old 2", b"new 0", b"new 1", b"new 2", b"new 3", b"new 4"]
    assert time.monotonic() < deadline


def test_follow_drains_what_arrived_before_stop(tag: str) -> None:
    for i in range(4):
        send(tag, f"line {i}")
    sync()
    got = messages(follow({FIELD: tag}, stop=lambda: True))
    assert got == [b"line 0", b"line 1", b"line 2", b"line 3"]
    # tail=0: nothing from before, and stop() at once ends it
    assert messages(follow({FIELD: tag}, stop=lambda: True, tail=0)) == []


def test_follow_with_no_match_yet_sees_the_first_one(tag: str) -> None:
    deadline = time.monotonic() + 20
    seen: list[bytes] = []
    sent = False

    def stop() -> bool:
        nonlocal sent
        if not sent:  # written after follow() has positioned itself on an empty match
            send(tag, "first")
            sent = True
        return bool(seen) or time.monotonic() > deadline

    for entry in follow({FIELD: tag}, stop=stop, tail=0):
        seen.append(entry.message)
    assert seen == [b"first"]
