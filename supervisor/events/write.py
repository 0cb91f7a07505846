"""Writing events: the backend (Podman's rule), the file (one JSON line, O_APPEND, rotated
under a lock), journald (native protocol, `units.journald`), or nothing.

Standard library only (the monitor's exit command writes `cleanup` through here under
`python3 -I -S`). An event that cannot be written never fails the operation that caused it:
the first failure of a process is one notice.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False

if TYPE_CHECKING:
    from conmon.protocol import Options as ProtocolOptions
    from supervisor.container.context import Context
    from supervisor.events.record import Event
    from supervisor.paths import Paths
    from supervisor.settings import Settings
    from supervisor.store import ContainerRow

JOURNAL_SOCKET = "/run/systemd/journal/socket"
# events.log is renamed to events.log.1 (replacing the older one) past this size; readers
# read both. Podman 4.5's default events_logfile_max_size is 1 MB.
MAX_SIZE = 1_000_000


def backend(settings: Settings) -> str:
    """`events_logger`/`--events-backend`, else Podman's default: journald where journald
    runs (its socket exists), the file where it does not (a host without systemd)."""
    if settings.events_logger:
        return settings.events_logger
    return "journald" if os.path.exists(JOURNAL_SOCKET) else "file"


def log_path(paths: Paths, settings: Settings | None = None) -> str:
    """containers.conf's events_logfile_path, else RUNROOT/events/events.log."""
    if settings is not None and settings.events_logfile_path:
        return settings.events_logfile_path
    return os.path.join(paths.runroot, "events", "events.log")


def emit(settings: Settings, paths: Paths, ev: Event) -> None:
    from supervisor.events.record import to_json  # not for `backend` alone (exec, issue 16)

    kind = backend(settings)
    try:
        if kind == "file":
            path = log_path(paths, settings)
            line = to_json(ev).encode() + b"\n"
            if settings.events_logfile_max_size:
                append_truncating(path, line, settings.events_logfile_max_size)
            else:
                append_line(path, line)
        elif kind == "journald":
            send_journal(ev)
    except OSError as exc:
        from supervisor.notices import notice

        notice(f"cannot record the {ev.type} {ev.status} event ({kind}): {exc.strerror or exc}")


def append_line(path: str, data: bytes, max_size: int = MAX_SIZE) -> None:
    """One write(2) with O_APPEND (never interleaved with another writer's), under the lock
    that rotation takes, so no line lands in a file already renamed away."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.lockf(lock, os.F_LOCK, 0)  # a record lock: the monitor's writer has no fcntl
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
            if os.fstat(fd).st_size > max_size:
                os.rename(path, path + ".1")
        finally:
            os.close(fd)
    finally:
        os.close(lock)


def append_truncating(path: str, data: bytes, max_size: int) -> None:
    """containers.conf's events_logfile_max_size, Podman 4.3's way: a file that the line
    would take past it keeps only its newer half (from the first whole line past the middle),
    then a `system log-rotation PATH` event, then the line; all under append_line's lock."""
    from supervisor.events.record import SYSTEM, Event, to_json

    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.lockf(lock, os.F_LOCK, 0)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(data) > max_size:
            _keep_newer_half(path, size)
            rotated = Event(SYSTEM, "log-rotation", time.time_ns(), name=path)
            data = to_json(rotated).encode() + b"\n" + data
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    finally:
        os.close(lock)


