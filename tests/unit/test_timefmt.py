"""Timestamps read back (supervisor/timefmt.py): scopebox's own layout is read without
`datetime` (issue 16), to the same seconds as datetime's."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from supervisor.timefmt import parse_rfc3339


def test_own_layout_reads_as_datetime_does() -> None:
    rng = random.Random(16)
    first = datetime(2, 1, 1, tzinfo=UTC)  # year 1 is Go's zero time: None
    span = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - first).total_seconds())
    samples = [first + timedelta(seconds=rng.randrange(span)) for _ in range(20000)]
    samples += [datetime(y, m, d, 23, 59, 59, tzinfo=UTC) for y in (1900, 1970, 2000, 2024, 2100)
                for m, d in ((2, 28), (3, 1), (12, 31))]  # fmt: skip
    samples += [datetime(2024, 2, 29, tzinfo=UTC), datetime(2000, 2, 29, tzinfo=UTC)]
    for t in samples:
        text = f"{t.year:04d}-{t:%m-%dT%H:%M:%S}.123456789Z"
        assert parse_rfc3339(text) == pytest.approx(t.timestamp() + 0.123456789, abs=1e-6), text


@pytest.mark.parametrize(
    "text",
    ["2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
     "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
     "2026-01-01T00:00:60Z", "0000-01-01T00:00:00Z", "2026-00-10T00:00:00Z"],
)  # fmt: skip
def test_out_of_range_is_strptimes_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_other_layouts_still_read() -> None:
    want = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert parse_rfc3339("2026-1-2T03:04:05Z") == want
    assert parse_rfc3339("") is None and parse_rfc3339("0001-01-01T00:00:00Z") is None
