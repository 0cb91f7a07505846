"""Healthcheck flags merged over the image's HEALTHCHECK, as Docker does."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.health import HealthFlags, check_argv, parse_duration, parse_test, resolve

S = 1_000_000_000
IMAGE = {"Test": ["CMD", "check"], "Interval": 5 * S, "Timeout": 0, "Retries": 7}


def test_durations() -> None:
    assert parse_duration("--x", "30s") == 30 * S
    assert parse_duration("--x", "1m30s") == 90 * S
    assert parse_duration("--x", "500ms") == S // 2
    assert parse_duration("--x", "1.5h") == 5400 * S
    assert parse_duration("--x", "0") == 0
    for bad in ("", "10", "s", "1x", "-1s", "1s2"):
        with pytest.raises(UsageError, match="duration"):
            parse_duration("--x", bad)


def test_health_cmd_forms() -> None:
    assert parse_test("curl -f http://x || exit 1") == ["CMD-SHELL", "curl -f http://x || exit 1"]
    assert parse_test('["CMD", "true"]') == ["CMD", "true"]
    assert parse_test('["cat", "/f"]') == ["CMD", "cat", "/f"]
    assert parse_test('["CMD-SHELL", "exit 0"]') == ["CMD-SHELL", "exit 0"]
    assert parse_test("none") == ["NONE"] and parse_test('["NONE"]') == ["NONE"]
    for bad in ("", "[x", "[1]", "[]", '["CMD"]'):
        with pytest.raises(UsageError):
            parse_test(bad)
    assert check_argv(["CMD-SHELL", "a b"]) == ["/bin/sh", "-c", "a b"]
    assert check_argv(["CMD", "a", "b"]) == ["a", "b"]


def test_defaults() -> None:
    hc = resolve(HealthFlags(cmd="true"), None)
    assert hc == {"Test": ["CMD-SHELL", "true"], "Interval": 30 * S, "Timeout": 30 * S,
                  "StartPeriod": 0, "Retries": 3, "OnFailure": "none"}  # fmt: skip


def test_image_healthcheck_is_honoured_and_flags_win_one_by_one() -> None:
    hc = resolve(HealthFlags(), IMAGE)
    assert hc is not None and hc["Test"] == ["CMD", "check"]
    assert (hc["Interval"], hc["Timeout"], hc["Retries"]) == (5 * S, 30 * S, 7)
    hc = resolve(HealthFlags(interval="1s", on_failure="kill"), IMAGE)
    assert hc is not None and hc["Test"] == ["CMD", "check"] and hc["Interval"] == S
    assert hc["Retries"] == 7 and hc["OnFailure"] == "kill"
    hc = resolve(HealthFlags(cmd="other"), IMAGE)
    assert hc is not None and hc["Test"] == ["CMD-SHELL", "other"] and hc["Retries"] == 7


def test_disabled() -> None:
    assert resolve(HealthFlags(), None) is None
    assert resolve(HealthFlags(disabled=True), IMAGE) is None
    assert resolve(HealthFlags(cmd="none"), IMAGE) is None
    assert resolve(HealthFlags(), {"Test": ["NONE"]}) is None


def test_bad_values() -> None:
    for flags, words in (
        (HealthFlags(cmd="true", interval="0s"), "--health-interval"),
        (HealthFlags(cmd="true", timeout="x"), "--health-timeout"),
        (HealthFlags(cmd="true", retries=0), "--health-retries"),
        (HealthFlags(cmd="true", on_failure="reboot"), "--health-on-failure"),
        (HealthFlags(interval="1s"), "--health-cmd"),
        (HealthFlags(cmd="true", disabled=True), "--no-healthcheck"),
    ):
        with pytest.raises(UsageError, match=words):
            resolve(flags, None)
