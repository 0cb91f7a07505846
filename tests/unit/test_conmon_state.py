"""conmon.state: the monitor's control logic as a table."""

from __future__ import annotations

import pytest

from conmon import state as S

FINISH = (S.FLUSH_LOGS, S.WRITE_EXIT_RECORD, S.CLOSE_CLIENTS, S.RUN_EXIT_COMMAND)


def run(events: list[str]) -> tuple[str, list[str]]:
    state: str = S.CREATING
    actions: list[str] = []
    for event in events:
        state, out = S.step(state, event)
        actions.extend(out)
    return state, actions


def test_create_failure_reports_and_quits_without_a_record() -> None:
    state, actions = run([S.CREATE_FAILED])
    assert state == S.DONE
    assert actions == [S.REPORT_ERROR, S.QUIT]


def test_child_exit_then_eof_drains_before_the_record() -> None:
    state, actions = run([S.CREATED, S.CHILD_EXITED])
    assert (state, actions) == (S.DRAINING, [S.REPORT_PID, S.ARM_DRAIN_TIMER])
    state, actions = run([S.CREATED, S.CHILD_EXITED, S.STDIO_EOF, S.EXIT_COMMAND_DONE])
    assert state == S.DONE
    assert actions == [S.REPORT_PID, S.ARM_DRAIN_TIMER, *FINISH, S.QUIT]


def test_eof_before_exit_waits_for_the_child() -> None:
    state, actions = run([S.CREATED, S.STDIO_EOF])
    assert (state, actions) == (S.STDIO_CLOSED, [S.REPORT_PID])
    assert not S.is_finished(state)
    state, actions = run([S.CREATED, S.STDIO_EOF, S.CHILD_EXITED])
    assert state == S.EXITING and S.is_finished(state)
    assert actions[1:] == list(FINISH)


def test_drain_timeout_finishes_even_if_pipes_stay_open() -> None:
    state, actions = run([S.CREATED, S.CHILD_EXITED, S.DRAIN_TIMEOUT, S.STDIO_EOF])
    assert state == S.EXITING
    assert actions == [S.REPORT_PID, S.ARM_DRAIN_TIMER, *FINISH]  # late EOF: nothing more


def test_record_comes_before_clients_close_and_exit_command() -> None:
    _state, actions = S.step(S.DRAINING, S.STDIO_EOF)
    assert actions.index(S.WRITE_EXIT_RECORD) < actions.index(S.CLOSE_CLIENTS)
    assert actions.index(S.CLOSE_CLIENTS) < actions.index(S.RUN_EXIT_COMMAND)


@pytest.mark.parametrize("state", [S.RUNNING, S.STDIO_CLOSED, S.DRAINING])
def test_oom_is_marked_in_every_live_state(state: str) -> None:
    assert S.step(state, S.OOM) == (state, (S.MARK_OOM,))


@pytest.mark.parametrize(
    ("state", "event"),
    [(S.CREATING, S.CHILD_EXITED), (S.RUNNING, S.CREATED), (S.DONE, S.CHILD_EXITED),
     (S.RUNNING, S.EXIT_COMMAND_DONE)],
)  # fmt: skip
def test_impossible_events_raise(state: str, event: str) -> None:
    with pytest.raises(S.InvalidTransition, match=event):
        S.step(state, event)


def test_table_targets_are_known_states() -> None:
    states = {S.CREATING, S.RUNNING, S.STDIO_CLOSED, S.DRAINING, S.EXITING, S.DONE}
    for (src, _event), (dst, _actions) in S.TRANSITIONS.items():
        assert src in states and dst in states
    assert not set(S.TRANSITIONS) & S.IGNORED


# -- the stop/restart table (S.CONTROL) ----------------------------------------------------


def control(events: list[str], state: str = S.C_RUNNING) -> tuple[str, list[str]]:
    actions: list[str] = []
    for event in events:
        state, out = S.control(state, event)
        actions.extend(out)
    return state, actions


def test_systemctl_stop_signals_then_kills_after_the_timeout_and_never_restarts() -> None:
    state, actions = control([S.STOP, S.KILL_TIMEOUT, S.CONTAINER_EXITED])
    assert actions == [S.SIGNAL_STOP, S.ARM_KILL_TIMER, S.SIGNAL_KILL, S.DISARM_KILL_TIMER]
    assert state == S.STOPPED and S.is_stopped(state)
    assert S.control(state, S.NO_RESTART) == (S.DEAD, ())
    with pytest.raises(S.InvalidTransition):
        S.control(state, S.RESTART_WANTED)  # a stopped container is never run again


