"""Podman's `stopping` state: a marker in the container's run dir while a `stop` waits out
the grace period. Inspect shows it; other commands go on meanwhile (no lock is held).
Standard library `os` only: the quick stop path loads it."""

from __future__ import annotations

import os

STOPPING_FILE = "stopping"


def is_stopping(rundir: str) -> bool:
    return os.path.exists(os.path.join(rundir, STOPPING_FILE))


class Stopping:
    """`with Stopping(rundir):` marked for the block (a run dir already gone marks nothing:
    the container exited)."""

    def __init__(self, rundir: str) -> None:
        self.path = os.path.join(rundir, STOPPING_FILE)

    def __enter__(self) -> None:
        try:  # noqa: SIM105
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
        except OSError:
            pass

    def __exit__(self, *exc: object) -> None:
        try:  # noqa: SIM105
            os.unlink(self.path)
        except OSError:
            pass


def mark_user_stop(container_dir: str) -> None:
    """`stopped` (restarts.stopped_file) in the container's dir before a user's stop or
    rm -f signals it: its monitor then ends with 0 rather than the container's status, so a
    unit whose main process it is (a generated unit, Quadlet's) ends inactive after
    `systemctl stop`, not failed. A `kill`, a crash, a health kill leave none: the unit fails
    and its Restart= applies. The next start removes it."""
    try:  # noqa: SIM105
        os.close(os.open(os.path.join(container_dir, "stopped"),
                         os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
    except OSError:
        pass
