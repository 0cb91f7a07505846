"""conmon.record and conmon.protocol: exit record, timestamps, argument parsing."""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conmon.protocol import ExitRecord, UsageError, json_string, parse_args
from conmon.record import decode_wait_status, rfc3339nano, write_atomic

CID = "0123456789abcdef" * 4


def test_rfc3339nano_known_value() -> None:
    ns = 1_795_411_464 * 10**9 + 123_456_789
    assert rfc3339nano(ns) == "2026-11-23T05:24:24.123456789Z"
    assert rfc3339nano(0) == "1970-01-01T00:00:00.000000000Z"


@given(st.integers(min_value=0, max_value=2**62))
def test_rfc3339nano_agrees_with_datetime(ns: int) -> None:
    text = rfc3339nano(ns)
    secs, frac = divmod(ns, 10**9)
    expected = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert text == f"{expected}.{frac:09d}Z"


def _status_of(code: str) -> int:
    pid = os.fork()
    if pid == 0:
        if code.startswith("sig"):
            os.kill(os.getpid(), int(code[3:]))
        os._exit(int(code))
    return os.waitpid(pid, 0)[1]


def test_decode_wait_status_from_real_children() -> None:
    assert decode_wait_status(_status_of("0")) == (0, 0)
    assert decode_wait_status(_status_of("42")) == (42, 0)
    assert decode_wait_status(_status_of(f"sig{int(signal.SIGKILL)}")) == (137, 9)
    assert decode_wait_status(_status_of(f"sig{int(signal.SIGTERM)}")) == (143, 15)


def test_exit_record_is_the_documented_json() -> None:
    rec = ExitRecord(137, 9, True, rfc3339nano(1_795_411_464 * 10**9 + 5), 3, 42).encode()
    assert rec.endswith(b"\n")
    assert json.loads(rec) == {
        "exit_code": 137,
        "signal": 9,
        "oom_killed": True,
        "finished_at": "2026-11-23T05:24:24.000000005Z",
        "log_errors": 3,
        "oom_seen_monotonic_ns": 42,
    }


@given(st.text())
def test_json_string_round_trips(text: str) -> None:
    assert json.loads(json_string(text)) == text


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "exit"
    target.write_bytes(b"old")
    write_atomic(str(target), b"new record\n")
    assert target.read_bytes() == b"new record\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exit"]


def _argv(*extra: str) -> list[str]:
    return [f"--cid={CID}", "--bundle=/b", "--rundir=/r", "--exit-file=/e", "--runtime=runc",
            "--log-path=/l", "--sync-fd=3", "--start-fd=4", *extra]  # fmt: skip


def test_parse_args_all_kinds() -> None:
    extra = ["--runtime-arg=--root=/x", "--runtime-arg=--debug", "--stdin",
             "--exit-command=scopebox", "--exit-command=a=b", "--log-max-size=10"]  # fmt: skip
    opts = parse_args(_argv(*extra))
    assert opts.runtime_args == ["--root=/x", "--debug"]
    assert opts.exit_command == ["scopebox", "a=b"]
    assert opts.stdin and opts.log_max_size == 10 and opts.sync_fd == 3
    assert opts.log_driver == "k8s-file"


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--bogus=1"], "unknown"), (["--log-max-size=x"], "integer"), (["--cid=abc"], "64"),
     (["--log-driver=syslog"], "log-driver"), (["--log-max-file=0"], "max-file"),
     (["positional"], "--key=value")],
)  # fmt: skip
def test_parse_args_rejects(extra: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_args(_argv(*extra))
