"""conmon.protocol: both ends of the monitor protocol read and write the same bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conmon import protocol as P

CID = "0123456789abcdef" * 4
BASE = ["--cid=" + CID, "--bundle=/b", "--rundir=/r", "--exit-file=/r/exit", "--runtime=runc",
        "--log-path=/c/ctr.log"]


def test_format_args_is_read_back_by_parse_args() -> None:
    opts = P.parse_args([*BASE, "--sync-fd=3", "--start-fd=4", "--name=web", "--stdin",
                         "--runtime-arg=--root=/x", "--runtime-arg=--systemd-cgroup",
                         "--log-driver=journald", "--stop-signal=9", "--exit-command=a",
                         "--exit-command=b c"])  # fmt: skip
    again = P.parse_args(P.format_args(opts))
    assert {k: getattr(again, k) for k in P.Options.__slots__} == {
        k: getattr(opts, k) for k in P.Options.__slots__
    }
    assert "--stdin" in P.format_args(opts) and "--log-max-size=0" not in P.format_args(opts)


def test_format_args_service_mode() -> None:
    opts = P.parse_args([*BASE, "--service", "--restart=always", "--restarts-file=/c/restarts",
                         "--stopped-file=/c/stopped"])  # fmt: skip
    argv = P.format_args(opts)
    assert "--service" in argv and "--restart=always" in argv
    assert P.parse_args(argv).service


def test_init_only_is_read_back_and_not_for_services() -> None:
    """`init`: the monitor creates the container and leaves its start to the engine."""
    opts = P.parse_args([*BASE, "--sync-fd=3", "--start-fd=4", "--init-only"])
    assert opts.init_only and "--init-only" in P.format_args(opts)
    assert P.parse_args(P.format_args(opts)).init_only
    assert "--init-only" not in P.format_args(P.parse_args([*BASE, "--sync-fd=3",
                                                            "--start-fd=4"]))
    with pytest.raises(P.UsageError, match="--init-only"):
        P.parse_args([*BASE, "--service", "--restart=always", "--restarts-file=/c/r",
                      "--stopped-file=/c/s", "--init-only"])


def test_parse_args_refuses_what_the_protocol_does_not_allow() -> None:
    with pytest.raises(P.UsageError, match="unknown argument"):
        P.parse_args([*BASE, "--sync-fd=3", "--start-fd=4", "--bogus=1"])
    with pytest.raises(P.UsageError, match="--sync-fd and --start-fd"):
        P.parse_args(BASE)


def test_sync_lines_round_trip() -> None:
    assert P.decode_sync(P.sync_monitor_pid(12)).monitor_pid == 12
    assert P.decode_sync(P.sync_pid(34)).pid == 34
    msg = P.decode_sync(P.sync_error('exec: "x": not found\n'))
    assert msg.error == 'exec: "x": not found\n' and msg.pid == 0
    for bad in (b"[]", b'{"nope": 1}', b"{", b'{"pid": 1, "error": "x"}'):
        with pytest.raises(ValueError):
            P.decode_sync(bad)


@given(
    code=st.integers(-1, 255),
    sig=st.integers(0, 64),
    oom=st.booleans(),
    restart=st.sampled_from([None, True, False]),
    error=st.text(),
)
def test_exit_record_round_trips(
    code: int, sig: int, oom: bool, restart: bool | None, error: str
) -> None:
    rec = P.ExitRecord(code, sig, oom, "2026-11-23T05:24:24.000000005Z", 2, 7, restart, error)
    data = rec.encode()
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    back = P.decode_exit(data)
    assert {k: getattr(back, k) for k in P.ExitRecord.__slots__} == {
        k: getattr(rec, k) for k in P.ExitRecord.__slots__
    }
    d = json.loads(data)
    assert ("restart" in d) == (restart is not None) and ("error" in d) == bool(error)


def test_decode_exit_refuses_a_broken_record() -> None:
    for bad in (b"", b'{"exit_code": 1', b"[1]", b'{"signal": 9}'):
        with pytest.raises(ValueError):
            P.decode_exit(bad)


def test_frames_carry_the_stream_id_first() -> None:
    assert P.frame(P.STDERR, b"x") == b"\x03x"
    assert (P.STDOUT, P.STDERR, P.EXIT) == (2, 3, 4)


def test_keep_status_is_read_back() -> None:
    """kube play's service container: its monitor exits with the container's status even
    after a stop (conmon's way), so the unit that follows it fails with its pods."""
    opts = P.parse_args([*BASE, "--sync-fd=3", "--start-fd=4", "--keep-status"])
    assert opts.keep_status and P.parse_args(P.format_args(opts)).keep_status
    assert not P.parse_args([*BASE, "--sync-fd=3", "--start-fd=4"]).keep_status
