"""What a user asks for when creating a container, as parsed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from supervisor.health import HealthFlags
from supervisor.resources import ResourceOptions

LOG_DRIVERS = ("journald", "k8s-file", "none")
NETWORK_MODES = ("none", "host")
PULL_POLICIES = ("missing", "always", "newer", "never")


@dataclass(frozen=True)
class CreateOptions:
    image: str
    command: list[str] = field(default_factory=list)
    name: str | None = None
    entrypoint: list[str] | None = None
    env: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    workdir: str | None = None
    user: str | None = None
    hostname: str | None = None
    volumes: list[str] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    read_only: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    interactive: bool = False
    log_driver: str | None = None
    log_opts: dict[str, str] = field(default_factory=dict)
    stop_signal: str | None = None
    stop_timeout: int | None = None
    rootfs: bool = False
    ulimits: list[str] = field(default_factory=list)
    network: str = "none"
    auto_remove: bool = False
    resources: ResourceOptions = field(default_factory=ResourceOptions)
    cgroup_parent: str | None = None
    cgroup_conf: list[str] = field(default_factory=list)
    cgroups: str = "enabled"  # enabled | disabled (crun only) | split
    restart: str = "no"  # no | on-failure[:N] | always | unless-stopped
    sdnotify: str = "container"  # conmon | container | ignore (Podman's default: container)
    health: HealthFlags = field(default_factory=HealthFlags)
    pull: str = "missing"  # missing | always | newer | never: when to pull the image
    pull_platform: str | None = None
    tls_verify: bool | None = None
    authfile: str | None = None
    creds: str | None = None
