"""Container states and the reconciliation rule, with no I/O.

The store says what the last CLI process saw; the kernel and the monitor's exit record say what
is true now. `reconcile` decides, from facts gathered by the caller, what the store must become.
The records are NamedTuples, not dataclasses: every read verb loads this module (issue 16).
"""

from __future__ import annotations

from enum import StrEnum

from supervisor.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from conmon.protocol import ExitRecord as ProtocolExitRecord


class Status(StrEnum):
    CREATED = "created"
    # `init`: the runtime created it (its process waits in the runtime's init), not started
    INITIALIZED = "initialized"
    RUNNING = "running"
    PAUSED = "paused"
    EXITED = "exited"

    @property
    def is_active(self) -> bool:
        """A container process may exist."""
        return self in (Status.RUNNING, Status.PAUSED, Status.INITIALIZED)


def can_start(status: Status) -> bool:
    return status in (Status.CREATED, Status.EXITED, Status.INITIALIZED)


def can_init(status: Status) -> bool:
    """Podman's init: not once the runtime has it (initialized, running, paused)."""
    return status in (Status.CREATED, Status.EXITED)


def can_kill(status: Status) -> bool:
    return status in (Status.RUNNING, Status.PAUSED)


class ExitRecord(NamedTuple):
    exit_code: int
    signal: int | None
    oom_killed: bool
    finished_at: str
    log_errors: int = 0
    restart: bool = False  # the monitor exits to be restarted by systemd (a service)
    error: str = ""  # why the exit status is unknown (the monitor's record says)


def exit_record(rec: ProtocolExitRecord) -> ExitRecord:
    """The engine's view of the monitor's exit record (conmon.protocol's)."""
    return ExitRecord(
        exit_code=rec.exit_code,
        signal=rec.signal,
        oom_killed=rec.oom_killed,
        finished_at=rec.finished_at,
        log_errors=rec.log_errors,
        restart=bool(rec.restart),
        error=rec.error,
    )


class Facts(NamedTuple):
    """What the caller observed just now about one container."""

    status: Status
    same_boot: bool
    exit_record: ExitRecord | None
    container_alive: bool
    monitor_alive: bool


class Verdict(NamedTuple):
    status: Status
    exit_record: ExitRecord | None = None
    error: str = ""

    @property
    def changed(self) -> bool:
        return self.exit_record is not None or self.error != ""


UNKNOWN_EXIT = -1


def reconcile(facts: Facts) -> Verdict:
    """Return the status the store should hold, and the exit to record if one is new."""
    if not facts.status.is_active:
        return Verdict(facts.status)
    if facts.exit_record is not None:
        return Verdict(Status.EXITED, facts.exit_record)
    if not facts.same_boot:
        return Verdict(
            Status.EXITED,
            ExitRecord(UNKNOWN_EXIT, None, False, ""),
            "the system rebooted while the container was running",
        )
    if facts.container_alive or facts.monitor_alive:
        # A live monitor that has not written the record yet is about to.
        return Verdict(facts.status)
    return Verdict(
        Status.EXITED,
        ExitRecord(UNKNOWN_EXIT, None, False, ""),
        "the container's monitor died; its exit status is unknown",
    )
