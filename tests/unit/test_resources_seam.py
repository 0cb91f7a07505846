"""The resource seam: teardown is reachable from the monitor's exit command (`python3 -I -S`,
no site-packages), and the record outlives a crash."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from supervisor.container import resources
from supervisor.model import (
    CgroupManager,
    CgroupsMode,
    LogConfig,
    LogDriver,
    RestartName,
    RestartPolicy,
)
from supervisor.options import CreateOptions
from tests.unit.configs import config

CHECKOUT = Path(__file__).resolve().parents[2]
# Every module the exit command's teardown may import (lazily too).
TEARDOWN_MODULES = [
    "supervisor.cli.cleanup", "supervisor.container.cleanup", "supervisor.container.resources",
    "supervisor.container.reconcile", "supervisor.container.remove", "supervisor.container.oci",
    "supervisor.network.pasta", "supervisor.network.slirp",  # rootless (issue 17)
    "supervisor.journal_limit",  # helper "monitor" (issue 16)
]  # fmt: skip


def test_teardown_path_needs_no_site_packages() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(CHECKOUT)!r}); import {', '.join(TEARDOWN_MODULES)}"
    )
    res = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_run_resources_in_setup_order() -> None:
    names = [r.name for r in resources.for_run(config())]
    assert names == ["rundir", "rootfs", "runtime"]
    split = config(cgroups=CgroupsMode.SPLIT)
    assert [r.name for r in resources.for_run(split)] == [
        "rundir",
        "split-cgroup",
        "rootfs",
        "runtime",
    ]
    rootfs = config(CreateOptions(image="/srv/root", rootfs=True))
    assert [r.name for r in resources.for_run(rootfs)] == ["rundir", "runtime"]


def test_journald_limit_for_a_scope_monitor_of_root_only() -> None:
    """helper "monitor" (issue 16): journald's burst file for the monitor's scope."""
    journald = config(cgroup_manager=CgroupManager.SYSTEMD, log=LogConfig(LogDriver.JOURNALD))
    names = [r.name for r in resources.for_run(journald)]
    expected = ["rundir", "rootfs", "journald-limit", "runtime"]
    assert names == (expected if os.geteuid() == 0 else [n for n in expected if n[0] != "j"])
    service = dataclasses.replace(journald, restart=RestartPolicy(RestartName.ALWAYS))
    assert "journald-limit" not in [r.name for r in resources.for_run(service)]
    k8s = dataclasses.replace(journald, log=LogConfig(LogDriver.K8S_FILE))
    assert "journald-limit" not in [r.name for r in resources.for_run(k8s)]


def test_every_resource_is_known_by_its_recorded_name() -> None:
    assert set(resources.BY_NAME) == {"rundir", "split-cgroup", "rootfs", "runtime", "volumes",
                                      "network", "net-joined-hosts", "pasta",
                                      "slirp4netns", "journald-limit"}
    assert all(resources.BY_NAME[r.name] is r for r in resources.ALL)
