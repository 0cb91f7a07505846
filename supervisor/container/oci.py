"""The OCI runtime's command line for one container (runc or crun, its state root, cgroup driver).
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from supervisor.errors import (
    RuntimeFailed,
)
from supervisor.model import (
    CgroupManager,
    CgroupsMode,
)
from supervisor.monitor import runtime_message
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def runtime_argv(ctx: Context, row: ContainerRow) -> list[str]:
    cfg = row.config
    argv = [cfg.runtime, f"--root={ctx.paths.runtime_root}"]
    if cfg.cgroups is CgroupsMode.DISABLED:
        argv.append("--cgroup-manager=disabled")  # crun's
    elif cfg.cgroup_manager is CgroupManager.SYSTEMD and (not _rootless() or _scope(row)):
        # Rootless (issue 17): on cgroup v2 with the user's D-Bus the driver reaches the
        # user's manager (specgen.runtime_scope); otherwise the spec names no cgroup and the
        # engine puts the container in the user manager's scopebox-<id>.scope (launch.py).
        argv.append("--systemd-cgroup")
    return argv + list(ctx.settings.runtime_flags)  # --runtime-flag


def _rootless() -> bool:
    from supervisor.rootless import is_rootless

    return is_rootless()


def _scope(row: ContainerRow) -> bool:
    from supervisor.specgen import runtime_scope

    return runtime_scope(row)


def run_runtime(ctx: Context, row: ContainerRow, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ctx.runtime_argv(row), *args], capture_output=True, text=True, check=False
    )


def runtime_or_fail(ctx: Context, row: ContainerRow, verb: str) -> None:
    res = ctx.run_runtime(row, verb, row.id)
    if res.returncode != 0:
        raise RuntimeFailed(runtime_message(res.stderr) or f"the OCI runtime's {verb} failed")
