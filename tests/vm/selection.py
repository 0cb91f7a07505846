"""Which tests the cgroup v2 lane runs (tests/vm/lane.py), in one place.

    python3 tests/vm/selection.py TIER RUNTIME    prints the pytest node ids, one per line

The lane is slow (software emulation, ~15x), so it runs what exercises cgroup v2 with
controllers: the spine's end-to-end cases (under systemd only), limits / OOM / pause / stats /
update (both cgroup managers), the cgroupfs library on a real v2 hierarchy, and systemd
supervision (scopes, journald, the systemd cgroup driver).
`host` is the cgroupfs manager (SCOPEBOX_CGROUP_MANAGER=cgroupfs) under the VM's systemd,
`systemd` the default systemd manager. crun runs all of it; runc the subset in RUNC. A node id
that no longer exists fails the lane (pytest: "not found"), so renames cannot shrink it silently.
"""

from __future__ import annotations

import sys

SPINE = (  # tests/cases.py: run, exit codes, stop, kill, rm, logs (systemd tier only)
    "test_exit_codes",
    "test_exit_137_after_kill9",
    "test_detached_lifecycle",
    "test_monitor_killed",
)
CGROUP_CASES = (  # tests/cases.py: what cgroup v2 with controllers changes (both tiers)
    "test_resource_limits_reach_the_kernel",
    "test_oom_killed",
    "test_oom_event_seen_within_1s",
    "test_bad_resource_values_create_nothing",
    "test_pause_unpause",
    "test_fork_bomb_is_contained",
    "test_cpus_limit_holds_a_busy_loop_near_half_a_cpu",
    "test_cgroup_conf_needs_pure_v2",
)

# Not test_runtime_failure_changes_nothing: on v2 the kernel accepts a memory.max below the
# usage (it reclaims, then OOM-kills) where v1 refuses the write; that test is about v1.
UPDATE_HOST = (
    "tests/host/test_update_host.py::test_running_container_gets_new_limits",
    "tests/host/test_update_host.py::test_bad_value_is_refused_and_nothing_changes",
    "tests/host/test_update_host.py::test_stopped_container_gets_them_at_the_next_start",
)

HOST = (
    *(f"tests/host/test_cli_host.py::{case}" for case in CGROUP_CASES),
    "tests/host/test_cli_host.py::test_cgroup_parent_is_a_path_with_cgroupfs",
    "tests/host/test_cli_host.py::test_cgroups_disabled_needs_crun",
    "tests/host/test_cgroupfs_host.py::test_detect_agrees_with_findmnt",
    "tests/host/test_cgroupfs_host.py::test_create_and_remove_in_every_hierarchy",
    "tests/host/test_cgroupfs_host.py::test_add_pid_moves_process_everywhere",
    "tests/host/test_cgroupfs_host.py::test_empty_watch_fires_when_the_process_dies",
    "tests/host/test_cgroupfs_host.py::test_remove_waits_for_dying_processes",
    "tests/host/test_cgroupfs_host.py::test_remove_of_a_busy_cgroup_times_out",
    "tests/host/test_cgroupfs_host.py::test_freeze_thaw_v2_cgroup_freeze",
    "tests/host/test_cgroupfs_host.py::test_kill_v2_cgroup_kill",
    "tests/host/test_cgroupfs_host.py::test_v2_oom_kill_is_reported",
    "tests/host/test_cgroupfs_host.py::test_open_oom_watch_of_a_missing_process",
    "tests/host/test_stats_host.py",
    *UPDATE_HOST,
)

# --cgroups=split (Quadlet's and `generate systemd --new`'s mode): on v2 the kernel's
# no-internal-process rule applies to the unit's cgroup, which hybrid hosts never show.
SUPERVISION = ("tests/system/test_restart_systemd.py::test_split_cgroups_in_a_notify_unit",)
# Rootless (issue 17): limits through the controllers systemd delegates to a user, which a
# hybrid host has none of.
ROOTLESS = ("tests/system/test_rootless_systemd.py::test_limits_need_controllers_delegated_by_systemd",)  # noqa: E501

SYSTEMD = (
    *(f"tests/system/test_cli_systemd.py::{case}" for case in (*SPINE, *CGROUP_CASES)),
    "tests/system/test_cli_systemd.py::test_info_says_systemd",
    "tests/system/test_cli_systemd.py::test_lifecycle_scopes_and_journal",
    "tests/system/test_cli_systemd.py::test_systemctl_stop_records_exit",
    "tests/system/test_cli_systemd.py::test_limits_are_unit_properties",
    "tests/system/test_cli_systemd.py::test_cgroup_parent_is_a_slice_with_systemd",
    "tests/system/test_cli_systemd.py::test_cgroups_disabled_with_crun",
    "tests/system/test_update_systemd.py",
    *SUPERVISION,
    *ROOTLESS,
    "tests/system/test_restart_systemd.py::test_always_comes_back_after_kill9_and_stop_ends_it",
)

# runc: the cgroup paths its drivers take, not the whole spine a second time.
RUNC_CASES = (
    "test_resource_limits_reach_the_kernel",
    "test_oom_killed",
    "test_oom_event_seen_within_1s",
    "test_pause_unpause",
    "test_fork_bomb_is_contained",
)
# With the cgroupfs manager runc gets the same spec crun does and writes the same v2 files its
# systemd driver writes too (below): one case shows the path works, not the whole set again
# (it cost the lane ~6 of its ~37 minutes).
RUNC = {
    "host": ("tests/host/test_cli_host.py::test_resource_limits_reach_the_kernel",),
    "systemd": (
        *(f"tests/system/test_cli_systemd.py::{case}" for case in RUNC_CASES),
        "tests/system/test_cli_systemd.py::test_detached_lifecycle",
        "tests/system/test_cli_systemd.py::test_lifecycle_scopes_and_journal",
        "tests/system/test_update_systemd.py",
        *SUPERVISION,
        *ROOTLESS,  # runc finds the user's uid through busctl: a path of its own
    ),
}


def selection(tier: str, runtime: str) -> tuple[str, ...]:
    if runtime == "runc":
        return RUNC[tier]
    return {"host": HOST, "systemd": SYSTEMD}[tier]


if __name__ == "__main__":
    print("\n".join(selection(sys.argv[1], sys.argv[2])))
