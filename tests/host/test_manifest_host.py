"""verbs: a local manifest list of two images (amd64, arm64) pushed to a real registry
(Debian's docker-registry), read back by skopeo (an independent client), and pulled back:
the pull picks the entry of the platform asked for."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import registryhelp as rh
from tests.clihelp import Scopebox


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[rh.Registry]:
    with rh.registry(tmp_path / "reg") as r:
        yield r


def _arch(sb: Scopebox, ref: str) -> str:
    return sb("image", "inspect", "--format", "{{.Architecture}}", ref).stdout.strip()


def test_list_pushed_and_pulled_by_platform(sb: Scopebox, reg: rh.Registry,
                                            tmp_path: Path) -> None:
    tar = tmp_path / "rootfs.tar"
    subprocess.run(["sh", "packaging/busybox-rootfs.sh", str(tar)], check=True,
                   capture_output=True)
    sb("import", "--arch", "arm64", str(tar), "verbs-arm")
    lst = f"{reg.host}/verbs/multi:v1"
    try:
        made = sb("manifest", "create", "verbs-ml", "busybox", "containers-storage:verbs-arm")
        doc = json.loads(sb("manifest", "inspect", "verbs-ml").stdout)
        assert made.stdout.strip() and len(doc["manifests"]) == 2
        assert [m["platform"]["architecture"] for m in doc["manifests"]] == ["amd64", "arm64"]
        sb("manifest", "push", "--tls-verify=false", "-q", "--digestfile",
           str(tmp_path / "d"), "verbs-ml", f"docker://{lst}")
        raw = rh.skopeo_inspect(reg, "verbs/multi:v1", raw=True)
        assert raw.returncode == 0, raw.stderr
        theirs = json.loads(raw.stdout)
        assert theirs == doc  # the registry holds the list as scopebox showed it
        assert (tmp_path / "d").read_text().startswith("sha256:")
        for entry in doc["manifests"]:  # each image went too, by its digest
            one = rh.skopeo_inspect(reg, f"verbs/multi@{entry['digest']}")
            assert one.returncode == 0, one.stderr
        sb("pull", "-q", "--tls-verify=false", "--platform", "linux/arm64", lst)
        assert _arch(sb, lst) == "arm64"
        sb("rmi", lst)
        sb("pull", "-q", "--tls-verify=false", lst)
        assert _arch(sb, lst) == "amd64"
    finally:
        sb("rmi", "-f", "-i", lst, "localhost/verbs-arm:latest")
        sb("manifest", "rm", "verbs-ml", check=False)
    assert sb("manifest", "exists", "verbs-ml", check=False).returncode == 1


def test_rmi_takes_a_manifest_list(sb: Scopebox) -> None:
    """Podman's `rmi LIST` removes the list (an image to Podman) with its two lines."""
    made = sb("manifest", "create", "verbs-rmi-ml").stdout.strip()
    res = sb("rmi", "verbs-rmi-ml")
    want = ["Untagged: localhost/verbs-rmi-ml:latest", f"Deleted: {made}"]
    assert res.stdout.splitlines() == want
    assert sb("manifest", "exists", "verbs-rmi-ml", check=False).returncode == 1
    res = sb("rmi", "verbs-rmi-ml", check=False)
    assert (res.returncode, res.stderr.strip()) == (1, "Error: verbs-rmi-ml: image not known")
