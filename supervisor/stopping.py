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
