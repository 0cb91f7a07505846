"""What Podman 4.3.1's bats files caught in the systemd test bed (tools/bats_in_bed.sh runs
them there): behaviour that needs journald or systemd to check."""

from __future__ import annotations

import subprocess

import pytest

from tests import cases
from tests.clihelp import REPO, SCOPEBOX, Scopebox, wait_for

pytestmark = pytest.mark.systemd


def test_follow_of_a_journald_log_needs_the_journald_events_backend(sb: Scopebox) -> None:
    """035-logs "journald log driver requires journald events backend": Podman's refusal and
    words; without --follow the log reads, and with the journald backend it follows."""
    name = cases.unique("jfollow")
    sb("--events-backend=file", "run", "--log-driver=journald", "-d", "--name", name,
       "busybox", "echo", "hi")  # fmt: skip
    try:
        sb("wait", name)
        assert sb("--events-backend=file", "logs", name).stdout == "hi\n"
        res = sb("--events-backend=file", "logs", "--follow", name, check=False)
        assert (res.returncode, res.stdout) == (125, "")
        assert res.stderr == ("Error: using --follow with the journald --log-driver but without"
                              " the journald --events-backend (file) is not supported\n")
        assert sb("logs", "--follow", name).stdout == "hi\n"
    finally:
        sb("rm", "-f", name)


def _show(unit: str, *props: str) -> list[str]:
    out = subprocess.run(["systemctl", "show", unit, *(f"--property={p}" for p in props)],
                         capture_output=True, text=True, check=False).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return [values.get(p, "") for p in props]


@pytest.mark.parametrize(("end", "want"), [
    ("exit 0", ("inactive", "success", "0")),
    ("exit 3", ("failed", "exit-code", "3")),
    ("kill", ("failed", "exit-code", "137")),
    ("stop", ("inactive", "success", "0")),
    ("systemctl stop", ("inactive", "success", "0")),
])  # fmt: skip
def test_a_notify_units_monitor_exits_with_the_container(sb: Scopebox, end: str,
                                                         want: tuple[str, ...]) -> None:
    """250-systemd "create --health-on-failure=kill": a generated unit runs `run -d
    --sdnotify=conmon` and its main process is the container's monitor, which exits with the
    container's status as conmon does, so Restart=on-failure sees a failed container (a
    crash, a kill, a health kill's 137); a container that exits 0, or that a user or systemd
    stops, leaves the unit inactive, not failed."""
    name = cases.unique("mainst")
    unit = f"{name}.service"
    script = f"sleep 1; {end}" if end.startswith("exit") else "sleep 100"
    argv = [*SCOPEBOX, "run", "-d", "--rm", "--replace", "--sdnotify=conmon", "--name", name,
            "--stop-timeout", "1", "busybox", "sh", "-c", script]
    subprocess.run(["systemd-run", "--unit", unit, "-p", "Type=notify", "-p",
                    "NotifyAccess=all", "-p", "KillMode=mixed", f"--setenv=PYTHONPATH={REPO}",
                    *argv], check=True, capture_output=True)  # fmt: skip
    try:
        if end in ("kill", "stop"):
            sb(end, name)
        elif end == "systemctl stop":
            subprocess.run(["systemctl", "stop", unit], check=True, capture_output=True)
        wait_for(lambda: _show(unit, "ActiveState")[0] in ("inactive", "failed"), 30,
                 "the unit's end")
        assert tuple(_show(unit, "ActiveState", "Result", "ExecMainStatus")) == want
    finally:
        subprocess.run(["systemctl", "stop", unit], capture_output=True, check=False)
        subprocess.run(["systemctl", "reset-failed", unit], capture_output=True, check=False)
        sb("rm", "-f", "-t", "0", name, check=False)
