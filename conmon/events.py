"""The monitor's events (issue 14): `init` and `start` (after the runtime's create and
start), `died` (before the exit record) and `health_status`.

The engine renders everything that does not change (supervisor.events.write.monitor_options):
the JSON line's head (`"ID":..,"Image":..,"Name":..`) and tail (`"PodID":..,"Attributes":..`),
the human text after the status, the static journal fields. Here only the status, the time,
the exit code and the health status are added: builtin modules alone (no ``json``, no
``fcntl``: ``posix.lockf``, the record lock the engine's writer takes too), a few small
functions, so a monitor holds little more for its events (bench/monitor_footprint.py --events).
"""

from __future__ import annotations

import posix
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from conmon.protocol import Options

MAX_SIZE = 1_000_000  # supervisor.events.write.MAX_SIZE


def go_time(ns: int, human: bool = False) -> str:
    """UTC, Go's RFC3339Nano (trailing zeros dropped), or with `human` Go's Time.String()."""
    secs, frac = divmod(ns, 1_000_000_000)
    t = time.gmtime(secs)  # not strftime: its first call costs the monitor ~8 KiB
    text = "%04d-%02d-%02d%s%02d:%02d:%02d" % (  # noqa: UP031 - no format machinery
        t.tm_year, t.tm_mon, t.tm_mday, " " if human else "T", t.tm_hour, t.tm_min, t.tm_sec)
    digits = ("%09d" % frac).rstrip("0")  # noqa: UP031
    return text + ("." + digits if digits else "") + (" +0000 UTC" if human else "Z")


def line(opts: Options, status: str, ns: int, code: int = 0, health: str = "") -> bytes:
    """The JSON line, keys in Podman's order (supervisor.events.record.to_json)."""
    text = "{"
    if code:
        text += '"ContainerExitCode":%d,' % code  # noqa: UP031
    text += opts.events_head + ',"Status":"' + status + '","Time":"' + go_time(ns)
    text += '","Type":"container"'
    if health:
        text += ',"health_status":"' + health + '"'
    return (text + "," + opts.events_tail + "}\n").encode()


def append(path: str, data: bytes) -> None:
    """supervisor.events.write.append_line without its imports (same lock, same rotation)."""
    lock = posix.open(path + ".lock", posix.O_RDWR | posix.O_CREAT | posix.O_CLOEXEC, 0o600)
    try:
        posix.lockf(lock, posix.F_LOCK, 0)
        fd = posix.open(path, posix.O_WRONLY | posix.O_APPEND | posix.O_CREAT | posix.O_CLOEXEC,
                        0o600)  # fmt: skip
        try:
            posix.write(fd, data)
            if posix.fstat(fd).st_size > MAX_SIZE:
                posix.rename(path, path + ".1")
        finally:
            posix.close(fd)
    finally:
        posix.close(lock)


def journal_fields(opts: Options, status: str, ns: int, code: int = 0,
                   health: str = "") -> list[tuple[str, bytes]]:
    """supervisor.events.write.journal_fields: the engine's static ones plus these."""
    message = "%s container %s %s" % (go_time(ns, True), status, opts.events_message)  # noqa: UP031
    fields = [("MESSAGE", message.encode()), ("SCOPEBOX_EVENT", status.encode()),
              ("SCOPEBOX_TIME", go_time(ns).encode())]
    if code:
        fields.append(("SCOPEBOX_EXIT_CODE", str(code).encode()))
    if health:
        fields.append(("SCOPEBOX_HEALTH_STATUS", health.encode()))
    for item in opts.events_fields:
        key, _, value = item.partition("=")
        fields.append((key, value.encode()))
    return fields


NAME_FILE = "name"  # in the run dir: the name a `rename` gave the running container


def renamed(opts: Options) -> None:
    """A `rename` since the start: the pieces the engine rendered take the new name (names
    are [a-zA-Z0-9][a-zA-Z0-9_.-]*: nothing to escape)."""
    try:
        fd = posix.open(opts.rundir + "/" + NAME_FILE, posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError:
        return
    try:
        new = posix.read(fd, 256).decode().strip()
    finally:
        posix.close(fd)
    old = opts.name
    if not new or new == old:
        return
    opts.events_head = opts.events_head.replace('"Name":"%s"' % old, '"Name":"%s"' % new)  # noqa: UP031
    opts.events_message = opts.events_message.replace(", name=%s" % old, ", name=%s" % new)  # noqa: UP031
    opts.events_fields = ["SCOPEBOX_NAME=" + new if f == "SCOPEBOX_NAME=" + old else f
                          for f in opts.events_fields]  # fmt: skip
    opts.name = new


def write(opts: Options, *statuses: str, code: int = 0, health: str = "",
          extra: list[tuple[str, bytes]] | None = None) -> None:
    """Events to the monitor's backend; OSError when they cannot be written."""
    renamed(opts)
    ns = time.time_ns()
    if opts.events_backend == "file":
        append(opts.events_file, b"".join(line(opts, s, ns, code, health) for s in statuses))
    elif opts.events_backend == "journald":
        from units.journald import JournalWriter, encode_entry

        writer = JournalWriter()
        try:
            for status in statuses:
                writer.send(encode_entry(journal_fields(opts, status, ns, code, health)
                                         + (extra or [])))  # fmt: skip
        finally:
            writer.close()
