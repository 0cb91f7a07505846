"""What `inspect`, `ps` and `images` show, shaped as Docker and Podman show it."""

from __future__ import annotations

import time

from supervisor.paths import Paths
from supervisor.refs import split_name
from supervisor.sizes import human_size
from supervisor.store import ContainerRow, ImageRow
from supervisor.timefmt import ago, human_duration, parse_rfc3339

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from supervisor.model import ContainerConfig, LogConfig
    from supervisor.options import CreateOptions

ZERO_TIME = "0001-01-01T00:00:00Z"


def container_args(row: ContainerRow, image: ImageRow | None) -> list[str]:
    img_cfg = (image.config.get("config") or {}) if image else {}
    return resolve_args(row.config.options, img_cfg)


def resolve_args(opts: CreateOptions, img_cfg: dict[str, Any]) -> list[str]:
    """Entrypoint + command after applying the image's defaults (Docker's rules)."""
    entry = opts.entrypoint if opts.entrypoint is not None else (img_cfg.get("Entrypoint") or [])
    cmd = opts.command or ([] if opts.entrypoint is not None else (img_cfg.get("Cmd") or []))
    return [*entry, *cmd]


def health_of(paths: Paths, row: ContainerRow) -> dict[str, Any] | None:
    """Docker's ``State.Health`` from the monitor's status file; None without a healthcheck."""
    if row.config.healthcheck is None:
        return None
    from supervisor.health import read_status, status_file

    found = read_status(status_file(paths.container_dir(row.id)))
    if found is None and row.status.is_active:  # the monitor has not written it yet
        return {"Status": "starting", "FailingStreak": 0, "Log": []}
    return found  # None: never started (Docker shows no Health before the first start)


def health_status(paths: Paths, row: ContainerRow) -> str:
    """``ps --filter health=``: starting, healthy, unhealthy, or none."""
    health = health_of(paths, row)
    return "none" if health is None else str(health["Status"])


def status_text(row: ContainerRow, paths: Paths | None = None) -> str:
    from supervisor.state import Status  # performance (issue 16): enum, with rows only

    now = time.time()
    if row.status is Status.INITIALIZED:
        return "Initialized"
    if row.status is Status.PAUSED:
        return "Paused"  # Podman's words (Docker's are "Up 5 seconds (Paused)")
    if row.status.is_active:
        started = parse_rfc3339(row.started_at) or now
        text = f"Up {human_duration(now - started)}"
        health = health_of(paths, row) if paths is not None else None
        return text + (f" ({health['Status']})" if health is not None else "")
    if row.status is Status.EXITED:
        finished = parse_rfc3339(row.finished_at) or now
        return f"Exited ({row.exit_code}) {human_duration(now - finished)} ago"
    return row.status.value.capitalize()


def config_env(cfg: ContainerConfig, img_cfg: Mapping[str, Any]) -> list[str]:
    """inspect's Config.Env, and the process' but for HOME and HOSTNAME (supervisor/envflags)."""
    from supervisor.envflags import container_env

    flags = cfg.runflags
    # misc (issue 19): --http-proxy's variables are layered as --env-host's (the two exclude
    # each other): under the image's and again over them, under -e (Podman 4.3's order)
    host_env = (*flags.host_env, *cfg.proxy_env)
    return container_env(img_cfg.get("Env") or [], flags.env_merge, flags.unsetenv,
                         flags.unsetenv_all, host_env, cfg.env)


def _stopping(paths: Paths, row: ContainerRow) -> bool:
    from supervisor.stopping import is_stopping  # a running container's only

    return is_stopping(paths.container_rundir(row.id))


