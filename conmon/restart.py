"""Restart policies under systemd: the monitor's decision and back-off, pure, plus the count file.

systemd restarts the monitor (the main process of ``scopebox-<id>.service``); the monitor
decides whether it wants that, by its exit status, so the count is exact and does not depend
on systemd's start-rate limit:

- ``EXIT_RESTART`` (1): restart me (``Restart=`` restarts on any failure);
- ``EXIT_DONE`` (250): the policy is done, do not restart (``RestartPreventExitStatus=250``,
  ``SuccessExitStatus=250``: the unit ends inactive and is garbage-collected).

Back-off as Docker's: 100 ms before the first restart, doubling, at most 1 min, counted from
the previous exit. systemd 252 has no ``RestartSteps=``/``RestartMaxDelaySec=``, so
``RestartSec=`` stays at 100 ms and the restarted monitor sleeps what is left of the delay
(the count and the exit's CLOCK_MONOTONIC time are persisted) before it creates the container
again. systemd 252 arms its restart timer with the default 250 ms accuracy, so the first
restarts come 0.1-0.35 s plus start-up after the exit; from the third one on the back-off
dominates.
"""

from __future__ import annotations

import posix

from conmon.record import exists as exists  # the monitor's callers say R.exists

POLICIES = ("no", "on-failure", "always", "unless-stopped")
EXIT_RESTART = 1
EXIT_DONE = 250
FIRST_DELAY = 0.1  # seconds, Docker's
MAX_DELAY = 60.0
SYSTEMD_RESTART_SEC = 0.1  # RestartSec= of the unit: spent before the monitor runs again


def wants_restart(policy: str, max_retries: int, restarts: int, exit_code: int,
                  stopped: bool) -> bool:
    """Should the container run again after exiting with `exit_code`?

    `restarts`: how many restarts happened already; `max_retries` 0 = unlimited (on-failure);
    `stopped`: a user stopped it (stop, systemctl stop): never restart then.
    """
    if stopped or policy == "no":
        return False
    if policy == "on-failure":
        return exit_code != 0 and (max_retries == 0 or restarts < max_retries)
    return policy in ("always", "unless-stopped")


def backoff(restarts: int) -> float:
    """Seconds between the previous exit and restart number `restarts` (1-based)."""
    if restarts <= 0:
        return 0.0
    return min(FIRST_DELAY * float(1 << min(restarts - 1, 20)), MAX_DELAY)


def sleep_left(restarts: int, exited_ns: int, now_ns: int) -> float:
    """Seconds the monitor still sleeps: the back-off counts from the previous run's exit
    (CLOCK_MONOTONIC), so systemd's own latency (RestartSec=, its 250 ms timer slack, our
    start-up) is part of it instead of added to it."""
    if exited_ns <= 0:
        return 0.0
    return max(backoff(restarts) - (now_ns - exited_ns) / 1e9, 0.0)


def format_count(restarts: int, exited_ns: int) -> bytes:
    """The count file: `<restarts> <CLOCK_MONOTONIC ns of the exit that asked for it>`."""
    return b"%d %d\n" % (restarts, exited_ns)


def read_count(path: str) -> tuple[int, int]:
    """The persisted restart count and the exit's monotonic time ((0, 0) if unreadable)."""
    try:
        fd = posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError:
        return 0, 0
    try:
        text = posix.read(fd, 64)
    finally:
        posix.close(fd)
    parts = text.split()
    try:
        count = int(parts[0]) if parts else 0
        exited = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return 0, 0
    return count, exited

