"""Timestamps as Docker and Podman print them."""

from __future__ import annotations

import time

# performance (issue 16): `datetime` (its pure-Python module runs before the C one replaces
# it: ~4 M instructions, 6% of `ps`) is imported where a timestamp is not scopebox's own.


def now_rfc3339() -> str:
    """RFC 3339 with nanoseconds, UTC: 2026-11-23T05:14:24.123456789Z."""
    return rfc3339_ns(time.time_ns())


def rfc3339_ns(ns: int) -> str:
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def parse_rfc3339(value: str) -> float | None:
    """Seconds since the epoch, or None for an empty/zero value."""
    if not value or value.startswith("0001-"):
        return None
    head, _, frac = value.rstrip("Z").partition(".")
    base = _utc_seconds(head)
    return base + (float("0." + frac) if frac else 0.0)


def _utc_seconds(head: str) -> float:
    """`strptime(head, "%Y-%m-%dT%H:%M:%S")` as UTC seconds. performance (issue 16): the
    layout scopebox writes is read directly; `_strptime` (~5 ms of imports and regex
    compilation at every `ps`) only for anything else."""
    if (
        len(head) == 19
        and head.isascii()
        and head[4] == head[7] == "-"
        and head[10] == "T"
        and head[13] == head[16] == ":"
    ):
        parts = (head[0:4], head[5:7], head[8:10], head[11:13], head[14:16], head[17:19])
        if all(p.isdigit() for p in parts):
            y, mo, d, h, mi, s = map(int, parts)
            if y >= 1 and 1 <= mo <= 12 and 1 <= d <= _month_days(y, mo) and h < 24 \
                    and mi < 60 and s < 60:  # else out of range: strptime's own error
                return float(_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s)
    from datetime import UTC, datetime

    return datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()


def _month_days(y: int, mo: int) -> int:
    if mo == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if mo in (4, 6, 9, 11) else 31


def _days_from_civil(y: int, mo: int, d: int) -> int:
    """Days from 1970-01-01 to a date of the proleptic Gregorian calendar (as datetime's):
    H. Hinnant's days_from_civil, in 400-year eras of 146097 days."""
    y -= mo <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def human_duration(seconds: float) -> str:
    """Docker's go-units HumanDuration."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    m = s // 60
    if m == 1:
        return "About a minute"
    if m < 60:
        return f"{m} minutes"
    h = round(s / 3600)
    if h == 1:
        return "About an hour"
    if h < 48:
        return f"{h} hours"
    if h < 24 * 7 * 2:
        return f"{h // 24} days"
    if h < 24 * 30 * 2:
        return f"{h // 24 // 7} weeks"
    if h < 24 * 365 * 2:
        return f"{h // 24 // 30} months"
    return f"{h // 24 // 365} years"


def ago(value: str) -> str:
    t = parse_rfc3339(value)
    return "" if t is None else f"{human_duration(time.time() - t)} ago"


def _iso_time(value: str) -> float | None:
    """RFC 3339 with or without an offset (`Z`, `+00:00`), fractions up to nanoseconds, or a
    date; a time without an offset is UTC."""
    import re
    from datetime import UTC, datetime

    value = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())  # Python reads microseconds
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_since(value: str, flag: str = "--since") -> float:
    """`--since`/`--until`: RFC 3339 / date, or a relative duration like 10m, 1h30m, 45s."""
    from supervisor.errors import UsageError

    units = {"s": 1, "m": 60, "h": 3600}
    total, num = 0.0, ""
    try:
        for ch in value:
            if ch.isdigit() or ch == ".":
                num += ch
            elif ch in units and num:
                total, num = total + float(num) * units[ch], ""
            else:
                raise ValueError
        if not num and total:
            return time.time() - total
    except ValueError:
        pass
    when = _iso_time(value)
    if when is not None:
        return when
    try:
        return float(value)
    except ValueError:
        raise UsageError(
            f"invalid {flag} value {value!r} (use 10m, 1h, or an RFC 3339 time)"
        ) from None


def created_before(created: str, until: str) -> bool:
    """A prune's until= filter: whether an RFC 3339 creation time is before `until`."""
    return (parse_rfc3339(created) or 0.0) < parse_since(until, "until filter")


def go_duration(ns: int) -> str:
    """Go's time.Duration.String(), which Podman's top (psgo) prints: 0s, 1.5ms,
    4.284788045s, 1m5s, 2h0m3.5s."""
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)

    def fraction(whole: int, rest: int, digits: int) -> str:
        return f"{whole}" + (f".{rest:0{digits}d}".rstrip("0") if rest else "")

    if ns < 1_000_000_000:
        for unit, size, digits in (("ms", 1_000_000, 6), ("µs", 1_000, 3), ("ns", 1, 0)):
            if ns >= size:
                return sign + fraction(ns // size, ns % size, digits) + unit
    secs, rest = divmod(ns, 1_000_000_000)
    hours, secs = divmod(secs, 3600)
    mins, secs = divmod(secs, 60)
    text = fraction(secs, rest, 9) + "s"
    if hours:
        return f"{sign}{hours}h{mins}m{text}"
    return f"{sign}{mins}m{text}" if mins else sign + text
