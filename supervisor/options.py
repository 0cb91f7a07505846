"""What a user asks for when creating a container, as parsed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from supervisor.health import HealthFlags
from supervisor.network.request import NetFlags  # networking (issue 13)
from supervisor.resources import ResourceOptions

LOG_DRIVERS = ("journald", "k8s-file", "none")
NETWORK_MODES = ("bridge", "none", "host", "NAME[,NAME...]", "container:ID", "ns:PATH")
PULL_POLICIES = ("missing", "always", "newer", "never")


# --- run/create process and namespace flags (helper "runflags"; validated in
# supervisor/runflags.py) ---
@dataclass(frozen=True)
class RunFlagOptions:
    """helper "runflags": the run/create flags kept as given."""

    init: bool = False
    init_path: str | None = None
    sysctls: list[str] = field(default_factory=list)
    pid: str | None = None
    ipc: str | None = None
    uts: str | None = None
    cgroupns: str | None = None
    shm_size: str | None = None
    group_add: list[str] = field(default_factory=list)
    oom_score_adj: int | None = None
    oom_kill_disable: bool = False
    annotations: list[str] = field(default_factory=list)
    env_host: bool = False
    tz: str | None = None
    timeout: int = 0
    rmi: bool = False
    default_sysctls: list[str] = field(default_factory=list)  # containers.conf's
    # issue 19 (helper s26-runflags): the process' umask, the default environment, pid files
    umask: str | None = None  # None: Podman's default 0022
    unsetenv: list[str] = field(default_factory=list)
    unsetenv_all: bool = False
    env_merge: list[str] = field(default_factory=list)
    pidfile: str = ""  # absolute; "" : only the run dir's
    conmon_pidfile: str = ""


# --- end runflags ---


# issues 17/19: the container's user namespace (validated in supervisor/idmaps.py)
@dataclass(frozen=True)
class UsernsOptions:
    """issues 17/19: --userns, --uidmap/--gidmap, --subuidname/--subgidname as given."""

    userns: str | None = None
    uidmap: list[str] = field(default_factory=list)
    gidmap: list[str] = field(default_factory=list)
    subuidname: str | None = None
    subgidname: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.userns or self.uidmap or self.gidmap or self.subuidname
                    or self.subgidname)


# helper "flags": /etc/passwd and /etc/group entries (supervisor/passwd.py)
@dataclass(frozen=True)
class UserFlags:
    """The flags about the container's user and its /etc/passwd and /etc/group entries."""

    passwd: bool = True  # run --passwd (Podman's default: true)
    passwd_entry: str = ""  # --passwd-entry TEMPLATE
    hostusers: tuple[str, ...] = ()  # --hostuser NAME|UID


@dataclass(frozen=True)
class CreateOptions:
    """What a `create` or `run` was asked (by the CLI, the REST face or kube), as given."""

    image: str
    command: list[str] = field(default_factory=list)
    name: str | None = None
    entrypoint: list[str] | None = None
    env: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    label_files: list[str] = field(default_factory=list)  # issue 19: read at create, then []
    workdir: str | None = None
    create_workdir: bool = False  # the Docker API's: a missing --workdir is made (moby's)
    user: str | None = None
    hostname: str | None = None
    volumes: list[str] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    read_only: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    interactive: bool = False
    tty: bool = False  # terminals: -t (the monitor owns the pty; supervisor/terminal)
    log_driver: str | None = None
    log_opts: dict[str, str] = field(default_factory=dict)
    stop_signal: str | None = None
    stop_timeout: int | None = None
    rootfs: bool = False
    # --rootfs DIR:O (Podman's): DIR is the lower layer of an overlay, writes go to the
    # container's own upper layer (container/rootfs.py)
    rootfs_overlay: bool = False
    # the image a --rootfs tree stands for (a pod's default infra: the local pause image,
    # supervisor/pods/infra.py): recorded as the container's image, so `rmi` sees its user
    rootfs_image: str = ""
    ulimits: list[str] = field(default_factory=list)
    network: str = "none"
    auto_remove: bool = False
    resources: ResourceOptions = field(default_factory=ResourceOptions)
    cgroup_parent: str | None = None
    cgroup_conf: list[str] = field(default_factory=list)
    cgroups: str = "enabled"  # enabled | disabled (crun only) | split
    runtime: str | None = None  # run/create --runtime: None, the engine's
    restart: str = "no"  # no | on-failure[:N] | always | unless-stopped
    sdnotify: str = "container"  # conmon | container | ignore (Podman's default: container)
    health: HealthFlags = field(default_factory=HealthFlags)
    pull: str = "missing"  # missing | always | newer | never: when to pull the image
    pull_platform: str | None = None
    tls_verify: bool | None = None
    authfile: str | None = None
    creds: str | None = None
    cert_dir: str | None = None  # issue 19: kube play --cert-dir (None: certs.d/HOST)
    runflags: RunFlagOptions = field(default_factory=RunFlagOptions)  # helper "runflags"
    userns: UsernsOptions = field(default_factory=UsernsOptions)  # issues 17/19 (idmaps)
    # security (supervisor/security): --cap-add/--cap-drop/--privileged/--device/
    # --device-cgroup-rule/--security-opt, and containers.conf's defaults (api.with_defaults)
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    devices: list[str] = field(default_factory=list)
    device_cgroup_rules: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    default_capabilities: list[str] | None = None
    seccomp_profile: str | None = None
    # volumes (issue 14)
    mounts: list[str] = field(default_factory=list)  # --mount
    volumes_from: list[str] = field(default_factory=list)  # --volumes-from CTR[:ro|rw]
    # end volumes
    # fidelity: the command line that made it (inspect's Config.CreateCommand)
    create_command: list[str] = field(default_factory=list)
    # networking (issue 13): -p, -P, --expose, --ip, --dns, --add-host, ... (network above;
    # "" there means the default mode: containers.conf netns, else bridge as root)
    net: NetFlags = field(default_factory=NetFlags)
    users: UserFlags = field(default_factory=UserFlags)  # helper "flags": --passwd, --hostuser
    requires: list[str] = field(default_factory=list)  # helper "flags": --requires CTR,...
    # misc (issue 19): --read-only-tmpfs (with --read-only: tmpfs on /run, /tmp, /var/tmp) and
    # --http-proxy (the caller's proxy variables passed in), both true by default as Podman's
    read_only_tmpfs: bool = True
    http_proxy: bool | None = None  # None: containers.conf's http_proxy (default true)
    personality: str = ""  # misc (issue 19): --personality LINUX|LINUX32 (linux.personality)
    seccomp_policy: str = "default"  # misc (issue 19): default | image (the image's label)
    image_volume: str = "bind"  # misc (issue 19): the image's VOLUMEs: bind | tmpfs | ignore
    # ("" from the CLI when not given: containers.conf's image_volume_mode, see with_defaults)
    systemd: str = "true"  # issue 19: true (when the command is an init) | false | always
    chrootdirs: list[str] = field(default_factory=list)  # issue 19: /etc/hosts, resolv.conf too
    secrets: list[str] = field(default_factory=list)  # --secret SOURCE[,type=,target=,...]
    init_ctr: str = ""  # issue 19: a pod's init container: always | once (create --pod only)
