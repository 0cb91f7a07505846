"""scopebox-kube@.service under the real systemd (kube, issue 15): starting an instance plays
the YAML file it names, stopping it removes the pods again, as podman-kube@.service does."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from supervisor import install_units
from tests.clihelp import Scopebox

pytestmark = pytest.mark.systemd

SCOPEBOX_BIN = str(Path(sys.executable).parent / "scopebox")
YAML = """\
apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: [sleep, "300"], env: [{name: WHO, value: unit}]}
"""


def systemctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemctl", *args], capture_output=True, text=True, check=check,
                          timeout=180)


def test_kube_template_plays_and_tears_down(sb: Scopebox, tmp_path: Path) -> None:
    unit_path = Path("/", install_units.KUBE_FILE)
    unit_path.write_text(install_units.render_kube_unit(SCOPEBOX_BIN))
    systemctl("daemon-reload")
    name = f"kube{uuid.uuid4().hex[:6]}"
    yaml_file = tmp_path / f"{name}.yaml"
    yaml_file.write_text(YAML.replace("NAME", name))
    escaped = subprocess.run(["systemd-escape", "--path", str(yaml_file)], capture_output=True,
                             text=True, check=True).stdout.strip()
    unit = f"scopebox-kube@{escaped}.service"
    try:
        systemctl("start", unit)
        assert systemctl("is-active", unit).stdout.strip() == "active"
        pod = json.loads(sb("pod", "inspect", name).stdout)
        assert pod["State"] == "Running"
        env = json.loads(sb("inspect", f"{name}-main").stdout)[0]["Config"]["Env"]
        assert "WHO=unit" in env
        systemctl("restart", unit)  # --replace: the same pod made again, no conflict
        assert json.loads(sb("pod", "inspect", name).stdout)["Id"] != pod["Id"]
        systemctl("stop", unit)
        assert sb("pod", "exists", name, check=False).returncode == 1
        assert sb("ps", "-a", "--filter", f"name={name}", "-q").stdout == ""
    finally:
        systemctl("stop", unit, check=False)
        unit_path.unlink(missing_ok=True)
        systemctl("daemon-reload")


def test_quadlet_kube_file(sb: Scopebox, tmp_path: Path) -> None:
    """A `NAME.kube` file: the generator makes NAME.service, which plays and tears down."""
    from tests.system.test_quadlet_systemd import GENERATOR, QUADLET_DIR
    from tests.unit.test_quadlet import render_generator

    GENERATOR.parent.mkdir(parents=True, exist_ok=True)
    render_generator(GENERATOR, SCOPEBOX_BIN)
    QUADLET_DIR.mkdir(parents=True, exist_ok=True)
    name = f"kq{uuid.uuid4().hex[:6]}"
    yaml_file = QUADLET_DIR / f"{name}.yaml"
    yaml_file.write_text(YAML.replace("NAME", name))
    kube = QUADLET_DIR / f"{name}.kube"
    kube.write_text(f"[Kube]\nYaml={name}.yaml\n")  # relative to the .kube file
    unit = f"{name}.service"
    try:
        systemctl("daemon-reload")
        systemctl("start", unit)
        assert systemctl("is-active", unit).stdout.strip() == "active"
        assert json.loads(sb("pod", "inspect", name).stdout)["State"] == "Running"
        systemctl("stop", unit)
        assert sb("pod", "exists", name, check=False).returncode == 1
    finally:
        systemctl("stop", unit, check=False)
        kube.unlink(missing_ok=True)
        yaml_file.unlink(missing_ok=True)
        GENERATOR.unlink(missing_ok=True)
        systemctl("daemon-reload")


PODMAN_KUBE_UNIT = """\
[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
Environment=PYTHONPATH={repo}
TimeoutStartSec=60
TimeoutStopSec=70
ExecStart={python} -m supervisor kube play --replace --service-container=true %I
ExecStop={python} -m supervisor kube down %I
Type=notify
NotifyAccess=all
"""


def test_podmans_kube_template_follows_the_service_container(sb: Scopebox,
                                                             tmp_path: Path) -> None:
    """Podman's own podman-kube@.service (250-systemd's "podman-kube@.service template")
    with scopebox as podman: play tells the Type=notify unit READY and the service
    container's monitor as its MAINPID (the pod's infra must not wait on the unit's
    NOTIFY_SOCKET), the containers carry the unit's name for auto-update, and a killed pod
    fails the unit (the service container is killed, its monitor exits 137, as conmon)."""
    from tests.clihelp import REPO

    unit_path = Path("/run/systemd/system/sbx-podman-kube@.service")
    unit_path.write_text(PODMAN_KUBE_UNIT.format(repo=REPO, python=sys.executable))
    systemctl("daemon-reload")
    name = f"pk{uuid.uuid4().hex[:6]}"
    yaml_file = tmp_path / f"{name}.yaml"
    yaml_file.write_text(YAML.replace("NAME", name))
    escaped = subprocess.run(["systemd-escape", str(yaml_file)], capture_output=True,
                             text=True, check=True).stdout.strip()
    unit = f"sbx-podman-kube@{escaped}.service"
    try:
        systemctl("start", unit)  # Type=notify: returns once READY=1 came
        assert systemctl("is-active", unit).stdout.strip() == "active"
        service = sb("ps", "--filter", "label=io.scopebox.kube-service",
                     "--format", "{{.Names}} {{.Pid}}").stdout.split()
        monitor = sb("container", "inspect", service[0], "--format", "{{.State.ConmonPid}}")
        main_pid = systemctl("show", "-P", "MainPID", unit).stdout.strip()
        assert main_pid == monitor.stdout.strip()
        label = '{{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}}'
        assert sb("inspect", f"{name}-main", "--format", label).stdout.strip() == unit
        sb("pod", "kill", name)
        for _ in range(60):
            state = systemctl("is-failed", unit, check=False).stdout.strip()
            if state == "failed":
                break
            time.sleep(0.5)
        assert state == "failed"
        systemctl("start", unit)  # again, from failed
        assert systemctl("is-active", unit).stdout.strip() == "active"
        systemctl("stop", unit)
        assert sb("pod", "exists", name, check=False).returncode == 1
    finally:
        systemctl("stop", unit, check=False)
        systemctl("reset-failed", unit, check=False)
        unit_path.unlink(missing_ok=True)
        systemctl("daemon-reload")
