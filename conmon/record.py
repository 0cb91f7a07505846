"""Exit record and timestamps, formatted by hand (``json``/``datetime`` are too heavy here)."""

from __future__ import annotations

import posix
import time


def rfc3339nano(ns: int) -> str:
    """UTC timestamp with 9 fraction digits, e.g. ``2026-11-23T05:14:24.123456789Z``."""
    secs, frac = divmod(ns, 1_000_000_000)
    t = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ" % (  # noqa: UP031 - cheapest formatter
        t.tm_year,
        t.tm_mon,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
        frac,
    )


def decode_wait_status(status: int) -> tuple[int, int]:
    """``(exit_code, signal)`` from a waitpid status: WEXITSTATUS, or 128+signal."""
    if posix.WIFSIGNALED(status):
        sig = posix.WTERMSIG(status)
        return 128 + sig, sig
    if posix.WIFEXITED(status):
        return posix.WEXITSTATUS(status), 0
    raise ValueError(f"wait status {status:#x} is neither an exit nor a signal")


def format_exit_record(
    exit_code: int,
    signal: int,
    oom_killed: bool,
    finished_at_ns: int,
    log_errors: int,
    oom_seen_monotonic_ns: int = 0,
) -> bytes:
    """The exit record: one JSON object and a newline.

    `oom_seen_monotonic_ns` is CLOCK_MONOTONIC when the OOM event reached the monitor (0: no
    event; an OOM found only by the counter at exit), comparable with the kernel log's stamps.
    """
    return (
        '{"exit_code": %d, "signal": %d, "oom_killed": %s, "finished_at": "%s", '  # noqa: UP031
        '"log_errors": %d, "oom_seen_monotonic_ns": %d}\n'
        % (
            exit_code,
            signal,
            "true" if oom_killed else "false",
            rfc3339nano(finished_at_ns),
            log_errors,
            oom_seen_monotonic_ns,
        )
    ).encode()


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


def json_string(text: str) -> str:
    """A JSON string literal (quotes included) without importing ``json``."""
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04x" % o)  # noqa: UP031
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
