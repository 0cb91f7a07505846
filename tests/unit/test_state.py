"""The reconciliation rule: what the store becomes given what the kernel says."""

from __future__ import annotations

import pytest

from supervisor.state import (
    UNKNOWN_EXIT,
    ExitRecord,
    Facts,
    Status,
    can_init,
    can_kill,
    can_start,
    reconcile,
)

REC = ExitRecord(7, None, False, "2026-11-23T05:00:00.000000000Z")


def facts(
    status: Status = Status.RUNNING,
    *,
    same_boot: bool = True,
    record: ExitRecord | None = None,
    container: bool = False,
    monitor: bool = False,
) -> Facts:
    return Facts(status, same_boot, record, container, monitor)


def test_exit_record_wins() -> None:
    v = reconcile(facts(record=REC, container=False, monitor=True))
    assert v.status is Status.EXITED and v.exit_record == REC and v.changed


def test_running_container_stays_running_without_monitor() -> None:
    v = reconcile(facts(container=True, monitor=False))
    assert v.status is Status.RUNNING and not v.changed


def test_live_monitor_about_to_write_keeps_running() -> None:
    assert not reconcile(facts(container=False, monitor=True)).changed


def test_both_dead_without_record_is_an_unknown_exit() -> None:
    v = reconcile(facts())
    assert v.status is Status.EXITED
    assert v.exit_record is not None and v.exit_record.exit_code == UNKNOWN_EXIT
    assert "monitor" in v.error


def test_reboot_marks_running_containers_exited() -> None:
    v = reconcile(facts(same_boot=False, container=True, monitor=True))
    assert v.status is Status.EXITED and "reboot" in v.error


def test_reboot_keeps_a_persisted_exit_code() -> None:
    v = reconcile(facts(same_boot=False, record=REC))
    assert v.exit_record == REC


@pytest.mark.parametrize("status", [Status.CREATED, Status.EXITED])
def test_inactive_states_are_left_alone(status: Status) -> None:
    assert reconcile(facts(status, record=REC, container=True)).status is status


def test_predicates() -> None:
    assert can_start(Status.CREATED) and can_start(Status.EXITED)
    assert not can_start(Status.RUNNING)
    assert can_kill(Status.RUNNING) and not can_kill(Status.EXITED)


def test_initialized_is_watched_like_a_running_one() -> None:
    """`init`: the runtime's process exists, so its end (or its monitor's) is reconciled;
    start takes it, kill and a second init (Podman's rules) do not."""
    assert reconcile(facts(Status.INITIALIZED, monitor=True)).status is Status.INITIALIZED
    assert reconcile(facts(Status.INITIALIZED, record=REC)).status is Status.EXITED
    assert reconcile(facts(Status.INITIALIZED)).status is Status.EXITED
    assert can_start(Status.INITIALIZED) and not can_kill(Status.INITIALIZED)
    assert can_init(Status.CREATED) and can_init(Status.EXITED)
    assert not any(can_init(s) for s in (Status.INITIALIZED, Status.RUNNING, Status.PAUSED))
