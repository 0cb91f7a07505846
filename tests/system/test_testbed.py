"""The test bed is a real systemd: PID 1, its private socket, transient units, journald."""

from __future__ import annotations

import selectors
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.systemd

DEADLINE_S = 10.0


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_pid1_is_systemd() -> None:
    assert Path("/proc/1/comm").read_text().strip() == "systemd"


def test_system_is_running() -> None:
    res = subprocess.run(
        ["systemctl", "is-system-running"], capture_output=True, text=True, check=False
    )
    assert res.stdout.strip() in ("running", "degraded"), res.stdout


def test_private_socket_exists() -> None:
    assert stat.S_ISSOCK(Path("/run/systemd/private").stat().st_mode)


@pytest.mark.parametrize(("command", "succeeds"), [("true", True), ("false", False)])
def test_transient_unit_reports_its_result(command: str, succeeds: bool) -> None:
    unit = _unique("scopebox-testbed-probe") + ".service"
    res = subprocess.run(
        ["systemd-run", f"--unit={unit}", "--wait", "--quiet", "--collect", command],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    assert (res.returncode == 0) == succeeds, res.stderr


def test_journal_line_reads_back_by_identifier() -> None:
    tag = _unique("scopebox-testbed")
    message = f"hello from {tag}"
    subprocess.run(["systemd-cat", "-t", tag], input=message, text=True, check=True)
    subprocess.run(["journalctl", "--sync"], check=True)
    # journald takes stream lines asynchronously: follow the journal until the line arrives.
    assert message in _follow_until(
        ["journalctl", "-t", tag, "-o", "cat", "-f", "-n", "all"], message
    )


def _follow_until(argv: list[str], wanted: str) -> list[str]:
    seen: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + DEADLINE_S
        try:
            while wanted not in seen and (left := deadline - time.monotonic()) > 0:
                if sel.select(timeout=left):
                    line = proc.stdout.readline()
                    if not line:
                        break
                    seen.append(line.rstrip("\n"))
        finally:
            proc.terminate()
    return seen
