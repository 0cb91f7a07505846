"""`--storage-driver` per call, as Podman's scripts and its own tests (005-info, 010-images,
330-corrupt-images) use it: vfs makes this call's containers from copies, overlay mounts."""

from __future__ import annotations

from tests.clihelp import Scopebox


def test_storage_driver_per_call(sb: Scopebox) -> None:
    mountinfo = sb("--storage-driver", "vfs", "run", "--rm", "--network", "none", "busybox",
                   "awk", "$5 == \"/\"", "/proc/self/mountinfo").stdout  # fmt: skip
    assert " - overlay " not in mountinfo, mountinfo  # a copy, bind-mounted
    mountinfo = sb("--storage-driver", "overlay", "run", "--rm", "--network", "none",
                   "busybox", "awk", "$5 == \"/\"", "/proc/self/mountinfo").stdout  # fmt: skip
    assert " - overlay " in mountinfo, mountinfo
    info = sb("--storage-driver=vfs", "info", "--format", "{{.Store.GraphDriverName}}").stdout
    assert info == "vfs\n"
    bad = sb("--storage-driver", "bogus", "images", check=False)
    assert bad.returncode == 125 and "driver not supported" in bad.stderr
