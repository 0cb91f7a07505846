"""verbs: `init` under a real systemd: the monitor's scope exists from init on, the container's
scope (runc's systemd driver) holds the runtime's waiting process; start runs it, stop ends
both scopes; and auto-update restarts the unit that runs a container whose image changed."""

from __future__ import annotations

import subprocess

import pytest

from tests.cases import unique
from tests.clihelp import SCOPEBOX, Scopebox, wait_for

pytestmark = pytest.mark.systemd


def _active(unit: str) -> str:
    return subprocess.run(["systemctl", "is-active", unit], capture_output=True,
                          text=True).stdout.strip()


def test_init_then_start_under_systemd(sb: Scopebox) -> None:
    name = unique("verbs-init")
    cid = sb("create", "--name", name, "busybox", "sleep", "100").stdout.strip()
    try:
        sb("init", name)
        assert sb.state(name)["Status"] == "initialized"
        assert _active(f"scopebox-conmon-{cid}.scope") == "active"
        sb("start", name)
        assert sb.state(name)["Status"] == "running"
        assert _active(f"scopebox-{cid}.scope") == "active"
        sb("stop", "-t", "1", name)
        wait_for(lambda: _active(f"scopebox-conmon-{cid}.scope") != "active", 10,
                 "the monitor's scope to end")
    finally:
        sb("rm", "-f", "-t", "0", name)


def test_auto_update_restarts_the_unit(sb: Scopebox) -> None:
    name = unique("verbs-au")
    unit = f"{name}.service"
    img = f"localhost/{name}:latest"
    sb("tag", "busybox", img)
    argv = [*sb_cmd(), "run", "--rm", "--replace", "--name", name, "--label",
            "io.containers.autoupdate=local", img,
            # ends on the SIGTERM the unit's restart sends (a bare sleep as PID 1 ignores it,
            # and each stop of the unit then waits systemd's 90 s for its SIGKILL)
            "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    subprocess.run(["systemd-run", "--unit", unit, "-p", "Environment=PODMAN_SYSTEMD_UNIT="
                    + unit, *argv], check=True, capture_output=True)
    try:
        wait_for(lambda: sb("inspect", "--format", "{{.State.Status}}", name,
                            check=False).stdout.strip() == "running", 30, "the unit's run")
        before = sb("inspect", "--format", "{{.Id}}", name).stdout.strip()
        sb("create", "--name", f"{name}-src", "busybox", "true")
        sb("commit", "-q", f"{name}-src", img)
        out = sb("auto-update", "--format", "{{.Unit}} {{.Updated}}").stdout
        assert out == f"{unit} true\n"
        # --type container: while the unit restarts there is no container of that name, and
        # a plain inspect would find the image (localhost/NAME) instead
        wait_for(lambda: sb("inspect", "--type", "container", "--format", "{{.Id}}", name,
                            check=False).stdout.strip() not in ("", before), 60,
                 "the unit's new container")
        new_image = sb("inspect", "--type", "container", "--format", "{{.Image}}",
                       name).stdout.strip()
        want = sb("image", "inspect", "--format", "{{.Id}}", img).stdout.strip()
        assert new_image.removeprefix("sha256:") == want.removeprefix("sha256:")
    finally:
        subprocess.run(["systemctl", "stop", unit], capture_output=True)
        subprocess.run(["systemctl", "reset-failed", unit], capture_output=True)
        sb("rm", "-f", "-t", "0", name, f"{name}-src", check=False)
        sb("rmi", "-f", img, check=False)


def sb_cmd() -> list[str]:
    return list(SCOPEBOX)
