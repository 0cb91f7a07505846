"""From a stored container to the OCI runtime config its next start uses."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from supervisor import spec
from supervisor.model import CgroupManager, CgroupsMode, SdNotify
from supervisor.spec import NetworkMode
from supervisor.store import ContainerRow
from supervisor.users import resolve_user
from supervisor.views import container_args

if TYPE_CHECKING:
    from supervisor.container.context import Context


def merge_env(*layers: list[str]) -> list[str]:
    """Later layers win, order of first appearance kept (Docker's merge)."""
    merged: dict[str, str] = {}
    for layer in layers:
        for item in layer:
            key, _, value = item.partition("=")
            merged[key] = value
    return [f"{k}={v}" for k, v in merged.items()]


CONTAINER_NOTIFY_SOCKET = "/run/notify/notify.sock"  # where Podman puts it too


def cgroups_path(row: ContainerRow) -> str:
    cfg = row.config
    if cfg.cgroups is CgroupsMode.DISABLED:
        return ""  # the runtime makes no cgroup (crun --cgroup-manager=disabled)
    parent = cfg.cgroup_parent
    if cfg.cgroup_manager is CgroupManager.SYSTEMD:
        return f"{parent}:scopebox:{row.id}"
    return f"{parent}/{row.id}"


def cgroup_unified() -> bool:
    """Pure cgroup v2 (no v1 hierarchies): a cheap look instead of a full layout detection."""
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def spec_for(engine: Context, row: ContainerRow, rootfs: str) -> dict[str, Any]:
    cfg = row.config
    opts = cfg.options
    img = engine.store.get_image(row.image_id) if row.image_id else None
    img_cfg: dict[str, Any] = (img.config.get("config") or {}) if img else {}
    user = resolve_user(rootfs, opts.user or img_cfg.get("User", ""))
    hostname = _read(engine.paths.container_dir(row.id) + "/hostname").strip()
    env = merge_env(
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        list(img_cfg.get("Env") or []),
        [f"HOME={user.home}", f"HOSTNAME={hostname}", "container=scopebox"],
        list(cfg.env),
    )
    cdir = engine.paths.container_dir(row.id)
    no_cgroup = cfg.cgroups is CgroupsMode.DISABLED
    resources = cfg.resources
    mounts = list(cfg.mounts)
    notify = os.environ.get("NOTIFY_SOCKET", "")
    if cfg.sdnotify is SdNotify.CONTAINER and notify.startswith("/"):
        # --sdnotify=container: the caller's unit hears the container's own READY=1.
        mounts.append(spec.Mount(CONTAINER_NOTIFY_SOCKET, notify, "bind", ("bind",)))
        env = merge_env(env, [f"NOTIFY_SOCKET={CONTAINER_NOTIFY_SOCKET}"])
    return spec.build_spec(
        spec.SpecOptions(
            args=container_args(row, img),
            rootfs=rootfs,
            cgroups_path=cgroups_path(row),
            env=env,
            cwd=opts.workdir or img_cfg.get("WorkingDir") or "/",
            uid=user.uid,
            gid=user.gid,
            additional_gids=user.additional_gids,
            hostname=hostname if cfg.network is not NetworkMode.HOST else "",
            readonly_rootfs=opts.read_only,
            mounts=mounts,
            etc_files={f"/etc/{n}": f"{cdir}/{n}" for n in ("hosts", "hostname", "resolv.conf")},
            network=cfg.network,
            systemd_cgroup=cfg.cgroup_manager is CgroupManager.SYSTEMD and not no_cgroup,
            ulimits=list(cfg.ulimits),
            hard_limits=spec.caller_hard_limits(),
            stop_timeout=cfg.stop_timeout,
            annotations={f"io.scopebox.label.{k}": v for k, v in opts.labels.items()},
            pids_limit=resources.get("pids", {}).get("limit"),
            resources=resources,
            unified=cgroup_unified(),
        )
    )


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
