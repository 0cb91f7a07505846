"""`generate systemd POD` (helper podsx): a pod unit plus one unit per member bound to it, in
Podman 4.3's layout. Pure: the API hands in what the store knows, this returns the units.

Without `--new` the pod unit starts and stops the existing infra container (`Type=forking`,
the infra's monitor pid file as `PIDFile=`); each member's unit is `generate systemd`'s for
that container plus `BindsTo=`/`After=` the pod's unit, and the pod's unit `Wants=` and is
`Before=` them. With `--new` the pod unit makes a fresh pod at each start from the stored
`pod create` options (`pod create --infra-conmon-pidfile %t/pod-N.pid --pod-id-file
%t/pod-N.pod-id --exit-policy=stop --replace ...`) and removes it at stop; the members' units
run their containers with `--pod-id-file` of that file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from supervisor.errors import UsageError
from supervisor.pods.db import PodConfig
from supervisor.unitgen import MIN_TIMEOUT_STOP_S, Container, GenerateOptions, render, unit_head
from units import unitfile

DEFAULT_SHARE = ("uts", "ipc", "net")


@dataclass(frozen=True)
class Pod:
    """What the store knows of the pod (PodRow's fields read here)."""

    id: str
    name: str
    config: PodConfig
    infra: Container | None
    members: list[Container]  # without the infra, in creation order


def pod_unit_name(pod: Pod, opts: GenerateOptions, prefix: str) -> str:
    base = pod.name if opts.use_name else pod.id
    name = f"{prefix}{opts.separator}{base}" if prefix else base
    if "/" in name or not name.isprintable() or name.startswith("."):
        raise UsageError(f"invalid unit name {name!r}")
    return name


def create_args(cfg: PodConfig, name: str) -> list[str]:
    """`pod create` flags that make the pod again from its stored options."""
    args = [f"--name={name}"]
    args += [f"--publish={p}" for p in cfg.ports]
    if cfg.network:
        args.append(f"--network={cfg.network}")
    if tuple(cfg.share) != DEFAULT_SHARE:
        args.append(f"--share={','.join(cfg.share) or 'none'}")
    if cfg.infra_image:
        args.append(f"--infra-image={cfg.infra_image}")
    if cfg.infra_command:
        args.append(f"--infra-command={' '.join(cfg.infra_command)}")
    if cfg.infra_name:
        args.append(f"--infra-name={cfg.infra_name}")
    if cfg.hostname:
        args.append(f"--hostname={cfg.hostname}")
    args += [f"--add-host={h}" for h in cfg.add_hosts]
    args += [f"--dns={d}" for d in cfg.dns]
    args += [f"--dns-search={d}" for d in cfg.dns_search]  # issue 19 (helper "flags")
    args += [f"--dns-option={d}" for d in cfg.dns_options]
    args += ["--no-hosts"] if cfg.no_hosts else []
    args += [f"--network-alias={a}" for a in cfg.aliases]
    args += [f"--{k}={v}" for k, v in (("ip", cfg.ip), ("ip6", cfg.ip6),
                                       ("mac-address", cfg.mac), ("shm-size", cfg.shm_size)) if v]
    args += [f"--sysctl={s}" for s in cfg.sysctls]
    args += [f"--label={k}={v}" for k, v in cfg.labels.items()]
    if cfg.cpus:
        args.append(f"--cpus={cfg.cpus:g}")
    if cfg.memory:
        args.append(f"--memory={cfg.memory}")
    args += [f"--{k}={v}" for k, v in (  # issue 19
        ("cpu-shares", cfg.cpu_shares), ("cpuset-cpus", cfg.cpuset_cpus),
        ("cpuset-mems", cfg.cpuset_mems), ("memory-swap", cfg.memory_swap)) if v]
    if cfg.cgroup_parent:
        args.append(f"--cgroup-parent={cfg.cgroup_parent}")
    return args


def _joined(member: Container, pod: Pod) -> Container:
    """The member's create options without what joining the pod set (the unit joins the
    new pod by --pod-id-file, which sets them again)."""
    from supervisor.pods.clone import unjoined

    opts = member.config.options
    # network "" (as without --network): run_args writes no --network for it
    options = unjoined(opts, pod.infra.id if pod.infra is not None else "", pod.config.cgroup,
                       pod=pod.config)
    if options is opts:
        return member
    return dataclasses.replace(member, config=dataclasses.replace(member.config,
                                                                   options=options))


def render_pod(pod: Pod, opts: GenerateOptions, binary: str, version: str, runroot: str,
               globals_: list[str], pod_prefix: str = "pod") -> list[tuple[str, str]]:
    """[(service name, unit text)]: the pod's unit first, then its members' units."""
    if pod.infra is None:
        raise UsageError(f"pod {pod.name} has no infra container: generating systemd units "
                         "for a pod requires one")
    name = pod_unit_name(pod, opts, pod_prefix)
    pid_file = unitfile.Specified(f"%t/{name}.pid")
    id_file = unitfile.Specified(f"%t/{name}.pod-id") if opts.new else ""
    members = []
    for member in pod.members:
        ctr = _joined(member, pod) if opts.new else member
        members.append(render(ctr, opts, binary, version, pod_unit=name, pod_id_file=id_file))
    stop_timeout = opts.stop_timeout if opts.stop_timeout is not None else \
        pod.infra.config.stop_timeout
    sb = [binary, *globals_]
    unit, u = unit_head(name, version, opts.no_header, runroot)
    if members:
        wanted = " ".join(f"{m}.service" for m, _ in members)
        u.add("Wants", unitfile.plain_value(wanted))
        u.add("Before", unitfile.plain_value(wanted))
    s = unit.ensure("Service")
    s.add("Environment", "PODMAN_SYSTEMD_UNIT=%n")
    s.add("Restart", opts.restart_policy or "on-failure")
    if opts.restart_sec is not None:
        s.add("RestartSec", str(opts.restart_sec))
    s.add("TimeoutStopSec", str(MIN_TIMEOUT_STOP_S + stop_timeout))
    if opts.new:
        assert id_file
        s.add("ExecStartPre", unitfile.exec_value(["/bin/rm", "-f", pid_file, id_file]))
        create = [*sb, "pod", "create", "--infra-conmon-pidfile", pid_file,
                  "--pod-id-file", id_file, "--exit-policy=stop", "--replace",
                  *create_args(pod.config, pod.name)]
        s.add("ExecStartPre", unitfile.exec_value(create, wrap=True))
        s.add("ExecStart", unitfile.exec_value([*sb, "pod", "start", "--pod-id-file", id_file]))
        s.add("ExecStop", unitfile.exec_value(
            [*sb, "pod", "stop", "--ignore", "--pod-id-file", id_file, "-t", str(stop_timeout)]))
        s.add("ExecStopPost", unitfile.exec_value(
            [*sb, "pod", "rm", "--ignore", "-f", "--pod-id-file", id_file], "-"))
        s.add("PIDFile", pid_file)
    else:
        infra = pod.infra.name if opts.use_name else pod.infra.id
        s.add("ExecStart", unitfile.exec_value([*sb, "start", infra]))
        stop = [*sb, "stop", "-t", str(stop_timeout), infra]
        s.add("ExecStop", unitfile.exec_value(stop))
        s.add("ExecStopPost", unitfile.exec_value(stop, "-"))
        # an infra without a monitor (container/bare.py): the runtime's pid file, catatonit's
        from supervisor.pods.infra import bare_infra

        pid_name = "pidfile" if bare_infra(pod.config) else "monitor.pid"
        s.add("PIDFile", unitfile.plain_value(f"{runroot}/containers/{pod.infra.id}/{pid_name}"))
    s.add("Type", "forking")
    unit.ensure("Install").add("WantedBy", "default.target")
    return [(name, unit.render()), *members]
