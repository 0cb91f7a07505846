"""Pieces shared by the verb modules: the engine, the create/run flags, --format output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

from supervisor.cli.runflags import (  # helper "runflags"  # issue 17/19: --userns
    add_run_flags,
    add_userns_flags,
    run_flag_options,
    userns_options,
)
from supervisor.cli.userflags import add_user_flags, user_flags  # helper "flags"
from supervisor.errors import UsageError
from supervisor.health import HealthFlags
from supervisor.network.request import NetFlags  # networking (issue 13)
from supervisor.options import CreateOptions
from supervisor.resources import ResourceOptions

if TYPE_CHECKING:
    from supervisor.api.containers import CreateRequest
    from supervisor.api.registry import RegistryOptions
    from supervisor.registry.progress import Progress


def add_create_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--name", help="assign a name to the container")
    a("-e", "--env", action="append", default=[], help="set environment variables")
    a("--env-file", action="append", default=[], help="read environment variables from a file")
    a("-w", "--workdir", help="working directory inside the container")
    a("-u", "--user", help="user[:group] to run as")
    a("--entrypoint", help="overwrite the image's entrypoint")
    a("-h", "--hostname", help="container host name")
    a("-v", "--volume", action="append", default=[],
      help="SOURCE:DEST[:OPTIONS]: a bind (/host), a volume (NAME) or DEST alone")
    a("--tmpfs", action="append", default=[], help="mount a tmpfs: /path[:options]")
    a("--read-only", action="store_true", help="mount the container's root read-only")
    add_default_true(p, "--read-only-tmpfs", "with --read-only, mount a read-write tmpfs on"
                     " /run, /tmp and /var/tmp (default true)")  # misc (issue 19)
    add_default_true(p, "--http-proxy", "pass the caller's proxy variables (http_proxy,"
                     " https_proxy, ftp_proxy, no_proxy) into the container (default true)",
                     default=None)  # containers.conf's http_proxy when not given
    a("--kernel-memory", help=argparse.SUPPRESS)  # hidden in Podman too: a warned no-op
    a("--personality", help="execution domain: LINUX, or LINUX32 (`uname -m` says i686)")
    a("-l", "--label", action="append", default=[], help="set metadata: key=value")
    a("-i", "--interactive", action="store_true", help="keep stdin open")
    a("--log-driver", choices=None, help="journald, k8s-file or none")
    a("--log-opt", action="append", default=[], help="path=, max-size=, max-file=, tag=")
    a("--stop-signal", help="signal to stop the container (default SIGTERM)")
    a("--stop-timeout", type=int, help="seconds to wait before killing (default 10)")
    a("--rootfs", action="store_true", help="the first argument is a root directory, not an image")
    a("--ulimit", action="append", default=[], help="name=soft[:hard]")
    add_network_flags(p)  # networking (issue 13)
    a("--rm", action="store_true", help="remove the container when it exits")
    a("--help", action="help", help="show this help")
    add_resource_flags(p, "process limit (default 2048, -1 for unlimited)")
    a("--cgroup-parent", help="parent cgroup: a slice (systemd) or a path (cgroupfs)")
    a("--cgroup-conf", action="append", default=[], help="cgroup v2 file=value")
    # Podman's global --runtime, which cobra takes after the verb too
    a("--runtime", help="the OCI runtime (a name or a path) for this container")
    a("--cgroups", default="enabled",
      help="enabled; disabled (crun): no cgroup of its own; split: the monitor stays in the"
      " caller's cgroup, the container goes below it")
    a("--restart", default="no", help="no, on-failure[:N], always or unless-stopped (systemd)")
    a("--sdnotify", default="container",
      help="conmon: READY once started; container: the container sends it; ignore")
    a("--cidfile", help="write the container's id to this file (must not exist)")
    a("--replace", action="store_true", help="remove a container of the same --name first")
    a("--pod", default="", help="join this pod (new:NAME makes it)")  # pods (issue 15)
    a("--pod-id-file", default="", help="join the pod whose id is in this file")  # podsx
    add_health_flags(p)
    add_run_flags(p)  # helper "runflags"
    add_userns_flags(p)  # issues 17/19
    a("--pull", default="missing", help="pull the image: missing (default), always, never")
    a("--platform", help="os/arch[/variant] of the image to pull")
    platform_flags(p)
    registry_flags(p)
    add_security_flags(p)
    # volumes (issue 14): --mount and --volumes-from (parsed in supervisor/volumes/mounts.py)
    a("--mount", action="append", default=[],
      help="type=bind|volume|tmpfs|devpts,source=...,destination=...[,ro]")
    a("--volumes-from", action="append", default=[], help="CONTAINER[:ro|rw]: its volumes too")
    a("--chrootdirs", action="append", default=[], metavar="PATH",
      help="a chroot directory in the container: /etc/hosts and /etc/resolv.conf are bound"
      " into PATH/etc too (comma-separated or repeated)")
    a("--systemd", default="true", help="systemd mode: true (when the command is an init or"
      " systemd), false or always: tmpfs on /run, /run/lock, /tmp, /var/log/journal, systemd's"
      " cgroup writable, SIGRTMIN+3 to stop")
    a("--image-volume", help="the image's VOLUMEs: bind (anonymous volumes,"
      " the default), tmpfs or ignore")  # misc (issue 19)
    # end volumes
    # terminals (supervisor/terminal): -t, the pty owned by the container's monitor
    a("-t", "--tty", action="store_true", help="allocate a pseudo-terminal")
    # end terminals
    add_user_flags(p)  # helper "flags": --passwd-entry, --hostuser
    a("--secret", action="append", default=[], metavar="SECRET[,opt=opt...]",
      help="add a secret: at /run/secrets/NAME, or type=env (target=, uid=, gid=, mode=)")
    a("image", help="image (or directory with --rootfs)")
    a("command", nargs=argparse.REMAINDER, help="command and arguments")


def add_default_true(p: argparse.ArgumentParser, flag: str, help: str,
                     default: bool | None = True) -> None:
    """misc (issue 19): a Go boolean flag true by default; `FLAG=false` is an option of its
    own (see cli/main.py go_bools), as run's --passwd. `default` None: not given (the
    engine's configuration decides)."""
    dest = flag[2:].replace("-", "_")
    p.add_argument(flag, dest=dest, action="store_true", default=default, help=help)
    p.add_argument(f"{flag}=false", dest=dest, action="store_false", help=argparse.SUPPRESS)


