"""Timestamps, wait statuses and atomic writes by hand (``json``/``datetime``/``os`` are too heavy
here); the exit record itself is :class:`conmon.protocol.ExitRecord`."""

from __future__ import annotations

import posix
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from conmon.protocol import Options


_SECOND: list[object] = [-1, ""]  # the last second formatted, and its text up to the dot


def rfc3339nano(ns: int) -> str:
    """UTC timestamp with 9 fraction digits, e.g. ``2026-11-23T05:14:24.123456789Z``.

    The text up to the second is kept: a log stamps every read, many a second."""
    secs, frac = divmod(ns, 1_000_000_000)
    if _SECOND[0] != secs:
        t = time.gmtime(secs)
        _SECOND[1] = "%04d-%02d-%02dT%02d:%02d:%02d." % (  # noqa: UP031 - cheapest formatter
            t.tm_year,
            t.tm_mon,
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
            t.tm_sec,
        )
        _SECOND[0] = secs
    return "%s%09dZ" % (_SECOND[1], frac)  # noqa: UP031


def decode_wait_status(status: int) -> tuple[int, int]:
    """``(exit_code, signal)`` from a waitpid status: WEXITSTATUS, or 128+signal."""
    if posix.WIFSIGNALED(status):
        sig = posix.WTERMSIG(status)
        return 128 + sig, sig
    if posix.WIFEXITED(status):
        return posix.WEXITSTATUS(status), 0
    raise ValueError(f"wait status {status:#x} is neither an exit nor a signal")


def exists(path: str) -> bool:
    """A file's presence (the stop mark, the exit record), by one stat."""
    try:
        posix.stat(path)
    except OSError:
        return False
    return True


def _dirname(path: str) -> str:
    """``os.path.dirname`` without importing ``os`` (``posixpath`` costs the monitor memory)."""
    head = path[: path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def write_atomic(path: str, data: bytes) -> None:
    """tmp + fsync + rename + fsync(dir): after a crash the file is either absent or whole."""
    directory = _dirname(path) or "."
    tmp = path + ".tmp"
    # No O_TRUNC: a tmp file made beforehand (`preallocate`) keeps its blocks, so the record
    # is written into space already held, even on a full disk.
    fd = posix.open(tmp, posix.O_WRONLY | posix.O_CREAT | posix.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[posix.write(fd, view) :]
        posix.ftruncate(fd, len(data))
        posix.fsync(fd)
    finally:
        posix.close(fd)
    posix.rename(tmp, path)
    dfd = posix.open(directory, posix.O_RDONLY | posix.O_DIRECTORY | posix.O_CLOEXEC)
    try:
        posix.fsync(dfd)
    finally:
        posix.close(dfd)


def preallocate(path: str, size: int = 4096) -> None:
    """Hold `size` bytes of disk for a later `write_atomic(path, ...)` (its tmp file)."""
    fd = posix.open(path + ".tmp", posix.O_WRONLY | posix.O_CREAT | posix.O_CLOEXEC, 0o644)
    try:
        posix.write(fd, b"\n" * size)
    finally:
        posix.close(fd)



def record_events(opts: Options, *statuses: str, code: int = 0, health: str = "",
                  extra: list[tuple[str, bytes]] | None = None, fork: bool = True) -> str:
    """events (issue 14): write them (conmon.events) in a forked child that exits at once,
    so the monitor itself never loads the writer for the container's life (`fork=False` at
    the exit, where memory no longer matters). "" or the reason they were not written."""
    if opts.events_backend == "none":
        return ""
    pid = posix.fork() if fork else 0
    if pid == 0:
        try:
            from conmon import events

            events.write(opts, *statuses, code=code, health=health, extra=extra)
        except OSError as exc:
            if not fork:
                return str(exc)
            posix._exit(1)
        except BaseException:
            if fork:
                posix._exit(2)
            raise
        if fork:
            posix._exit(0)
        return ""
    _, status = posix.waitpid(pid, 0)
    return "" if status == 0 else "the writer failed (status %#x)" % status  # noqa: UP031
