"""scopebox-install-units under a real systemd (the test bed, whose files are an overlay of the
host's): the boot unit enabled as systemd sees it, the Quadlet generator rerun by the
daemon-reload it asks for, journald restarted to read the drop-in."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from supervisor import install_units
from tests.clihelp import REPO

pytestmark = pytest.mark.systemd

SCOPEBOX_BIN = "/usr/local/bin/scopebox"
SHIPPED = [
    install_units.UNIT_FILE,
    install_units.WANTS_LINK,
    install_units.JOURNALD_DROPIN,
    *install_units.GENERATORS,
]


def show(unit: str, prop: str) -> str:
    return subprocess.run(
        ["systemctl", "show", "-P", prop, unit], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_install_units_enables_and_reloads_the_running_systemd() -> None:
    for rel in SHIPPED:  # what the host's install put here: gone, as on a machine without it
        Path("/", rel).unlink(missing_ok=True)
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    assert show(install_units.RESTART_UNIT, "LoadState") == "not-found"
    name = f"install-{uuid.uuid4().hex[:8]}"
    quadlet = Path(f"/etc/containers/systemd/{name}.container")
    quadlet.parent.mkdir(parents=True, exist_ok=True)
    quadlet.write_text("[Container]\nImage=busybox\nExec=true\n")
    journald = show("systemd-journald.service", "ExecMainStartTimestampMonotonic")
    try:
        res = subprocess.run(
            [sys.executable, "-m", "supervisor.install_units", "--scopebox", SCOPEBOX_BIN],
            capture_output=True, text=True, cwd=REPO, timeout=120,
        )  # fmt: skip
        assert (res.returncode, res.stderr) == (0, "")
        enabled = subprocess.run(["systemctl", "is-enabled", install_units.RESTART_UNIT],
                                 capture_output=True, text=True)  # fmt: skip
        assert enabled.stdout.strip() == "enabled"
        exec_start = show(install_units.RESTART_UNIT, "ExecStart")
        assert f"argv[]={SCOPEBOX_BIN} start --all " in exec_start
        assert show(f"{name}.service", "LoadState") == "loaded"  # the generator ran
        assert f"argv[]={SCOPEBOX_BIN} run " in show(f"{name}.service", "ExecStart")
        assert show("systemd-journald.service", "ExecMainStartTimestampMonotonic") != journald
    finally:
        quadlet.unlink()
        subprocess.run(["systemctl", "daemon-reload"], check=True)
