"""The per-container resource seam: what a run of a container makes, and how it is undone.

Each resource is an object with `setup(ctx, row)` and an idempotent `teardown(ctx, row)`.
`start` records the names of the resources of the run in the container's row (the `resources`
column) in one write BEFORE it makes any of them, then sets them up in order; teardown undoes
the recorded ones in reverse order and clears the record. A CLI or monitor killed (even with
SIGKILL) at any point leaves a record that lists at least what exists, so whoever tears down
next (the monitor's exit command, `stop`, `rm`, reconciliation after a dead monitor, the next
`start`) finishes the job; tearing down something never made is a no-op.

Teardown runs in the monitor's exit command under `python3 -I -S`: this module and everything
a teardown needs import the standard library only (a test checks it).

Today's run resources, in setup order: the run dir, the --cgroups=split placement, the rootfs
mount, the OCI runtime's state (made by the monitor's `runtime create`). The /etc files
(hosts, hostname, resolv.conf) are the container's for its whole life: written by `create`
(whose crash safety is the orphan-dir prune), removed with the container dir by `rm`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import TYPE_CHECKING, ClassVar, Protocol

from supervisor.errors import SystemError_
from supervisor.model import (
    SPLIT_SUPERVISOR,
    CgroupManager,
    CgroupsMode,
    ContainerConfig,
    LogDriver,
)
from supervisor.mount import is_mountpoint, umount
from supervisor.network.joined import JoinedHostsResource  # networking (net6)
from supervisor.network.resource import NetworkResource  # networking (issue 13)
from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


class Resource(Protocol):
    name: ClassVar[str]  # what the store records: never rename one (old rows name it)

    def setup(self, ctx: Context, row: ContainerRow) -> None: ...

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        """Undo setup; must succeed whether setup ran fully, partly or not at all."""


class RunDir:
    """$RUNROOT/containers/<id>: the monitor's sockets, pid files, runtime log."""

    name: ClassVar[str] = "rundir"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        os.makedirs(ctx.paths.container_rundir(row.id), mode=0o700, exist_ok=True)

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        shutil.rmtree(ctx.paths.container_rundir(row.id), ignore_errors=True)


class SplitCgroup:
    """--cgroups=split: the caller moves into <its cgroup>/supervisor (pure v2); the runtime
    makes <its cgroup>/<id> for the container and removes it on delete. Teardown removes
    that cgroup if a killed runtime left it (rmdir: only an empty one goes)."""

    name: ClassVar[str] = "split-cgroup"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        enter_split_supervisor(row.config.cgroup_parent)

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        base = "/sys/fs/cgroup"
        with contextlib.suppress(OSError):
            hierarchies = [base] + [os.path.join(base, h) for h in os.listdir(base)]
            for hierarchy in hierarchies:
                path = f"{hierarchy}{row.config.cgroup_parent}/{row.id}"
                with contextlib.suppress(OSError):
                    os.rmdir(path)


class RootfsMount:
    """The overlay of the image's layers at $ROOT/containers/<id>/merged."""

    name: ClassVar[str] = "rootfs"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        ctx.mount_rootfs(row)

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        rootfs = ctx.paths.rootfs(row.id)
        # mount (supervisor/copy/mounts.py): a user's `mount` keeps the root mounted
        if os.path.exists(os.path.join(ctx.paths.container_dir(row.id), "mounts")):
            return
        while is_mountpoint(rootfs):
            umount(rootfs, detach=True)


class RuntimeState:
    """The OCI runtime's state of the container (made by the monitor's `runtime create`)."""

    name: ClassVar[str] = "runtime"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        pass  # the monitor creates it after the go byte

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        # runc and crun keep a container's state in <root>/<id>: without it their
        # `delete --force` has nothing to do, so the process is not started (a cleanup's
        # teardown is often followed by rm's, and pod rm -f deletes the states at once)
        if os.path.lexists(os.path.join(ctx.paths.runtime_root, row.id)):
            ctx.run_runtime(row, "delete", "--force", row.id)


class JournaldLimit:
    """journald's rate limit lifted for the monitor's scope (supervisor.journal_limit): the
    burst file exists before the scope's first line and goes when the run is torn down."""

    name: ClassVar[str] = "journald-limit"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        from supervisor.journal_limit import lift, monitor_scope

        try:
            lift(monitor_scope(row.id))
        except OSError as exc:
            raise SystemError_(f"lifting journald's rate limit for the container: {exc}") from exc

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        from supervisor.journal_limit import monitor_scope, restore

        restore(monitor_scope(row.id))


