"""units.systemd against a real systemd (PID 1 of the test bed), over both transports.

Run inside the bed:
    python tests/testbed.py run -- .venv/bin/pytest -q tests/system/test_units_dbus.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from units import systemd
from units.errors import (
    InvalidArgumentsError,
    NoSuchProcessError,
    NoSuchUnitError,
    UnitExistsError,
)

pytestmark = pytest.mark.systemd

SCOPE_INTERFACE = "org.freedesktop.systemd1.Scope"


@pytest.fixture(params=["private", "bus"])
def sd(request: pytest.FixtureRequest) -> Iterator[systemd.Systemd]:
    opener = systemd.open_private if request.param == "private" else systemd.open_system_bus
    with opener() as conn:
        assert conn.transport == request.param
        yield conn


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def unit_name() -> Iterator[str]:
    name = f"scopebox-test-{uuid.uuid4().hex[:12]}.scope"
    yield name
    subprocess.run(["systemctl", "stop", name], capture_output=True, check=False)
    subprocess.run(["systemctl", "reset-failed", name], capture_output=True, check=False)


def systemctl(*args: str) -> str:
    done = subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def show(unit: str, prop: str) -> str:
    return systemctl("show", "-p", prop, "--value", unit)


def test_connect_prefers_the_private_socket_as_root() -> None:
    assert os.geteuid() == 0
    conn = systemd.connect()
    assert conn is not None
    with conn:
        assert conn.transport == "private"
        assert conn.address == systemd.PRIVATE_SOCKET
        assert conn.get_unit_state("init.scope") == "active"


def test_transient_scope_around_a_real_process(
    sd: systemd.Systemd, sleeper: subprocess.Popen[bytes], unit_name: str
) -> None:
    sd.start_transient_scope(unit_name, [sleeper.pid], description="scopebox units test")

    assert systemctl("is-active", unit_name) == "active"
    assert sd.get_unit_state(unit_name) == "active"
    cgroup = show(unit_name, "ControlGroup")
    assert cgroup == f"/machine.slice/{unit_name}"
    assert sd.unit_control_group(unit_name) == cgroup
    with open(f"/proc/{sleeper.pid}/cgroup") as f:
        memberships = [line.rstrip("\n").split(":", 2)[2] for line in f]
    assert cgroup in memberships  # the name=systemd (v1) or unified (v2) hierarchy
    assert show(unit_name, "Delegate") == "yes"
    assert show(unit_name, "CollectMode") == "inactive-or-failed"
    assert show(unit_name, "Slice") == "machine.slice"
    assert show(unit_name, "Description") == "scopebox units test"
    assert show(unit_name, "DefaultDependencies") == "no"
    assert sd.get_unit_property(unit_name, SCOPE_INTERFACE, "Slice") == "machine.slice"


def test_stop_unit_kills_the_process_and_the_unit_goes_away(
    sd: systemd.Systemd, sleeper: subprocess.Popen[bytes], unit_name: str
) -> None:
    sd.start_transient_scope(unit_name, [sleeper.pid])
    sd.stop_unit(unit_name)
    assert sleeper.wait(timeout=10) == -signal.SIGTERM
    sd.wait_unit_gone(unit_name, timeout=10)
    assert sd.get_unit_state(unit_name) is None
    assert sd.unit_control_group(unit_name) is None
    with pytest.raises(NoSuchUnitError):
        sd.get_unit_property(unit_name, SCOPE_INTERFACE, "Slice")


def test_the_name_is_free_again_once_the_unit_is_gone(sd: systemd.Systemd, unit_name: str) -> None:
    for _ in range(2):
        proc = subprocess.Popen(["sleep", "300"])
        try:
            sd.start_transient_scope(unit_name, [proc.pid])
            sd.stop_unit(unit_name)
            assert proc.wait(timeout=10) == -signal.SIGTERM
            sd.wait_unit_gone(unit_name, timeout=10)
        finally:
            proc.kill()
            proc.wait()


def test_kill_unit_signals_every_process(
    sd: systemd.Systemd, sleeper: subprocess.Popen[bytes], unit_name: str
) -> None:
    sd.start_transient_scope(unit_name, [sleeper.pid])
    sd.kill_unit(unit_name, "all", signal.SIGKILL)
    assert sleeper.wait(timeout=10) == -signal.SIGKILL


def test_duplicate_name_raises_unit_exists(
    sd: systemd.Systemd, sleeper: subprocess.Popen[bytes], unit_name: str
) -> None:
    sd.start_transient_scope(unit_name, [sleeper.pid])
    other = subprocess.Popen(["sleep", "300"])
    try:
        with pytest.raises(UnitExistsError) as info:
            sd.start_transient_scope(unit_name, [other.pid])
        assert info.value.name == "org.freedesktop.systemd1.UnitExists"
        assert unit_name in str(info.value)
    finally:
        other.kill()
        other.wait()
    assert systemctl("is-active", unit_name) == "active"  # the first one is untouched


def test_scope_of_a_dead_pid_fails_clearly(sd: systemd.Systemd, unit_name: str) -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: the pid no longer exists
    with pytest.raises(NoSuchProcessError, match=str(proc.pid)):
        sd.start_transient_scope(unit_name, [proc.pid])
    assert systemctl("is-active", unit_name) != "active"


def test_systemd_refuses_log_rate_limit_on_scopes(
    sd: systemd.Systemd, sleeper: subprocess.Popen[bytes], unit_name: str
) -> None:
    """Why scope_properties() does not send LogRateLimitIntervalUSec (systemd 252)."""
    extra = {"LogRateLimitIntervalUSec": ("t", 0)}
    with pytest.raises(InvalidArgumentsError, match="LogRateLimitIntervalUSec"):
        sd.start_transient_scope(unit_name, [sleeper.pid], properties=extra)
    assert sd.get_unit_state(unit_name) is None


def test_extra_properties_reach_systemd(
    sd: systemd.Systemd, sleeper: subprocess.Popen[bytes], unit_name: str
) -> None:
    sd.start_transient_scope(
        unit_name, [sleeper.pid], properties=[("TasksMax", ("t", 77)), ("Delegate", ("b", False))]
    )
    assert show(unit_name, "TasksMax") == "77"
    assert show(unit_name, "Delegate") == "no"  # a later property overrides the default


def test_reset_failed_and_missing_units(sd: systemd.Systemd, unit_name: str) -> None:
    assert sd.get_unit_state(unit_name) is None
    assert sd.unit_path(unit_name) is None
    with pytest.raises(NoSuchUnitError):
        sd.stop_unit(unit_name)
    with pytest.raises(NoSuchUnitError):
        sd.reset_failed_unit(unit_name)
