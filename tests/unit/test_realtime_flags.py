"""issue 19 (helper "flags"): --cpu-rt-period/--cpu-rt-runtime into the OCI spec (cgroup v1),
dropped with Podman's warnings on cgroup v2."""

from __future__ import annotations

from supervisor import notices
from supervisor.resources import ResourceOptions, discard_realtime, oci_resources


def test_realtime_values_reach_the_spec() -> None:
    opts = ResourceOptions(cpu_rt_period=100000, cpu_rt_runtime=-1)
    cpu = oci_resources(opts, {0, 1}, {0})["cpu"]
    assert (cpu["realtimePeriod"], cpu["realtimeRuntime"]) == (100000, -1)
    assert "cpu" not in oci_resources(ResourceOptions(), {0, 1}, {0})


def test_v2_drops_them_with_podmans_warnings() -> None:
    seen: list[str] = []
    notices.listen(seen.append)
    notices._said.clear()
    try:
        opts = ResourceOptions(cpu_rt_period=100000, cpu_rt_runtime=5)
        assert discard_realtime(opts, unified=False) is opts
        assert seen == []
        assert discard_realtime(opts, unified=True) == ResourceOptions()
        assert seen == ["Realtime period not supported on cgroups V2 systems",
                        "Realtime runtime not supported on cgroups V2 systems"]
    finally:
        notices._sink = None
        notices._said.clear()