def _keep_newer_half(path: str, size: int) -> None:
    """Podman's `truncate`: the lines after the one the middle falls in, into a new file
    renamed over the old one (a reader holding the old one reads it to its end)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(path, "rb") as src:
        src.seek(size // 2)
        src.readline()  # the rest of the line the middle falls in
        rest = src.read()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, rest)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def journal_fields(ev: Event) -> list[tuple[str, bytes]]:
    """Podman's journald fields under our own names (SCOPEBOX_* for PODMAN_*,
    SYSLOG_IDENTIFIER=scopebox; DIFFERENCES.md)."""
    from supervisor.events.record import go_json, human, rfc3339nano

    fields = [("MESSAGE", human(ev)), ("PRIORITY", "6"), ("SYSLOG_IDENTIFIER", "scopebox"),
              ("SCOPEBOX_EVENT", ev.status), ("SCOPEBOX_TYPE", ev.type),
              ("SCOPEBOX_TIME", rfc3339nano(ev.time_ns))]  # fmt: skip
    more = {"SCOPEBOX_ID": ev.id, "SCOPEBOX_NAME": ev.name, "SCOPEBOX_IMAGE": ev.image,
            "SCOPEBOX_POD_ID": ev.pod_id, "SCOPEBOX_NETWORK_NAME": ev.network,
            "SCOPEBOX_HEALTH_STATUS": ev.health_status,
            "SCOPEBOX_EXIT_CODE": str(ev.exit_code) if ev.exit_code else "",
            "SCOPEBOX_LABELS": go_json(dict(ev.attributes)) if ev.attributes else ""}  # fmt: skip
    fields += [(k, v) for k, v in more.items() if v]
    return [(k, v.encode()) for k, v in fields]


def send_journal(ev: Event) -> None:
    from units.journald import JournalWriter, encode_entry

    writer = JournalWriter()
    try:
        writer.send(encode_entry(journal_fields(ev)))
    finally:
        writer.close()


# -- the events of an engine's objects ---------------------------------------------------------


def pod_of(ctx: Context, cid: str) -> str:
    """The container's pod id, "" for none. The query of supervisor/pods/db.py's `pod_of`,
    asked here: that module (dataclasses, json) is not loaded for every event (issue 16)."""
    import sqlite3

    from supervisor.errors import ScopeboxError

    try:
        rows = ctx.store.query("SELECT pod FROM pod_members WHERE container = ?", (cid,))
    except (sqlite3.Error, ScopeboxError):  # a store without the pods table: no pod
        return ""
    return str(rows[0][0]) if rows else ""


def container_event(ctx: Context, row: ContainerRow, status: str, exit_code: int = 0,
                    pod_id: str | None = None) -> Event:
    from supervisor.events.record import CONTAINER, Event

    labels = row.config.options.labels or {}
    return Event(
        CONTAINER, status, time.time_ns(), id=row.id, name=row.name,
        image=row.image_name, exit_code=exit_code,
        pod_id=pod_of(ctx, row.id) if pod_id is None else pod_id,
        attributes=tuple(sorted(labels.items())),
    )  # fmt: skip


def container(ctx: Context, row: ContainerRow, *statuses: str, exit_code: int = 0) -> None:
    """`container STATUS` event(s) of this row, written by the calling process."""
    if backend(ctx.settings) == "none":
        return
    pod_id = pod_of(ctx, row.id)
    for status in statuses:
        emit(ctx.settings, ctx.paths, container_event(ctx, row, status, exit_code, pod_id))


def other(settings: Settings, paths: Paths, kind: str, status: str, *, id: str = "",
          name: str = "", network: str = "") -> None:
    """An image, volume, network or pod event."""
    if backend(settings) == "none":
        return
    from supervisor.events.record import Event

    emit(settings, paths, Event(kind, status, time.time_ns(), id=id, name=name,
                                network=network))


def monitor_options(ctx: Context, row: ContainerRow, opts: ProtocolOptions) -> None:
    """The monitor's events arguments (it writes init, start, died and health_status): what
    does not change, rendered here (conmon.events adds status, time and codes without json),
    and the same backend for its exit command (which writes `cleanup`), as an explicit flag:
    the exit command sees neither our flags nor containers.conf's environment."""
    kind = backend(ctx.settings)
    opts.events_backend = kind
    if opts.exit_command and "--events-backend" not in opts.exit_command:
        opts.exit_command[-1:-1] = ["--events-backend", kind]
    if kind == "none":
        return
    if kind == "file":
        opts.events_file = log_path(ctx.paths, ctx.settings)
    pieces = monitor_pieces(container_event(ctx, row, "S"))
    opts.events_head, opts.events_tail, opts.events_message, opts.events_fields = pieces


def monitor_pieces(ev: Event) -> tuple[str, str, str, list[str]]:
    """What the monitor's lines share (pure): the JSON head and tail, the human text after
    the status, the static journal fields."""
    from supervisor.events.record import go_json, human, to_dict

    doc = to_dict(ev)
    head = go_json({k: doc[k] for k in ("ID", "Image", "Name") if k in doc})[1:-1]
    tail = go_json({k: doc[k] for k in ("PodID", "Attributes") if k in doc})[1:-1]
    message = human(ev).split(f" container {ev.status} ", 1)[1]
    dynamic = ("MESSAGE", "SCOPEBOX_EVENT", "SCOPEBOX_TIME", "SCOPEBOX_EXIT_CODE",
               "SCOPEBOX_HEALTH_STATUS")  # fmt: skip
    fields = [f"{k}={v.decode()}" for k, v in journal_fields(ev) if k not in dynamic]
    return head, tail, message, fields
