"""The pod verbs over the engine: a pod is a row in `pods`, an infra container holding the
shared namespaces and member containers that join them (`container:INFRA` modes)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from supervisor.errors import ConflictError, NotFoundError, ScopeboxError, StateError, UsageError
from supervisor.pods import INFRA_LABEL
from supervisor.pods.cgroup import pod_cgroup
from supervisor.pods.db import PodConfig, PodDB, PodRow
from supervisor.pods.status import PodStatus, pod_status

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.engine import Engine
    from supervisor.options import CreateOptions
    from supervisor.store import ContainerRow

SHAREABLE = ("cgroup", "ipc", "net", "pid", "uts")
DEFAULT_SHARE = ("uts", "ipc", "net")


@dataclass(frozen=True)
class PodCreateRequest:
    """What `pod create` asks for."""

    name: str = ""
    publish: tuple[str, ...] = ()
    network: str = ""
    share: str | None = None  # None: Podman's default (ipc, net, uts)
    infra: bool = True
    infra_image: str = ""
    infra_command: tuple[str, ...] = ()
    infra_name: str = ""
    hostname: str = ""
    add_hosts: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    exit_policy: str = "continue"
    replace: bool = False
    create_command: tuple[str, ...] = ()
    # the pod's cgroup (helper podsx): 0 for no limit; "" for the default parent
    cpus: float = 0.0
    memory: int = 0
    cgroup_parent: str = ""
    infra_conmon_pidfile: str = ""  # helper podsx: written at each start of the infra
    share_parent: bool = True  # helper podsx: members under the pod's cgroup
    # issue 19 (helper "flags"): the infra's network flags and namespace settings
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    no_hosts: bool = False
    aliases: tuple[str, ...] = ()
    ip: str = ""
    ip6: str = ""
    mac: str = ""
    sysctls: tuple[str, ...] = ()
    shm_size: str = ""
    userns: str = ""  # issues 17/19: the infra's --userns, joined by the members
    # issue 19: the other limits of Podman 4.3's pod create, on the pod's cgroup
    cpu_shares: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    memory_swap: int = 0  # memory plus swap; -1 unlimited; 0: not set
    # helper pods: Podman 4.3's other pod create flags: the infra's, some inherited
    pid: str = ""  # --pid: the infra's PID namespace (members join it with --share pid)
    uts: str = ""  # --uts: the infra's UTS namespace (members join it with --share uts)
    devices: tuple[str, ...] = ()  # --device: the infra's and every member's
    volumes: tuple[str, ...] = ()  # -v: the infra's and every member's
    volumes_from: tuple[str, ...] = ()  # --volumes-from: the infra's only (as Podman 4.3)
    security_opt: tuple[str, ...] = ()  # --security-opt: the infra's only (as Podman 4.3)
    uidmap: tuple[str, ...] = ()  # --uidmap/--gidmap/--sub*name: the infra's user
    gidmap: tuple[str, ...] = ()  # namespace, joined by the members
    subuidname: str = ""
    subgidname: str = ""
    service_container: str = ""  # kube play --service-container (pods/service.py)


def parse_share(value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_SHARE
    # Podman: a leading "+" adds to the default set (--share +pid)
    extra = value.startswith("+")
    items = [s.strip() for s in value.removeprefix("+").split(",") if s.strip()]
    if items == ["none"] and not extra:
        return ()
    for item in items:
        if item == "mnt":  # Podman's own line for it
            raise UsageError("mount sharing functionality not supported on pod level")
        if item not in SHAREABLE:
            raise UsageError(f"invalid kernel namespace to share: {item}. Options are: "
                             "cgroup, ipc, net, pid, uts or none")
    if extra:
        items = [*DEFAULT_SHARE, *(i for i in items if i not in DEFAULT_SHARE)]
    return tuple(dict.fromkeys(items))


def _check(req: PodCreateRequest, share: tuple[str, ...]) -> None:
    if req.exit_policy not in ("continue", "stop"):  # Podman's words
        raise UsageError(f'running pod create option: invalid pod exit policy: '
                         f'"{req.exit_policy}"')
    if not req.infra:
        if req.publish:
            raise UsageError("you must have an infra container to publish port bindings "
                             "to the host")
        if req.infra_image or req.infra_command or req.infra_name:
            raise UsageError("cannot set infra options (--infra-image, --infra-command, "
                             "--infra-name) with --infra=false")
        if share:
            # Podman: without infra nothing holds the namespaces (its own wording differs)
            raise UsageError("--share needs an infra container: use --infra=true or "
                             "--share none")


def create(eng: Engine, req: PodCreateRequest,
           make: Callable[[CreateOptions], ContainerRow]) -> PodRow:
    """Records the pod, then makes its infra container with `make` (the API's create,
    containers.conf's defaults applied); a failure removes the pod again."""
    from supervisor.names import generate_name, validate_name
    from supervisor.timefmt import now_rfc3339

    share = parse_share(req.share if req.infra else (req.share or "none"))
    _check(req, share)
    pods = PodDB(eng.store)
    name = req.name or generate_name({p.name for p in pods.list()})
    validate_name(name)
    if req.replace:
        with contextlib.suppress(NotFoundError):
            remove(eng, name, force=True)
    config = PodConfig(
        share=share, infra=req.infra,
        infra_image=req.infra_image or (req.infra and eng.settings.infra_image) or "",
        infra_command=req.infra_command, infra_name=req.infra_name, hostname=req.hostname,
        labels=dict(req.labels), network=req.network, ports=req.publish,
        add_hosts=req.add_hosts, dns=req.dns, exit_policy=req.exit_policy,
        create_command=req.create_command,
        cpus=req.cpus, memory=req.memory, cgroup_parent=req.cgroup_parent,
        infra_conmon_pidfile=req.infra_conmon_pidfile, share_parent=req.share_parent,
        dns_search=req.dns_search, dns_options=req.dns_options, no_hosts=req.no_hosts,
        aliases=req.aliases, ip=req.ip, ip6=req.ip6, mac=req.mac, sysctls=req.sysctls,
        shm_size=req.shm_size, userns=req.userns,
        cpu_shares=req.cpu_shares, cpuset_cpus=req.cpuset_cpus, cpuset_mems=req.cpuset_mems,
        memory_swap=req.memory_swap,
        pid=req.pid, uts=req.uts, devices=req.devices, volumes=req.volumes,
        volumes_from=req.volumes_from, security_opt=req.security_opt, uidmap=req.uidmap,
        gidmap=req.gidmap, subuidname=req.subuidname, subgidname=req.subgidname,
        service_container=req.service_container,
    )
    # its own cgroup (helper podsx), named after its id: a bad --cgroup-parent makes nothing
    import os

    pod_id = os.urandom(32).hex()  # performance: not `secrets` (hmac, OpenSSL) for 32 bytes
    from supervisor.pods.cgroup import check_placement
    from supervisor.procs import cgroup_unified

    check_placement(config, eng.systemd() is not None, cgroup_unified())
    config = replace(config, cgroup=pod_cgroup(pod_id, req.cgroup_parent,
                                               eng.systemd() is not None))
    _try_cpuset(config, name)
    pod = pods.add(name, now_rfc3339(), config, pod_id)
    if not req.infra:
        return pod
    try:
        infra = make(_infra_options(eng, pod))
        pods.add_member(pod.id, infra.id)
        pods.set_infra(pod.id, infra.id)
    except BaseException:
        pods.delete(pod.id)
        raise
    return replace(pod, infra_id=infra.id)


def _try_cpuset(config: PodConfig, name: str) -> None:
    """issue 19: a cgroupfs pod's cpuset is made once at create, so the kernel's refusal of
    a CPU or node it lacks comes now (Podman's moment), not at the first start."""
    from supervisor.pods.cgroup import ensure, is_slice, remove

    if not (config.cpuset_cpus or config.cpuset_mems) or is_slice(config.cgroup):
        return
    try:
        ensure(None, config, name)
    finally:
        remove(None, config)


def _infra_options(eng: Engine, pod: PodRow) -> CreateOptions:
    from supervisor.network.request import NetFlags
    from supervisor.options import CreateOptions, RunFlagOptions, UsernsOptions
    from supervisor.pods.infra import INFRA_COMMAND, ensure_pause_image, ensure_rootfs

    cfg = pod.config
    entrypoint = None
    pause = ""
    if cfg.infra_image:
        image, rootfs, command = cfg.infra_image, False, []
        if cfg.infra_command:  # Podman's: it replaces the image's entrypoint
            entrypoint = list(cfg.infra_command)
    else:
        image, rootfs = ensure_rootfs(eng.paths.root), True
        command = list(cfg.infra_command or INFRA_COMMAND)
        pause = ensure_pause_image(eng.store, image)
    return CreateOptions(
        image=image,
        rootfs=rootfs,
        rootfs_image=pause,
        command=command,
        entrypoint=entrypoint,
        name=cfg.infra_name or f"{pod.short_id}-infra",
        # the host's or a given UTS namespace has its own name (Podman sets none then)
        hostname=cfg.hostname or (None if cfg.uts and cfg.uts != "private" else pod.name),
        # Podman: the infra has the pod's network even when its members do not join it
        network=cfg.network,
        net=NetFlags(publish=cfg.ports, add_hosts=cfg.add_hosts, dns=cfg.dns,
                     dns_search=cfg.dns_search, dns_options=cfg.dns_options,
                     no_hosts=cfg.no_hosts, aliases=cfg.aliases, ip=cfg.ip, ip6=cfg.ip6,
                     mac=cfg.mac),
        runflags=RunFlagOptions(sysctls=list(cfg.sysctls), shm_size=cfg.shm_size or None,
                                pid=cfg.pid or None, uts=cfg.uts or None),
        userns=UsernsOptions(cfg.userns or None, list(cfg.uidmap), list(cfg.gidmap),
                             cfg.subuidname or None, cfg.subgidname or None),  # issues 17/19
        devices=list(cfg.devices), volumes=list(cfg.volumes),
        volumes_from=list(cfg.volumes_from), security_opt=list(cfg.security_opt),
        log_driver="none",  # catatonit says nothing
        # nor tells a unit it is ready: a Type=notify unit's NOTIFY_SOCKET is for whoever
        # starts the pod's containers (kube play, a member's --sdnotify), not for the infra
        sdnotify="ignore",
        labels={INFRA_LABEL: pod.id},
        stop_timeout=10,
        cgroup_parent=cfg.cgroup or None,  # helper podsx: the pod's cgroup
    )


# joining -----------------------------------------------------------------------------------


def join(eng: Engine, ref: str, opts: CreateOptions,
         make: Callable[[CreateOptions], ContainerRow]) -> tuple[PodRow, CreateOptions]:
    """`--pod NAME|new:NAME`: the pod (made for new:) and the options that join its
    namespaces. Ports and networks belong to the pod (Podman refuses them here)."""
    if not ref.startswith("new:"):
        return _join(PodDB(eng.store).find(ref), opts)
    # Podman: the hostname, ports and network given with new: are the new pod's
    net = opts.net
    pod = create(eng, PodCreateRequest(
        name=ref[4:], hostname=opts.hostname or "", publish=net.publish,
        network=opts.network), make)
    try:
        return _join(pod, replace(opts, hostname=None, network="", net=replace(net, publish=())))
    except BaseException:  # nothing of a refused container stays
        with contextlib.suppress(ScopeboxError):
            remove(eng, pod.id, force=True)
        raise


def _join(pod: PodRow, opts: CreateOptions) -> tuple[PodRow, CreateOptions]:
    cfg = pod.config
    # helper podsx: under the pod's cgroup (a split container stays below its unit's)
    if cfg.cgroup and cfg.share_parent and opts.cgroup_parent is None \
            and opts.cgroups == "enabled":
        opts = replace(opts, cgroup_parent=cfg.cgroup)
    if not pod.infra_id:
        return pod, opts
    infra = pod.infra_id
    net = opts.net
    if "net" in cfg.share:
        if net.publish or net.publish_all or net.ip or net.mac or opts.network:
            raise UsageError("invalid config provided: published or exposed ports must be "
                             "defined when the pod is created: network cannot be configured "
                             "when it is shared with a pod")
        opts = replace(opts, network=f"container:{infra}")
    flags = opts.runflags
    if "net" in cfg.share and cfg.network == "host":  # containers.conf's net.* defaults
        flags = replace(flags, default_sysctls=[  # cannot go into the host's namespace
            s for s in flags.default_sysctls if not s.strip().startswith("net.")])
    joined = f"container:{infra}"
    if "ipc" in cfg.share and flags.ipc is None:
        flags = replace(flags, ipc=joined)
        if cfg.shm_size and flags.shm_size is None:  # issue 19: the pod's --shm-size, each
            flags = replace(flags, shm_size=cfg.shm_size)  # member's own /dev/shm (DIFFERENCES)
    if "uts" in cfg.share and flags.uts is None:
        flags = replace(flags, uts=joined)
    if "pid" in cfg.share and flags.pid is None:
        flags = replace(flags, pid=joined)
    if own_userns(cfg) and not opts.userns.given:  # issues 17/19
        opts = replace(opts, userns=replace(opts.userns, userns=joined))
    if cfg.devices or cfg.volumes:  # helper pods: Podman 4.3's members inherit these
        opts = replace(opts, devices=[*cfg.devices, *opts.devices],
                       volumes=[*cfg.volumes, *opts.volumes])
    if "uts" in cfg.share and opts.hostname:
        raise UsageError("invalid config provided: cannot set hostname when joining the "
                         "pod UTS namespace: invalid configuration")
    return pod, replace(opts, runflags=flags)


def own_userns(cfg: PodConfig) -> bool:
    """The infra has a user namespace of its own, which the members join."""
    return bool((cfg.userns and cfg.userns != "host") or cfg.uidmap or cfg.gidmap
                or cfg.subuidname or cfg.subgidname)


def check_init_ctr(eng: Engine, pod: PodRow) -> None:
    """issue 19: an init container runs at the pod's start: not into a running pod."""
    if any(r.id == pod.infra_id and r.status.is_active for r in containers(eng, pod)):
        raise UsageError("cannot add init-ctr to a running pod")


def record_member(eng: Engine, pod: PodRow, cid: str) -> None:
    PodDB(eng.store).add_member(pod.id, cid)


# reading -----------------------------------------------------------------------------------


def containers(eng: Engine | Context, pod: PodRow) -> list[ContainerRow]:
    """The pod's containers brought up to date, infra first, then in creation order; one
    removed meanwhile is skipped."""
    out = []
    for cid in PodDB(eng.store).members(pod.id):
        row = eng.store.get_container(cid)
        if row is None:
            continue
        try:
            out.append(eng.refresh(row))
        except NotFoundError:
            continue
    out.sort(key=lambda r: (r.id != pod.infra_id, r.created))
    return out


def status_of(rows: list[ContainerRow]) -> PodStatus:
    return pod_status(r.status for r in rows)


def find(eng: Engine, ref: str) -> PodRow:
    return PodDB(eng.store).find(ref)


def list_pods(eng: Engine) -> list[tuple[PodRow, list[ContainerRow]]]:
    return [(p, containers(eng, p)) for p in PodDB(eng.store).list()]


# acting ------------------------------------------------------------------------------------


def _act(rows: list[ContainerRow], action: Callable[[ContainerRow], Any]) -> list[str]:
    """Each container; the errors of those that failed (Podman's pod errors list them)."""
    errors = []
    for row in rows:
        try:
            action(row)
        except ScopeboxError as exc:
            errors.append(f"{row.id[:12]}: {exc}")
    return errors


def _raise(pod: PodRow, verb: str, errors: list[str]) -> None:
    if errors:
        raise StateError(f"{verb} pod {pod.id}: " + "; ".join(errors))


def start(eng: Engine, ref: str) -> PodRow:
    """The infra, then the init containers one after another, each to its end (Podman's
    `--init-ctr`: a failing one stops the start; a `once` one is removed), then the rest."""
    pod = find(eng, ref)
    rows = containers(eng, pod)
    if pod.config.service_container:  # kube play --service-container: it runs before them
        from supervisor.pods import service

        service.maybe_start(eng, pod)
    inits = [r for r in rows if r.config.options.init_ctr and r.id != pod.infra_id]
    first = [r for r in rows if r.id == pod.infra_id and not r.status.is_active]
    _raise(pod, "starting", _act(first, lambda r: eng.start(r.id)))
    for row in inits:
        _run_init(eng, pod, row)
    rest = [r for r in rows if r not in inits and r.id != pod.infra_id]
    _raise(pod, "starting", _act([r for r in rest if not r.status.is_active],
                                 lambda r: eng.start(r.id)))
    from supervisor.pods.join import infra_started  # helper podsx: --infra-conmon-pidfile

    infra_started(eng, pod)
    return pod


def _run_init(eng: Engine, pod: PodRow, row: ContainerRow) -> None:
    if not row.status.is_active:
        eng.start(row.id)
    code = eng.wait(row.id)
    if row.config.options.init_ctr == "once":
        eng.remove(row.id, force=True)
    if code != 0:
        raise StateError(f"init container {row.id} exited with code {code}")


def stop(eng: Engine, ref: str, timeout: int | None = None) -> PodRow:
    pod = find(eng, ref)
    rows = containers(eng, pod)[::-1]  # members first, the namespaces' holder last
    _raise(pod, "stopping", _stop_active(eng, pod, rows, timeout))
    if pod.config.service_container:  # kube play --service-container: the last pod stopped
        from supervisor.pods import service

        service.maybe_stop(eng, pod)
    return pod


def _stop_active(eng: Engine, pod: PodRow, rows: list[ContainerRow],
                 timeout: int | None) -> list[str]:
    """The members at once (issue 15: their grace periods run together, as Podman's), then
    the infra; those with a unit (restart policy) or paused one after another."""
    from supervisor.container.stop import can_stop_together

    active = [r for r in rows if r.status.is_active]
    together = [r for r in active if can_stop_together(r)]
    for phase in ([r for r in together if r.id != pod.infra_id],
                  [r for r in together if r.id == pod.infra_id]):
        if phase:
            eng.stop_together(phase, timeout)
    return _act([r for r in active if r not in together], lambda r: eng.stop(r.id, timeout))


def restart(eng: Engine, ref: str, timeout: int | None = None) -> PodRow:
    stop(eng, ref, timeout)
    return start(eng, ref)


def kill(eng: Engine, ref: str, signal: str) -> PodRow:
    pod = find(eng, ref)
    rows = [r for r in containers(eng, pod) if r.status.is_active]
    if not rows:
        raise StateError(f"pod {pod.id} has no running containers: container state improper")
    _raise(pod, "killing", _act(rows[::-1], lambda r: eng.kill(r.id, signal)))
    return pod


def pause(eng: Engine, ref: str) -> PodRow:
    pod = find(eng, ref)
    rows = [r for r in containers(eng, pod) if r.status.value == "running"]
    _raise(pod, "pausing", _act(rows, lambda r: eng.pause(r.id)))
    return pod


def unpause(eng: Engine, ref: str) -> PodRow:
    pod = find(eng, ref)
    rows = [r for r in containers(eng, pod) if r.status.value == "paused"]
    _raise(pod, "unpausing", _act(rows, lambda r: eng.unpause(r.id)))
    return pod


def remove(eng: Engine, ref: str, force: bool = False, timeout: int | None = None) -> PodRow:
    """Members first, the infra last, then the rows: nothing of the pod is left. Without
    force a running member refuses the whole removal (nothing is removed); a running infra
    alone is stopped first (Podman's: it holds nothing of the user's)."""
    pod = find(eng, ref)
    rows = containers(eng, pod)
    running = [r for r in rows if r.status.is_active and r.id != pod.infra_id]
    if running and not force:
        raise ConflictError(
            f"pod {pod.id} has containers that are not ready to be removed: cannot remove "
            f"container {running[-1].id} as it is running - running or paused containers "
            "cannot be removed without force: container state improper")
    from supervisor.container.remove import can_remove_together

    if not force and any(r.status.is_active for r in rows):  # the infra only
        eng.stop(pod.infra_id, timeout)
        rows = containers(eng, pod)
    active = [r for r in rows[::-1] if r.status.is_active]
    if force and timeout:
        _stop_active(eng, pod, rows[::-1], timeout)
    if force and not timeout and all(can_remove_together(r) for r in rows):
        _check_dependents(eng, rows)
        errors = list(eng.remove_together(rows[::-1]))
    else:
        if force and not timeout:
            # every member's SIGKILL first, so they die together rather than one by one
            _act(active, lambda r: _sigkill(eng, r))
        errors = _act(rows[::-1], lambda r: eng.remove(r.id, force=force))
    _raise(pod, "removing", errors)
    from supervisor.pods import cgroup  # helper podsx: its slice or cgroup goes too

    cgroup.remove(eng.systemd() if cgroup.is_slice(pod.config.cgroup) else None, pod.config)
    from supervisor.pods.shm import release

    release(eng.paths, pod.id)  # its shared /dev/shm
    PodDB(eng.store).delete(pod.id)
    if pod.config.service_container:  # kube play --service-container: with the last pod
        from supervisor.pods import service

        service.maybe_remove(eng, pod.config.service_container)
    return pod


def _check_dependents(eng: Engine, rows: list[ContainerRow]) -> None:
    """`rm`'s refusal (depends.check_removable) for a container outside the pod that joins
    one of its members: checked for all at once, before any is killed."""
    from supervisor.depends import dependents_outside, raise_dependents

    for cid, users in dependents_outside(eng, [r.id for r in rows]).items():
        raise_dependents(cid, users)


def _sigkill(eng: Engine, row: ContainerRow) -> None:
    """helper podsx (bench/pods.py): a running container without a restart policy gets its
    SIGKILL straight from kill(2), as `runc kill` would send it, without a runtime process
    per member; `rm -f` then finishes it. Others (paused, restart policies) as `kill`."""
    import os
    import signal

    from supervisor.procs import alive
    from supervisor.restarts import supervised

    if row.status.value == "running" and not supervised(row) and alive(row.pid, row.pid_start):
        try:
            os.kill(row.pid, signal.SIGKILL)
            return
        except ProcessLookupError:
            return
    eng.kill(row.id, "SIGKILL")


def prune(eng: Engine) -> list[PodRow]:
    """Stopped and exited pods, as Podman 4.3's (a created pod, never started, is kept)."""
    out = []
    for pod, rows in list_pods(eng):
        if status_of(rows) in (PodStatus.EXITED, PodStatus.STOPPED):
            remove(eng, pod.id, force=True)
            out.append(pod)
    return out


def is_infra(eng: Engine | Context, row: ContainerRow) -> PodRow | None:
    pod = PodDB(eng.store).pod_row_of(row.id)
    return pod if pod is not None and pod.infra_id == row.id else None


def pod_of_containers(eng: Engine) -> dict[str, tuple[str, str]]:
    """Container id -> (pod id, pod name), for `ps --pod` and `--filter pod=`."""
    db = PodDB(eng.store)
    pods = {p.id: p.name for p in db.list()}
    return {c: (p, pods[p]) for c, p in db.all_members().items() if p in pods}
