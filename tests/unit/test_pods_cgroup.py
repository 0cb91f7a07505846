"""Pure parts of a pod's cgroup (helper podsx): names, limits as systemd properties."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.pods.cgroup import parse_cpus, pod_cgroup, slice_properties
from supervisor.pods.db import PodConfig

ID = "ab" * 32


def test_names() -> None:
    assert pod_cgroup(ID, "", True) == f"machine-scopebox_pod_{ID}.slice"
    assert pod_cgroup(ID, "app.slice", True) == f"app-scopebox_pod_{ID}.slice"
    assert pod_cgroup(ID, "", False) == f"/scopebox/pod_{ID}"
    assert pod_cgroup(ID, "/a//b/", False) == f"/a/b/pod_{ID}"
    for bad, systemd in (("../x", False), ("/a/../b", False), ("notaslice", True),
                         ("a/b.slice", True)):
        with pytest.raises(UsageError):
            pod_cgroup(ID, bad, systemd)


def test_limits() -> None:
    assert parse_cpus("1.5") == 1.5 and parse_cpus("0") == 0.0
    for bad in ("x", "-1", "nan"):
        with pytest.raises(UsageError):
            parse_cpus(bad)
    cfg = PodConfig(cpus=0.5, memory=64 << 20)
    assert slice_properties(cfg, unified=False) == {
        "CPUQuotaPerSecUSec": ("t", 500_000), "MemoryLimit": ("t", 64 << 20)}
    assert slice_properties(cfg, unified=True)["MemoryMax"] == ("t", 64 << 20)
    assert slice_properties(PodConfig(), unified=True) == {}