# security (supervisor/security) ------------------------------------------------------------


def add_security_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--cap-add", action="append", default=[], help="add capabilities (NAME, CAP_NAME or all)")
    a("--cap-drop", action="append", default=[], help="drop capabilities (NAME or all)")
    a("--privileged", action="store_true",
      help="all capabilities and devices, no seccomp filter, no masked paths")
    a("--device", action="append", default=[], help="add a host device: HOST[:CTR][:rwm]")
    a("--device-cgroup-rule", action="append", default=[],
      help="allow devices in the cgroup: 'c|b|a MAJOR:MINOR rwm'")
    a("--security-opt", action="append", default=[],
      help="no-new-privileges, seccomp=FILE|unconfined, label=..., apparmor=..., mask=PATHS,"
      " unmask=ALL|PATHS, systempaths=unconfined, proc-opts=OPTS")
    a("--seccomp-policy", default="default",
      help="which seccomp profile: default, or image (the image's io.containers.seccomp.profile"
      " label)")


def security_fields(ns: argparse.Namespace) -> dict[str, Any]:
    return {
        "cap_add": ns.cap_add,
        "cap_drop": ns.cap_drop,
        "privileged": ns.privileged,
        "devices": ns.device,
        "device_cgroup_rules": ns.device_cgroup_rule,
        "security_opt": ns.security_opt,
    }
# networking (issue 13) ------------------------------------------------------------------------


