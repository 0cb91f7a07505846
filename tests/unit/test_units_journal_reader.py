"""Pure parts of units.journal_reader (reading real entries needs journald: tests/system)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from units.journal_reader import JournalEntry, follow, read_entries


def test_entry_timestamps_keep_microseconds() -> None:
    entry = JournalEntry(
        realtime_us=1_795_000_000_123_456, message=b"x", priority=6, partial=False, cursor="c"
    )
    assert entry.realtime_ns == 1_795_000_000_123_456_000
    assert entry.timestamp == datetime(2026, 11, 18, 11, 6, 40, 123456, tzinfo=UTC)


def test_missing_journal_directory_reads_nothing(tmp_path: Path) -> None:
    assert list(read_entries({"X": "y"}, path=str(tmp_path / "absent"))) == []
    assert list(read_entries({"X": "y"}, tail=5, path=str(tmp_path / "absent"))) == []


def test_follow_without_journal_ends_when_a_wake_fd_fires(tmp_path: Path) -> None:
    """No journal to watch: follow() still returns once stop() is true, woken by the fd."""
    read_fd, write_fd = os.pipe()
    calls: list[bool] = []

    def stop() -> bool:
        done = bool(os.read(read_fd, 1)) if calls else False
        calls.append(done)
        return done

    try:
        os.write(write_fd, b"x")
        entries = list(
            follow({"X": "y"}, stop=stop, path=str(tmp_path / "absent"), wake_fds=[read_fd])
        )
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert entries == []
    assert calls == [False, True]
