"""What `pod ps` and `pod inspect` show (Podman 4.3's fields and JSON keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supervisor.format.gostruct import GoStruct
from supervisor.pods.ops import status_of

if TYPE_CHECKING:
    from supervisor.pods.db import PodConfig, PodRow
    from supervisor.store import ContainerRow


def _networks(pod: PodRow, infra: ContainerRow | None) -> list[str]:
    if infra is None or "net" not in pod.config.share:
        return []
    return [a.network for a in infra.config.net.networks]


def _infra(pod: PodRow, rows: list[ContainerRow]) -> ContainerRow | None:
    return next((r for r in rows if r.id == pod.infra_id), None)


def _cgroup(infra: ContainerRow | None, pod: PodRow | None = None) -> str:
    if pod is not None and pod.config.cgroup:  # helper podsx: the pod's own cgroup's parent
        return str(_pod_cgroup(pod.config)["CgroupParent"])
    return str(infra.config.cgroup_parent) if infra is not None else ""


def ps_json(pod: PodRow, rows: list[ContainerRow]) -> dict[str, Any]:
    infra = _infra(pod, rows)
    return {
        "Cgroup": _cgroup(infra, pod),
        "Containers": [{"Id": r.id, "Names": r.name, "Status": r.status.value} for r in rows],
        "Created": pod.created,
        "Id": pod.id,
        "InfraId": pod.infra_id,
        "Name": pod.name,
        "Namespace": "",
        "Networks": _networks(pod, infra),
        "Status": status_of(rows).value,
        "Labels": dict(pod.config.labels),
    }


def ps_item(pod: PodRow, rows: list[ContainerRow], no_trunc: bool) -> dict[str, Any]:
    """The template fields of `pod ps` (`{{.ID}}`, `{{.Status}}`, `{{.NumberOfContainers}}`...)."""
    from supervisor.timefmt import ago

    def cut(s: str) -> str:
        return s if no_trunc else s[:12]

    infra = _infra(pod, rows)
    return {
        "ID": cut(pod.id),
        "Id": cut(pod.id),
        "Name": pod.name,
        "Status": status_of(rows).value,
        "Created": ago(pod.created),
        "InfraID": cut(pod.infra_id),
        "InfraId": cut(pod.infra_id),
        "NumberOfContainers": len(rows),
        "Cgroup": _cgroup(infra, pod),
        "Namespace": "",
        "Networks": ",".join(_networks(pod, infra)),
        "Labels": pod.config.labels,
        "ContainerNames": ",".join(r.name for r in rows),
        "ContainerIds": ",".join(cut(r.id) for r in rows),
        "ContainerStatuses": ",".join(r.status.value for r in rows),
    }


def inspect(pod: PodRow, rows: list[ContainerRow]) -> dict[str, Any]:
    cfg = pod.config
    infra = _infra(pod, rows)
    parent = _cgroup(infra)
    ports: dict[str, list[GoStruct]] = {}
    if infra is not None:
        for p in infra.config.net.ports:
            ports.setdefault(f"{p.container_port}/{p.proto}", []).append(
                GoStruct(HostIp=p.host_ip, HostPort=str(p.host_port)))
    infra_cfg: dict[str, Any] | None = None
    if infra is not None:
        net = infra.config.net
        infra_cfg = {
            "PortBindings": ports,
            "HostNetwork": net.mode == "host",
            "StaticIP": cfg.ip, "StaticMAC": cfg.mac,
            "NoManageResolvConf": False,
            "DNSServer": list(net.dns) or None,
            "DNSSearch": list(net.dns_search) or None,
            "DNSOption": list(net.dns_options) or None,
            "NoManageHosts": net.no_hosts,
            "HostAdd": list(net.add_hosts) or None,
            "Networks": _networks(pod, infra),
            "NetworkOptions": None,
            "pid_ns": cfg.pid or "private",  # helper pods: --pid, --uts
            "userns": cfg.userns or ("private" if _maps(cfg) else "host"),  # issues 17/19
            "uts_ns": cfg.uts or "private",
        }
    out: dict[str, Any] = {
        "Id": pod.id,
        "Name": pod.name,
        "Created": pod.created,
        "CreateCommand": list(cfg.create_command),
        "ExitPolicy": cfg.exit_policy,
        "State": status_of(rows).value,
        "Hostname": cfg.hostname,
        "Labels": dict(cfg.labels) or None,
        "CreateCgroup": True,
        "CgroupParent": parent,
        "CgroupPath": f"{parent}/{infra.id}" if infra is not None else "",
        **_pod_cgroup(cfg),  # helper podsx: the pod's own cgroup, when it has one
        "CreateInfra": cfg.infra,
    }
    if infra is not None and infra_cfg is not None:
        infra_cfg.update(_cpu(cfg))
        if cfg.cpuset_cpus:  # issue 19: Podman's InfraConfig has it too
            infra_cfg["cpuset_cpus"] = cfg.cpuset_cpus
        out["InfraContainerID"] = infra.id
        out["InfraConfig"] = infra_cfg
    out["SharedNamespaces"] = [*(["user"] if _maps(cfg) else []), *cfg.share]
    out["NumContainers"] = len(rows)
    out["Containers"] = [{"Id": r.id, "Name": r.name, "State": r.status.value} for r in rows]
    out.update(_cpu(cfg))
    if cfg.cpu_shares:  # issue 19: Podman's keys, in its order
        out["cpu_shares"] = cfg.cpu_shares
    if cfg.cpuset_cpus:
        out["cpuset_cpus"] = cfg.cpuset_cpus
    if cfg.cpuset_mems:
        out["cpuset_mems"] = cfg.cpuset_mems
    if cfg.memory:
        out["memory_limit"] = cfg.memory
        # Podman's default swap: as much again; unlimited (-1) is not shown
        if cfg.memory_swap >= 0:
            out["memory_swap"] = cfg.memory_swap or 2 * cfg.memory
    if cfg.volumes:  # helper pods: Podman 4.3's keys for -v and --security-opt
        out["mounts"] = [_mount(v) for v in cfg.volumes]
    if cfg.security_opt:
        out["security_opt"] = list(cfg.security_opt)
    if out["Labels"] is None:
        del out["Labels"]
    return out


def _maps(cfg: PodConfig) -> bool:
    return bool(cfg.uidmap or cfg.gidmap or cfg.subuidname or cfg.subgidname)


def _mount(volume: str) -> dict[str, Any]:
    """One `pod create -v` as Podman 4.3's pod inspect shows it."""
    parts = volume.split(":")
    src, dst = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
    opts = parts[2].split(",") if len(parts) > 2 else []
    bind = src.startswith("/")
    return {"Type": "bind" if bind else "volume", "Source": src, "Destination": dst,
            "Driver": "" if bind else "local", "Mode": "",
            "Options": ["rbind"] if bind else [], "RW": "ro" not in opts,
            "Propagation": "rprivate" if bind else ""}


def _pod_cgroup(cfg: PodConfig) -> dict[str, Any]:
    """Podman's CgroupParent (where the pod's cgroup is) and CgroupPath (the pod's own)."""
    import posixpath

    if not cfg.cgroup:
        return {}
    if cfg.cgroup.endswith(".slice"):
        parent = cfg.cgroup_parent or "machine.slice"
        return {"CgroupParent": parent, "CgroupPath": f"{parent}/{cfg.cgroup}"}
    return {"CgroupParent": posixpath.dirname(cfg.cgroup), "CgroupPath": cfg.cgroup}


def _cpu(cfg: PodConfig) -> dict[str, Any]:
    from supervisor.pods.cgroup import CPU_PERIOD, quota

    return {"cpu_period": CPU_PERIOD, "cpu_quota": quota(cfg.cpus)} if cfg.cpus else {}