def test_a_second_sigterm_changes_nothing() -> None:
    assert control([S.STOP, S.STOP]) == (S.STOP_SIGTERM, [S.SIGNAL_STOP, S.ARM_KILL_TIMER])


@pytest.mark.parametrize(
    ("action", "first", "after_exit"),
    [("kill", [S.SIGNAL_KILL], S.EXITED),
     ("stop", [S.SIGNAL_STOP, S.ARM_KILL_TIMER], S.EXITED),
     ("restart", [S.PAUSE_CHECKS, S.SIGNAL_STOP, S.ARM_KILL_TIMER], S.AUTO_RESTART)],
)  # fmt: skip
def test_unhealthy_actions(action: str, first: list[str], after_exit: str) -> None:
    state, actions = control([S.UNHEALTHY[action]])
    assert actions == first
    state, actions = S.control(state, S.CONTAINER_EXITED)
    assert state == after_exit and actions[0] == S.DISARM_KILL_TIMER
    assert (S.RECREATE in actions) == (action == "restart")


def test_health_restart_in_place_runs_again_with_checks() -> None:
    state, actions = control([S.UNHEALTHY_RESTART, S.CONTAINER_EXITED, S.RECREATED])
    assert state == S.C_RUNNING and actions[-1] == S.RESUME_CHECKS
    assert control([S.UNHEALTHY_RESTART, S.CONTAINER_EXITED, S.NO_RESTART])[0] == S.DEAD


def test_sigterm_during_a_health_stop_or_restart_is_a_stop_for_good() -> None:
    for unhealthy in (S.UNHEALTHY_STOP, S.UNHEALTHY_RESTART):
        state, actions = control([unhealthy, S.STOP])
        assert state == S.STOP_SIGTERM and actions.count(S.SIGNAL_STOP) == 1
        assert control([S.CONTAINER_EXITED], state)[0] == S.STOPPED
    assert control([S.UNHEALTHY_RESTART, S.KILL_TIMEOUT, S.STOP])[0] == S.STOP_SIGKILL
    # after the exit too: a pending restart is off
    assert control([S.UNHEALTHY_RESTART, S.CONTAINER_EXITED, S.STOP])[0] == S.STOPPED


def test_unhealthy_verdicts_are_ignored_once_it_goes_down() -> None:
    state, _ = control([S.STOP])
    for event in (S.UNHEALTHY_KILL, S.UNHEALTHY_STOP, S.UNHEALTHY_RESTART):
        assert S.control(state, event) == (state, ())
        assert S.control(S.EXITED, event) == (S.EXITED, ())


def test_the_policy_decides_after_a_plain_exit() -> None:
    assert control([S.CONTAINER_EXITED, S.RESTART_WANTED])[0] == S.AUTO_RESTART
    assert control([S.CONTAINER_EXITED, S.NO_RESTART])[0] == S.DEAD
    assert control([S.KILL_TIMEOUT]) == (S.C_RUNNING, [])  # a stale timer
    # a lost exit's restart is made by the same monitor: the new container runs
    assert control([S.CONTAINER_EXITED, S.RESTART_WANTED, S.RECREATED])[0] == S.C_RUNNING


def test_control_table_is_closed() -> None:
    states = {S.C_RUNNING, S.STOP_SIGTERM, S.STOP_SIGKILL, S.UNHEALTHY_SIGTERM,
              S.UNHEALTHY_SIGKILL, S.RESTART_SIGTERM, S.RESTART_SIGKILL, S.EXITED, S.STOPPED,
              S.AUTO_RESTART, S.DEAD}  # fmt: skip
    for (src, _event), (dst, _actions) in S.CONTROL.items():
        assert src in states and dst in states
    assert not set(S.CONTROL) & S.CONTROL_IGNORED
    # every state but the end has a way on when the container exits or is stopped
    for state in states - {S.DEAD}:
        assert (state, S.STOP) in S.CONTROL or (state, S.STOP) in S.CONTROL_IGNORED
