"""Pure: pod create's other limits (issue 19): their checks and systemd's forms."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.pods.cgroup import (
    _bitmask,
    check_cpuset,
    check_placement,
    check_swap,
    shares_to_weight,
    slice_properties,
)
from supervisor.pods.db import PodConfig


def test_cpuset_lists() -> None:
    for good in ("", "0", "0-3", "0,2,4-7"):
        assert check_cpuset("--cpuset-cpus", good) == good
    for bad in ("abc", "1-", ",1", "1;2", "-1"):
        with pytest.raises(UsageError, match=f"could not parse list: invalid format: {bad}"):
            check_cpuset("--cpuset-cpus", bad)


def test_swap_against_memory() -> None:
    assert check_swap(128 << 20, 64 << 20) == 128 << 20
    assert check_swap(-1, 64 << 20) == -1
    with pytest.raises(UsageError, match="must provide a memory limit"):
        check_swap(128 << 20, 0)
    with pytest.raises(UsageError, match="larger than memory limit"):
        check_swap(32 << 20, 64 << 20)


def test_systemd_forms() -> None:
    assert (shares_to_weight(2), shares_to_weight(1024), shares_to_weight(262144)) == \
        (1, 39, 10000)
    assert _bitmask("0") == b"\x01" and _bitmask("1-3,9") == b"\x0e\x02"
    cfg = PodConfig(cpu_shares=512, cpuset_cpus="0-1", memory=64 << 20, memory_swap=-1)
    assert slice_properties(cfg, unified=False) == {
        "MemoryLimit": ("t", 64 << 20), "CPUShares": ("t", 512)}
    assert slice_properties(cfg, unified=True) == {
        "MemoryMax": ("t", 64 << 20), "CPUWeight": ("t", 20),
        "MemorySwapMax": ("t", 2**64 - 1), "AllowedCPUs": ("ay", b"\x03")}


def test_slices_on_v1_refuse_cpusets_and_swap() -> None:
    check_placement(PodConfig(cpuset_cpus="0"), systemd=True, unified=True)
    check_placement(PodConfig(cpuset_cpus="0"), systemd=False, unified=False)
    check_placement(PodConfig(cpu_shares=2), systemd=True, unified=False)
    for cfg in (PodConfig(cpuset_mems="0"), PodConfig(memory=1, memory_swap=2)):
        with pytest.raises(UsageError, match="only on cgroup v2"):
            check_placement(cfg, systemd=True, unified=False)
