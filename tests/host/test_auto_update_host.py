"""verbs: `auto-update --dry-run` finds the containers labelled io.containers.autoupdate
that a unit runs (PODMAN_SYSTEMD_UNIT) and says which have a newer local image: a commit
under the image's name makes it pending; without systemd a real update says why."""

from __future__ import annotations

import json
import os

import pytest

from tests.clihelp import Scopebox


def _report(sb: Scopebox) -> dict[str, str]:
    rows = json.loads(sb("auto-update", "--dry-run", "--format", "json").stdout or "[]")
    return {r["ContainerName"]: r["Updated"] for r in rows}


def test_local_policy_pending_after_a_new_image(sb: Scopebox) -> None:
    img = "localhost/verbs-au:latest"
    sb("tag", "busybox", img)
    label = ["--label", "io.containers.autoupdate=local"]
    sb("run", "-d", "--name", "verbs-au", *label, "--label",
       "PODMAN_SYSTEMD_UNIT=verbs-au.service", img, "sleep", "100")
    sb("run", "-d", "--name", "verbs-au-nounit", *label, img, "sleep", "100")  # skipped
    sb("create", "--name", "verbs-au-made", *label, "--label",
       "PODMAN_SYSTEMD_UNIT=x.service", img, "true")  # not running: skipped
    sb("create", "--name", "verbs-au-src", "busybox", "true")
    try:
        assert _report(sb) == {"verbs-au": "false"}
        sb("commit", "-q", "verbs-au-src", img)
        assert _report(sb) == {"verbs-au": "pending"}
        table = sb("auto-update", "--dry-run").stdout.splitlines()
        assert table[0].split() == ["UNIT", "CONTAINER", "IMAGE", "POLICY", "UPDATED"]
        assert table[1].split()[0] == "verbs-au.service" and table[1].split()[-2:] == [
            "local", "pending"]
        if not os.path.exists("/run/systemd/system"):
            res = sb("auto-update", check=False)
            assert res.returncode == 125 and "systemd is not running" in res.stderr
    finally:
        sb("rm", "-f", "-t", "0", "verbs-au", "verbs-au-nounit", "verbs-au-made",
           "verbs-au-src")
        sb("rmi", "-f", img)


@pytest.mark.parametrize("policy", ["bogus"])
def test_unknown_policy_is_refused(sb: Scopebox, policy: str) -> None:
    sb("run", "-d", "--name", "verbs-au-bad", "--label", f"io.containers.autoupdate={policy}",
       "--label", "PODMAN_SYSTEMD_UNIT=x.service", "busybox", "sleep", "100")
    try:
        res = sb("auto-update", "--dry-run", check=False)
        assert res.returncode == 125 and f'"{policy}"' in res.stderr
    finally:
        sb("rm", "-f", "-t", "0", "verbs-au-bad")
