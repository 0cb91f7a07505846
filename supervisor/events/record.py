"""The event record and its text forms, as Podman 4.3 writes them (pure).

- the JSON line (`events.log`, `events --format json`): keys in Podman's order, ContainerExitCode,
  ID, Image, Name, network, Status, Time, Type, health_status, PodID, Attributes; empty ones
  left out (Go's omitempty) but Name, Status, Time, Type and Attributes (null for events that
  are not a container's);
- the human line (`events` without --format): Go's `time.Time.String()`, type, status, id and
  the type's details.
"""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

CONTAINER, IMAGE, NETWORK, POD, SYSTEM, VOLUME = (
    "container", "image", "network", "pod", "system", "volume")  # fmt: skip
TYPES = (CONTAINER, IMAGE, NETWORK, POD, SYSTEM, VOLUME)


class Event(NamedTuple):
    """Immutable; a NamedTuple, not a dataclass: making a dataclass costs every CLI verb that
    writes an event ~1.5 ms of import (Settings does the same)."""

    type: str
    status: str
    time_ns: int
    id: str = ""
    name: str = ""
    image: str = ""
    exit_code: int = 0
    network: str = ""
    health_status: str = ""
    pod_id: str = ""
    # a container's labels (Podman's Attributes); None for other types (JSON null)
    attributes: tuple[tuple[str, str], ...] | None = None


def go_json(value: Any) -> str:
    """json.Marshal's text: UTF-8 kept, `<`, `>`, `&` escaped as Go escapes them."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(ch, esc)
    return text


def to_dict(ev: Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ev.exit_code:
        out["ContainerExitCode"] = ev.exit_code
    if ev.id:
        out["ID"] = ev.id
    if ev.image:
        out["Image"] = ev.image
    if ev.name:
        out["Name"] = ev.name
    if ev.network:
        out["network"] = ev.network
    out["Status"] = ev.status
    out["Time"] = rfc3339nano(ev.time_ns)
    out["Type"] = ev.type
    if ev.health_status:
        out["health_status"] = ev.health_status
    if ev.pod_id:
        out["PodID"] = ev.pod_id
    out["Attributes"] = None if ev.attributes is None else dict(ev.attributes)
    return out


def to_json(ev: Event) -> str:
    return go_json(to_dict(ev))


def from_dict(doc: dict[str, Any]) -> Event:
    """An event read back (ValueError for what is not one)."""
    attrs = doc.get("Attributes")
    return Event(
        type=str(doc["Type"]), status=str(doc["Status"]), time_ns=parse_rfc3339nano(doc["Time"]),
        id=str(doc.get("ID") or ""), name=str(doc.get("Name") or ""),
        image=str(doc.get("Image") or ""), exit_code=int(doc.get("ContainerExitCode") or 0),
        network=str(doc.get("network") or ""), health_status=str(doc.get("health_status") or ""),
        pod_id=str(doc.get("PodID") or ""),
        attributes=None if attrs is None else tuple((str(k), str(v)) for k, v in attrs.items()),
    )  # fmt: skip


def from_json(line: str) -> Event | None:
    """One line of events.log; None for a torn or foreign line (skipped, as Podman does)."""
    try:
        doc = json.loads(line)
        return from_dict(doc) if isinstance(doc, dict) else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def human(ev: Event, trunc: bool = False) -> str:
    """Podman's `ToHumanReadable`: the id shortened to 12 only with --no-trunc=false."""
    when = go_time_string(ev.time_ns)
    ident = ev.id[:12] if trunc else ev.id
    if ev.type in (CONTAINER, POD):
        line = f"{when} {ev.type} {ev.status} {ident} (image={ev.image}, name={ev.name}"
        if ev.pod_id:
            line += f", pod_id={ev.pod_id}"
        if ev.health_status:
            line += f", health_status={ev.health_status}"
        for key, value in sorted(ev.attributes or ()):  # Go walks a map: any order; ours sorted
            line += f", {key}={value}"
        return line + ")"
    if ev.type == NETWORK:
        return f"{when} {ev.type} {ev.status} {ident} (container={ident}, name={ev.network})"
    if ev.type == IMAGE:
        return f"{when} {ev.type} {ev.status} {ident} {ev.name}"
    if ev.type == VOLUME or (ev.type == SYSTEM and ev.name):  # log-rotation names its file
        return f"{when} {ev.type} {ev.status} {ev.name}"
    return f"{when} {ev.type} {ev.status}"


# -- Go's time texts ---------------------------------------------------------------------------


def _frac(ns: int) -> str:
    """Go's `.999999999`: nanoseconds without trailing zeros, nothing when zero."""
    return f".{ns:09d}".rstrip("0").rstrip(".")


def _offset(tm: time.struct_time, colon: bool) -> str:
    off = tm.tm_gmtoff or 0
    sign = "-" if off < 0 else "+"
    hours, minutes = divmod(abs(off) // 60, 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


def rfc3339nano(ns: int) -> str:
    """Go's RFC3339Nano in local time: 2026-12-06T02:13:11.9171917Z (or +01:00)."""
    secs, frac = divmod(ns, 1_000_000_000)
    tm = time.localtime(secs)
    zone = "Z" if not tm.tm_gmtoff else _offset(tm, colon=True)
    return time.strftime("%Y-%m-%dT%H:%M:%S", tm) + _frac(frac) + zone


def go_time_string(ns: int) -> str:
    """Go's `Time.String()`: 2026-12-06 02:13:11.9171917 +0000 UTC."""
    secs, frac = divmod(ns, 1_000_000_000)
    tm = time.localtime(secs)
    return (time.strftime("%Y-%m-%d %H:%M:%S", tm) + _frac(frac)
            + f" {_offset(tm, colon=False)} {tm.tm_zone}")  # fmt: skip


_RFC3339 = (
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d\d):?(\d\d))?$"
)


def parse_rfc3339nano(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time with up to 9 fraction digits; no
    offset means local time (Go's time.ParseInLocation(..., time.Local)). ValueError if not."""
    import calendar

    if len(text) >= 20 and text[-1] == "Z" and text[10] == "T" and text[19] in ".Z":
        # the common form (every line scopebox writes): no regex, ~10x faster per line
        try:
            when = calendar.timegm((int(text[:4]), int(text[5:7]), int(text[8:10]),
                                    int(text[11:13]), int(text[14:16]), int(text[17:19]),
                                    0, 0, 0))  # fmt: skip
            digits = text[20:-1]
            if len(digits) <= 9 and (not digits or digits.isdigit()):
                return when * 1_000_000_000 + int(digits.ljust(9, "0") or 0)
        except ValueError:
            pass
    import re

    m = re.match(_RFC3339, text.strip())
    if m is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = int((m.group(7) or "").ljust(9, "0"))
    if m.group(8) or m.group(9):
        secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
        if m.group(9):
            off = (int(m.group(10)) * 60 + int(m.group(11))) * 60
            secs -= off if m.group(9) == "+" else -off
    else:
        secs = int(time.mktime((y, mo, d, h, mi, s, 0, 0, -1)))
    return secs * 1_000_000_000 + frac
