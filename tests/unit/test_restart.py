"""Restart policies: the monitor's pure decision and back-off, the engine's parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from conmon import restart as R
from conmon.protocol import UsageError as ArgsError
from conmon.protocol import parse_args
from supervisor.errors import UsageError
from supervisor.model import RestartPolicy, parse_policy


@pytest.mark.parametrize(
    ("policy", "max_retries", "restarts", "code", "stopped", "want"),
    [
        ("no", 0, 0, 1, False, False),
        ("on-failure", 3, 0, 1, False, True),
        ("on-failure", 3, 2, 1, False, True),
        ("on-failure", 3, 3, 1, False, False),  # exactly three restarts
        ("on-failure", 3, 0, 0, False, False),  # success is not a failure
        ("on-failure", 0, 1000, 137, False, True),  # 0: unlimited
        ("always", 0, 5, 0, False, True),
        ("unless-stopped", 0, 5, 1, False, True),
        ("always", 0, 0, 143, True, False),  # a user's stop wins over every policy
    ],
)
def test_wants_restart(
    policy: str, max_retries: int, restarts: int, code: int, stopped: bool, want: bool
) -> None:
    assert R.wants_restart(policy, max_retries, restarts, code, stopped) is want


def test_backoff_doubles_from_100ms_to_one_minute() -> None:
    assert [R.backoff(n) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert R.backoff(0) == 0.0
    assert R.backoff(10) == 51.2 and R.backoff(11) == 60.0 and R.backoff(10_000) == 60.0


def test_sleep_left_counts_from_the_previous_exit() -> None:
    exited = 5_000_000_000
    assert R.sleep_left(3, exited, exited + 100_000_000) == pytest.approx(0.3)
    assert R.sleep_left(1, exited, exited + 500_000_000) == 0.0  # systemd took longer already
    assert R.sleep_left(2, 0, exited) == 0.0  # unknown exit time: no extra sleep


def test_count_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "restarts"
    assert R.read_count(str(path)) == (0, 0)
    path.write_bytes(R.format_count(4, 123))
    assert R.read_count(str(path)) == (4, 123)
    path.write_text("0\n")  # as the engine's start writes it before the first run
    assert R.read_count(str(path)) == (0, 0)
    path.write_text("garbage")
    assert R.read_count(str(path)) == (0, 0)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("no", RestartPolicy("no", 0)),
        ("always", RestartPolicy("always", 0)),
        ("unless-stopped", RestartPolicy("unless-stopped", 0)),
        ("on-failure", RestartPolicy("on-failure", 0)),
        ("on-failure:3", RestartPolicy("on-failure", 3)),
    ],
)
def test_parse_policy(text: str, want: RestartPolicy) -> None:
    assert parse_policy(text) == want


@pytest.mark.parametrize("text", ["", "sometimes", "always:3", "on-failure:", "on-failure:-1",
                                  "on-failure:x", "no:1"])  # fmt: skip
def test_parse_policy_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="--restart"):
        parse_policy(text)


BASE = [f"--cid={'a' * 64}", "--bundle=/b", "--rundir=/r", "--exit-file=/e", "--runtime=runc",
        "--log-driver=none"]


def test_monitor_service_mode_needs_no_fds_but_its_files() -> None:
    opts = parse_args([*BASE, "--service", "--restart=on-failure", "--restart-max=3",
                       "--restarts-file=/c/restarts", "--stopped-file=/c/stopped",
                       "--stop-signal=2", "--stop-timeout=4"])  # fmt: skip
    assert opts.service and opts.restart == "on-failure" and opts.restart_max == 3
    assert (opts.stop_signal, opts.stop_timeout) == (2, 4)
    with pytest.raises(ArgsError, match="restarts-file"):
        parse_args([*BASE, "--service"])
    with pytest.raises(ArgsError, match="policy"):
        parse_args([*BASE, "--service", "--restart=sometimes", "--restarts-file=/x",
                    "--stopped-file=/y"])  # fmt: skip
    with pytest.raises(ArgsError, match="sync-fd"):
        parse_args(BASE)


def test_monitor_restarts_in_place_with_its_files_and_the_engines_fds() -> None:
    """Without systemd (the cgroupfs manager): a policy but no --service; the engine's
    sync and start fds as for any monitor."""
    fds = ["--sync-fd=3", "--start-fd=4"]
    opts = parse_args([*BASE, *fds, "--restart=always", "--restarts-file=/c/restarts",
                       "--stopped-file=/c/stopped"])  # fmt: skip
    assert (opts.service, opts.restart, opts.restarts_file) == (False, "always", "/c/restarts")
    with pytest.raises(ArgsError, match="restarts-file"):
        parse_args([*BASE, *fds, "--restart=always"])
    with pytest.raises(ArgsError, match="sync-fd"):
        parse_args([*BASE, "--restart=always", "--restarts-file=/x", "--stopped-file=/y"])
    with pytest.raises(ArgsError, match="policy"):
        parse_args([*BASE, *fds, "--restart=sometimes"])
