"""What `inspect`, `ps` and `images` show, shaped as Docker and Podman show it."""

from __future__ import annotations

import shlex
import time
from typing import Any

from supervisor.paths import Paths
from supervisor.refs import split_name
from supervisor.sizes import human_size
from supervisor.state import Status
from supervisor.store import ContainerRow, ImageRow
from supervisor.timefmt import ago, human_duration, parse_rfc3339

ZERO_TIME = "0001-01-01T00:00:00Z"


def container_args(row: ContainerRow, image: ImageRow | None) -> list[str]:
    img_cfg = (image.config.get("config") or {}) if image else {}
    return resolve_args(row.config["options"], img_cfg)


def resolve_args(opts: dict[str, Any], img_cfg: dict[str, Any]) -> list[str]:
    """Entrypoint + command after applying the image's defaults (Docker's rules)."""
    entry = (
        opts["entrypoint"] if opts["entrypoint"] is not None else (img_cfg.get("Entrypoint") or [])
    )
    cmd = opts["command"] or ([] if opts["entrypoint"] is not None else (img_cfg.get("Cmd") or []))
    return [*entry, *cmd]


def health_of(paths: Paths, row: ContainerRow) -> dict[str, Any] | None:
    """Docker's ``State.Health`` from the monitor's status file; None without a healthcheck."""
    if not row.config.get("healthcheck"):
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
    now = time.time()
    if row.status in (Status.RUNNING, Status.PAUSED, Status.STOPPING):
        started = parse_rfc3339(row.started_at) or now
        text = f"Up {human_duration(now - started)}"
        if row.status is Status.PAUSED:
            return text + " (Paused)"
        health = health_of(paths, row) if paths is not None else None
        return text + (f" ({health['Status']})" if health is not None else "")
    if row.status is Status.EXITED:
        finished = parse_rfc3339(row.finished_at) or now
        return f"Exited ({row.exit_code}) {human_duration(now - finished)} ago"
    return row.status.value.capitalize()


def inspect_container(paths: Paths, row: ContainerRow, image: ImageRow | None) -> dict[str, Any]:
    opts = row.config["options"]
    args = container_args(row, image)
    img_cfg = (image.config.get("config") or {}) if image else {}
    env = list(img_cfg.get("Env") or []) + list(row.config["env"])
    lo = row.config["log_opts"]
    log_path = lo["path"] or paths.log_file(row.id)
    running = row.status in (Status.RUNNING, Status.PAUSED, Status.STOPPING)
    return {
        "Id": row.id,
        "Created": row.created,
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": {
            "Status": row.status.value,
            "Running": row.status is Status.RUNNING,
            "Paused": row.status is Status.PAUSED,
            "Restarting": False,
            "OOMKilled": row.oom_killed,
            "Dead": False,
            "Pid": row.pid if running else 0,
            "ConmonPid": row.monitor_pid if running else 0,
            "ExitCode": row.exit_code,
            "Error": row.error,
            "StartedAt": row.started_at or ZERO_TIME,
            "FinishedAt": row.finished_at or ZERO_TIME,
            **_health_state(paths, row),
        },
        "Image": f"sha256:{row.image_id}" if row.image_id else "",
        "ImageName": row.image_name,
        "Rootfs": row.image_name if opts["rootfs"] else "",
        "Name": row.name,
        "RestartCount": row.restart_count,
        "Driver": "overlay",
        "LogPath": log_path if row.config["log_driver"] == "k8s-file" else "",
        "OCIRuntime": row.config["runtime"],
        "Config": {
            "Hostname": opts["hostname"] or row.id[:12],
            "User": opts["user"] or img_cfg.get("User", ""),
            "Env": env,
            "Cmd": opts["command"] or img_cfg.get("Cmd"),
            "Entrypoint": opts["entrypoint"]
            if opts["entrypoint"] is not None
            else img_cfg.get("Entrypoint"),
            "Image": row.image_name,
            "WorkingDir": opts["workdir"] or img_cfg.get("WorkingDir") or "/",
            "Labels": {**(img_cfg.get("Labels") or {}), **opts["labels"]},
            "StopSignal": row.config["stop_signal"],
            "StopTimeout": row.config["stop_timeout"],
            "OpenStdin": opts["interactive"],
            "Tty": False,
            **_health_config(row),
        },
        "HostConfig": {
            "Binds": list(opts["volumes"]),
            "Tmpfs": {t.split(":", 1)[0]: ([*t.split(":", 1), ""])[1] for t in opts["tmpfs"]},
            "NetworkMode": opts["network"],
            "AutoRemove": opts["auto_remove"],
            "ReadonlyRootfs": opts["read_only"],
            "LogConfig": {
                "Type": row.config["log_driver"],
                "Config": {k: str(v) for k, v in lo.items() if v},
            },
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "Ulimits": [{"Name": n, "Soft": s, "Hard": h} for n, s, h in row.config["ulimits"]],
            "CgroupManager": row.config["cgroup_manager"],
        },
        "Mounts": [
            {
                "Type": m["type"],
                "Source": m["source"],
                "Destination": m["destination"],
                "RW": "ro" not in m["options"],
            }
            for m in row.config["mounts"]
        ],
    }


def _health_state(paths: Paths, row: ContainerRow) -> dict[str, Any]:
    health = health_of(paths, row)
    return {} if health is None else {"Health": health}


def _health_config(row: ContainerRow) -> dict[str, Any]:
    hc = row.config.get("healthcheck")
    if not hc:
        return {}
    keys = ("Test", "Interval", "Timeout", "StartPeriod", "Retries")
    return {
        "Healthcheck": {k: hc[k] for k in keys},
        "HealthcheckOnFailureAction": hc["OnFailure"],  # Podman's name
    }


def ps_item(
    row: ContainerRow, image: ImageRow | None, paths: Paths | None = None
) -> dict[str, Any]:
    """Fields for `ps --format` (Docker's names) and `ps --format json` (Podman's)."""
    args = container_args(row, image)
    command = shlex.join(args)
    labels = row.config["options"]["labels"]
    return {
        "ID": row.short_id,
        "Id": row.id,
        "Image": row.image_name,
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
        "Mounts": [m["destination"] for m in row.config["mounts"]],
        "Networks": [],
        "AutoRemove": row.config["options"]["auto_remove"],
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
    return shlex.split(item["Command"])


def truncated_command(command: str, width: int = 20) -> str:
    text = command if len(command) <= width else command[: width - 1] + "…"
    return f'"{text}"'


def image_items(img: ImageRow) -> list[dict[str, Any]]:
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
                "Digest": "",
                "CreatedSince": ago(img.created),
                "CreatedAt": img.created,
                "Created": int(parse_rfc3339(img.created) or 0),
                "Size": human_size(img.size),
                "VirtualSize": img.size,
                "Names": img.names,
                "Labels": None,
            }
        )
    return out


def inspect_image(img: ImageRow) -> dict[str, Any]:
    return {
        "Id": img.id,
        "RepoTags": img.names,
        "Created": img.created,
        "Size": img.size,
        "Config": img.config.get("config", {}),
        "Architecture": img.config.get("architecture"),
        "Os": img.config.get("os"),
        "RootFS": {"Type": "layers", "Layers": [f"sha256:{d}" for d in img.layers]},
    }
