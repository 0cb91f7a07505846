"""`events --filter`, `--since`, `--until` (pure), as Podman 4.3's libpod/events.

Filters with the same key are ORed, different keys ANDed. Each key matches its own type only
(`container=` never matches an image event), a name exactly or an id by prefix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence

from supervisor.errors import UsageError
from supervisor.events.record import (
    CONTAINER,
    IMAGE,
    NETWORK,
    POD,
    VOLUME,
    Event,
    parse_rfc3339nano,
)

Filters = Mapping[str, Sequence[str]]
KEYS = ("container", "event", "status", "image", "label", "pod", "volume", "type", "network")


def parse_filters(items: Sequence[str]) -> dict[str, list[str]]:
    """`key=value` items by key ("status" is an alias of "event", as in Podman)."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"{item} is an invalid filter")
        key = key.lower()
        if key not in KEYS:
            raise UsageError(f"{key} is an invalid filter")
        out.setdefault("event" if key == "status" else key, []).append(value)
    return out


def _named(kind: str) -> Callable[[Event, str], bool]:
    def match(ev: Event, value: str) -> bool:
        return ev.type == kind and (ev.name == value or (bool(value) and ev.id.startswith(value)))

    return match


def _label(ev: Event, value: str) -> bool:
    """`label=key=value` (a bare key matches nothing, as in Podman 4.3)."""
    key, eq, want = value.partition("=")
    return bool(eq) and (key, want) in (ev.attributes or ())


def _volume(ev: Event, value: str) -> bool:
    # Podman 4.3 matches volume events by id, which they never carry (DIFFERENCES.md): the name
    return ev.type == VOLUME and ev.name == value


def _network(ev: Event, value: str) -> bool:
    return ev.type == NETWORK and ev.network == value


MATCHERS: dict[str, Callable[[Event, str], bool]] = {
    "container": _named(CONTAINER),
    "image": _named(IMAGE),
    "pod": _named(POD),
    "volume": _volume,
    "network": _network,
    "label": _label,
    "event": lambda ev, value: ev.status == value,
    "type": lambda ev, value: ev.type == value,
}


def matches(ev: Event, filters: Filters) -> bool:
    return all(any(MATCHERS[key](ev, v) for v in values) for key, values in filters.items())


# -- time --------------------------------------------------------------------------------------

_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
                   "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}  # fmt: skip
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> int | None:
    """Go's time.ParseDuration in nanoseconds ("1h30m", "1.5s", "-2m", "0"); None if not one."""
    sign, rest = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if rest == "0":
        return 0
    total, pos = 0.0, 0
    while pos < len(rest):
        m = _DURATION_PART.match(rest, pos)
        if m is None:
            return None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return sign * int(total) if rest else None


_LOCAL_FORMS = (
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?$"),
)
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?$")


def parse_time(value: str, since: bool, now_ns: int | None = None) -> int:
    """Podman's ParseInputTime: RFC 3339 (nano), the same without an offset (local time), a
    date (`2006-01-02`, `2006-01-02Z07:00`), a Unix time (`1765000000.5`), or a Go duration
    before now (--since) or after now (--until)."""
    value = value.strip()
    if _RFC3339_FULL.match(value) or any(f.match(value) for f in _LOCAL_FORMS):
        return parse_rfc3339nano(value)
    date = _DATE.match(value)
    if date:
        return parse_rfc3339nano(f"{value[:10]}T00:00:00{date.group(4) or ''}")
    try:
        unix = float(value)
    except ValueError:
        pass
    else:
        if unix == unix and abs(unix) < 1e12:  # not NaN nor beyond any date
            return int(unix * 1_000_000_000)
    duration = parse_go_duration(value)
    if duration is None:
        raise UsageError(f"unable to interpret time value {value!r}: use an RFC 3339 time,"
                         " a Unix time or a duration such as 10m or 1h30m")
    now = time.time_ns() if now_ns is None else now_ns
    return now - duration if since else now + duration


_RFC3339_FULL = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)$"
)
