"""`scopebox update`: new flags merged with the stored ones, validated again, and what the
runtime's `update --resources` gets. No I/O."""

from __future__ import annotations

from typing import Any

import pytest

from supervisor.errors import UsageError
from supervisor.model import load_config
from supervisor.resources import ResourceOptions
from supervisor.state import Status
from supervisor.store import ContainerRow
from supervisor.update import (
    UNSET,
    merge,
    runtime_resources,
    stored_options,
    unit_properties,
    validate,
)

CPUS, MEMS = {0, 1}, {0}
# The smallest config the release (schema 1) stored.
V1 = {"runtime": "runc", "cgroup_manager": "cgroupfs", "cgroup_parent": "/x", "log_driver": "none"}


def check(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return validate(ResourceOptions(**stored), ResourceOptions(**new), CPUS, MEMS)[1]


def test_new_values_on_top_of_the_stored_ones() -> None:
    merged = merge(
        ResourceOptions(memory="64m", pids_limit=64, cpu_shares=512),
        ResourceOptions(memory="128m", cpuset_cpus="1"),
    )
    assert merged == ResourceOptions(memory="128m", pids_limit=64, cpu_shares=512, cpuset_cpus="1")


def test_no_flag_is_refused() -> None:
    with pytest.raises(UsageError, match="at least one flag"):
        merge(ResourceOptions(memory="64m"), ResourceOptions())


def test_swap_is_checked_against_the_stored_memory() -> None:
    with pytest.raises(UsageError, match="at least --memory"):
        check({"memory": "256m"}, {"memory_swap": "128m"})
    with pytest.raises(UsageError, match="needs --memory"):
        check({}, {"memory_swap": "128m"})
    assert check({"memory": "64m"}, {"memory_swap": "128m"})["memory"] == {
        "limit": 64 << 20,
        "swap": 128 << 20,
    }


def test_new_memory_above_a_kept_swap_limit_is_refused() -> None:
    with pytest.raises(UsageError, match="update --memory-swap at the same time"):
        check({"memory": "64m", "memory_swap": "128m"}, {"memory": "256m"})
    out = check({"memory": "64m", "memory_swap": "128m"}, {"memory": "256m", "memory_swap": "1g"})
    assert out["memory"] == {"limit": 256 << 20, "swap": 1 << 30}


def test_default_swap_follows_the_new_memory() -> None:
    assert check({"memory": "64m"}, {"memory": "128m"})["memory"]["swap"] == 256 << 20
    assert check({"memory": "64m", "memory_swap": "-1"}, {"memory": "1g"})["memory"]["swap"] == -1


def test_reservation_is_checked_against_the_stored_memory() -> None:
    with pytest.raises(UsageError, match="must not be above --memory"):
        check({"memory": "64m"}, {"memory_reservation": "128m"})


def test_cpus_replaces_a_stored_quota_and_period_and_the_other_way_round() -> None:
    assert check({"cpu_quota": 20000, "cpu_period": 50000}, {"cpus": "1.5"})["cpu"] == {
        "quota": 150000,
        "period": 100000,
    }
    assert check({"cpus": "0.5"}, {"cpu_quota": 30000})["cpu"] == {"quota": 30000}
    with pytest.raises(UsageError, match="conflicts"):
        check({}, {"cpus": "1", "cpu_quota": 30000})


@pytest.mark.parametrize(
    "new",
    [
        {"memory": "1m"},
        {"memory": "lots"},
        {"cpus": "0.001"},  # under 1 ms of quota (more than the host has is allowed)
        {"cpu_shares": 1},
        {"cpuset_cpus": "5"},
        {"cpuset_mems": "1"},
        {"pids_limit": -2},
        {"blkio_weight": 5},
    ],
)
def test_bad_values_are_refused(new: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        check({"memory": "64m"}, new)


def test_runtime_gets_dropped_limits_as_the_kernel_defaults() -> None:
    current = {
        "memory": {"limit": 64 << 20, "swap": 128 << 20},
        "cpu": {"quota": 50000, "period": 100000, "cpus": "1"},
        "pids": {"limit": 2048},
    }
    target = {"memory": {"limit": 128 << 20, "swap": 256 << 20}, "cpu": {"shares": 512}}
    assert runtime_resources(target, current, CPUS, MEMS) == {
        "memory": {"limit": 128 << 20, "swap": 256 << 20},
        "cpu": {"shares": 512, "quota": -1, "period": 100000, "cpus": "0,1"},
        "pids": {"limit": -1},
    }
    # The rollback: back from target to current resets what only target had.
    back = runtime_resources(current, target, CPUS, MEMS)
    assert back["cpu"] == {"quota": 50000, "period": 100000, "cpus": "1", "shares": 1024}


def test_runtime_gets_no_defaults_it_does_not_need() -> None:
    oci = check({}, {"cpus": "0.5", "cpuset_cpus": "1", "pids_limit": 100, "blkio_weight": 300})
    assert runtime_resources(oci, {"pids": {"limit": 2048}}, CPUS, MEMS) == oci


def test_stored_options_read_from_the_row() -> None:
    saved = {"memory": "64m", "pids_limit": 10}
    row = ContainerRow(
        id="c" * 64,
        name="x",
        image_id="",
        image_name="",
        created="",
        status=Status.CREATED,
        config=load_config(
            {**V1, "options": {"image": "x", "resources": {**saved, "gone": 1}}}
        ),
    )
    assert stored_options(row) == ResourceOptions(memory="64m", pids_limit=10)


def test_unit_properties_follow_the_new_limits() -> None:
    old = {"memory": {"limit": 64 << 20, "swap": 128 << 20}, "pids": {"limit": 2048}}
    new = {"memory": {"limit": 128 << 20}, "cpu": {"quota": 50000, "period": 100000}}
    assert unit_properties(old, new, unified=False) == {
        "CPUQuotaPerSecUSec": ("t", 500_000),
        "MemoryLimit": ("t", 128 << 20),
        "TasksMax": ("t", UNSET),  # dropped (--pids-limit -1): the scope's old limit goes too
    }
    assert unit_properties(new, old, unified=True) == {
        "CPUQuotaPerSecUSec": ("t", UNSET),
        "MemoryMax": ("t", 64 << 20),
        "TasksMax": ("t", 2048),
    }
    assert unit_properties(old, old, unified=False) == {
        "MemoryLimit": ("t", 64 << 20),
        "TasksMax": ("t", 2048),
    }
