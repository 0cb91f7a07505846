"""Health status as Docker keeps it: a pure state machine, no I/O, no clock.

``starting`` until the first passing check; then ``healthy`` or, after ``retries`` failures in a
row, ``unhealthy``. A failure while still ``starting`` and within the start period does not
count towards the retries (Docker's ``handleProbeResult``); a pass at any time makes the container
healthy and clears the streak. The driver (:mod:`conmon.health`) runs the checks and persists
what :func:`record` returns.

Strings, not ``enum``: the monitor must stay lean (see :mod:`conmon.state`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    Status = str

STARTING = "starting"
HEALTHY = "healthy"
UNHEALTHY = "unhealthy"

MAX_LOG = 5  # results kept, as Docker
MAX_OUTPUT = 4096  # bytes of a check's output kept, as Docker
TIMED_OUT = -1  # exit code recorded for a check that exceeded its timeout (Docker's)


class Result:
    """One check: times in ns since the epoch, exit code (-1: timed out), output."""

    __slots__ = ("end_ns", "exit_code", "output", "start_ns")

    def __init__(self, start_ns: int, end_ns: int, exit_code: int, output: str) -> None:
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.exit_code = exit_code
        self.output = output

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


class Health:
    """The health of one container run; :meth:`record` is the only transition."""

    __slots__ = ("failing_streak", "log", "retries", "start_period_ns", "started_ns", "status")

    def __init__(self, started_ns: int, start_period_ns: int, retries: int) -> None:
        self.status: Status = STARTING
        self.failing_streak = 0
        self.log: list[Result] = []
        self.started_ns = started_ns
        self.start_period_ns = start_period_ns
        self.retries = max(1, retries)

    def record(self, result: Result) -> bool:
        """Account for one check; True when the status changed."""
        before = self.status
        self.log.append(result)
        del self.log[:-MAX_LOG]
        if result.passed:
            self.failing_streak = 0
            self.status = HEALTHY
        elif not self._in_grace(result):
            self.failing_streak += 1
            if self.failing_streak >= self.retries:
                self.status = UNHEALTHY
        return self.status != before

    def _in_grace(self, result: Result) -> bool:
        # Only a container that never passed gets the start period (Docker measures from the
        # check's start).
        return (
            self.status == STARTING
            and result.start_ns - self.started_ns < self.start_period_ns
        )


def truncate_output(data: bytes) -> str:
    """What the log keeps of a check's output: the first MAX_OUTPUT bytes, as text, without
    the one newline that ends it (Podman's: `echo ok` logs "ok")."""
    data = data[:-1] if data.endswith(b"\n") else data
    return data[:MAX_OUTPUT].decode("utf-8", "replace")


def format_health(health: Health) -> bytes:
    """Docker's ``State.Health`` as one JSON object (hand-formatted: no ``json`` here)."""
    from conmon.protocol import json_string
    from conmon.record import rfc3339nano

    entries = [
        '{"Start": "%s", "End": "%s", "ExitCode": %d, "Output": %s}'  # noqa: UP031
        % (rfc3339nano(r.start_ns), rfc3339nano(r.end_ns), r.exit_code, json_string(r.output))
        for r in health.log
    ]
    return (
        '{"Status": "%s", "FailingStreak": %d, "Log": [%s]}\n'  # noqa: UP031
        % (health.status, health.failing_streak, ", ".join(entries))
    ).encode()
