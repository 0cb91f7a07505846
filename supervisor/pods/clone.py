"""`pod clone` (helper podsx): a new pod made from an existing pod's stored options (some
overridden), with a copy of each of its containers (Podman 4.3: `NAME-clone`, then
`NAME-clone1`... when taken); `--destroy` removes the original, `--start` starts the copy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.options import CreateOptions
    from supervisor.pods.db import PodConfig, PodRow
    from supervisor.store import ContainerRow


@dataclass(frozen=True)
class PodCloneRequest:
    name: str = ""  # "" : NAME-clone
    destroy: bool = False
    start: bool = False
    hostname: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # added to the original's
    cpus: float | None = None
    memory: int | None = None
    # issue 19: cpu_shares, cpuset_cpus, cpuset_mems, memory_swap given (the others kept)
    limits: dict[str, int | str] = field(default_factory=dict)
    cgroup_parent: str | None = None
    infra_name: str = ""
    infra_command: tuple[str, ...] = ()
    infra_conmon_pidfile: str = ""
    sysctls: tuple[str, ...] | None = None  # issue 19: None: the original's
    shm_size: str | None = None
    infra: dict[str, Any] = field(default_factory=dict)  # helper pods: pod create's fields



def unjoined(opts: CreateOptions, infra_id: str, cgroup: str,
             no_network: str = "", pod: PodConfig | None = None) -> CreateOptions:
    """A member's create options without what joining its pod set (network and namespaces
    `container:INFRA`, the pod's cgroup as parent, the `pod`'s devices and volumes, which
    come first): joining another pod sets them again.
    The network becomes `no_network` ("": what a command line without --network gives)."""
    joined = f"container:{infra_id}" if infra_id else ""
    changes: dict[str, object] = {}
    if pod is not None:  # helper pods: --device and -v of pod create are inherited
        for key, given in (("devices", pod.devices), ("volumes", pod.volumes)):
            have = list(getattr(opts, key))
            if given and have[:len(given)] == list(given):
                changes[key] = have[len(given):]
    if joined and opts.network == joined:
        changes["network"] = no_network
    if cgroup and opts.cgroup_parent == cgroup:
        changes["cgroup_parent"] = None
    flags = opts.runflags
    kept: dict[str, object] = {k: None for k in ("ipc", "uts", "pid")
                               if getattr(flags, k, None) == joined}
    if joined and opts.userns.userns == joined:
        changes["userns"] = dataclasses.replace(opts.userns, userns=None)
    if kept:
        changes["runflags"] = dataclasses.replace(flags, **kept)  # type: ignore[arg-type]
    return dataclasses.replace(opts, **changes) if changes else opts  # type: ignore[arg-type]


def _infra_fields(cfg: PodConfig, req: PodCloneRequest) -> dict[str, Any]:
    """helper pods: the clone's --pid, --uts, --device, -v, --volumes-from, --security-opt,
    --userns and id maps. As Podman 4.3's clone, the original's volumes and security options
    are kept unless given; its --pid, --uts, devices and user namespace are not (the clone
    gets what it is given, else the defaults)."""
    out: dict[str, Any] = {"volumes": cfg.volumes, "volumes_from": cfg.volumes_from,
                           "security_opt": cfg.security_opt}
    out.update({k: v for k, v in req.infra.items() if v})
    return out


def free_name(base: str, taken: Callable[[str], bool]) -> str:
    """BASE-clone, or BASE-clone1, BASE-clone2, ... (Podman's names for a copy)."""
    name, n = f"{base}-clone", 0
    while taken(name):
        n += 1
        name = f"{base}-clone{n}"
    return name


def clone(eng: Engine, ref: str, req: PodCloneRequest,
          make: Callable[[CreateOptions], ContainerRow],
          make_member: Callable[[CreateOptions, str], ContainerRow]) -> PodRow:
    """The copy (its members made by `make_member(options, pod id)`); a failure part-way
    removes the copy again: nothing half-made is left."""
    from supervisor.errors import NotFoundError
    from supervisor.pods import ops
    from supervisor.pods.db import PodDB

    src = ops.find(eng, ref)
    cfg = src.config
    pods = PodDB(eng.store)

    def pod_taken(name: str) -> bool:
        try:
            pods.find(name)
        except NotFoundError:
            return False
        return True

    names = eng.store.container_names()

    create = ops.PodCreateRequest(
        name=req.name or free_name(src.name, pod_taken),
        publish=cfg.ports, network=cfg.network,
        share=",".join(cfg.share) if cfg.share else "none",
        infra=cfg.infra, infra_image=cfg.infra_image,
        infra_command=req.infra_command or cfg.infra_command,
        infra_name=req.infra_name,
        hostname=cfg.hostname if req.hostname is None else req.hostname,
        add_hosts=cfg.add_hosts, dns=cfg.dns, labels={**cfg.labels, **req.labels},
        exit_policy=cfg.exit_policy, create_command=cfg.create_command,
        cpus=cfg.cpus if req.cpus is None else req.cpus,
        memory=cfg.memory if req.memory is None else req.memory,
        cgroup_parent=cfg.cgroup_parent if req.cgroup_parent is None else req.cgroup_parent,
        infra_conmon_pidfile=req.infra_conmon_pidfile, share_parent=cfg.share_parent,
        # issue 19: the infra's settings (not its static addresses: one pod holds them)
        dns_search=cfg.dns_search, dns_options=cfg.dns_options, no_hosts=cfg.no_hosts,
        aliases=cfg.aliases,
        sysctls=cfg.sysctls if req.sysctls is None else req.sysctls,
        shm_size=cfg.shm_size if req.shm_size is None else req.shm_size,
        cpu_shares=int(req.limits.get("cpu_shares", cfg.cpu_shares)),  # issue 19
        cpuset_cpus=str(req.limits.get("cpuset_cpus", cfg.cpuset_cpus)),
        cpuset_mems=str(req.limits.get("cpuset_mems", cfg.cpuset_mems)),
        memory_swap=int(req.limits.get("memory_swap", cfg.memory_swap)),
        **_infra_fields(cfg, req),  # helper pods
    )
    members = [r for r in ops.containers(eng, src) if r.id != src.infra_id]
    new = ops.create(eng, create, make)
    try:
        for row in members:
            opts = unjoined(row.config.options, src.infra_id, cfg.cgroup, pod=cfg)
            name = free_name(row.name, names.__contains__)
            names.add(name)
            make_member(dataclasses.replace(opts, name=name), new.id)
    except BaseException:
        ops.remove(eng, new.id, force=True)
        raise
    if req.destroy:
        ops.remove(eng, src.id, force=True)
    if req.start:
        ops.start(eng, new.id)
    return new
