"""The monitor's control logic as a pure, table-driven state machine (no I/O).

The driver (``conmon.main``) turns kernel happenings into events, calls :func:`step`, and
performs the returned actions in order. States and events are plain interned strings rather
than ``enum.Enum``: importing ``enum`` costs the monitor ~0.7 MiB of private memory for the
container's whole life.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    State = str
    Event = str
    Action = str

# States.
CREATING = "creating"  # runtime `create` is running
RUNNING = "running"  # container alive, stdio open
STDIO_CLOSED = "stdio-closed"  # container alive, it closed stdout and stderr
DRAINING = "draining"  # container exited, reading what is left in the pipes
EXITING = "exiting"  # exit record written, exit command running
DONE = "done"

# Events.
CREATED = "created"
CREATE_FAILED = "create-failed"
OOM = "oom"
STDIO_EOF = "stdio-eof"  # every output pipe reached EOF
CHILD_EXITED = "child-exited"  # the container's init was reaped
DRAIN_TIMEOUT = "drain-timeout"  # something outside the container still holds the pipes
EXIT_COMMAND_DONE = "exit-command-done"

# Actions.
REPORT_PID = "report-pid"
REPORT_ERROR = "report-error"
MARK_OOM = "mark-oom"
ARM_DRAIN_TIMER = "arm-drain-timer"
FLUSH_LOGS = "flush-logs"
WRITE_EXIT_RECORD = "write-exit-record"
CLOSE_CLIENTS = "close-clients"
RUN_EXIT_COMMAND = "run-exit-command"
QUIT = "quit"

# The order is the protocol: the record exists before clients see EOF and before cleanup runs.
_FINISH = (FLUSH_LOGS, WRITE_EXIT_RECORD, CLOSE_CLIENTS, RUN_EXIT_COMMAND)

TRANSITIONS: dict[tuple[State, Event], tuple[State, tuple[Action, ...]]] = {
    (CREATING, CREATED): (RUNNING, (REPORT_PID,)),
    (CREATING, CREATE_FAILED): (DONE, (REPORT_ERROR, QUIT)),
    (RUNNING, OOM): (RUNNING, (MARK_OOM,)),
    (RUNNING, STDIO_EOF): (STDIO_CLOSED, ()),
    (RUNNING, CHILD_EXITED): (DRAINING, (ARM_DRAIN_TIMER,)),
    (STDIO_CLOSED, OOM): (STDIO_CLOSED, (MARK_OOM,)),
    (STDIO_CLOSED, CHILD_EXITED): (EXITING, _FINISH),
    (DRAINING, OOM): (DRAINING, (MARK_OOM,)),
    (DRAINING, STDIO_EOF): (EXITING, _FINISH),
    (DRAINING, DRAIN_TIMEOUT): (EXITING, _FINISH),
    (EXITING, EXIT_COMMAND_DONE): (DONE, (QUIT,)),
}

# Pairs that can happen in a race and mean nothing any more (e.g. pipes reach EOF after the
# drain timer fired); anything else not in TRANSITIONS is a driver bug.
IGNORED: frozenset[tuple[State, Event]] = frozenset(
    {
        (EXITING, STDIO_EOF),
        (EXITING, OOM),
        (EXITING, DRAIN_TIMEOUT),
        (DONE, STDIO_EOF),
        (DONE, OOM),
        (DONE, DRAIN_TIMEOUT),
    }
)


class InvalidTransition(Exception):
    """The driver fed an event that cannot happen in this state."""

    def __init__(self, state: State, event: Event) -> None:
        self.state = state
        self.event = event
        super().__init__(f"event {event!r} is not valid in state {state!r}")


def step(state: State, event: Event) -> tuple[State, tuple[Action, ...]]:
    """Return the next state and the actions to perform, in order."""
    hit = TRANSITIONS.get((state, event))
    if hit is not None:
        return hit
    if (state, event) in IGNORED:
        return state, ()
    raise InvalidTransition(state, event)


def is_finished(state: State) -> bool:
    """True once the exit record has been written (or the container never ran)."""
    return state in (EXITING, DONE)
