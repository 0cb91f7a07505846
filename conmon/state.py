"""The monitor's control logic as pure, table-driven state machines (no I/O).

Two tables: the container's life as the monitor sees it (:data:`TRANSITIONS`: create, output,
exit, record, exit command) and how it is stopped or restarted (:data:`CONTROL`: systemctl stop,
``--health-on-failure``, the stop timeout, health restarts and the restart policy's verdict),
named after systemd's stop sequence (``src/basic/unit-def.h``: running, stop-sigterm,
stop-sigkill, auto-restart, dead). The driver (``conmon.monitor``) turns kernel happenings into
events, calls :func:`step` / :func:`control`, and performs the returned actions in order.
States and events are plain interned strings rather than ``enum.Enum``: importing ``enum``
costs the monitor ~0.7 MiB of private memory for the container's whole life.
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


# -- stopping and restarting ----------------------------------------------------------------
# Control states. The goal of a stop is part of the state: a stop for good (SIGTERM to the
# monitor: systemctl stop, shutdown), the unhealthy container's stop or kill (the restart policy
# then decides as for any exit), or a health restart (the container runs again whatever the
# policy says, unless a user stopped it).
C_RUNNING = "running"
STOP_SIGTERM = "stop-sigterm"  # stop signal sent, SIGKILL when the stop timeout expires
STOP_SIGKILL = "stop-sigkill"
UNHEALTHY_SIGTERM = "unhealthy-sigterm"  # --health-on-failure=stop
UNHEALTHY_SIGKILL = "unhealthy-sigkill"  # --health-on-failure=kill, or stop's timeout
RESTART_SIGTERM = "restart-sigterm"  # --health-on-failure=restart
RESTART_SIGKILL = "restart-sigkill"
EXITED = "exited"  # the container is gone; the restart policy decides
STOPPED = "stopped"  # gone, and stopped for good: no restart of any kind
AUTO_RESTART = "auto-restart"  # gone, and will run again (health restart or the policy's)
DEAD = "dead"  # gone for good: the record is final

# Control events.
STOP = "stop"  # SIGTERM to the monitor
TIMEOUT = "timeout"  # `run --timeout` expired: SIGKILL, stopped for good (Podman's conmon)
UNHEALTHY_KILL = "unhealthy-kill"
UNHEALTHY_STOP = "unhealthy-stop"
UNHEALTHY_RESTART = "unhealthy-restart"
KILL_TIMEOUT = "kill-timeout"
CONTAINER_EXITED = "container-exited"
RESTART_WANTED = "restart-wanted"  # the policy (or a health restart) runs it again: count written
NO_RESTART = "no-restart"  # it does not, a user stopped it (`stopped`), or recreating failed
RECREATED = "recreated"  # a health restart in place: the new container runs

# Control actions.
SIGNAL_STOP = "signal-stop"  # the stop signal to the container
SIGNAL_KILL = "signal-kill"
ARM_KILL_TIMER = "arm-kill-timer"  # SIGKILL after the stop timeout
DISARM_KILL_TIMER = "disarm-kill-timer"
PAUSE_CHECKS = "pause-checks"  # no healthchecks while it goes down
RESUME_CHECKS = "resume-checks"  # a new container: status starting, checks again
RECREATE = "recreate"  # health restart: in place (scope mode) or by systemd (service mode)

_STOP = (SIGNAL_STOP, ARM_KILL_TIMER)
_GONE = (DISARM_KILL_TIMER,)

CONTROL: dict[tuple[State, Event], tuple[State, tuple[Action, ...]]] = {
    (C_RUNNING, STOP): (STOP_SIGTERM, _STOP),
    (C_RUNNING, TIMEOUT): (STOP_SIGKILL, (SIGNAL_KILL,)),
    (C_RUNNING, UNHEALTHY_KILL): (UNHEALTHY_SIGKILL, (SIGNAL_KILL,)),
    (C_RUNNING, UNHEALTHY_STOP): (UNHEALTHY_SIGTERM, _STOP),
    (C_RUNNING, UNHEALTHY_RESTART): (RESTART_SIGTERM, (PAUSE_CHECKS, *_STOP)),
    (C_RUNNING, CONTAINER_EXITED): (EXITED, ()),
    (STOP_SIGTERM, KILL_TIMEOUT): (STOP_SIGKILL, (SIGNAL_KILL,)),
    (UNHEALTHY_SIGTERM, KILL_TIMEOUT): (UNHEALTHY_SIGKILL, (SIGNAL_KILL,)),
    (RESTART_SIGTERM, KILL_TIMEOUT): (RESTART_SIGKILL, (SIGNAL_KILL,)),
    # A stop for good overrides what the unhealthy container was going down for; the stop
    # signal has been sent already and the timer runs.
    (UNHEALTHY_SIGTERM, STOP): (STOP_SIGTERM, ()),
    (UNHEALTHY_SIGKILL, STOP): (STOP_SIGKILL, ()),
    (RESTART_SIGTERM, STOP): (STOP_SIGTERM, ()),
    (RESTART_SIGKILL, STOP): (STOP_SIGKILL, ()),
    (STOP_SIGTERM, CONTAINER_EXITED): (STOPPED, _GONE),
    (STOP_SIGKILL, CONTAINER_EXITED): (STOPPED, _GONE),
    (UNHEALTHY_SIGTERM, CONTAINER_EXITED): (EXITED, _GONE),
    (UNHEALTHY_SIGKILL, CONTAINER_EXITED): (EXITED, _GONE),
    (RESTART_SIGTERM, CONTAINER_EXITED): (AUTO_RESTART, (*_GONE, RECREATE)),
    (RESTART_SIGKILL, CONTAINER_EXITED): (AUTO_RESTART, (*_GONE, RECREATE)),
    (AUTO_RESTART, RECREATED): (C_RUNNING, (RESUME_CHECKS,)),
    # The exit record's verdict (service mode: the restart policy; a health restart is forced
    # unless a user stopped it).
    (EXITED, RESTART_WANTED): (AUTO_RESTART, ()),
    (EXITED, NO_RESTART): (DEAD, ()),
    (AUTO_RESTART, RESTART_WANTED): (AUTO_RESTART, ()),
    (AUTO_RESTART, NO_RESTART): (DEAD, ()),
    (STOPPED, NO_RESTART): (DEAD, ()),
    # SIGTERM after the exit: whatever was decided, nothing runs again.
    (EXITED, STOP): (STOPPED, ()),
    (AUTO_RESTART, STOP): (STOPPED, ()),
    (STOPPED, STOP): (STOPPED, ()),
    (DEAD, STOP): (DEAD, ()),
}

_GOING = (STOP_SIGTERM, STOP_SIGKILL, UNHEALTHY_SIGTERM, UNHEALTHY_SIGKILL, RESTART_SIGTERM,
          RESTART_SIGKILL)  # fmt: skip
_GONE_STATES = (EXITED, STOPPED, AUTO_RESTART, DEAD)
# Late or repeated happenings that mean nothing any more: a second SIGTERM while stopping, an
# unhealthy verdict once a stop is under way or the container is gone, a kill timer that
# fired after the exit.
CONTROL_IGNORED: frozenset[tuple[State, Event]] = frozenset(
    {(s, STOP) for s in (STOP_SIGTERM, STOP_SIGKILL)}
    | {(s, e) for s in (*_GOING, *_GONE_STATES) for e in (UNHEALTHY_KILL, UNHEALTHY_STOP,
                                                          UNHEALTHY_RESTART)}
    | {(s, KILL_TIMEOUT) for s in (C_RUNNING, STOP_SIGKILL, UNHEALTHY_SIGKILL, RESTART_SIGKILL,
                                   *_GONE_STATES)}
    | {(s, TIMEOUT) for s in (*_GOING, *_GONE_STATES)}
)  # fmt: skip

UNHEALTHY = {"kill": UNHEALTHY_KILL, "stop": UNHEALTHY_STOP, "restart": UNHEALTHY_RESTART}


def control(state: State, event: Event) -> tuple[State, tuple[Action, ...]]:
    """The stop/restart table's next state and actions."""
    hit = CONTROL.get((state, event))
    if hit is not None:
        return hit
    if (state, event) in CONTROL_IGNORED:
        return state, ()
    raise InvalidTransition(state, event)


def is_stopped(state: State) -> bool:
    """Stopped for good (SIGTERM to the monitor): neither a policy nor a health restart."""
    return state in (STOP_SIGTERM, STOP_SIGKILL, STOPPED)


def is_restarting(state: State) -> bool:
    """A health restart is under way (the container goes down to run again)."""
    return state in (RESTART_SIGTERM, RESTART_SIGKILL, AUTO_RESTART)
