"""The container model: what a user asked for, validated into a typed, versioned config.

    CreateOptions (the CLI's parse)  --validate(options, HostFacts)-->  ContainerConfig
                                     --with_image(config, image's config)-->  ContainerConfig

`validate` and `with_image` are pure: what they need from the host (systemd, the runtime,
the CPUs, environment variables, files the options name) is gathered beforehand by the caller
(`supervisor.container.create.host_facts`). The store keeps a `ContainerConfig` as JSON with a
schema version; `load_config` reads every version ever written (1: the release's dict, before
this module; 2: `dump_config`'s).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NewType

from supervisor.envflags import expand_env  # exec's quick path reads it without the model
from supervisor.errors import UsageError
from supervisor.health import HealthFlags
from supervisor.idmaps import Userns, UsernsFacts  # issues 17/19
from supervisor.network.request import NetConfig  # networking (issue 13)
from supervisor.options import LOG_DRIVERS, NETWORK_MODES, CreateOptions
from supervisor.resources import BlkioSupport, ResourceOptions
from supervisor.runflags import RunFlagFacts, RunFlags  # helper "runflags"
from supervisor.secrets.spec import SecretRef  # secrets: run/create --secret
from supervisor.security.config import SecurityConfig, SecurityFacts
from supervisor.spec import Mount, NetworkMode, Ulimit
from supervisor.volumes.mounts import VolumeMount  # volumes (issue 14)

SCHEMA = 2
DEFAULT_STOP_TIMEOUT = 10
SIGTERM = 15
SPLIT_SUPERVISOR = "supervisor"  # --cgroups=split: the caller's sub-cgroup (Podman's name)

ContainerId = NewType("ContainerId", str)
CgroupParent = NewType("CgroupParent", str)  # a slice (systemd manager) or a cgroup path


class LogDriver(enum.StrEnum):
    JOURNALD = "journald"
    K8S_FILE = "k8s-file"
    NONE = "none"


class CgroupsMode(enum.StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"  # crun only: the container stays in its monitor's cgroup
    SPLIT = "split"  # a child of the caller's own cgroup (a unit running scopebox)


class CgroupManager(enum.StrEnum):
    SYSTEMD = "systemd"
    CGROUPFS = "cgroupfs"


class SdNotify(enum.StrEnum):
    CONTAINER = "container"
    CONMON = "conmon"
    HEALTHY = "healthy"
    IGNORE = "ignore"


def notify_socket(config: ContainerConfig) -> str:
    """Where --sdnotify tells of readiness: the socket recorded at create, else the caller's
    own (a container created in a shell, started by a Type=notify unit); none with `ignore`."""
    import os

    if config.sdnotify is SdNotify.IGNORE:
        return ""
    return config.sdnotify_socket or os.environ.get("NOTIFY_SOCKET", "")


class RestartName(enum.StrEnum):
    NO = "no"
    ON_FAILURE = "on-failure"
    ALWAYS = "always"
    UNLESS_STOPPED = "unless-stopped"


class OnFailure(enum.StrEnum):
    NONE = "none"
    KILL = "kill"
    RESTART = "restart"
    STOP = "stop"


@dataclass(frozen=True)
class HostFacts:
    """What validation needs to know about the host, gathered by the caller."""

    systemd: bool
    runtime_name: str
    runtime_path: str
    host_cpus: frozenset[int]
    host_mems: frozenset[int]
    unified: bool  # pure cgroup v2
    environ: Mapping[str, str] = field(default_factory=dict)  # for `-e NAME`
    env_files: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)  # lines or error
    label_files: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)  # issue 19
    existing: frozenset[str] = frozenset()  # bind sources that exist
    directories: frozenset[str] = frozenset()  # --rootfs candidates that are directories
    caller_cgroup: str = ""  # --cgroups=split: our own cgroup ("" if we have none)
    runflags: RunFlagFacts = field(default_factory=RunFlagFacts)  # helper "runflags"
    userns: UsernsFacts = field(default_factory=UsernsFacts)  # issues 17/19 (idmaps)
    # issue 17: rootless, why the user has no systemd manager ("" when it has one or is root)
    no_user_manager: str = ""
    default_slice: str = "machine.slice"  # rootless: the user manager's user.slice
    # rootless: journald keeps a user's own (readable) journal only in persistent storage
    user_journal: bool = True
    security: SecurityFacts = field(default_factory=SecurityFacts)  # supervisor/security
    default_network: str = "none"  # networking: containers.conf netns (bridge as root)
    # blkio (issue 19): the numbers of the devices the blkio flags name, and the kernel's
    # proportional weight files (supervisor.resources.BlkioSupport)
    block_devices: Mapping[str, tuple[int, int] | str] = field(default_factory=dict)
    blkio: BlkioSupport = field(default_factory=lambda: BlkioSupport(True, True))
    swappiness: bool = True  # misc (issue 19): the memory controller has memory.swappiness


@dataclass(frozen=True)
class LogConfig:
    """The log driver and its options."""

    driver: LogDriver
    max_size: int = 0
    max_file: int = 1
    path: str = ""  # "" : ctr.log in the container's dir
    tag: str = ""


@dataclass(frozen=True)
class RestartPolicy:
    """The restart policy (Docker's name and retry count)."""

    name: RestartName = RestartName.NO
    max_retries: int = 0

    def docker(self) -> dict[str, Any]:
        """Docker's HostConfig.RestartPolicy shape."""
        return {"Name": self.name.value, "MaximumRetryCount": self.max_retries}


@dataclass(frozen=True)
class Healthcheck:
    """The check the monitor runs; durations in nanoseconds (Docker's units)."""

    test: tuple[str, ...]
    interval: int
    timeout: int
    start_period: int
    retries: int
    on_failure: OnFailure = OnFailure.NONE

    def docker(self) -> dict[str, Any]:
        """Docker's Config.Healthcheck keys."""
        return {
            "Test": list(self.test),
            "Interval": self.interval,
            "Timeout": self.timeout,
            "StartPeriod": self.start_period,
            "Retries": self.retries,
        }


@dataclass(frozen=True)
class ContainerConfig:
    """Everything `create` decided; read by start, stop, inspect, ps, update, generate."""

    options: CreateOptions  # what was asked for (registry credentials dropped)
    runtime: str  # the OCI runtime's path
    cgroup_manager: CgroupManager
    cgroups: CgroupsMode
    cgroup_parent: CgroupParent
    network: NetworkMode
    log: LogConfig
    stop_signal: int = SIGTERM
    stop_timeout: int = DEFAULT_STOP_TIMEOUT
    env: tuple[str, ...] = ()  # -e and --env-file, expanded; the image's come at start
    mounts: tuple[Mount, ...] = ()  # -v then --tmpfs
    ulimits: tuple[Ulimit, ...] = ()
    resources: Mapping[str, Any] = field(default_factory=dict)  # OCI linux.resources
    restart: RestartPolicy = RestartPolicy()
    sdnotify: SdNotify = SdNotify.CONTAINER
    # The caller's NOTIFY_SOCKET at create (Podman's SdNotifySocket; none with `ignore`):
    # the unit that made the container is the one told when it is ready.
    sdnotify_socket: str = ""
    healthcheck: Healthcheck | None = None
    runflags: RunFlags = field(default_factory=RunFlags)  # helper "runflags"
    userns: Userns = field(default_factory=Userns)  # issues 17/19 (supervisor/idmaps.py)
    security: SecurityConfig = field(default_factory=SecurityConfig)  # supervisor/security
    volumes: tuple[VolumeMount, ...] = ()  # volumes (issue 14): named and anonymous
    net: NetConfig = field(default_factory=NetConfig)  # networking (issue 13)
    requires: tuple[str, ...] = ()  # helper "flags": --requires, as ids (supervisor/depends.py)
    proxy_env: tuple[str, ...] = ()  # misc (issue 19): --http-proxy, the caller's at create
    systemd_mode: bool = False  # issue 19: --systemd decided with the command (with_image)
    secrets: tuple[SecretRef, ...] = ()  # --secret, parsed here, resolved by create (secrets/)

    @property
    def auto_remove(self) -> bool:
        return self.options.auto_remove

    @property
    def rootfs(self) -> bool:
        """The image is a directory given with --rootfs, used as it is (nothing to mount;
        `--rootfs DIR:O` is mounted: an overlay over DIR)."""
        return self.options.rootfs and not self.options.rootfs_overlay

    @property
    def health_restarts(self) -> bool:
        """--health-on-failure=restart: the monitor may start the container again itself."""
        return self.healthcheck is not None and self.healthcheck.on_failure is OnFailure.RESTART


# validation ----------------------------------------------------------------------------------


def validate(opts: CreateOptions, host: HostFacts) -> ContainerConfig:
    """Check every option before anything is made; the image's part comes in `with_image`."""
    from supervisor import spec
    from supervisor.resources import (
        discard_realtime,
        discard_swappiness,
        discard_unsupported,
        oci_resources,
    )
    from supervisor.signals import parse_signal

    log = _log_config(opts, host)
    # networking (issue 13)
    from supervisor.network.request import build

    net = build(opts.network, opts.net, host.default_network)
    network = _choice(NetworkMode, net.mode, f"network mode {net.mode!r} is not"
                      f" supported yet (use {', '.join(NETWORK_MODES)})")
    stop_signal = parse_signal(opts.stop_signal or "SIGTERM")
    if opts.stop_timeout is not None and opts.stop_timeout < 0:
        raise UsageError("--stop-timeout must not be negative")
    ulimits = tuple(spec.parse_ulimit(u) for u in opts.ulimits)
    spec.check_ulimits(ulimits)
    # volumes (issue 14): -v and --mount give binds, tmpfs, devpts and volumes
    from supervisor.volumes import mounts as vm

    mounts, volumes = vm.split([vm.parse_volume(v) for v in opts.volumes]
                               + [vm.parse_mount(m) for m in opts.mounts])
    for m in mounts:
        if m.type == "bind" and m.source not in host.existing:
            raise UsageError(f"bind mount source {m.source!r} does not exist")
    mounts += [spec.parse_tmpfs(t) for t in opts.tmpfs]
    # the same mount given twice is one (Podman); two different ones at a place are an error
    mounts, volumes = list(dict.fromkeys(mounts)), list(dict.fromkeys(volumes))
    vm.check_unique([m.destination for m in mounts] + [v.destination for v in volumes])
    for ref in opts.volumes_from:
        vm.parse_volumes_from(ref)
    # end volumes
    env = _env_files(opts.env_files, host) + [
        e for e in (expand_env(i, host.environ) for i in opts.env) if e
    ]
    if opts.rootfs and opts.image not in host.directories:
        raise UsageError(f"--rootfs {opts.image!r} is not a directory")
    if opts.hostname is not None:
        validate_hostname(opts.hostname)
    check_personality(opts.personality)  # misc (issue 19)
    if opts.image_volume not in (*IMAGE_VOLUME_MODES, ""):  # misc (issue 19): Podman's words
        raise UsageError(f'invalid image volume mode "{opts.image_volume}" required value:'
                         f" {', '.join(IMAGE_VOLUME_MODES)}")
    if opts.systemd not in SYSTEMD_MODES:  # issue 19: Podman's words
        raise UsageError('invalid config provided: --systemd values must be one of'
                         ' "true, false, always": invalid configuration')
    if opts.seccomp_policy not in ("", *SECCOMP_POLICIES):  # misc (issue 19): Podman's words
        raise UsageError(f'invalid seccomp policy "{opts.seccomp_policy}": valid policies are'
                         f' [{" ".join(chr(34) + p + chr(34) for p in SECCOMP_POLICIES)}]')
    asked = discard_unsupported(opts.resources, host.blkio, host.block_devices)  # blkio
    asked = discard_swappiness(asked, host.swappiness)  # misc (issue 19)
    asked = discard_realtime(asked, host.unified)  # issue 19 (helper "flags")
    if asked != opts.resources:
        opts = replace(opts, resources=asked)
    resources = oci_resources(asked, set(host.host_cpus), set(host.host_mems),
                              host.block_devices)
    cgroups = _choice(CgroupsMode, opts.cgroups,
                      f"invalid --cgroups {opts.cgroups!r} (enabled, disabled, split)")
    if cgroups is CgroupsMode.DISABLED:
        resources = _no_cgroups(opts, host)
    if opts.cgroup_conf:
        resources["unified"] = _cgroup_conf(opts.cgroup_conf, host.unified)
    policy = _restart_policy(opts)
    sdnotify = _choice(SdNotify, opts.sdnotify, f"invalid --sdnotify {opts.sdnotify!r}"
                       f" (use {', '.join(m.value for m in SdNotify)})")
    manager, parent = _cgroup_placement(opts, cgroups, host)
    # helper "runflags"
    from supervisor import runflags

    flags = runflags.validate(opts.runflags, host.runflags, network is NetworkMode.HOST)
    from supervisor import idmaps  # issues 17/19

    userns = idmaps.validate(opts.userns, host.userns)
    security = _security(opts, host)
    labels = label_files(opts.label_files, host.label_files, host.environ)  # issue 19
    return ContainerConfig(
        # registry credentials are for the pull only; the label files' labels under -l's
        options=replace(opts, creds=None, labels={**labels, **opts.labels}, label_files=[]),
        runtime=host.runtime_path,
        cgroup_manager=manager,
        cgroups=cgroups,
        cgroup_parent=parent,
        network=network,
        log=log,
        stop_signal=stop_signal,
        stop_timeout=DEFAULT_STOP_TIMEOUT if opts.stop_timeout is None else opts.stop_timeout,
        env=tuple(env),
        mounts=tuple(mounts),
        ulimits=ulimits,
        resources=resources,
        restart=policy,
        sdnotify=sdnotify,
        sdnotify_socket="" if sdnotify is SdNotify.IGNORE
        else host.environ.get("NOTIFY_SOCKET", ""),
        runflags=flags,
        userns=userns,
        security=security,
        volumes=tuple(volumes),  # volumes (issue 14)
        net=net,
        proxy_env=proxy_env(opts, host.environ),  # misc (issue 19)
        secrets=_secrets(opts.secrets),
    )


def _secrets(values: list[str]) -> tuple[SecretRef, ...]:
    """secrets: each --secret parsed (Podman's words for a bad one); create finds them."""
    from supervisor.secrets.spec import parse

    return tuple(parse(v) for v in values)


# misc (issue 19): Podman's (containers/common GetDefaultEnvEx) proxy variables, both cases
PROXY_VARS = ("http_proxy", "https_proxy", "ftp_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY")


def proxy_env(opts: CreateOptions, environ: Mapping[str, str]) -> tuple[str, ...]:
    """--http-proxy (the default): the caller's proxy variables, layered as --env-host's
    (views.config_env: over the image's, under -e); --env-host passes them with the rest."""
    if opts.http_proxy is False or opts.runflags.env_host:  # None: true (containers.conf's)
        return ()
    return tuple(f"{name}={environ[name]}" for name in PROXY_VARS if name in environ)


SECCOMP_POLICIES = ("default", "image")  # misc (issue 19)
IMAGE_VOLUME_MODES = ("bind", "tmpfs", "ignore")
# --image-volume tmpfs: Podman 4.3's options for such a tmpfs (the image's files copied up)
IMAGE_VOLUME_TMPFS = ("rprivate", "rw", "nodev", "exec", "nosuid", "tmpcopyup")
IMAGE_SECCOMP_LABEL = "io.containers.seccomp.profile"


def image_seccomp(config: ContainerConfig, labels: Mapping[str, str]) -> ContainerConfig:
    """misc (issue 19): --seccomp-policy=image: the profile (JSON) the image's label holds
    replaces the default or a --security-opt seccomp= file, as Podman 4.3 does (--privileged
    and seccomp=unconfined still run without a filter; a missing label is refused anyway)."""
    from supervisor.security.seccomp import check

    text = labels.get(IMAGE_SECCOMP_LABEL, "")
    if not text:
        raise UsageError("no seccomp policy defined by image")
    try:
        profile = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"loading seccomp profile failed: the image's {IMAGE_SECCOMP_LABEL}"
                         f" label is not valid JSON: {exc}") from None
    check(profile, f"label {IMAGE_SECCOMP_LABEL}")
    if config.security.privileged or config.security.seccomp == "unconfined":
        return config  # no filter at all, as Podman's
    security = replace(config.security, seccomp="image", seccomp_profile=profile)
    return replace(config, security=security)


