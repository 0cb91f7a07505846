"""Restart policies under systemd: the monitor's decision and back-off, pure, plus the count file.

systemd restarts the monitor (the main process of ``scopebox-<id>.service``); the monitor
decides whether it wants that, by its exit status, so the count is exact and does not depend
on systemd's start-rate limit:

- ``EXIT_RESTART`` (1): restart me (``Restart=`` restarts on any failure);
- ``EXIT_DONE`` (250): the policy is done, do not restart (``RestartPreventExitStatus=250``,
  ``SuccessExitStatus=250``: the unit ends inactive and is garbage-collected).

Back-off as Docker's: 100 ms before the first restart, doubling, at most 1 min. systemd 252 has
no ``RestartSteps=``/``RestartMaxDelaySec=``, so ``RestartSec=`` stays at 100 ms and the
restarted monitor sleeps the rest of the delay (from the persisted count) before it creates
the container again.
"""

from __future__ import annotations

import posix

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


def extra_sleep(restarts: int) -> float:
    """What the monitor sleeps itself: systemd already waited RestartSec=."""
    return max(backoff(restarts) - SYSTEMD_RESTART_SEC, 0.0)


def read_count(path: str) -> int:
    """The persisted restart count (0 if the file is missing or unreadable)."""
    try:
        fd = posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError:
        return 0
    try:
        text = posix.read(fd, 64)
    finally:
        posix.close(fd)
    try:
        return int(text.strip() or b"0")
    except ValueError:
        return 0


def exists(path: str) -> bool:
    try:
        posix.stat(path)
    except OSError:
        return False
    return True
