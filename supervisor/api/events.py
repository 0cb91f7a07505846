"""events (issue 14): what the processes that caused them wrote, filtered; optionally followed.

The ARCHITECTURE table named `api/system.py:events`; it is a module of its own so that
`version`/`info` load none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from supervisor.errors import UsageError
from supervisor.events.record import Event
from supervisor.settings import Settings


class EventsOptions(NamedTuple):
    """A NamedTuple: a dataclass costs `events` ~1.5 ms of start-up."""

    filters: list[str] = []  # noqa: RUF012 - never mutated (a tuple field's default)
    since: str | None = None
    until: str | None = None
    stream: bool = True


def events(settings: Settings, opts: EventsOptions,
           cancel_fd: int | None = None) -> Iterator[Event]:  # fmt: skip
    """Past events (with --since, or every one with --stream=false), then new ones while
    `stream` (until --until, when given, or until `cancel_fd` is readable: a caller whose
    client left). Bad filters and times fail before anything is read."""
    from supervisor.events import read
    from supervisor.events.filters import matches, parse_filters, parse_time
    from supervisor.events.write import backend, log_path

    filters = parse_filters(opts.filters)
    since = parse_time(opts.since, since=True) if opts.since else None
    until = parse_time(opts.until, since=False) if opts.until else None
    kind = backend(settings)
    if kind == "none":
        raise UsageError('cannot read events with the "none" backend')
    past = since is not None or not opts.stream
    if kind == "journald":
        source = read.journal_events(since or 0 if past else None, opts.stream, until,
                                     cancel_fd)  # fmt: skip
    else:
        path = log_path(settings.paths, settings)
        source = read.file_events(path, past, opts.stream, until, cancel_fd)
    for ev in source:
        if since is not None and ev.time_ns <= since:
            continue
        if until is not None and ev.time_ns >= until:
            continue
        if matches(ev, filters):
            yield ev


def human_line(ev: Event, trunc: bool = False) -> str:
    """Podman's line (`events` without --format)."""
    from supervisor.events.record import human

    return human(ev, trunc)


def json_line(ev: Event) -> str:
    """`--format json`: the line events.log holds."""
    from supervisor.events.record import to_json

    return to_json(ev)


def template_data(ev: Event) -> dict[str, object]:
    """The fields a --format template sees (Podman's Event struct)."""
    from supervisor.events.record import go_time_string

    return {
        "ContainerExitCode": ev.exit_code, "ID": ev.id, "Image": ev.image, "Name": ev.name,
        "Network": ev.network, "Status": ev.status, "Time": go_time_string(ev.time_ns),
        "Type": ev.type, "HealthStatus": ev.health_status, "PodID": ev.pod_id,
        "Attributes": dict(ev.attributes or ()),
    }  # fmt: skip
