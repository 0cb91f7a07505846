"""Resource flags to OCI linux.resources, and the refusals, without any I/O."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.resources import ResourceOptions, oci_resources, parse_cpu_list

CPUS, MEMS = {0, 1}, {0}


def res(**kw: object) -> dict[str, object]:
    return oci_resources(ResourceOptions(**kw), CPUS, MEMS)  # type: ignore[arg-type]


def test_defaults_only_the_pids_limit() -> None:
    assert res() == {"pids": {"limit": 2048}}
    assert res(pids_limit=-1) == {}


def test_memory_and_docker_swap_default() -> None:
    assert res(memory="64m")["memory"] == {"limit": 64 << 20, "swap": 128 << 20}
    assert res(memory="64m", memory_swap="-1")["memory"] == {"limit": 64 << 20, "swap": -1}
    out = res(memory="1g", memory_swap="2g", memory_reservation="512m")["memory"]
    assert out == {"limit": 1 << 30, "swap": 2 << 30, "reservation": 512 << 20}


def test_cpus_become_quota_and_period() -> None:
    assert res(cpus="0.5")["cpu"] == {"quota": 50000, "period": 100000}
    # Podman's: more than the host has is a quota all the same; 0 or less is no limit
    assert res(cpus="5")["cpu"] == {"quota": 500000, "period": 100000}
    assert "cpu" not in res(cpus="0") and "cpu" not in res(cpus="-1")
    assert res(cpu_shares=512, cpuset_cpus="0-1", cpuset_mems="0")["cpu"] == {
        "shares": 512,
        "cpus": "0-1",
        "mems": "0",
    }


@pytest.mark.parametrize(
    ("kw", "flag"),
    [
        ({"memory": "10x"}, "--memory"),
        ({"memory": "1m"}, "--memory"),
        ({"memory_swap": "1g"}, "--memory-swap"),
        ({"memory": "1g", "memory_swap": "512m"}, "--memory-swap"),
        ({"memory": "1g", "memory_reservation": "2g"}, "--memory-reservation"),
        ({"cpus": "0.001"}, "--cpus"),
        ({"cpus": "x"}, "--cpus"),
        ({"cpus": "1", "cpu_quota": 50000}, "--cpus"),
        ({"cpu_quota": 10}, "--cpu-quota"),
        ({"cpu_period": 10}, "--cpu-period"),
        ({"cpu_shares": 1}, "--cpu-shares"),
        ({"cpuset_cpus": "0,5"}, "--cpuset-cpus"),
        ({"cpuset_cpus": "1-0"}, "--cpuset-cpus"),
        ({"cpuset_mems": "1"}, "--cpuset-mems"),
        ({"pids_limit": -2}, "--pids-limit"),
        ({"blkio_weight": 5}, "--blkio-weight"),
    ],
)
def test_refused_with_the_flag_named(kw: dict[str, object], flag: str) -> None:
    with pytest.raises(UsageError, match=flag):
        res(**kw)


def test_cpu_list() -> None:
    assert parse_cpu_list("0-3,5,7-8\n") == {0, 1, 2, 3, 5, 7, 8}
    for bad in ("", "a", "3-1", "1-", "-1"):
        with pytest.raises(ValueError):
            parse_cpu_list(bad)
