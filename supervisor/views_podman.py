"""The rest of Podman 4.3's `inspect` object: every key Podman and Docker show, filled from what
scopebox knows (resources, paths, namespaces) or with the value that is true here (no pods, no
SELinux labels, no checkpoints).

`complete_container` only adds keys that are absent (`setdefault`), so a key `views.py` (or
another area) sets keeps its value. Scripts read these with `--format '{{.HostConfig.Memory}}'`;
an absent key prints `<no value>` and breaks them.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # no `typing` at run time: `images` loads this module (issue 16)
if TYPE_CHECKING:
    from typing import Any

    from supervisor.paths import Paths
    from supervisor.resources import ResourceOptions
    from supervisor.store import ContainerRow, ImageRow

ZERO_TIME = "0001-01-01T00:00:00Z"
GO_ZERO_UNIX = -62135596800  # ZERO_TIME in seconds since the epoch
OCI_SPEC_VERSION = "1.0.2"  # supervisor/spec.py's OCI_VERSION (kept import-free here)
SHM_SIZE = 65536 * 1024  # the /dev/shm tmpfs spec.py mounts (size=65536k)
_CGROUPS_MODE = {"enabled": "default", "disabled": "disabled", "split": "split"}


def complete_container(
    doc: dict[str, Any], paths: Paths, row: ContainerRow, image: ImageRow | None
) -> dict[str, Any]:
    cdir = paths.container_dir(row.id)
    rundir = paths.container_rundir(row.id)
    _fill(doc, _top(paths, row, image, cdir, rundir))
    # Podman shows the runtime's name, or the path `run --runtime PATH` gave
    given = row.config.options.runtime or ""
    if isinstance(doc.get("OCIRuntime"), str) and "/" not in given:
        doc["OCIRuntime"] = os.path.basename(doc["OCIRuntime"])
    _fill(doc.setdefault("State", {}), _state(row))
    _fill(doc.setdefault("Config", {}), _config(row))
    _fill(doc.setdefault("HostConfig", {}), _host_config(row, cdir))
    log_config = doc["HostConfig"].get("LogConfig")
    if isinstance(log_config, dict):
        path = doc.get("LogPath") or ""
        from supervisor.sizes import human_size

        max_size = row.config.log.max_size
        _fill(log_config, {"Path": path, "Tag": row.config.log.tag,
                           "Size": human_size(max_size) if max_size > 0 else "0B"})
    if not doc["HostConfig"].get("Ulimits"):
        doc["HostConfig"]["Ulimits"] = _rlimits(os.path.join(cdir, "config.json")) or (
            _default_rlimits(row)
        )
    for mount in doc.get("Mounts") or []:
        _fill(mount, _mount_details(mount))
    return doc


def _rlimits(config_json: str) -> list[dict[str, Any]]:
    """The rlimits the container gets (the defaults too), as Podman lists them."""
    import json

    try:
        with open(config_json, encoding="utf-8") as f:
            limits = json.load(f).get("process", {}).get("rlimits") or []
    except (OSError, ValueError, AttributeError):
        return []
    return [{"Name": r.get("type", ""), "Soft": r.get("soft", 0), "Hard": r.get("hard", 0)}
            for r in limits if isinstance(r, dict)]


def _default_rlimits(row: ContainerRow) -> list[dict[str, Any]]:
    """Before the first start (no config.json yet): what spec.py will give it."""
    from supervisor.spec import DEFAULT_NOFILE, DEFAULT_NPROC, RLIM_INFINITY, caller_hard_limits

    hard = caller_hard_limits()
    limits = {}
    for rtype, default in (("RLIMIT_NOFILE", DEFAULT_NOFILE), ("RLIMIT_NPROC", DEFAULT_NPROC)):
        value = min(default, hard.get(rtype, RLIM_INFINITY))
        limits[rtype] = (value, value)
    for ulimit in row.config.ulimits:
        limits[ulimit.rlimit_type] = (ulimit.soft, ulimit.hard)
    return [{"Name": t, "Soft": s, "Hard": h} for t, (s, h) in limits.items()]


def _fill(target: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, value in defaults.items():
        target.setdefault(key, value)


def storage_driver(cdir: str) -> str:
    """`vfs` where the container got a private copy of its layers (rootfs.py), else overlay."""
    if os.path.exists(os.path.join(cdir, ".vfs-complete")):
        return "vfs"
    return "vfs" if os.environ.get("SCOPEBOX_STORAGE_DRIVER") == "vfs" else "overlay"


def _top(
    paths: Paths, row: ContainerRow, image: ImageRow | None, cdir: str, rundir: str
) -> dict[str, Any]:
    driver = storage_driver(cdir)
    lowers = [paths.layer_dir(d) for d in reversed(image.layers)] if image else []
    data: dict[str, str] | None = None
    if driver == "overlay":
        data = {
            "LowerDir": ":".join(lowers),
            "MergedDir": paths.rootfs(row.id),
            "UpperDir": os.path.join(cdir, "upper"),
            "WorkDir": os.path.join(cdir, "work"),
        }
    return {
        "ImageDigest": image.digest if image and image.digest else "",
        "Pod": "",
        "ResolvConfPath": os.path.join(cdir, "resolv.conf"),
        "HostnamePath": os.path.join(cdir, "hostname"),
        "HostsPath": os.path.join(cdir, "hosts"),
        "StaticDir": cdir,
        "OCIConfigPath": os.path.join(cdir, "config.json"),
        # issue 19: run --conmon-pidfile/--pidfile, else the run dir's own
        "ConmonPidFile": row.config.runflags.conmon_pidfile or os.path.join(rundir, "monitor.pid"),
        "PidFile": row.config.runflags.pidfile or os.path.join(rundir, "pidfile"),
        "Driver": driver,
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": [],
        "GraphDriver": {"Name": driver, "Data": data},
        "Dependencies": _dependencies(row),  # helper "flags"
        "Namespace": "",
        "IsInfra": False,
        "IsService": _is_service(row),  # kube play --service-container
    }


def _is_service(row: ContainerRow) -> bool:
    from supervisor.pods import SERVICE_LABEL

    return SERVICE_LABEL in row.config.options.labels


def _dependencies(row: ContainerRow) -> list[str]:
    """helper "flags": what `start` starts first (supervisor/depends.py); a --network
    container:NAME as the name given."""
    from supervisor.depends import dependencies

    return dependencies(row, lambda ref: ref)


def _state(row: ContainerRow) -> dict[str, Any]:
    return {
        "OciVersion": OCI_SPEC_VERSION,
        "CheckpointedAt": ZERO_TIME,
        "RestoredAt": ZERO_TIME,
    }


def _config(row: ContainerRow) -> dict[str, Any]:
    cfg = row.config
    return {
        "Domainname": "",
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "StdinOnce": False,
        "Volumes": None,
        "OnBuild": None,
        "Annotations": {},
        "CreateCommand": list(cfg.options.create_command),
        "Timeout": 0,
        "Passwd": cfg.options.users.passwd,  # helper "flags": run --passwd=false
        "sdNotifyMode": cfg.sdnotify.value,
        **({"sdNotifySocket": cfg.sdnotify_socket} if cfg.sdnotify_socket else {}),
        "HealthcheckOnFailureAction": "none",
        **_secrets(row),
    }


def _secrets(row: ContainerRow) -> dict[str, Any]:
    """secrets: Podman 4.3 lists the mount-type ones (omitted when there are none)."""
    mounted = [s for s in row.config.secrets if s.type == "mount"]
    if not mounted:
        return {}
    return {"Secrets": [{"Name": s.name, "ID": s.id, "UID": s.uid, "GID": s.gid,
                         "Mode": s.mode} for s in mounted]}


def _host_config(row: ContainerRow, cdir: str) -> dict[str, Any]:
    cfg = row.config
    res = cfg.resources
    memory = res.get("memory") or {}
    cpu = res.get("cpu") or {}
    quota, period = int(cpu.get("quota") or 0), int(cpu.get("period") or 0)
    asked = cfg.options.resources
    nano = int(float(asked.cpus) * 1e9) if asked.cpus else 0
    pids = (res.get("pids") or {}).get("limit", 0)
    return {
        **_zero_host_config(),
        "Memory": int(memory.get("limit") or 0),
        "MemorySwap": int(memory.get("swap") or 0),
        "MemoryReservation": int(memory.get("reservation") or 0),
        "MemorySwappiness": _swappiness(memory),  # misc (issue 19)
        "NanoCpus": nano,
        "CpuShares": int(cpu.get("shares") or 0),
        "CpuQuota": quota,
        "CpuPeriod": period,
        "CpuRealtimePeriod": int(cpu.get("realtimePeriod") or 0),
        "CpuRealtimeRuntime": int(cpu.get("realtimeRuntime") or 0),
        "CpusetCpus": str(cpu.get("cpus") or ""),
        "CpusetMems": str(cpu.get("mems") or ""),
        "PidsLimit": int(pids),
        "BlkioWeight": int((res.get("blockIO") or {}).get("weight") or 0),
        **_blkio_devices(asked),  # blkio (issue 19)
        "CgroupParent": str(cfg.options.cgroup_parent or ""),
        "Cgroups": _CGROUPS_MODE.get(cfg.cgroups.value, cfg.cgroups.value),
    }


def _swappiness(memory: dict[str, Any]) -> int:
    """Podman 4.3 shows the spec's: the value, -1 when other memory limits are set without
    one, 0 when there are no memory limits at all."""
    if "swappiness" in memory:
        return int(memory["swappiness"])
    return -1 if memory else 0


_BLKIO_KEYS = {
    "blkio_weight_device": ("BlkioWeightDevice", "Weight"),
    "device_read_bps": ("BlkioDeviceReadBps", "Rate"),
    "device_write_bps": ("BlkioDeviceWriteBps", "Rate"),
    "device_read_iops": ("BlkioDeviceReadIOps", "Rate"),
    "device_write_iops": ("BlkioDeviceWriteIOps", "Rate"),
}


def _blkio_devices(asked: ResourceOptions) -> dict[str, Any]:
    """Podman's Path + Weight/Rate lists (null when none), the path as the user gave it."""
    from supervisor.resources import parsed_devices

    parsed = parsed_devices(asked)
    out: dict[str, Any] = {}
    for name, (key, value_key) in _BLKIO_KEYS.items():
        values = parsed.get(name)
        out[key] = [{"Path": p, value_key: v} for p, v in values.items()] if values else None
    return out


