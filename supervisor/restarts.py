"""Restart policies: parsing, and the engine's side of a monitor that restarts containers.

With a restart policy other than `no` and the systemd cgroup manager the monitor is the
main process of the transient `scopebox-<id>.service`; systemd restarts it, and the monitor
decides by its exit status whether it wants that (`conmon.restart`). With the cgroupfs
manager there is no systemd to do that: the same monitor stays and creates the container
again itself after the back-off ("in place"). Files the engine and the monitor share, in
the container's persistent dir:

    restarts   the restart count (the monitor writes it before each restart; start resets it)
    stopped    a user stopped the container: no restart, and unless-stopped stays down at boot
"""

from __future__ import annotations

import os
from typing import Any

from conmon.restart import EXIT_DONE, SYSTEMD_RESTART_SEC
from supervisor.model import RestartPolicy
from supervisor.paths import Paths
from supervisor.store import ContainerRow

START_TIMEOUT_S = 90  # the longest back-off (60 s) plus create and start
USEC = 1_000_000


def policy_of(row: ContainerRow) -> RestartPolicy:
    return row.config.restart


def is_service(row: ContainerRow) -> bool:
    """The monitor runs as scopebox-<id>.service (else: a scope, or no systemd at all)."""
    return policy_of(row).name != "no" and row.config.cgroup_manager == "systemd"


def in_place(row: ContainerRow) -> bool:
    """A restart policy without systemd (the cgroupfs manager): the monitor restarts the
    container itself and lives across the restarts."""
    return policy_of(row).name != "no" and row.config.cgroup_manager != "systemd"


def supervised(row: ContainerRow) -> bool:
    """A restart policy holds: its monitor (or the monitor's unit) may run it again."""
    return policy_of(row).name != "no"


def unit_name(cid: str) -> str:
    return f"scopebox-{cid}.service"


def restarts_file(paths: Paths, cid: str) -> str:
    return os.path.join(paths.container_dir(cid), "restarts")


def stopped_file(paths: Paths, cid: str) -> str:
    return os.path.join(paths.container_dir(cid), "stopped")


def start_error_file(paths: Paths, cid: str) -> str:
    return os.path.join(paths.container_rundir(cid), "start-error")


def read_restarts(paths: Paths, cid: str) -> int:
    try:
        with open(restarts_file(paths, cid)) as f:
            return int((f.read().split() or ["0"])[0])
    except (OSError, ValueError):
        return 0


def read_pid(path: str) -> int:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def service_properties(row: ContainerRow, argv: list[str], env: list[str]) -> list[Any]:
    """StartTransientUnit properties of scopebox-<id>.service.

    Restart= maps the policy; the exact count and the back-off live in the monitor (its
    exit status EXIT_DONE is in RestartPreventExitStatus=), so no StartLimit is needed.
    """
    policy = policy_of(row)
    restart = "on-failure" if policy.name == "on-failure" else "always"
    done: tuple[list[int], list[int]] = ([EXIT_DONE], [])
    props: list[Any] = [
        ("Description", ("s", f"scopebox container {row.name}")),
        ("Slice", ("s", row.config.cgroup_parent)),
        ("Type", ("s", "notify")),
        ("NotifyAccess", ("s", "main")),
        ("ExecStart", ("a(sasb)", [(argv[0], argv, False)])),
        ("Environment", ("as", env)),
        ("Restart", ("s", restart)),
        ("RestartUSec", ("t", int(SYSTEMD_RESTART_SEC * USEC))),
        ("RestartPreventExitStatus", ("(aiai)", done)),
        ("SuccessExitStatus", ("(aiai)", done)),
        ("KillMode", ("s", "mixed")),
        # The container's output pipes outlive a monitor killed by a signal (conmon.adopt).
        ("FileDescriptorStoreMax", ("u", 4)),
        ("Delegate", ("b", True)),
        ("TimeoutStartUSec", ("t", START_TIMEOUT_S * USEC)),
        ("TimeoutStopUSec", ("t", (row.config.stop_timeout + 30) * USEC)),
        ("StartLimitIntervalUSec", ("t", 0)),
        ("CollectMode", ("s", "inactive-or-failed")),
    ]
    if row.config.log.driver == "journald":  # the container's lines are the unit's (PID 1
        # writes journald's per-unit file and removes it with the unit: supervisor.journal_limit)
        from supervisor.journal_limit import BURST

        props.append(("LogRateLimitBurst", ("u", BURST)))
    return props