def check_personality(domain: str) -> None:
    """misc (issue 19): OCI's execution domains. Podman 4.3 takes any word into the spec
    (runc 1.1 ignores it, crun fails at start); scopebox refuses what no runtime runs."""
    if domain not in ("", "LINUX", "LINUX32"):
        raise UsageError(f"invalid --personality {domain!r}: the execution domain is LINUX or"
                         " LINUX32")


def _security(opts: CreateOptions, host: HostFacts) -> SecurityConfig:
    """The security flags (supervisor/security), checked against the host's facts."""
    from supervisor.security import config

    return config.validate(
        cap_add=opts.cap_add,
        cap_drop=opts.cap_drop,
        privileged=opts.privileged,
        devices=opts.devices,
        device_cgroup_rules=opts.device_cgroup_rules,
        security_opt=opts.security_opt,
        default_caps=opts.default_capabilities,
        seccomp_profile=opts.seccomp_profile,
        facts=host.security,
    )


def with_image(config: ContainerConfig, image_config: Mapping[str, Any]) -> ContainerConfig:
    """The image's part: its HEALTHCHECK under the flags' (Docker's merge)."""
    from supervisor.health import resolve

    hc = resolve(config.options.health, image_config.get("Healthcheck"))
    _check_env(config, image_config)  # issue 19: --env-merge against the image's env
    if config.sdnotify is SdNotify.HEALTHY and not hc:
        # READY=1 would never come: the unit would time out instead.
        raise UsageError("--sdnotify=healthy needs a healthcheck (--health-cmd or the"
                         " image's HEALTHCHECK)")
    # volumes (issue 14): the image's VOLUMEs not covered by a mount become anonymous volumes
    from supervisor.volumes.mounts import image_volumes

    taken = {m.destination for m in config.mounts} | {v.destination for v in config.volumes}
    anonymous = image_volumes(image_config.get("Volumes"), taken)
    mode = config.options.image_volume or "bind"  # misc (issue 19): --image-volume
    if mode == "bind":
        config = replace(config, volumes=config.volumes + tuple(anonymous))
    elif mode == "tmpfs":
        tmpfs = (Mount(v.destination, "tmpfs", "tmpfs", IMAGE_VOLUME_TMPFS) for v in anonymous)
        config = replace(config, mounts=config.mounts + tuple(tmpfs))
    # end volumes
    if config.options.seccomp_policy == "image":  # misc (issue 19)
        config = image_seccomp(config, image_config.get("Labels") or {})
    config = _systemd_mode(config, image_config)  # issue 19
    return replace(config, healthcheck=_healthcheck(hc))