def inspect_container(
    paths: Paths, row: ContainerRow, image: ImageRow | None, restarting: bool = False
) -> dict[str, Any]:
    from supervisor import runflags  # helper "runflags" (performance: here, not for ps)
    from supervisor.format.gostruct import GoStruct
    from supervisor.state import Status

    cfg = row.config
    opts = cfg.options
    args = container_args(row, image)
    img_cfg = (image.config.get("config") or {}) if image else {}
    env = config_env(cfg, img_cfg)  # issue 19: Podman's layering, --env-merge, --unsetenv
    log_path = cfg.log.path or paths.log_file(row.id)
    running = row.status.is_active
    stopping = row.status is Status.RUNNING and _stopping(paths, row)
    doc: dict[str, Any] = {
        "Id": row.id,
        "Created": row.created,
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": {
            "Status": "stopping" if stopping else row.status.value,
            "Running": row.status is Status.RUNNING and not stopping,
            "Paused": row.status is Status.PAUSED,
            "Restarting": restarting,
            "OOMKilled": row.oom_killed,
            "Dead": False,
            "Pid": row.pid if running and not restarting else 0,  # none in a back-off
            "ConmonPid": row.monitor_pid if running else 0,
            "ExitCode": row.exit_code,
            "Error": row.error,
            "StartedAt": row.started_at or ZERO_TIME,
            "FinishedAt": row.finished_at or ZERO_TIME,
            **_health_state(paths, row),
        },
        "Image": row.image_id,  # Podman 4.3: the bare id (its system test checks)
        "ImageName": shown_image(row),
        "Rootfs": row.image_name if opts.rootfs else "",
        "Name": row.name,
        "RestartCount": row.restart_count,
        "Driver": "overlay",
        "LogPath": log_path if cfg.log.driver == "k8s-file" else "",
        "OCIRuntime": cfg.runtime,
        "Config": {
            "Hostname": opts.hostname or row.id[:12],
            "User": opts.user or img_cfg.get("User", ""),
            "Env": env,
            "Cmd": opts.command or img_cfg.get("Cmd"),
            "Entrypoint": opts.entrypoint
            if opts.entrypoint is not None
            else img_cfg.get("Entrypoint"),
            "Image": shown_image(row),
            "WorkingDir": opts.workdir or img_cfg.get("WorkingDir") or "/",
            "Labels": {**(img_cfg.get("Labels") or {}), **opts.labels},
            "StopSignal": cfg.stop_signal,
            "StopTimeout": cfg.stop_timeout,
            "SystemdMode": cfg.systemd_mode,  # issue 19: --systemd
            **({"ChrootDirs": list(opts.chrootdirs)} if opts.chrootdirs else {}),  # issue 19
            "OpenStdin": opts.interactive,
            "Tty": opts.tty,  # terminals
            **_health_config(row),
            **runflags.config(cfg.runflags),  # helper "runflags"
        },
        "HostConfig": {
            "Binds": _volume_views().binds(cfg),  # volumes (issue 14)
            "Tmpfs": {t.split(":", 1)[0]: ([*t.split(":", 1), ""])[1] for t in opts.tmpfs},
            "NetworkMode": cfg.network.value,
            "AutoRemove": opts.auto_remove,
            "ReadonlyRootfs": opts.read_only,
            "LogConfig": {
                "Type": cfg.log.driver.value,
                "Config": {k: str(v) for k, v in _log_opts(cfg.log).items() if v},
            },
            # a struct in Go: `{on-failure 3}` in a template, as Podman's
            "RestartPolicy": GoStruct(cfg.restart.docker()),
            "Ulimits": [{"Name": n, "Soft": s, "Hard": h} for n, s, h in cfg.ulimits],
            "CgroupManager": cfg.cgroup_manager.value,
            **runflags.host_config(cfg.runflags),  # helper "runflags"
            **_userns_view(cfg),  # issues 17/19
        },
        "Mounts": _volume_views().mounts(paths.volumes, cfg),  # volumes (issue 14)
    }
    _security_view(doc, cfg, opts.user or img_cfg.get("User", ""))
    from supervisor.views_podman import complete_container  # fidelity: Podman's other keys

    return complete_container(doc, paths, row, image)


def _userns_view(cfg: ContainerConfig) -> dict[str, Any]:
    """HostConfig.UsernsMode, and IDMappings when the container has maps (Podman 4.3)."""
    from supervisor.idmaps import host_config

    out = host_config(cfg.userns)
    if out["IDMappings"] is None:
        del out["IDMappings"]
    return out


def _security_view(doc: dict[str, Any], cfg: ContainerConfig, user: str) -> None:
    """EffectiveCaps, BoundingCaps and HostConfig's CapAdd/CapDrop/Privileged/SecurityOpt/
    Devices as Podman shows them (supervisor/security)."""
    from supervisor.security.config import inspect_fields

    fields = inspect_fields(cfg.security, user)
    host = fields.pop("HostConfig")
    doc.update(fields)
    doc["HostConfig"].update(host)


def _volume_views() -> Any:  # volumes (issue 14)
    from supervisor.volumes import views

    return views