RUN_DIR, SPLIT_CGROUP, ROOTFS, RUNTIME = RunDir(), SplitCgroup(), RootfsMount(), RuntimeState()
JOURNALD_LIMIT = JournaldLimit()
NETWORK = NetworkResource()  # networking (issue 13): netns, veths, leases, port forwards
JOINED_HOSTS = JoinedHostsResource()  # networking (net6): container:X names it in X's hosts
ALL: tuple[Resource, ...] = (RUN_DIR, SPLIT_CGROUP, ROOTFS, RUNTIME, NETWORK)
# volumes (issue 14): the file systems of `--opt type=` volumes, mounted while used
from supervisor.volumes.resource import VOLUMES  # noqa: E402

ALL += (VOLUMES,)
# end volumes
ALL += (JOINED_HOSTS,)  # networking (net6)
from supervisor.network.pasta import PASTA  # noqa: E402  rootless (issue 17)
from supervisor.network.slirp import SLIRP  # noqa: E402

ALL += (PASTA, SLIRP)
ALL += (JOURNALD_LIMIT,)  # helper "monitor" (issue 16)
BY_NAME = {r.name: r for r in ALL}


def for_run(config: ContainerConfig) -> list[Resource]:
    """The resources one run of a container with this config makes, in setup order."""
    out: list[Resource] = [RUN_DIR]
    if config.cgroups is CgroupsMode.SPLIT:
        out.append(SPLIT_CGROUP)
    if not config.rootfs:
        out.append(ROOTFS)
    if config.volumes:  # volumes (issue 14)
        out.append(VOLUMES)
    if config.net.bridged:  # networking: before the runtime (the spec names the netns)
        out.append(NETWORK)
    if config.net.mode == "container":  # networking (net6)
        out.append(JOINED_HOSTS)
    if config.net.mode == "pasta":  # rootless (issue 17): before the runtime, as NETWORK
        out.append(PASTA)
    if config.net.mode == "slirp4netns":  # rootless (issue 17)
        out.append(SLIRP)
    if journald_limited(config):  # helper "monitor" (issue 16): before the monitor's scope
        out.append(JOURNALD_LIMIT)
    out.append(RUNTIME)
    return out


def journald_limited(config: ContainerConfig) -> bool:
    """The monitor's lines go to journald from a scope of the system's systemd (a restart
    policy's service gets LogRateLimitBurst= instead: supervisor.restarts)."""
    return (config.log.driver is LogDriver.JOURNALD and config.cgroup_manager is
            CgroupManager.SYSTEMD and config.restart.name == "no" and os.geteuid() == 0)


def record(ctx: Context, row: ContainerRow, **changes: object) -> list[Resource]:
    """Before any is made: the run's resources go into the row (with other changes).
    Returns them, in setup order."""
    resources = for_run(row.config)
    names = tuple(r.name for r in resources)
    ctx.store.update_container(row.id, resources=names, cleaned=False, **changes)
    return resources


def teardown(ctx: Context, row: ContainerRow, with_event: bool = True) -> None:
    """Undo every recorded resource, last made first; then clear the record. Idempotent.
    `with_event`: False when the cleanup event was written already (run --rm's hand-off)."""
    names = row.resources
    if not names:  # a row from before the record existed (or nothing recorded): all of them
        names = tuple(r.name for r in for_run(row.config))
    for name in reversed(names):
        resource = BY_NAME.get(name)
        if resource is not None:
            resource.teardown(ctx, row)
    if ctx.store.get_container(row.id) is not None:
        ctx.store.update_container(row.id, resources=(), cleaned=True)
    if with_event and (row.resources or not row.cleaned):  # events (issue 14): a run was undone
        from supervisor.events.write import container as event

        event(ctx, row, "cleanup")


def enter_split_supervisor(parent: str) -> None:
    """--cgroups=split on pure cgroup v2: empty the unit's own cgroup into <unit>/supervisor.

    The kernel enables controllers for the container's <unit>/<id> only in a cgroup that holds
    no process itself (the no-internal-process rule), so the caller, and the monitor it spawns,
    move one level down, as Podman's conmon does. Hybrid and v1 hosts have no such rule.
    """
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # not pure v2
        return
    base = "/sys/fs/cgroup" + parent
    target = os.path.join(base, SPLIT_SUPERVISOR, "cgroup.procs")
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        for _ in range(100):  # a process may fork while we move the others
            with open(os.path.join(base, "cgroup.procs")) as f:
                pids = f.read().split()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError), open(target, "w") as w:
                    w.write(pid)
    except OSError as exc:
        raise SystemError_(f"--cgroups=split: cannot move the caller into {target}: {exc}") from exc
    raise SystemError_(f"--cgroups=split: processes keep appearing in {base}")
