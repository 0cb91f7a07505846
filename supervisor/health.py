"""Healthcheck configuration (flags merged over the image's ``Healthcheck``) and status reading.

The checks themselves run in the container's monitor (``conmon.health``); the engine only
decides what to run and reads back the status file the monitor keeps atomically.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from supervisor.errors import UsageError

SECOND = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_START_PERIOD = 0
DEFAULT_RETRIES = 3
ON_FAILURE = ("none", "kill", "restart", "stop")
STATUSES = ("starting", "healthy", "unhealthy", "none")

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": SECOND, "m": 60 * SECOND,
          "h": 3600 * SECOND}  # fmt: skip
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


@dataclass(frozen=True)
class HealthFlags:
    """What the user gave on `run`/`create` (None: not given, the image's or the default)."""

    cmd: str | None = None
    interval: str | None = None
    timeout: str | None = None
    start_period: str | None = None
    retries: int | None = None
    on_failure: str = "none"
    disabled: bool = False  # --no-healthcheck


def parse_duration(flag: str, value: str) -> int:
    """A Go duration (``30s``, ``1m30s``, ``500ms``) in nanoseconds, as Docker and Podman."""
    pos, total = 0, 0.0
    text = value.strip()
    if text == "0":
        return 0
    while pos < len(text):
        m = _DURATION.match(text, pos)
        if m is None:
            raise UsageError(f"invalid {flag} {value!r}: expected a duration like 30s or 1m30s")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text:
        raise UsageError(f"invalid {flag} {value!r}: expected a duration like 30s or 1m30s")
    return int(total)


def parse_test(cmd: str) -> list[str]:
    """``--health-cmd``: a JSON array (``CMD``/``CMD-SHELL``/``NONE`` first, else ``CMD`` is
    implied) or a string, run by ``/bin/sh -c`` (``CMD-SHELL``); ``none`` disables."""
    text = cmd.strip()
    if not text:
        raise UsageError("--health-cmd must not be empty")
    if text.lower() == "none":
        return ["NONE"]
    if not text.startswith("["):
        return ["CMD-SHELL", cmd]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"invalid --health-cmd {cmd!r}: {exc.msg}") from exc
    if not isinstance(parsed, list) or not parsed or not all(isinstance(a, str) for a in parsed):
        raise UsageError(f"invalid --health-cmd {cmd!r}: expected a JSON array of strings")
    head = parsed[0].upper()
    if head == "NONE":
        return ["NONE"]
    if head in ("CMD", "CMD-SHELL"):
        if len(parsed) < 2 or (head == "CMD-SHELL" and len(parsed) != 2):
            raise UsageError(f"invalid --health-cmd {cmd!r}: {head} needs a command")
        return [head, *parsed[1:]]
    return ["CMD", *parsed]


def resolve(flags: HealthFlags, image_hc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The healthcheck the container runs (Docker's keys, durations in ns), or None.

    Docker's merge: the test and each setting given on the command line win, the image's fill
    in the rest, then the defaults.
    """
    if flags.on_failure not in ON_FAILURE:
        raise UsageError(
            f"invalid --health-on-failure {flags.on_failure!r} ({', '.join(ON_FAILURE)})"
        )
    given = {
        "Interval": _positive("--health-interval", flags.interval),
        "Timeout": _positive("--health-timeout", flags.timeout),
        "StartPeriod": None
        if flags.start_period is None
        else parse_duration("--health-start-period", flags.start_period),
        "Retries": flags.retries,
    }
    if flags.retries is not None and flags.retries < 1:
        raise UsageError("--health-retries must be at least 1")
    if flags.disabled:
        if flags.cmd is not None:
            raise UsageError("--no-healthcheck conflicts with --health-cmd")
        return None
    image = image_hc or {}
    test = parse_test(flags.cmd) if flags.cmd is not None else list(image.get("Test") or [])
    if not test or test[0].upper() == "NONE":
        if flags.on_failure != "none" and all(v is None for v in given.values()):
            # Podman's words
            raise UsageError(f"cannot set on-failure action to {flags.on_failure} without a"
                             " health check")
        if any(v is not None for v in given.values()) or flags.on_failure != "none":
            raise UsageError("healthcheck settings need a check: give --health-cmd")
        return None
    defaults = {
        "Interval": DEFAULT_INTERVAL,
        "Timeout": DEFAULT_TIMEOUT,
        "StartPeriod": DEFAULT_START_PERIOD,
        "Retries": DEFAULT_RETRIES,
    }
    out: dict[str, Any] = {"Test": test}
    for key, default in defaults.items():
        value = given[key]
        if value is None:
            value = image.get(key) or default  # the image's 0 means "the default"
        out[key] = int(value)
    out["OnFailure"] = flags.on_failure
    return out


def _positive(flag: str, value: str | None) -> int | None:
    if value is None:
        return None
    ns = parse_duration(flag, value)
    if ns <= 0:
        raise UsageError(f"{flag} must be greater than 0")
    return ns


def check_argv(test: list[str]) -> list[str]:
    """The process arguments of a check."""
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", test[1]]
    return list(test[1:])


def read_status(path: str) -> dict[str, Any] | None:
    """The monitor's status file (Docker's ``State.Health``), or None if there is none yet
    (or it is unreadable, e.g. cut short by a power loss)."""
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "Status" in data else None


def status_file(container_dir: str) -> str:
    return os.path.join(container_dir, "health.json")
