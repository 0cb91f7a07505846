"""scopebox-kube@.service under the real systemd (kube, issue 15): starting an instance plays
the YAML file it names, stopping it removes the pods again, as podman-kube@.service does."""

from __future__ import annotations

import json
import subprocess
import sys
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
