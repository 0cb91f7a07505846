"""Stored container configs for pure tests (what `create` would have validated)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from supervisor.model import (
    CgroupManager,
    CgroupParent,
    CgroupsMode,
    ContainerConfig,
    LogConfig,
    LogDriver,
    NetworkMode,
)
from supervisor.options import CreateOptions


def config(opts: CreateOptions | None = None, **changes: Any) -> ContainerConfig:
    base = ContainerConfig(
        options=opts or CreateOptions(image="busybox"),
        runtime="/usr/sbin/runc",
        cgroup_manager=CgroupManager.CGROUPFS,
        cgroups=CgroupsMode.ENABLED,
        cgroup_parent=CgroupParent("/scopebox"),
        network=NetworkMode.NONE,
        log=LogConfig(LogDriver.K8S_FILE),
    )
    return replace(base, **changes)
