"""A pod's shared /dev/shm (Podman's: the infra's /dev/shm is every member's that shares its
IPC namespace). A container mounts its own /dev/shm inside its mount namespace, which another
cannot bind from, so a pod sharing IPC has one tmpfs on the host, under the runroot, bound
into the infra and into each member; it is unmounted and removed with the pod."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

from supervisor.errors import ScopeboxError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.paths import Paths
    from supervisor.store import ContainerRow

# nosuid | nodev | noexec, as the container's own /dev/shm
_FLAGS = 0x2 | 0x4 | 0x8


def shm_dir(paths: Paths, pod_id: str) -> str:
    return os.path.join(paths.runroot, "pods", pod_id, "shm")


def _ensure(paths: Paths, pod_id: str, size: int) -> str | None:
    """The pod's tmpfs, mounted at its first use (and again after a reboot emptied the
    runroot); None where it cannot be (rootless: each container keeps its own tmpfs)."""
    from supervisor.mount import is_mountpoint, mount

    path = shm_dir(paths, pod_id)
    if is_mountpoint(path):
        return path
    try:
        os.makedirs(path, 0o700, exist_ok=True)
        mount("shm", path, "tmpfs", _FLAGS, f"mode=1777,size={size // 1024}k")
    except (OSError, ScopeboxError):
        return None
    return path


def release(paths: Paths, pod_id: str) -> None:
    """At the pod's removal: nothing of it stays mounted or on disk."""
    from supervisor.mount import umount

    path = shm_dir(paths, pod_id)
    if os.path.isdir(path):
        umount(path, detach=True)
        with contextlib.suppress(OSError):
            os.rmdir(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))


def _owner(engine: Context, row: ContainerRow) -> tuple[str, int] | None:
    """(pod id, size) when `row` is a pod's infra that shares its IPC namespace, or a
    member that joins such an infra's."""
    from supervisor.pods import INFRA_LABEL

    ipc = row.config.runflags.ipc
    owner = row
    if ipc.mode == "container":
        found = engine.store.get_container(ipc.target)
        if found is None:
            return None
        owner = found
    elif ipc.mode not in ("private", "shareable"):
        return None
    pod_id = owner.config.options.labels.get(INFRA_LABEL, "")
    if not pod_id or owner.config.runflags.ipc.mode not in ("private", "shareable"):
        return None
    if owner is row:  # the infra: only when its members join its IPC namespace
        from supervisor.pods.db import PodDB

        try:
            if "ipc" not in PodDB(engine.store).find(pod_id).config.share:
                return None
        except ScopeboxError:
            return None
    return pod_id, owner.config.runflags.shm_size


def bind_shared(engine: Context, row: ContainerRow, spec: dict[str, Any]) -> None:
    """The default /dev/shm of a pod's infra or member becomes the pod's host tmpfs (a
    user's own mount there stays)."""
    mounts = spec["mounts"]
    at = [i for i, m in enumerate(mounts) if m["destination"] == "/dev/shm"
          and m["type"] == "tmpfs" and m.get("source") == "shm"]
    if not at:
        return
    owner = _owner(engine, row)
    if owner is None:
        return
    path = _ensure(engine.paths, *owner)
    if path is not None:
        mounts[at[0]] = {"destination": "/dev/shm", "type": "bind", "source": path,
                         "options": ["rbind", "nosuid", "noexec", "nodev"]}
