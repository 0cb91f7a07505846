"""`generate systemd`: a service unit that runs an existing container (Podman 4.3's shape).

Pure: the CLI hands in what the store knows of the container; this module returns the unit's
name and text. Without `--new` the unit starts and stops the existing container
(`Type=forking`, the monitor's pid file as `PIDFile=`: the monitor is re-parented to systemd, so
systemd sees it exit). With `--new` each start creates a fresh container from the stored create
options (`run --cidfile=%t/%n.ctr-id --cgroups=split --rm --sdnotify=conmon -d --replace ...`)
and each stop removes it (`Type=notify`, the monitor reports READY and becomes the main pid).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from supervisor.errors import UsageError
from supervisor.health import HealthFlags
from supervisor.model import ContainerConfig
from supervisor.options import CreateOptions
from supervisor.resources import ResourceOptions
from units import unitfile

RESTART_POLICIES = (
    *("no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"),
)
MIN_TIMEOUT_STOP_S = 60  # Podman: added to the stop timeout, then systemd kills what is left
CIDFILE = unitfile.Specified("%t/%n.ctr-id")
CIDFILE_FLAG = unitfile.Specified("--cidfile=%t/%n.ctr-id")
# Global options as environment variables (see supervisor/cli/main.py); carried into ExecStart=.
GLOBALS = (
    ("--root", "SCOPEBOX_ROOT"),
    ("--runroot", "SCOPEBOX_RUNROOT"),
    ("--runtime", "SCOPEBOX_RUNTIME"),
    ("--cgroup-manager", "SCOPEBOX_CGROUP_MANAGER"),
)
# Create options whose flag is not the field's name, or that `--new` drops or sets itself.
_FLAG = {
    "env": "--env",
    "env_files": "--env-file",
    "label_files": "--label-file",  # issue 19 (stored empty: read into labels at create)
    "volumes": "--volume",
    "labels": "--label",
    "log_opts": "--log-opt",
    "ulimits": "--ulimit",
    # security (supervisor/security)
    "devices": "--device",
    "device_cgroup_rules": "--device-cgroup-rule",
    "mounts": "--mount",  # volumes (issue 14)
    "secrets": "--secret",  # secrets (supervisor/secrets)
}
_DROPPED = {"image", "command", "entrypoint", "rootfs", "auto_remove", "resources", "cgroups"}
_DROPPED |= {"cidfile", "replace", "restart", "sdnotify", "detach", "health"}
# The image is local by then; credentials are never stored.
_DROPPED |= {"pull", "pull_platform", "tls_verify", "authfile", "creds", "cert_dir"}
_DROPPED |= {"runflags"}  # helper "runflags": mapped below (RunFlagOptions)
_DROPPED |= {"userns"}  # issues 17/19: --userns, --uidmap, ... (UsernsOptions), as runflags
_RUNFLAG = {"sysctls": "--sysctl", "annotations": "--annotation"}
_RUNFLAG_DROPPED = {"default_sysctls", "rmi"}  # containers.conf's; --rmi is --rm's business
# containers.conf's, filled in at create: the unit's create reads containers.conf again.
_DROPPED |= {"default_capabilities", "seccomp_profile"}
_DROPPED |= {"create_command"}  # fidelity: a record, not a flag
_DROPPED |= {"init_ctr"}  # issue 19: create's only (a pod's unit starts its members)
_DROPPED |= {"create_workdir"}  # the Docker API's (moby makes a missing workdir): no CLI flag
_DROPPED |= {"rootfs_image"}  # a pod's infra's (its pause image): no CLI flag
_DROPPED |= {"rootfs_overlay"}  # --rootfs DIR:O: given back as the image's ":O" below
# networking (issue 13): the network flags (CreateOptions.net, a NetFlags).
_DROPPED |= {"net"}
_NET_FLAG = {
    "publish": "--publish", "publish_all": "--publish-all", "expose": "--expose",
    "ip": "--ip", "mac": "--mac-address", "aliases": "--network-alias", "dns": "--dns",
    "dns_search": "--dns-search", "dns_options": "--dns-option", "add_hosts": "--add-host",
    "no_hosts": "--no-hosts",
    "ip6": "--ip6",  # net6
}
_DROPPED |= {"users"}  # helper "flags": mapped in _user_args (UserFlags)
# The health flags (CreateOptions.health, a HealthFlags).
_HEALTH_FLAG = {
    "cmd": "--health-cmd",
    "interval": "--health-interval",
    "timeout": "--health-timeout",
    "start_period": "--health-start-period",
    "retries": "--health-retries",
    "on_failure": "--health-on-failure",
    "disabled": "--no-healthcheck",
}


@dataclass(frozen=True)
class GenerateOptions:
    new: bool = False
    use_name: bool = False
    restart_policy: str | None = None  # None: on-failure, or the container's own with --new
    restart_sec: int | None = None
    stop_timeout: int | None = None  # None: the container's
    container_prefix: str = "container"
    separator: str = "-"
    no_header: bool = False
    start_timeout: int | None = None  # TimeoutStartSec=
    template: bool = False  # a template unit (NAME@.service), one container per instance
    # the user's dependencies, each list one line (Wants=, After=, Requires=)
    after: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # NAME=VALUE for Environment= (see resolve_env)


def resolve_env(items: list[str] | tuple[str, ...], environ: dict[str, str]) -> tuple[str, ...]:
    """`--env` items as Podman reads them: NAME=VALUE as given; a bare NAME takes its value
    from `environ` and is left out when unset there; a bare PREFIX* takes every variable of
    `environ` whose name starts with PREFIX."""
    out: list[str] = []
    for item in items:
        if "=" in item:
            out.append(item)
        elif item.endswith("*"):
            out += [f"{k}={v}" for k, v in environ.items() if k.startswith(item[:-1])]
        elif item in environ:
            out.append(f"{item}={environ[item]}")
    for item in out:
        if not item.split("=", 1)[0]:
            raise UsageError(f"invalid environment variable: {item!r}")
    return tuple(out)


@dataclass(frozen=True)
class Container:
    """What the store knows of one container (ContainerRow's fields this module reads)."""

    id: str
    name: str
    config: ContainerConfig
    runroot: str
    globals: list[str] = field(default_factory=list)  # e.g. ["--root", "/srv/sb"]


def scopebox_binary() -> str:
    """The absolute path of the `scopebox` command the unit runs."""
    found = os.environ.get("SCOPEBOX_BINARY")
    if not found and os.path.basename(sys.argv[0]) == "scopebox":
        found = os.path.abspath(sys.argv[0])
    found = found or shutil.which("scopebox")
    if not found or not os.path.isabs(found):
        raise UsageError("cannot find the scopebox command: set SCOPEBOX_BINARY to its path")
    return found


def global_flags(environ: dict[str, str]) -> list[str]:
    out: list[str] = []
    for flag, var in GLOBALS:
        if environ.get(var):
            out += [flag, environ[var]]
    return out


def service_name(ctr: Container, opts: GenerateOptions) -> str:
    base = ctr.name if opts.use_name else ctr.id
    name = f"{opts.container_prefix}{opts.separator}{base}" if opts.container_prefix else base
    if "/" in name or not name.isprintable() or name.startswith("."):
        raise UsageError(f"invalid unit name {name!r}")
    return name


def _restart(opts: GenerateOptions, ctr: Container) -> tuple[str, str | None]:
    """(Restart=, StartLimitBurst=): the flag's policy, else the container's own (--new)."""
    if opts.restart_policy is not None:
        if opts.restart_policy not in RESTART_POLICIES:
            raise UsageError(f"{opts.restart_policy} is not a valid restart policy")
        return opts.restart_policy, None
    # "no" is also the default: a container created without --restart gets on-failure
    own = (ctr.config.options.restart or "") if opts.new else ""
    own = "" if own == "no" else own
    if own.startswith("on-failure:"):
        tries = own.split(":", 1)[1]
        return "on-failure", (None if tries in ("", "0") else tries)  # 0: unlimited
    if own == "unless-stopped":
        return "always", None
    return own or "on-failure", None


def _flag_args(key: str, value: Any) -> list[str]:
    flag = _FLAG.get(key, "--" + key.replace("_", "-"))
    if isinstance(value, bool):  # false only reaches here for a flag true by default (misc)
        return [flag] if value else [f"{flag}=false"]
    if isinstance(value, dict):
        return [f"{flag}={k}={v}" for k, v in value.items()]
    if isinstance(value, list | tuple):  # a tuple: asdict keeps the options' tuples
        return [f"{flag}={v}" for v in value]
    return [f"{flag}={value}"]


def _health_args(key: str, value: Any) -> list[str]:
    flag = _HEALTH_FLAG[key]
    if isinstance(value, bool):
        return [flag] if value else []
    return [f"{flag}={value}"]


def run_args(options: dict[str, Any], env: list[str]) -> list[str]:
    """`run` flags that recreate a container from its stored create options; flags are named
    after the option (Docker's names), so options added later map without a table entry."""
    defaults = {f.name: f.default for f in fields(CreateOptions) if f.name != "resources"}
    defaults |= {"env": [], "env_files": [], "volumes": [], "tmpfs": [], "labels": {}}
    defaults |= {"log_opts": {}, "ulimits": [], "cgroup_conf": [], "command": []}
    args: list[str] = []
    for key, value in options.items():
        if key == "network":  # "" is the default mode, decided at run; "none" is a choice
            args += [f"--network={value}"] if value else []
            continue
        if key in _DROPPED or value in (None, [], {}) or value == defaults.get(key):
            continue
        if key == "env":
            value = [_resolved_env(e, env) for e in value]
        args += _flag_args(key, value)
    resources = options.get("resources") or {}
    base = ResourceOptions()
    for key, value in resources.items():
        if value is not None and value != getattr(base, key, None):
            args += _flag_args(key, value)
    health = options.get("health") or {}
    base_health = HealthFlags()
    for key, value in health.items():
        if value is not None and value != getattr(base_health, key, None):
            args += _health_args(key, value)
    args += _runflag_args(options.get("runflags") or {})  # helper "runflags"
    args += _runflag_args(options.get("userns") or {})  # issues 17/19: same names as flags
    for key, value in (options.get("net") or {}).items():  # networking (issue 13)
        if key in _NET_FLAG and value:
            flag = _NET_FLAG[key]
            args += [flag] if value is True else [f"{flag}={v}" for v in
                                                  ([value] if isinstance(value, str) else value)]
    args += _user_args(options.get("users") or {})  # helper "flags"
    entry = options.get("entrypoint")
    if entry is not None:
        args.append("--entrypoint=" + (json.dumps(entry) if entry else ""))
    image = options["image"]
    if options.get("rootfs"):
        args.append("--rootfs")
        image += ":O" if options.get("rootfs_overlay") else ""
    return [*args, image, *options.get("command", [])]


def _runflag_args(flags: dict[str, Any]) -> list[str]:
    """helper "runflags": --init, --sysctl, --pid, ... from RunFlagOptions."""
    from supervisor.options import RunFlagOptions

    base = RunFlagOptions()
    args: list[str] = []
    for key, value in flags.items():
        if key in _RUNFLAG_DROPPED or value in (None, []) or value == getattr(base, key, None):
            continue
        flag = _RUNFLAG.get(key, "--" + key.replace("_", "-"))
        if isinstance(value, bool):
            args += [flag] if value else []
        elif isinstance(value, list):
            args += [f"{flag}={v}" for v in value]
        else:
            args.append(f"{flag}={value}")
    return args


def _user_args(users: dict[str, Any]) -> list[str]:
    """helper "flags": --passwd=false, --passwd-entry, --hostuser from UserFlags."""
    args = [] if users.get("passwd", True) else ["--passwd=false"]
    if users.get("passwd_entry"):
        args.append(f"--passwd-entry={users['passwd_entry']}")
    return args + [f"--hostuser={u}" for u in users.get("hostusers") or ()]


def _resolved_env(item: str, env: list[str]) -> str:
    """`-e NAME` took NAME's value from the creator's environment: keep that value."""
    if "=" in item:
        return item
    for e in env:
        if e.startswith(item + "="):
            return e
    return item


def _exec(argv: list[str], prefix: str = "") -> str:
    return unitfile.exec_value(argv, prefix)


def unit_head(name: str, version: str, no_header: bool, runroot: str, template: bool = False
              ) -> tuple[unitfile.UnitFile, unitfile.Section]:
    """A generated unit's comments and the [Unit] lines every one has (Podman 4.3's); a
    template's name ends in `@` and its description names the instance."""
    unit = unitfile.UnitFile()
    unit.comments.append(f"{name}@.service" if template else f"{name}.service")
    if not no_header:
        unit.comments.append(f"autogenerated by scopebox {version}")
    u = unit.ensure("Unit")
    description = unitfile.plain_value(f"scopebox {name}.service")
    u.add("Description", description + (" for %I" if template else ""))
    u.add("Documentation", "man:podman-generate-systemd(1)")
    u.add("Wants", "network-online.target")
    u.add("After", "network-online.target")
    u.add("RequiresMountsFor", unitfile.plain_value(runroot))
    return unit, u


def render(ctr: Container, opts: GenerateOptions, binary: str, version: str,
           pod_unit: str = "", pod_id_file: str = "") -> tuple[str, str]:
    """(service name, unit text). A pod's member (pods, helper podsx) names its pod's unit
    (`BindsTo=`, `After=`) and, with `--new`, joins the pod whose id is in `pod_id_file`."""
    if opts.template:  # a template always makes its containers
        opts = replace(opts, new=True)
    name = service_name(ctr, opts)
    ref = ctr.name if opts.use_name else ctr.id
    stop_timeout = (
        opts.stop_timeout if opts.stop_timeout is not None else ctr.config.stop_timeout
    )
    if stop_timeout < 0:
        raise UsageError("--stop-timeout must not be negative")
    if opts.restart_sec is not None and opts.restart_sec < 0:
        raise UsageError("--restart-sec must not be negative")
    if opts.start_timeout is not None and opts.start_timeout < 0:
        raise UsageError("--start-timeout must not be negative")
    restart, burst = _restart(opts, ctr)
    sb = [binary, *ctr.globals]
    unit, u = unit_head(name, version, opts.no_header, ctr.runroot, opts.template)
    if pod_unit:  # pods (helper podsx): the member lives and dies with its pod's unit
        u.add("BindsTo", unitfile.plain_value(f"{pod_unit}.service"))
        u.add("After", unitfile.plain_value(f"{pod_unit}.service"))
    user_dependencies(u, opts)
    s = unit.ensure("Service")
    s.add("Environment", "PODMAN_SYSTEMD_UNIT=%n-%i" if opts.template else
          "PODMAN_SYSTEMD_UNIT=%n")
    for item in opts.env:
        s.add("Environment", unitfile.words_value([item]))
    s.add("Restart", restart)
    if burst:
        s.add("StartLimitBurst", unitfile.plain_value(burst))
    if opts.restart_sec is not None:
        s.add("RestartSec", str(opts.restart_sec))
    if opts.start_timeout is not None:
        s.add("TimeoutStartSec", str(opts.start_timeout))
    s.add("TimeoutStopSec", str(MIN_TIMEOUT_STOP_S + stop_timeout))
    if opts.new:
        options = asdict(ctr.config.options)
        flags = [CIDFILE_FLAG, "--cgroups=split", "--rm"]
        if pod_id_file:  # pods (helper podsx)
            flags.append(unitfile.Specified(f"--pod-id-file={pod_id_file}"))
        flags.append(f"--sdnotify={_sdnotify(options)}")
        flags.append("-d")
        if options.get("name"):
            flags.append("--replace")
        args = run_args(options, list(ctr.config.env))
        if opts.template:
            args = _instance_name(args, options.get("name"), name)
            if not options.get("name"):  # Podman names each instance after the unit
                flags.insert(0, args.pop(0))
        run = [*sb, "run", *flags, *args]
        s.add("ExecStartPre", _exec(["/bin/rm", "-f", CIDFILE]))
        s.add("ExecStart", unitfile.exec_value(run, wrap=True))
        stop = [*sb, "stop", "--ignore", "-t", str(stop_timeout), CIDFILE_FLAG]
        s.add("ExecStop", _exec(stop))
        rm = [*sb, "rm", "-f", "--ignore", CIDFILE_FLAG]
        s.add("ExecStopPost", _exec(rm, "-"))
        s.add("Type", "notify")
        s.add("NotifyAccess", "all")
        s.add("Delegate", "yes")
        s.add("KillMode", "mixed")
    else:
        s.add("ExecStart", _exec([*sb, "start", ref]))
        stop = [*sb, "stop", "-t", str(stop_timeout), ref]
        s.add("ExecStop", _exec(stop))
        s.add("ExecStopPost", _exec(stop, "-"))
        pidfile = os.path.join(ctr.runroot, "containers", ctr.id, "monitor.pid")
        s.add("PIDFile", unitfile.plain_value(pidfile))
        s.add("Type", "forking")
    unit.ensure("Install").add("WantedBy", "default.target")
    return name, unit.render()


def user_dependencies(u: unitfile.Section, opts: GenerateOptions) -> None:
    """`--wants`, `--after`, `--requires`: one line each after the unit's own (Podman's)."""
    given = [("Wants", opts.wants), ("After", opts.after), ("Requires", opts.requires)]
    if not any(values for _, values in given):
        return
    u.comment("User-defined dependencies")
    for key, values in given:
        if values:
            u.add(key, unitfile.plain_value(" ".join(values)))


def _instance_name(args: list[str], name: str | None, service: str) -> list[str]:
    """A template's container is named after its instance (`NAME-%i`): the container's own
    name, or the unit's when it had none (then first in `args`)."""
    if not name:
        return [unitfile.Specified(f"--name={_escaped(service)}-%i"), *args]
    flag = f"--name={name}"
    at = args.index(flag)
    return [*args[:at], unitfile.Specified(f"--name={_escaped(name)}-%i"), *args[at + 1:]]


def _escaped(text: str) -> str:
    return text.replace("%", "%%")


def _sdnotify(options: dict[str, Any]) -> str:
    """Podman keeps the container's own mode but forces conmon for `ignore`; scopebox stores
    the default (`container`) like a chosen one, so only `healthy` is kept."""
    return "healthy" if options.get("sdnotify") == "healthy" else "conmon"