def _log_opts(log: LogConfig) -> dict[str, Any]:
    """The --log-opt values (Docker's LogConfig.Config), in the stored order."""
    return {"max_size": log.max_size, "max_file": log.max_file, "path": log.path, "tag": log.tag}


def _health_state(paths: Paths, row: ContainerRow) -> dict[str, Any]:
    health = health_of(paths, row)
    return {} if health is None else {"Health": health}


def _health_config(row: ContainerRow) -> dict[str, Any]:
    hc = row.config.healthcheck
    if hc is None:
        return {}
    return {
        "Healthcheck": hc.docker(),
        "HealthcheckOnFailureAction": hc.on_failure.value,  # Podman's name
    }


def ps_item(
    row: ContainerRow, image: ImageRow | None, paths: Paths | None = None
) -> dict[str, Any]:
    """Fields for `ps --format` (Docker's names) and `ps --format json` (Podman's)."""
    from supervisor.state import Status

    args = container_args(row, image)
    import shlex  # performance (issue 16): not for an empty listing

    command = shlex.join(args)
    labels = row.config.options.labels
    return {
        "ID": row.short_id,
        "Id": row.id,
        "Image": shown_image(row),
        "ImageID": row.image_id,
        "Command": command,
        "CreatedAt": row.created,
        "Created": int(parse_rfc3339(row.created) or 0),
        "RunningFor": ago(row.created),
        "Ports": "",
        "State": row.status.value,
        "Status": status_text(row, paths),
        "Names": row.name,
        "Labels": labels,
        "ExitCode": row.exit_code,
        "Exited": row.status is Status.EXITED,
        "Pid": row.pid if row.status.is_active else 0,
        "Mounts": [m.destination for m in row.config.mounts]
        + [v.destination for v in row.config.volumes],  # volumes (issue 14)
        "Networks": [],
        "AutoRemove": row.config.auto_remove,
    }


def ps_json(item: dict[str, Any], row: ContainerRow) -> dict[str, Any]:
    """Podman's `ps --format json` object."""
    return {
        "AutoRemove": item["AutoRemove"],
        "Command": container_args_from(item),
        "Created": item["Created"],
        "CreatedAt": item["RunningFor"],
        "ExitCode": item["ExitCode"],
        "Exited": item["Exited"],
        "Id": row.id,
        "Image": item["Image"],
        "ImageID": item["ImageID"],
        "Labels": item["Labels"] or None,
        "Mounts": item["Mounts"],
        "Names": [row.name],
        "Pid": item["Pid"],
        "State": item["State"],
        "Status": item["Status"],
        "StartedAt": int(parse_rfc3339(row.started_at) or 0),
        "ExitedAt": int(parse_rfc3339(row.finished_at) or 0),
    }


def container_args_from(item: dict[str, Any]) -> list[str]:
    import shlex

    return shlex.split(item["Command"])


def shown_image(row: ContainerRow) -> str:
    """The image a container shows: the pause image for a pod's default infra (which runs
    from a tree of the same files: supervisor/pods/infra.py), else what it was made from."""
    return row.config.options.rootfs_image or row.image_name


def truncated_command(command: str, width: int = 20) -> str:
    text = command if len(command) <= width else command[: width - 1] + "…"
    return f'"{text}"'


def repo_digests(img: ImageRow) -> list[str]:
    """Podman's RepoDigests: the pulled ones, and each name's repository at the manifest."""
    out = list(img.repo_digests)
    if img.digest:
        for name in img.names:
            d = f"{split_name(name)[0]}@{img.digest}"
            if d not in out:
                out.append(d)
    return out


def image_items(img: ImageRow, containers: int = 0) -> list[dict[str, Any]]:
    """One row per name (Docker lists an image once per tag), or one <none> row."""
    names = img.names or ["<none>:<none>"]
    out = []
    for name in names:
        repo, tag = split_name(name) if name != "<none>:<none>" else ("<none>", "<none>")
        out.append(
            {
                "Repository": repo,
                "Tag": tag,
                "ID": img.short_id,
                "Id": img.id,
                "Digest": img.digest or "<none>",
                "CreatedSince": ago(img.created),
                "CreatedAt": img.created,
                "Created": int(parse_rfc3339(img.created) or 0),
                "Size": human_size(img.size),
                "VirtualSize": img.size,
                "Names": img.names,
                "Labels": (img.config.get("config") or {}).get("Labels") or None,
                "Containers": containers,
                "Dangling": not img.names,
            }
        )
    return out