def add_network_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--network", "--net", default="",
      help="bridge (default as root), none, host, NAME[,NAME...] (NAME:ip=,alias=,mac=),"
      " container:ID or ns:PATH")
    a("-p", "--publish", action="append", default=[],
      help="[hostIP:][hostPort:]containerPort[/tcp|udp|sctp], ranges too")
    a("-P", "--publish-all", action="store_true", help="publish every exposed port")
    a("--expose", action="append", default=[], help="expose a port or range (for -P)")
    a("--ip", default="", help="the container's IPv4 address on its network")
    a("--ip6", default="", help="the container's IPv6 address on its network")  # net6
    a("--mac-address", default="", help="the container's MAC address on its network")
    a("--network-alias", action="append", default=[], help="another name on the network")
    a("--dns", action="append", default=[], help="a nameserver for /etc/resolv.conf")
    a("--dns-search", action="append", default=[], help="a search domain")
    a("--dns-option", "--dns-opt", action="append", default=[], help="a resolver option")
    a("--add-host", action="append", default=[], help="name:ip in /etc/hosts")
    a("--no-hosts", action="store_true", help="keep the image's /etc/hosts")


def network_flags(ns: argparse.Namespace) -> NetFlags:
    return NetFlags(
        publish=tuple(ns.publish), publish_all=ns.publish_all, expose=tuple(ns.expose),
        ip=ns.ip, mac=ns.mac_address, aliases=tuple(ns.network_alias), dns=tuple(ns.dns),
        dns_search=tuple(ns.dns_search), dns_options=tuple(ns.dns_option),
        add_hosts=tuple(ns.add_host), no_hosts=ns.no_hosts, ip6=ns.ip6,
    )


def add_health_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--health-cmd", help="check command: a shell string or a JSON array; none disables")
    a("--health-interval", help="time between checks (default 30s)")
    a("--health-timeout", help="time a check may take (default 30s)")
    a("--health-retries", type=int, help="failures in a row that make it unhealthy (3)")
    a("--health-start-period", help="time failures do not count while starting (0s)")
    a("--health-on-failure", default="none", help="when unhealthy: none, kill, restart, stop")
    a("--no-healthcheck", action="store_true", help="disable the image's healthcheck")


def health_flags(ns: argparse.Namespace) -> HealthFlags:
    return HealthFlags(
        cmd=ns.health_cmd,
        interval=ns.health_interval,
        timeout=ns.health_timeout,
        start_period=ns.health_start_period,
        retries=ns.health_retries,
        on_failure=ns.health_on_failure,
        disabled=ns.no_healthcheck,
    )


def add_resource_flags(p: argparse.ArgumentParser, pids_help: str) -> None:
    """The limit flags `run`/`create` and `update` share."""
    from supervisor.cli.argparser import go_uint

    a = p.add_argument
    a("-m", "--memory", help="memory limit, e.g. 512m")
    a("--memory-swap", help="memory plus swap limit, or -1 for unlimited swap")
    a("--memory-reservation", help="memory soft limit")
    a("--memory-swappiness", type=go_int("--memory-swappiness"),
      help="the memory controller's swappiness, 0 to 100 (default -1: the kernel's)")
    a("--cpus", help="number of CPUs, e.g. 0.5")
    a("--cpu-shares", "-c", type=int, help="relative CPU weight")
    a("--cpu-quota", type=int, help="CFS quota in µs per period")
    a("--cpu-period", type=int, help="CFS period in µs")
    a("--cpu-rt-period", type=go_uint("--cpu-rt-period"),
      help="real-time period in µs (cgroup v1; v2 has none: ignored with a warning)")
    a("--cpu-rt-runtime", type=go_int("--cpu-rt-runtime"),
      help="real-time runtime in µs per period (cgroup v1; v2: ignored with a warning)")
    a("--cpuset-cpus", help="CPUs to run on, e.g. 0-1")
    a("--cpuset-mems", help="memory nodes to use, e.g. 0")
    a("--pids-limit", type=int, help=pids_help)
    a("--blkio-weight", help="block I/O weight, 10 to 1000")
    # blkio (issue 19): Podman's `strings` flags split at commas, --blkio-weight-device not
    a("--blkio-weight-device", action="append", default=[], metavar="DEVICE_NAME:WEIGHT",
      help="block I/O weight of a device, e.g. /dev/sda:200")
    for verb, done in (("read", "read from"), ("write", "written to")):
        a(f"--device-{verb}-bps", action="append", default=[], metavar="PATH:RATE",
          help=f"limit the bytes per second {done} a device, e.g. /dev/sda:1mb")
        a(f"--device-{verb}-iops", action="append", default=[], metavar="PATH:RATE",
          help=f"limit the I/O operations per second {done} a device, e.g. /dev/sda:1000")