SYSTEMD_MODES = ("true", "false", "always")
SYSTEMD_COMMANDS = ("/sbin/init", "/usr/sbin/init", "/usr/local/sbin/init")
SIGRTMIN_3 = 37  # what systemd takes as "halt": its stop signal


def _systemd_mode(config: ContainerConfig, image_config: Mapping[str, Any]) -> ContainerConfig:
    """Podman's systemd mode: `always`, or `true` when the command is an init or systemd
    (after a `/bin/sh -c` that a build put in front); then SIGRTMIN+3 stops it unless a stop
    signal was asked for."""
    mode, opts = config.options.systemd, config.options
    entry = opts.entrypoint if opts.entrypoint is not None else (
        image_config.get("Entrypoint") or [])
    args = [*entry, *(opts.command or ([] if opts.entrypoint is not None else (
        image_config.get("Cmd") or [])))]  # Docker's rule (views.resolve_args)
    if len(args) > 2 and args[:2] == ["/bin/sh", "-c"]:
        args = args[2:]
    init = bool(args) and (args[0] in SYSTEMD_COMMANDS or
                           str(args[0]).rsplit("/", 1)[-1] == "systemd")
    if not (mode == "always" or (mode == "true" and init)):
        return config
    signal = config.stop_signal if config.options.stop_signal else SIGRTMIN_3
    return replace(config, systemd_mode=True, stop_signal=signal)


