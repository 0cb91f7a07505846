"""/etc/subuid and /etc/subgid (subuid(5)): `NAME_OR_ID:START:COUNT` lines. Pure parsing."""

from __future__ import annotations

from typing import NamedTuple


class Range(NamedTuple):
    start: int
    size: int


def parse(text: str, name: str, uid: int) -> list[Range]:
    """The ranges granted to a user, by name or by numeric id, in file order."""
    out: list[Range] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) != 3 or parts[0] not in (name, str(uid)):
            continue
        try:
            start, count = int(parts[1]), int(parts[2])
        except ValueError:
            continue
        if start >= 0 and count > 0:
            out.append(Range(start, count))
    return out


def read(path: str, name: str, uid: int) -> list[Range]:
    try:
        with open(path, encoding="utf-8") as f:
            return parse(f.read(), name, uid)
    except (OSError, UnicodeDecodeError):
        return []


def mapping_args(outer: int, ranges: list[Range]) -> list[str]:
    """newuidmap's triples: 0 -> the user, then 1.. -> each range in turn."""
    args = ["0", str(outer), "1"]
    inner = 1
    for r in ranges:
        args += [str(inner), str(r.start), str(r.size)]
        inner += r.size
    return args


def mappings(outer: int, ranges: list[Range]) -> list[dict[str, int]]:
    """The same as Podman's `info` shows them (`host.idMappings`)."""
    out = [{"container_id": 0, "host_id": outer, "size": 1}]
    inner = 1
    for r in ranges:
        out.append({"container_id": inner, "host_id": r.start, "size": r.size})
        inner += r.size
    return out
