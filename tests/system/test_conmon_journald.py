"""The journald log driver against the real journald of the systemd test bed.

Entries are read back with `journalctl -o json CONTAINER_ID_FULL=<unique id>`, so a test can
only pass if journald stored exactly what the monitor sent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conmon.logs import JournaldLog

pytestmark = pytest.mark.systemd


def read_back(cid: str) -> list[dict[str, object]]:
    # --sync returns once journald has processed everything sent before it: no polling.
    subprocess.run(["journalctl", "--sync"], check=True, timeout=30)
    out = subprocess.run(
        ["journalctl", "-o", "json", "--all", "--no-pager", f"CONTAINER_ID_FULL={cid}"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def message(entry: dict[str, object]) -> bytes:
    # journalctl prints non-UTF-8 or control-char values as arrays of byte values.
    value = entry["MESSAGE"]
    return bytes(value) if isinstance(value, list) else str(value).encode()


def test_journald_log_lines_are_stored_with_container_fields() -> None:
    cid = uuid.uuid4().hex + uuid.uuid4().hex
    big = b"z" * (600 * 1024)  # beyond the socket's datagram limit: memfd + SCM_RIGHTS
    log = JournaldLog(cid, "jtest", "mytag")
    log.write("stdout", b"hello journal", False)
    log.write("stderr", b"two\nlines", False)
    log.write("stdout", b"half a line", True)
    log.write("stdout", big, False)
    log.close()
    assert log.errors == 0
    entries = read_back(cid)
    assert [message(e) for e in entries] == [b"hello journal", b"two\nlines", b"half a line", big]
    first = entries[0]
    assert first["CONTAINER_ID"] == cid[:12]
    assert first["CONTAINER_NAME"] == "jtest"
    assert first["CONTAINER_TAG"] == "mytag" and first["SYSLOG_IDENTIFIER"] == "mytag"
    assert [e["PRIORITY"] for e in entries] == ["6", "3", "6", "6"]
    assert [e.get("CONTAINER_PARTIAL_MESSAGE") for e in entries] == [None, None, "true", None]


@pytest.mark.skipif(shutil.which("runc") is None, reason="PREREQUISITE MISSING: runc")
def test_monitor_with_journald_driver(tmp_path: Path) -> None:
    from tests.host.test_conmon_runc import Harness, run_attached

    h = Harness(tmp_path, log_driver="journald")
    try:
        res = run_attached(h, ["sh", "-c", "echo from-container; echo oops >&2; exit 5"])
    finally:
        h.cleanup()
    assert res.record is not None and res.record["exit_code"] == 5
    assert res.record["log_errors"] == 0
    entries = read_back(h.cid)
    # stdout and stderr are separate pipes: their relative order is not defined.
    assert {message(e): e["PRIORITY"] for e in entries} == {b"from-container": "6", b"oops": "3"}
    assert len(entries) == 2
    assert {e["CONTAINER_NAME"] for e in entries} == {"conmon-test"}