def _check_env(config: ContainerConfig, image_config: Mapping[str, Any]) -> None:
    """The environment as start builds it: an --env-merge that cannot be expanded fails now."""
    from supervisor.envflags import container_env

    flags = config.runflags
    container_env(image_config.get("Env") or [], flags.env_merge)


def _healthcheck(hc: Mapping[str, Any] | None) -> Healthcheck | None:
    if not hc:
        return None
    return Healthcheck(
        test=tuple(hc["Test"]),
        interval=int(hc["Interval"]),
        timeout=int(hc["Timeout"]),
        start_period=int(hc["StartPeriod"]),
        retries=int(hc["Retries"]),
        on_failure=OnFailure(hc.get("OnFailure", "none")),
    )


E = typing.TypeVar("E", bound=enum.Enum)


def _choice(kind: type[E], value: str, error: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise UsageError(error) from None


def _log_config(opts: CreateOptions, host: HostFacts) -> LogConfig:
    name = opts.log_driver or ("journald" if host.systemd and host.user_journal else "k8s-file")
    driver = _choice(LogDriver, name,
                     f"unsupported log driver {name!r} (use {', '.join(LOG_DRIVERS)})")
    if driver is LogDriver.JOURNALD and not host.systemd and host.no_user_manager:
        raise UsageError("the journald log driver needs the user's systemd: "
                         + host.no_user_manager)
    if driver is LogDriver.JOURNALD and not host.systemd:
        raise UsageError("the journald log driver needs systemd, which is not running here")
    return _parse_log_opts(driver, opts.log_opts)


def _parse_log_opts(driver: LogDriver, opts: Mapping[str, str]) -> LogConfig:
    from supervisor.sizes import DEFAULT_LOG_MAX_FILE, DEFAULT_LOG_MAX_SIZE, parse_size

    # A new container's log is bounded unless asked otherwise (rows stored before this
    # default carry their own values).
    out = LogConfig(driver, max_size=DEFAULT_LOG_MAX_SIZE, max_file=DEFAULT_LOG_MAX_FILE)
    for key, value in opts.items():
        if key == "max-size":
            out = replace(out, max_size=parse_size(value, decimal=True))
        elif key == "max-file":
            if not value.isdigit() or int(value) < 1:
                raise UsageError(f"--log-opt max-file={value!r}: expected a whole number >= 1")
            out = replace(out, max_file=int(value))
        elif key == "path":
            if not value.startswith("/"):
                raise UsageError(f"--log-opt path={value!r}: expected an absolute path")
            out = replace(out, path=value)
        elif key == "tag":
            out = replace(out, tag=value)
        else:
            raise UsageError(f"unsupported --log-opt {key!r} (path, max-size, max-file, tag)")
    return out


def _env_files(paths: list[str], host: HostFacts) -> list[str]:
    out: list[str] = []
    for path in paths:
        lines = host.env_files.get(path, "not read")
        if isinstance(lines, str):
            raise UsageError(f"cannot read --env-file {path!r}: {lines}")
        for line in lines:
            line = line.strip()
            item = expand_env(line, host.environ) if line and not line.startswith("#") else None
            if item:
                out.append(item)
    return out


def label_files(
    paths: list[str], files: Mapping[str, tuple[str, ...] | str], environ: Mapping[str, str]
) -> dict[str, str]:
    """issue 19: --label-file, read as Podman 4.3 reads it (its env-file parser): blank lines
    and `#` comments skipped, KEY=VALUE (the value verbatim), a bare KEY is skipped, KEY*
    takes the caller's variables whose names begin with KEY; later lines and files win."""
    out: dict[str, str] = {}
    for path in paths:
        lines = files.get(path, f"open {path}: not read")
        if isinstance(lines, str):
            raise UsageError(f"unable to process labels: {lines}")
        for raw in lines:
            line = raw.lstrip(_WHITESPACE)
            if line and not line.startswith("#"):
                _label_line(line, out, environ)
    return out


_WHITESPACE = " \t"


def _label_line(line: str, out: dict[str, str], environ: Mapping[str, str]) -> None:
    name, eq, value = line.partition("=")
    if not name:
        quoted = line.replace("\\", "\\\\").replace('"', '\\"')  # Go's %q, mostly
        raise UsageError(f'unable to process labels: invalid environment variable: "{quoted}"')
    if any(c in name for c in _WHITESPACE):
        raise UsageError(f'unable to process labels: name "{name}" has white spaces, poorly'
                         " formatted name")
    if eq:
        out[name] = value
    elif name.endswith("*"):
        out.update({k: v for k, v in environ.items() if k.startswith(name[:-1])})


def validate_hostname(name: str) -> None:
    """What the kernel's sethostname takes (64 bytes), as Podman passes any text through
    (`a_b`, and so a generated pod name like `keen_noether`, which is the infra's hostname);
    a control character would break the container's /etc/hosts line."""
    ok = 0 < len(name.encode()) <= 64 and all(c >= " " and c != "\x7f" for c in name)
    if not ok:
        raise UsageError(f"invalid hostname {name!r}")


def parse_policy(value: str) -> RestartPolicy:
    """`no`, `on-failure[:N]`, `always`, `unless-stopped` (Docker's syntax)."""
    text, colon, count = value.partition(":")
    name = _choice(RestartName, text, f"invalid --restart {value!r}: use no, on-failure[:N],"
                   " always or unless-stopped")
    if not colon:
        return RestartPolicy(name)
    if name is not RestartName.ON_FAILURE:
        raise UsageError(f"invalid --restart {value!r}: only on-failure takes a retry count")
    if not count.isdigit():
        raise UsageError(f"invalid --restart {value!r}: the retry count is a whole number >= 0")
    return RestartPolicy(name, int(count))


def _restart_policy(opts: CreateOptions) -> RestartPolicy:
    """Any manager: under systemd the monitor is a service systemd restarts, with the
    cgroupfs manager the monitor restarts the container itself (supervisor.restarts)."""
    policy = parse_policy(opts.restart)
    if policy.name is RestartName.NO:
        return policy
    if opts.auto_remove:
        raise UsageError("conflicting options: --restart and --rm")
    if opts.cgroups == "split":
        raise UsageError("--restart and --cgroups=split cannot be combined: the caller's"
                         " unit supervises a split container (use its Restart=)")
    return policy


def _no_cgroups(opts: CreateOptions, host: HostFacts) -> dict[str, Any]:
    """--cgroups=disabled: the container stays in its monitor's cgroup (crun only)."""
    if host.runtime_name != "crun":
        raise UsageError("--cgroups=disabled needs crun: runc always makes a cgroup")
    if opts.resources != ResourceOptions() or opts.cgroup_conf or opts.cgroup_parent:
        raise UsageError("--cgroups=disabled cannot take resource limits or cgroup options")
    return {}


def _cgroup_conf(items: list[str], unified: bool) -> dict[str, str]:
    """`--cgroup-conf memory.high=1g`: raw cgroup v2 files (OCI linux.resources.unified)."""
    if not unified:
        raise UsageError("--cgroup-conf sets cgroup v2 files: this host is not pure cgroup v2")
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        controller, dot, _ = key.partition(".")
        if not eq or not dot or not controller or "/" in key or key.startswith("."):
            raise UsageError(
                f"invalid --cgroup-conf {item!r}: expected FILE=VALUE, like memory.high=1g"
            )
        out[key] = value
    return out


def _cgroup_placement(
    opts: CreateOptions, cgroups: CgroupsMode, host: HostFacts
) -> tuple[CgroupManager, CgroupParent]:
    manager = CgroupManager.SYSTEMD if host.systemd else CgroupManager.CGROUPFS
    if cgroups is not CgroupsMode.SPLIT:
        return manager, CgroupParent(cgroup_parent(opts.cgroup_parent, host.systemd,
                                                   host.default_slice))
    # The monitor stays in the caller's cgroup; the container gets a child of it, made by
    # the runtime's cgroupfs driver in the caller's delegated subtree.
    if opts.cgroup_parent:
        raise UsageError("--cgroups=split and --cgroup-parent cannot be combined")
    if not host.caller_cgroup:
        raise UsageError("--cgroups=split needs to run inside a cgroup of its own (a unit)")
    return CgroupManager.CGROUPFS, CgroupParent(host.caller_cgroup)


def cgroup_parent(value: str | None, systemd: bool, default_slice: str = "machine.slice") -> str:
    """A slice with the systemd manager (`machine.slice` by default, the user manager's
    `user.slice` rootless), a path with cgroupfs."""
    if systemd:
        if value is None:
            return default_slice
        name_ok = all(c.isalnum() or c in "-_.:" for c in value[: -len(".slice")])
        if not value.endswith(".slice") or value == ".slice" or not name_ok or "/" in value:
            raise UsageError(
                f"invalid --cgroup-parent {value!r}: with the systemd cgroup manager it is a"
                " slice, like myapp.slice"
            )
        return value
    if value is None:
        return "/scopebox"
    parts = [p for p in value.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise UsageError(f"invalid --cgroup-parent {value!r}: a cgroup path like /myapp")
    return "/" + "/".join(parts)


# the stored form ------------------------------------------------------------------------------


def dump_config(config: ContainerConfig) -> dict[str, Any]:
    """The JSON the store keeps (enums as their values, tuples as lists)."""
    return {"schema": SCHEMA, **asdict(config)}


def load_config(data: Mapping[str, Any]) -> ContainerConfig:
    """Any stored version, migrated to today's type."""
    version = data.get("schema", 1)
    if version == 1:
        data = _from_v1(data)
    elif version != SCHEMA:
        raise UsageError(
            f"a container's config has schema {version!r}, newer than this scopebox ({SCHEMA}):"
            " use the scopebox that made it"
        )
    out = _decode(ContainerConfig, {k: v for k, v in data.items() if k != "schema"})
    assert isinstance(out, ContainerConfig)
    return out


def _from_v1(d: Mapping[str, Any]) -> dict[str, Any]:
    """The release's dict (12b1814 and before): flat keys, Docker-shaped policy and check."""
    opts = d.get("options") or {}
    restart = d.get("restart") or {}
    hc = d.get("healthcheck")
    lo = d.get("log_opts") or {}
    return {
        "options": opts,
        "runtime": d["runtime"],
        "cgroup_manager": d["cgroup_manager"],
        "cgroups": d.get("cgroups", "enabled"),
        "cgroup_parent": d["cgroup_parent"],
        "network": opts.get("network", "none"),
        "log": {"driver": d["log_driver"], **lo},
        "stop_signal": d.get("stop_signal", SIGTERM),
        "stop_timeout": d.get("stop_timeout", DEFAULT_STOP_TIMEOUT),
        "env": d.get("env", []),
        "mounts": d.get("mounts", []),
        "ulimits": d.get("ulimits", []),
        "resources": d.get("resources", {}),
        "restart": {
            "name": restart.get("Name", "no"),
            "max_retries": restart.get("MaximumRetryCount", 0),
        },
        "sdnotify": d.get("sdnotify", "container"),
        "healthcheck": None if not hc else asdict(_healthcheck(hc) or _NO_CHECK),
    }


_NO_CHECK = Healthcheck((), 0, 0, 0, 0)
_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def _decode(tp: Any, value: Any) -> Any:
    """A JSON value as the annotated type: dataclasses (unknown keys dropped, missing ones
    defaulted), enums, NewTypes, named tuples, tuples, lists, dicts and optionals."""
    return _decoder(tp)(value)


def _same(value: Any) -> Any:
    return value


def _decoder(tp: Any) -> Callable[[Any], Any]:
    """The function that decodes values of `tp`, made once per type (performance, issue 16:
    `ps` of 200 containers spent ~12 ms a row asking typing about the same annotations)."""
    dec = _DECODERS.get(tp)
    if dec is None:
        box: list[Callable[[Any], Any]] = []
        _DECODERS[tp] = lambda value: box[0](value)  # a type that refers to itself
        dec = _DECODERS[tp] = _make_decoder(tp)
        box.append(dec)
    return dec


def field_types(tp: type) -> dict[str, Any]:
    """The fields of a dataclass or named tuple with their types: each annotation (a string,
    under `from __future__ import annotations`) evaluated in its module's namespace. What
    typing.get_type_hints gives for them, in half the instructions (issue 16: ~10 M of
    `inspect CONTAINER`); a dataclass's ClassVar and InitVar pseudo-fields are not fields."""
    ns = vars(sys.modules[tp.__module__])
    if dataclasses.is_dataclass(tp):
        items = [(f.name, f.type) for f in dataclasses.fields(tp)]
    else:  # typing.NamedTuple keeps them as ForwardRef('int')
        items = [(k, getattr(t, "__forward_arg__", t)) for k, t in tp.__annotations__.items()]
    return {k: eval(t, ns) if isinstance(t, str) else t for k, t in items}


def _make_decoder(tp: Any) -> Callable[[Any], Any]:
    supertype = getattr(tp, "__supertype__", None)
    if supertype is not None:  # a NewType
        return _decoder(supertype)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = field_types(tp)
        fields = {k: _decoder(t) for k, t in hints.items()}
        names = fields.keys()
        # performance (issue 16): only the fields that need decoding are visited (of
        # CreateOptions' ~150, a few); a stored config's keys are checked as one set
        typed = tuple((k, d) for k, d in fields.items() if d is not _same)

        def dataclass_(value: Any) -> Any:
            if value is None:
                return None
            if value.keys() <= names:
                kw = dict(value)
            else:  # unknown keys (a newer scopebox's, a removed field's) are dropped
                kw = {k: v for k, v in value.items() if k in names}
            for k, dec in typed:
                v = kw.get(k)
                if v is not None:
                    kw[k] = dec(v)
            return tp(**kw)

        return dataclass_
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return lambda value: None if value is None else tp(value)
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        hints = field_types(tp)
        decs = [_decoder(hints[n]) for n in tp._fields]
        return lambda value: None if value is None else tp(
            *(d(v) for d, v in zip(decs, value, strict=True)))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _decoder(inner)  # each decoder gives None for None
    if origin is tuple or origin is list:
        item, kind = _decoder(args[0]), origin
        if item is _same:
            return lambda value: None if value is None else kind(value)
        return lambda value: None if value is None else kind(map(item, value))
    if origin in (dict, Mapping) or (origin is not None and issubclass(origin, Mapping)):
        item = _decoder(args[1])
        if item is _same:
            return lambda value: None if value is None else dict(value)
        return lambda value: None if value is None else {k: item(v) for k, v in value.items()}
    return _same


__all__ = [
    "ContainerConfig",
    "CreateOptions",
    "HealthFlags",
    "HostFacts",
    "NetworkMode",
    "dump_config",
    "load_config",
    "validate",
    "with_image",
]