def _zero_host_config() -> dict[str, Any]:
    """What no flag of scopebox's sets yet: the values Podman shows for a default container."""
    return {
        "ContainerIDFile": "",
        "CgroupMode": "host",  # no cgroup namespace (spec.py's namespaces)
        "PortBindings": {},
        "VolumeDriver": "",
        "VolumesFrom": None,
        "CapAdd": [],
        "CapDrop": [],
        "Dns": [],
        "DnsOptions": [],
        "DnsSearch": [],
        "ExtraHosts": [],
        "GroupAdd": [],
        "IpcMode": "private",
        "Cgroup": "",
        "Links": None,
        "OomScoreAdj": 0,
        "PidMode": "private",
        "Privileged": False,
        "PublishAllPorts": False,
        "SecurityOpt": [],
        "UTSMode": "private",
        "UsernsMode": "",
        "ShmSize": SHM_SIZE,
        "Runtime": "oci",
        "ConsoleSize": [0, 0],
        "Isolation": "",
        "BlkioWeightDevice": None,
        "BlkioDeviceReadBps": None,
        "BlkioDeviceWriteBps": None,
        "BlkioDeviceReadIOps": None,
        "BlkioDeviceWriteIOps": None,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "Devices": [],
        "DiskQuota": 0,
        "KernelMemory": 0,
        "OomKillDisable": False,
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "CgroupConf": None,
    }


