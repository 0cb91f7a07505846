"""A stored container (and its pod) as `generate kube`'s input: what `create` recorded in its
config, read here and nowhere else in this package. Reads the store's rows it is given and
stats bind sources (hostPath.type); writes nothing."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supervisor.kube.generate import HostMount, KubeCtr, KubePod, NamedVolume, Port, Probe

if TYPE_CHECKING:
    from supervisor.pods.db import PodRow
    from supervisor.store import ContainerRow


def _bool(value: bool, upper: bool = True) -> str:
    text = "true" if value else "false"
    return text.upper() if upper else text


def _annotations(row: ContainerRow, pod: PodRow | None) -> dict[str, str]:
    """The annotations Podman puts in every container's spec, then the user's."""
    cfg = row.config
    out = {
        "io.kubernetes.cri-o.TTY": _bool(cfg.options.tty, upper=False),
        "io.podman.annotations.autoremove": _bool(cfg.auto_remove),
        "io.podman.annotations.init": _bool(cfg.options.runflags.init),
        "io.podman.annotations.privileged": _bool(cfg.security.privileged),
        "io.podman.annotations.publish-all": _bool(cfg.net.publish_all),
    }
    if pod is not None:
        out["io.kubernetes.cri-o.ContainerType"] = "container"
        out["io.kubernetes.cri-o.SandboxID"] = pod.id
    out.update(cfg.runflags.annotations)
    return out


def _user(user: str | None) -> tuple[int | None, int | None, str]:
    """runAsUser/runAsGroup from a numeric --user; a name cannot be written (warning)."""
    if not user:
        return None, None, ""
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        return None, None, f"user {user!r} is not numeric: runAsUser left out"
    return int(uid), (int(gid) if gid else None), ""


def _kind(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "DirectoryOrCreate"
    import stat

    return "Directory" if stat.S_ISDIR(st.st_mode) else "File"


def _cpu_milli(resources: dict[str, object]) -> int | None:
    cpu = resources.get("cpu")
    if not isinstance(cpu, dict):
        return None
    quota, period = cpu.get("quota"), cpu.get("period")
    if isinstance(quota, int) and isinstance(period, int) and quota > 0 and period > 0:
        milli = quota * 1000 // period
        return milli if milli >= 1 else None
    return None


def _memory(resources: dict[str, object]) -> int | None:
    mem = resources.get("memory")
    limit = mem.get("limit") if isinstance(mem, dict) else None
    return limit if isinstance(limit, int) and limit > 0 else None


def _cap(name: str) -> str:
    name = name.upper()
    return name if name.startswith("CAP_") else f"CAP_{name}"


def container(row: ContainerRow, pod: PodRow | None = None,
              warnings: list[str] | None = None) -> KubeCtr:
    cfg = row.config
    opts = cfg.options
    warnings = warnings if warnings is not None else []
    if opts.entrypoint:
        command, args = tuple(opts.entrypoint), tuple(opts.command)
    else:
        command, args = tuple(opts.command), ()
    env = [tuple(e.split("=", 1)) for e in cfg.env if "=" in e]
    if opts.hostname:  # Podman's spec has HOSTNAME in the environment, and writes it
        env.append(("HOSTNAME", opts.hostname))
    uid, gid, why = _user(opts.user)
    if why:
        warnings.append(f"{row.name}: {why}")
    binds = tuple(HostMount(m.source, m.destination, "ro" in m.options, _kind(m.source))
                  for m in cfg.mounts if m.type == "bind")
    if any(m.type == "tmpfs" for m in cfg.mounts):
        warnings.append(f"{row.name}: tmpfs mounts are not written (Kubernetes has no "
                        "such volume; an emptyDir with medium Memory is the nearest)")
    volumes = tuple(NamedVolume(v.name, v.destination, not v.rw)
                    for v in cfg.volumes if not v.anonymous)
    if any(v.anonymous for v in cfg.volumes):
        warnings.append(f"{row.name}: anonymous volumes are not written")
    name = row.name
    if pod is not None and name.startswith(f"{pod.name}-") and len(name) > len(pod.name) + 1:
        name = name[len(pod.name) + 1:]  # play kube's POD-CTR back to CTR (a round trip)
    resources = dict(cfg.resources)
    probe = None
    hc = cfg.healthcheck
    if hc is not None and hc.test and hc.test[0] in ("CMD", "CMD-SHELL"):
        argv = hc.test[1:] if hc.test[0] == "CMD" else ("/bin/sh", "-c", *hc.test[1:])
        probe = Probe(tuple(argv), hc.interval // 10**9, hc.timeout // 10**9,
                      hc.start_period // 10**9, hc.retries)
    return KubeCtr(
        name=name,
        image=row.image_name,
        command=command,
        args=args,
        env=tuple((k, v) for k, v in env),
        workdir=opts.workdir or "",
        ports=tuple(Port(p.container_port, p.host_port, p.host_ip, p.proto)
                    for p in cfg.net.ports),
        memory=_memory(resources),
        cpu_milli=_cpu_milli(resources),
        cap_add=tuple(dict.fromkeys(_cap(c) for c in cfg.security.cap_add if c.lower() != "all")),
        cap_drop=tuple(dict.fromkeys(_cap(c) for c in cfg.security.cap_drop
                                     if c.lower() != "all")),
        privileged=cfg.security.privileged,
        run_as_user=uid,
        run_as_group=gid,
        read_only=opts.read_only,
        tty=opts.tty,
        stdin=opts.interactive,
        annotations=_annotations(row, pod),
        binds=binds,
        volumes=volumes,
        restart=cfg.restart.name.value,
        hostname=opts.hostname or "",
        host_network=cfg.net.mode == "host",
        dns=cfg.net.dns,
        dns_search=cfg.net.dns_search,
        probe=probe,
    )


def pod(pod: PodRow, rows: list[ContainerRow], warnings: list[str]) -> KubePod:
    """The pod with its members (infra left out); ports, hosts and DNS are the infra's."""
    members = [r for r in rows if r.id != pod.infra_id]
    infra = next((r for r in rows if r.id == pod.infra_id), None)
    cfg = pod.config
    ports: tuple[Port, ...] = ()
    host_network = False
    if infra is not None:
        net = infra.config.net
        ports = tuple(Port(p.container_port, p.host_port, p.host_ip, p.proto)
                      for p in net.ports)
        host_network = net.mode == "host"
    return KubePod(
        name=pod.name,
        pod_id=pod.id,
        containers=tuple(container(r, pod, warnings) for r in members),
        labels=dict(cfg.labels),
        hostname=cfg.hostname or pod.name,
        ports=ports,
        share_net="net" in cfg.share,
        share_pid="pid" in cfg.share,
        host_network=host_network,
        add_hosts=cfg.add_hosts,
        dns=cfg.dns,
    )