def resource_options(ns: argparse.Namespace) -> ResourceOptions:
    return ResourceOptions(
        memory=ns.memory,
        memory_swap=ns.memory_swap,
        memory_reservation=ns.memory_reservation,
        cpus=ns.cpus,
        cpu_shares=ns.cpu_shares,
        cpu_quota=ns.cpu_quota,
        cpu_period=ns.cpu_period,
        cpu_rt_period=ns.cpu_rt_period,
        cpu_rt_runtime=ns.cpu_rt_runtime,
        cpuset_cpus=ns.cpuset_cpus,
        cpuset_mems=ns.cpuset_mems,
        pids_limit=ns.pids_limit,
        memory_swappiness=ns.memory_swappiness,  # misc (issue 19)
        blkio_weight=_blkio_weight(ns.blkio_weight),
        blkio_weight_device=tuple(ns.blkio_weight_device),
        device_read_bps=_split_csv(ns.device_read_bps),
        device_write_bps=_split_csv(ns.device_write_bps),
        device_read_iops=_split_csv(ns.device_read_iops),
        device_write_iops=_split_csv(ns.device_write_iops),
    )


def go_int(flag: str) -> Callable[[str], int]:
    """misc (issue 19): a Go int64 flag, with pflag's words for a bad value."""

    def parse(value: str) -> int:
        try:
            number = int(value, 10)
            if not value.strip() == value or "_" in value or not -2**63 <= number < 2**63:
                raise ValueError
        except ValueError:
            what = "value out of range" if value.lstrip("+-").isdigit() else "invalid syntax"
            raise argparse.ArgumentTypeError(
                f'invalid argument "{value}" for "{flag}" flag: strconv.ParseInt: parsing'
                f' "{value}": {what}') from None
        return number

    return parse