def _mount_details(mount: dict[str, Any]) -> dict[str, Any]:
    options = ["rbind"] if mount.get("Type") == "bind" else []
    return {"Driver": "", "Mode": "", "Options": options, "Propagation": "rprivate"}


def size_fields(paths: Paths, row: ContainerRow, image: ImageRow | None) -> dict[str, int]:
    """`inspect --size` / `ps --size`: the writable layer's bytes, and with the image's."""
    upper = os.path.join(paths.container_dir(row.id), "upper")
    rw = tree_size(upper)
    return {"SizeRw": rw, "SizeRootFs": rw + (image.size if image else 0)}


def tree_size(top: str) -> int:
    total = 0
    for root, dirs, files in os.walk(top):
        for name in files + dirs:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if name in files or os.path.islink(os.path.join(root, name)):
                total += st.st_size
    return total


# ps: Podman's other fields -------------------------------------------------------------------

# Podman's `ps --ns` columns and JSON keys, with the /proc/PID/ns file each one reads.
NAMESPACES = (
    ("Mnt", "mnt", "MNT"),
    ("Cgroup", "cgroup", "CGROUPNS"),
    ("Ipc", "ipc", "IPC"),
    ("Net", "net", "NET"),
    ("Pidns", "pid", "PIDNS"),
    ("Uts", "uts", "UTS"),
    ("User", "user", "USERNS"),
)


