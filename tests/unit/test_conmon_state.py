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