def _blkio_weight(value: str | None) -> int | None:
    """Podman parses it as an unsigned number, with Go's words for a bad one."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) >= 2**64:
        what = "value out of range" if value.isdigit() else "invalid syntax"
        raise UsageError(
            f'invalid value for blkio-weight: strconv.ParseUint: parsing "{value}": {what}'
        )
    return int(value)


def _split_csv(values: list[str]) -> tuple[str, ...]:
    """A `strings` flag of Podman's (pflag's StringSlice): each value is a CSV record."""
    import csv

    out: list[str] = []
    for value in values:
        try:
            out += next(csv.reader([value]), [])
        except csv.Error as exc:
            raise UsageError(f"invalid argument {value!r}: {exc}") from None
    return tuple(out)


def create_options(ns: argparse.Namespace) -> CreateOptions:
    labels = {}
    for item in ns.label:
        key, _, value = item.partition("=")
        if not key:
            raise UsageError(f"invalid label {item!r}")
        labels[key] = value
    # verbs: a container run by a unit (Podman's PODMAN_SYSTEMD_UNIT, set by `generate
    # systemd` and Quadlet) is labelled with it: auto-update restarts that unit
    import os

    unit = os.environ.get("PODMAN_SYSTEMD_UNIT", "")
    if unit and "PODMAN_SYSTEMD_UNIT" not in labels:
        labels["PODMAN_SYSTEMD_UNIT"] = unit
    log_opts = {}
    for item in ns.log_opt:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid --log-opt {item!r}: expected key=value")
        log_opts[key] = value
    entrypoint = None
    if ns.entrypoint is not None:
        entrypoint = _entrypoint(ns.entrypoint)
    return CreateOptions(
        image=ns.image,
        command=list(ns.command),
        name=ns.name,
        entrypoint=entrypoint,
        env=ns.env,
        env_files=ns.env_file,
        label_files=ns.label_file,  # issue 19
        workdir=ns.workdir,
        user=ns.user,
        hostname=ns.hostname,
        volumes=ns.volume,
        tmpfs=ns.tmpfs,
        read_only=ns.read_only,
        read_only_tmpfs=ns.read_only_tmpfs,  # misc (issue 19)
        http_proxy=ns.http_proxy,  # misc (issue 19)
        personality=ns.personality or "",  # misc (issue 19)
        seccomp_policy=ns.seccomp_policy or "default",  # misc (issue 19): "" is Podman's too
        image_volume=ns.image_volume or "",  # misc (issue 19); "": containers.conf's
        systemd=ns.systemd,  # issue 19
        chrootdirs=list(_split_csv(ns.chrootdirs)),  # issue 19
        secrets=list(ns.secret),  # secrets (supervisor/secrets)
        init_ctr=getattr(ns, "init_ctr", ""),  # issue 19: create only
        labels=labels,
        interactive=ns.interactive,
        tty=ns.tty,  # terminals
        log_driver=ns.log_driver,
        log_opts=log_opts,
        stop_signal=ns.stop_signal,
        stop_timeout=ns.stop_timeout,
        rootfs=ns.rootfs,
        cgroup_parent=ns.cgroup_parent,
        cgroup_conf=ns.cgroup_conf,
        cgroups=ns.cgroups,
        runtime=ns.runtime,
        resources=resource_options(ns),
        ulimits=ns.ulimit,
        network=ns.network,
        auto_remove=ns.rm or getattr(ns, "rmi", False),  # runflags: --rmi implies --rm
        restart=ns.restart,
        sdnotify=ns.sdnotify,
        health=health_flags(ns),
        pull=ns.pull,
        pull_platform=platform_option(ns),
        tls_verify=ns.tls_verify,
        authfile=ns.authfile,
        creds=ns.creds,
        runflags=run_flag_options(ns),  # helper "runflags"
        userns=userns_options(ns),  # issues 17/19 (supervisor/idmaps.py)
        **security_fields(ns),
        mounts=ns.mount,  # volumes (issue 14)
        volumes_from=ns.volumes_from,  # volumes (issue 14)
        create_command=_command_line(),  # fidelity
        net=network_flags(ns),  # networking (issue 13)
        users=user_flags(ns),  # helper "flags"
        requires=[r for item in ns.requires for r in item.split(",") if r],  # helper "flags"
    )


def _command_line() -> list[str]:
    """As the user typed it (Podman's CreateCommand); `python -m supervisor` reads as scopebox."""
    prog = sys.argv[0].rsplit("/", 1)[-1] if sys.argv else ""
    return ["scopebox" if not prog or prog.endswith(".py") else prog, *_no_secrets(sys.argv[1:])]


def _no_secrets(argv: list[str]) -> list[str]:
    """`--creds USER:PASSWORD` is kept as `--creds *****` (DIFFERENCES.md `create-command-creds`):
    inspect and the state database must not keep a registry password."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if i and argv[i - 1] == "--creds" and (not out or out[-1] == "--creds"):
            out.append("*****")
        elif arg.startswith("--creds="):
            out.append("--creds=*****")
        else:
            out.append(arg)
    return out


def create_request(ns: argparse.Namespace) -> CreateRequest:
    from supervisor.api.containers import CreateRequest

    if ns.kernel_memory is not None:  # cgroup v2 has no kernel memory limit; Podman's words
        from supervisor.cli.loglines import log

        log("warn", "The --kernel-memory flag is no longer supported. This flag is a noop.")

    return CreateRequest(create_options(ns), ns.cidfile, ns.replace,
                         pod=_pod_ref(ns),  # pods (issue 15)
                         progress=lambda ref: pull_progress(ns.quiet, ref))  # issue 19: -q


def _pod_ref(ns: argparse.Namespace) -> str:
    """pods (issue 15, helper podsx): --pod, or the id in --pod-id-file (generated units)."""
    pod, path = getattr(ns, "pod", ""), getattr(ns, "pod_id_file", "")
    if pod and path:
        raise UsageError("cannot specify both --pod and --pod-id-file")
    if not path:
        return str(pod)
    try:
        with open(path) as f:
            ref = f.read().strip()
    except OSError as exc:
        raise UsageError(f"reading pod ID file: open {path}: "
                         f"{(exc.strerror or '').lower()}") from exc
    if not ref:
        raise UsageError(f"no pod ID in file {path!r}")
    return ref


def _entrypoint(value: str) -> list[str]:
    """`--entrypoint cmd`, `--entrypoint ""` (clear it) or a JSON array of strings."""
    if not value.startswith("["):
        return [value] if value else []
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise UsageError(f"invalid --entrypoint {value!r}: {exc.msg}") from exc
    if not isinstance(parsed, list) or not all(isinstance(a, str) for a in parsed):
        raise UsageError(f"invalid --entrypoint {value!r}: expected a JSON array of strings")
    return parsed


def new_create_parser(verb: str, description: str) -> argparse.ArgumentParser:
    from supervisor.cli import invoked, program
    from supervisor.cli.argparser import Parser

    return Parser(prog=f"{program()} {invoked(verb)}", description=description, add_help=False)


@contextmanager
def archive_file(path: str, prefix: str) -> Iterator[BinaryIO]:
    """An archive written beside its target and renamed: a failure leaves no partial file.
    A target that is not a regular file (`-o /dev/null`, a fifo) is written into, never
    replaced; a symlink is followed, as Podman's writes follow it."""
    import os
    import stat
    import tempfile

    target = os.path.realpath(path)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        with open(target, "wb") as out:
            yield out
        return
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(tmp, 0o644)
        os.rename(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _bool_flag(value: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {value!r}")


def registry_flags(p: argparse.ArgumentParser, creds: bool = True,
                   cert_dir: bool = False) -> None:
    """--tls-verify, --creds and --authfile, shared by pull, push, login and run's pull;
    --cert-dir for pull, push and login."""
    p.add_argument(
        "--tls-verify",
        type=_bool_flag,
        nargs="?",
        const=True,
        default=None,
        help="require HTTPS and verify certificates (default: true unless marked insecure)",
    )
    if creds:
        p.add_argument("--creds", help="user[:password] for the registry")
    p.add_argument("--authfile", help="credentials file (default: $XDG_RUNTIME_DIR/...)")
    if cert_dir:
        p.add_argument("--cert-dir", help="the registry's certificates: *.crt (CAs), *.cert"
                       " with its *.key (client) (default: /etc/containers/certs.d/HOST)")


def platform_flags(p: argparse.ArgumentParser) -> None:
    """--arch, --os, --variant: the platform to pull, each part replacing the host's."""
    p.add_argument("--arch", help="pull for this architecture, not the host's")
    p.add_argument("--os", help="pull for this operating system, not the host's")
    p.add_argument("--variant", help="pull for this architecture variant")


def platform_option(ns: argparse.Namespace) -> str | None:
    if not (ns.platform or ns.os or ns.arch or ns.variant):
        return None  # Platform.chosen's answer, without the registry modules and `platform`
    from supervisor.api import registry

    return registry.platform_of(ns.platform, ns.os, ns.arch, ns.variant)


def registry_options(ns: argparse.Namespace) -> RegistryOptions:
    from supervisor.api import registry

    creds = registry.credentials(ns.creds) if getattr(ns, "creds", None) else None
    return registry.RegistryOptions(ns.tls_verify, creds, ns.authfile,
                                    getattr(ns, "cert_dir", None))


def pull_progress(quiet: bool, ref: str) -> Progress:
    """A pull's output on stderr (pull, run, create), unless -q: Podman's words, with
    progress bars on a terminal and the blobs' lines otherwise."""
    from supervisor.registry.progress import Progress

    if quiet:
        return Progress()
    if not ref.startswith(("docker-archive:", "oci-archive:")):  # read, not pulled
        print(f"Trying to pull {ref}...", file=sys.stderr, flush=True)
    return words_progress(quiet)


def words_progress(quiet: bool) -> Progress:
    """Progress bars on a terminal's stderr, Podman's words on any other (push)."""
    from supervisor.registry.progress import Progress, WordsProgress

    if quiet:
        return Progress()
    if sys.stderr.isatty():
        return progress_sink(quiet)
    return WordsProgress(lambda line: print(line, file=sys.stderr, flush=True))


def progress_sink(quiet: bool) -> Progress:
    """Progress bars on a terminal's stderr, nothing otherwise."""
    from supervisor.registry.progress import Progress, TerminalProgress

    return TerminalProgress(sys.stderr) if not quiet and sys.stderr.isatty() else Progress()
