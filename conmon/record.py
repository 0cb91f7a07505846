"""Exit record and timestamps, formatted by hand (``json``/``datetime`` are too heavy here)."""

from __future__ import annotations

import os
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
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status), 0
    raise ValueError(f"wait status {status:#x} is neither an exit nor a signal")


def format_exit_record(
    exit_code: int, signal: int, oom_killed: bool, finished_at_ns: int, log_errors: int
) -> bytes:
    """The exit record: one JSON object and a newline."""
    return (
        '{"exit_code": %d, "signal": %d, "oom_killed": %s, "finished_at": "%s", '  # noqa: UP031
        '"log_errors": %d}\n'
        % (
            exit_code,
            signal,
            "true" if oom_killed else "false",
            rfc3339nano(finished_at_ns),
            log_errors,
        )
    ).encode()


def write_atomic(path: str, data: bytes) -> None:
    """tmp + fsync + rename + fsync(dir): after a crash the file is either absent or whole."""
    directory = os.path.dirname(path) or "."
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


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