def image_json(img: ImageRow, containers: int = 0) -> dict[str, Any]:
    """Podman's `images --format json` object (one per image, not per name)."""
    return {
        "Id": img.id,
        "ParentId": "",
        "RepoTags": img.names or None,
        "RepoDigests": repo_digests(img),
        "Size": img.size,
        "SharedSize": 0,
        "VirtualSize": img.size,
        "Labels": (img.config.get("config") or {}).get("Labels") or None,
        "Containers": containers,
        "Names": img.names or None,
        "Digest": img.digest,
        "History": img.names_history or img.names or None,
        "Created": int(parse_rfc3339(img.created) or 0),
        "CreatedAt": img.created,
    }


def inspect_image(img: ImageRow, paths: Paths | None = None) -> dict[str, Any]:
    """Podman's `image inspect` object."""
    cfg = img.config
    history = cfg.get("history") or []
    comment = next((h.get("comment", "") for h in history if isinstance(h, dict)), "")
    lowers = [paths.layer_dir(d) for d in reversed(img.layers)] if paths else []
    return {
        "Id": img.id,
        "Digest": img.digest,
        "RepoTags": img.names,
        "RepoDigests": repo_digests(img),
        "Parent": "",
        "Comment": comment or cfg.get("comment", ""),
        "Created": img.created,
        "Config": cfg.get("config") or {},
        "Version": cfg.get("docker_version", ""),
        "Author": cfg.get("author", ""),
        "Architecture": cfg.get("architecture"),
        "Os": cfg.get("os"),
        "Size": img.size,
        "VirtualSize": img.size,
        "GraphDriver": {
            "Name": "overlay",
            "Data": {
                "UpperDir": lowers[0],
                **({"LowerDir": ":".join(lowers[1:])} if lowers[1:] else {}),
            }
            if lowers
            else {},
        },
        "RootFS": {"Type": "layers", "Layers": [f"sha256:{d}" for d in img.layers]},
        "Labels": (cfg.get("config") or {}).get("Labels") or None,
        "Annotations": _annotations(paths, img),
        "ManifestType": _manifest_type(paths, img),
        "User": (cfg.get("config") or {}).get("User", ""),
        "History": history,
        "NamesHistory": img.names_history or img.names,
    }


def _manifest(paths: Paths | None, img: ImageRow) -> dict[str, Any]:
    if paths is None or not img.digest:
        return {}
    import json

    from supervisor.blobs import BlobStore

    try:
        doc = json.loads(BlobStore(paths).read_bytes(img.digest, 4 << 20))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _manifest_type(paths: Paths | None, img: ImageRow) -> str:
    if paths is None or not img.digest:
        return ""
    doc = _manifest(paths, img)
    return str(doc.get("mediaType", "application/vnd.oci.image.manifest.v1+json")) if doc else ""


def _annotations(paths: Paths | None, img: ImageRow) -> dict[str, Any]:
    """The manifest's (`build --annotation`)."""
    found = _manifest(paths, img).get("annotations")
    return dict(found) if isinstance(found, dict) else {}


def history_items(img: ImageRow, sizes: list[int]) -> list[dict[str, Any]]:
    """`history`: newest first; each non-empty entry takes the next layer's size."""
    entries = [h for h in (img.config.get("history") or []) if isinstance(h, dict)]
    out = []
    layer = 0
    for h in entries:
        empty = bool(h.get("empty_layer"))
        size = 0 if empty or layer >= len(sizes) else sizes[layer]
        layer += 0 if empty else 1
        out.append((h, size))
    from supervisor.views_podman import go_time  # `{{.CreatedAt}}`: Go's layout, as images'

    items = []
    for i, (h, size) in enumerate(reversed(out)):
        created = str(h.get("created", ""))
        items.append(
            {
                "ID": img.short_id if i == 0 else "<missing>",
                "Id": img.id if i == 0 else "<missing>",
                "Created": created,
                "CreatedAt": go_time(created) if created else "",
                "CreatedSince": ago(created) if created else "",
                "CreatedBy": str(h.get("created_by", "")),
                "Size": human_size(size),
                "RawSize": size,
                "Comment": str(h.get("comment", "")),
            }
        )
    return items
