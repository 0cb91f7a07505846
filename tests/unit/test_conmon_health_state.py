"""The pure health state machine: Docker's status, streak and start-period rules."""

from __future__ import annotations

import json

from conmon.health_state import (
    HEALTHY,
    MAX_LOG,
    STARTING,
    UNHEALTHY,
    Health,
    Result,
    format_health,
    truncate_output,
)

S = 1_000_000_000


def check(h: Health, at_s: float, code: int, output: str = "") -> bool:
    start = h.started_ns + int(at_s * S)
    return h.record(Result(start, start + S // 10, code, output))


def test_starts_starting_and_a_pass_makes_it_healthy() -> None:
    h = Health(started_ns=1000 * S, start_period_ns=0, retries=3)
    assert h.status == STARTING
    assert check(h, 1, 0) is True
    assert h.status == HEALTHY and h.failing_streak == 0
    assert check(h, 2, 0) is False  # no change: no event


def test_unhealthy_after_retries_failures_in_a_row() -> None:
    h = Health(0, 0, retries=3)
    check(h, 1, 0)
    assert check(h, 2, 1) is False and h.status == HEALTHY and h.failing_streak == 1
    assert check(h, 3, 1) is False and h.status == HEALTHY
    assert check(h, 4, 1) is True and h.status == UNHEALTHY and h.failing_streak == 3
    assert check(h, 5, 1) is False and h.failing_streak == 4  # the streak keeps counting
    assert check(h, 6, 0) is True and h.status == HEALTHY and h.failing_streak == 0


def test_a_pass_in_between_resets_the_streak() -> None:
    h = Health(0, 0, retries=2)
    check(h, 1, 1)
    check(h, 2, 0)
    check(h, 3, 1)
    assert h.status == HEALTHY and h.failing_streak == 1


def test_starting_turns_unhealthy_without_ever_passing() -> None:
    h = Health(0, 0, retries=2)
    assert check(h, 1, 1) is False and h.status == STARTING
    assert check(h, 2, 7) is True and h.status == UNHEALTHY  # any non-zero code fails


def test_failures_inside_the_start_period_do_not_count() -> None:
    h = Health(started_ns=50 * S, start_period_ns=10 * S, retries=1)
    for at in (1, 5, 9.9):
        assert check(h, at, 1) is False
        assert h.status == STARTING and h.failing_streak == 0
    assert check(h, 10, 1) is True and h.status == UNHEALTHY  # the period is over


def test_start_period_ends_at_the_first_pass() -> None:
    h = Health(0, start_period_ns=100 * S, retries=1)
    check(h, 1, 0)
    assert check(h, 2, 1) is True and h.status == UNHEALTHY  # healthy once: failures count


def test_log_keeps_the_last_five() -> None:
    h = Health(0, 0, 3)
    for i in range(8):
        check(h, i, i % 2, f"run {i}")
    assert len(h.log) == MAX_LOG
    assert [r.output for r in h.log] == [f"run {i}" for i in range(3, 8)]


def test_retries_below_one_mean_one() -> None:
    h = Health(0, 0, retries=0)
    assert check(h, 1, 1) is True and h.status == UNHEALTHY


def test_format_is_dockers_state_health() -> None:
    h = Health(0, 0, 3)
    check(h, 1, 0, 'ok "quoted"\n\x01')
    check(h, 2, -1, "Health check exceeded timeout (1s)")
    data = json.loads(format_health(h))
    assert data["Status"] == HEALTHY and data["FailingStreak"] == 1
    assert [e["ExitCode"] for e in data["Log"]] == [0, -1]
    assert data["Log"][0]["Output"] == 'ok "quoted"\n\x01'
    assert data["Log"][0]["Start"] == "1970-01-01T00:00:01.000000000Z"
    assert data["Log"][0]["End"] == "1970-01-01T00:00:01.100000000Z"


def test_output_is_podmans_lines_cut_at_500_bytes_and_decoded_leniently() -> None:
    assert len(truncate_output(b"x" * 10000)) == 500
    assert truncate_output(b"caf\xc3") == "caf\ufffd"
    # Podman's lines: one last newline and each line's CR go, an empty line stays
    assert truncate_output(b"fine\n") == "fine"
    assert truncate_output(b" a\n\n") == " a\n"
    assert truncate_output(b"x\r\ny") == "x\ny"
    assert truncate_output(b"") == ""
    # Podman drops the one newline that ends the output (its bats 220 "podman healthcheck")
    assert truncate_output(b"a\nb\n\nc\n\n") == "a\nb\n\nc\n"
    assert truncate_output(b"ok") == "ok"