def namespaces(pid: int) -> dict[str, str]:
    """The inode numbers of a running process's namespaces ({} when it is not running)."""
    if pid <= 0:
        return {}
    out = {}
    for key, name, _ in NAMESPACES:
        try:
            out[key] = str(os.stat(f"/proc/{pid}/ns/{name}").st_ino)
        except OSError:
            return {}
    return out


def complete_ps(
    item: dict[str, Any], doc: dict[str, Any], row: ContainerRow, size: dict[str, int] | None
) -> None:
    """`ps --format` fields and `ps --format json` keys Podman has; `size`: with `--size`."""
    from supervisor.sizes import human_size

    spaces = namespaces(int(item.get("Pid") or 0))
    _fill(item, {"Pod": "", "PodName": "", "IsInfra": False, "Namespaces": spaces,
                 "Restarts": row.restart_count, "CreatedHuman": item.get("RunningFor", "")})
    for key, when in (("StartedAt", row.started_at), ("ExitedAt", row.finished_at)):
        if not when:  # Go's zero time, as Podman prints it
            doc[key] = GO_ZERO_UNIX
    _fill(item, {"StartedAt": doc.get("StartedAt"), "ExitedAt": doc.get("ExitedAt"), "Size": ""})
    for key, _, column in NAMESPACES:
        item.setdefault(column, spaces.get(key, ""))
    _fill(doc, {"IsInfra": False, "Namespaces": spaces, "Networks": [], "Pod": "",
                "PodName": "", "Ports": None, "Size": None})
    if size is not None:
        item["Size"] = f"{human_size(size['SizeRw'])} (virtual {human_size(size['SizeRootFs'])})"
        doc["Size"] = {"rootFsSize": size["SizeRootFs"], "rwSize": size["SizeRw"]}


# images: Podman's other template fields ------------------------------------------------------


def complete_image_items(items: list[dict[str, Any]], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """`images --format` fields Podman's template has: `{{.Created}}` is the age there (the
    JSON's Created stays a number), `{{.CreatedAt}}` Go's time layout, `{{.Labels}}` a map."""
    for item in items:
        json_like = {k: item.get(k) for k in ("RepoTags", "Names")}
        item["CreatedAt"] = go_time(str(item.get("CreatedAt", "")))
        item["Created"] = item.get("CreatedSince", "")
        if item.get("Labels") is None:
            item["Labels"] = {}
        _fill(item, {
            "SharedSize": 0,
            "ReadOnly": False,
            "IsReadOnly": False,
            "ParentId": "",
            "History": ", ".join(doc.get("History") or []),
            "RepoTags": json_like["Names"] or [],
            "RepoDigests": list(doc.get("RepoDigests") or []),
        })
    return items


def go_time(rfc3339: str) -> str:
    """`2026-12-05T17:13:33.09Z` as Go's time.String in UTC: `2026-12-05 17:13:33 +0000 UTC`."""
    if len(rfc3339) < 19 or rfc3339[10] != "T":
        return rfc3339
    return f"{rfc3339[:10]} {rfc3339[11:19]} +0000 UTC"
