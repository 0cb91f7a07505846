"""Kubernetes YAML (issue 15): `generate kube`, `play kube`, `play kube --down` over
`supervisor/kube/` (pure converters), carried out through the pods, volumes and containers
engines. Options in, reports out."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.errors import (
    ConflictError,
    NotFoundError,
    ScopeboxError,
    StateError,
    UsageError,
)
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.kube.play import PodPlan
    from supervisor.options import CreateOptions
    from supervisor.pods.db import PodDB

__all__ = ["DownReport", "GenerateOptions", "GenerateReport", "PlayOptions", "PlayReport",
           "down", "generate", "play"]


class _NotFound(NotFoundError):
    """Podman's wording for a name that is no pod, container or volume."""

    def __init__(self, ref: str) -> None:
        self.kind, self.ref = "object", ref
        ScopeboxError.__init__(self, f'name or ID "{ref}" not found')


@dataclass(frozen=True)
class GenerateOptions:
    service: bool = False
    type: str = "pod"  # pod | deployment


@dataclass(frozen=True)
class GenerateReport:
    text: str
    warnings: list[str] = field(default_factory=list)


def generate(settings: Settings, refs: list[str], opts: GenerateOptions) -> GenerateReport:
    """Containers given together make one pod (Podman's rule); each pod makes its own."""
    from supervisor.api.system import package_version
    from supervisor.kube import generate as gen
    from supervisor.kube import source
    from supervisor.pods import ops
    from supervisor.pods.db import PodDB
    from supervisor.timefmt import now_rfc3339
    from supervisor.volumes.db import VolumeDB

    if opts.type not in ("pod", "deployment"):
        raise UsageError(f"invalid type {opts.type!r}: pod or deployment")
    if not refs:
        raise UsageError("generate kube: at least one container or pod is required")
    created = now_rfc3339()[:19] + "Z"
    warnings: list[str] = []
    docs = []
    with session(settings) as eng:
        pods_db = PodDB(eng.store)
        ctrs, claims = [], []
        for ref in refs:
            try:
                pod = pods_db.find(ref)
            except NotFoundError:
                pod = None
            if pod is not None:
                rows = ops.containers(eng, pod)
                if len([r for r in rows if r.id != pod.infra_id]) == 0:
                    raise UsageError(f"pod {pod.id} only has an infra container")
                docs.append(gen.pod_of_pod(source.pod(pod, rows, warnings), created))
                continue
            try:
                row = eng.refresh(eng.store.find_container(ref))
            except NotFoundError:
                vol = VolumeDB(eng.store).find(ref)
                if vol is None:
                    raise _NotFound(ref) from None
                claims.append(gen.claim(vol.name, vol.driver, vol.labels, vol.options, created))
                continue
            of = pods_db.pod_of(row.id)
            if of:
                raise UsageError(f"container {row.id} is associated with pod {of}: use "
                                 "generate on the pod itself")
            ctrs.append(source.container(row, None, warnings))
        if ctrs:
            docs.insert(0, gen.pod_of_containers(tuple(ctrs), created))
    if opts.type == "deployment":
        docs = [gen.deployment(d) for d in docs]
    if opts.service:
        pods = [d if d["kind"] == "Pod" else _template(d) for d in docs]
        docs = [gen.service(p) for p in pods] + docs
    return GenerateReport(gen.render(claims + docs, package_version()), warnings)


def _template(doc: dict[str, object]) -> dict[str, object]:
    spec = doc["spec"]
    assert isinstance(spec, dict)
    template = spec["template"]
    assert isinstance(template, dict)
    return template


# play ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayExtra:
    """issue 19: Podman 4.3's other `kube play` flags."""

    annotations: tuple[str, ...] = ()  # --annotation KEY=VALUE, on every container
    log_opts: dict[str, str] = field(default_factory=dict)  # --log-opt
    no_hosts: bool = False  # --no-hosts: the pods get no /etc/hosts of scopebox's
    ips: tuple[str, ...] = ()  # --ip, --mac-address: the i-th pod's
    macs: tuple[str, ...] = ()
    userns: str = ""  # --userns: the pods'
    seccomp_root: str | None = None  # --seccomp-profile-root (localhost/ profiles)
    tls_verify: bool | None = None  # pulls of the containers' images
    creds: str | None = None
    authfile: str | None = None
    cert_dir: str | None = None
    build_dir: str | None = None  # --build: where images' build directories would be


@dataclass(frozen=True)
class PlayOptions:
    start: bool = True
    replace: bool = False
    network: str = ""
    configmaps: tuple[str, ...] = ()  # texts of --configmap files
    log_driver: str | None = None
    extra: PlayExtra = field(default_factory=PlayExtra)
    service_container: bool = False  # --service-container (pods/service.py)


@dataclass(frozen=True)
class PodReport:
    id: str
    containers: list[str]


@dataclass(frozen=True)
class PlayReport:
    pods: list[PodReport]
    volumes: list[str]
    warnings: list[str]


def _kube_dir(eng: Engine) -> str:
    return os.path.join(eng.paths.root, "kube")


def parse(text: str, configmaps: tuple[str, ...] = ()) -> tuple[list[object], list[object]]:
    from supervisor.kube.yamlio import load_documents

    extra: list[object] = []
    for cm in configmaps:
        extra += load_documents(cm)
    return load_documents(text), extra


def play(settings: Settings, text: str, opts: PlayOptions) -> PlayReport:
    """Everything is checked before anything is made; a failure half-way removes what this
    call made (pods, their containers, volumes it created, its directories)."""
    from supervisor.kube import play as kp
    from supervisor.pods import ops as pod_ops
    from supervisor.pods.db import PodDB
    from supervisor.runflags import parse_annotations

    parse_annotations(list(opts.extra.annotations))  # bad input: before anything is made
    if opts.service_container and not opts.start:  # Podman's words
        raise UsageError("--service-container does not work with --start=stop")
    docs, extra = parse(text, opts.configmaps)
    with session(settings) as eng:
        plan = kp.plan(docs, _kube_dir(eng), opts.network, extra)
        pods_db = PodDB(eng.store)
        if opts.extra.build_dir is not None:
            _build_images(eng, plan.pods, opts.extra.build_dir)
        for pod in plan.pods:
            if pod.init_containers and not opts.start:
                raise UsageError(f"kube: pod {pod.name} has initContainers: they run when "
                                 "play kube starts the pod (not with --start=false)")
            if not opts.replace and _pod_exists(pods_db, pod.name):
                raise ConflictError(f"adding pod to state: name {pod.name!r} is in use: pod "
                                    "already exists (use --replace)")
            _check_host_paths(pod)
        if opts.replace:
            for pod in plan.pods:
                _remove_pod(eng, pod.name)
        made = _Made()
        try:
            volumes = _make_volumes(eng, plan.volumes, plan.volume_options, made)
            service = ""
            if opts.service_container and plan.pods:
                service = _make_service(eng, text, opts.replace, made)
            reports = [_make_pod(eng, _pod_flags(pod, opts.extra, i), opts, made,
                                 plan.warnings, service) for i, pod in enumerate(plan.pods)]
            if opts.start:
                for pod in plan.pods:
                    pod_ops.start(eng, pod.name)
        except BaseException:
            made.undo(eng)
            raise
        if service:
            _notify_ready(eng, service)
        return PlayReport(reports, volumes, plan.warnings)


def _make_service(eng: Engine, text: str, replace: bool, made: _Made) -> str:
    """--service-container: made before the pods, which name it (Podman 4.3's order)."""
    from supervisor.api.containers import CreateRequest, create_in
    from supervisor.pods import service

    name = service.name_for(text)
    if replace:
        with contextlib.suppress(NotFoundError):
            eng.remove(name, force=True)
    opts = service.options(eng.paths.root, eng.store, name)
    cid = create_in(eng, CreateRequest(opts)).id
    made.containers.append(cid)
    return cid


def _notify_ready(eng: Engine, cid: str) -> None:
    """Podman's: a Type=notify unit running `kube play --service-container` follows the
    service container's monitor from now on."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return
    from units.notify import sd_notify

    row = eng.store.get_container(cid)
    if row is not None and row.monitor_pid:
        with contextlib.suppress(OSError):  # a unit that cannot hear us times out on its own
            sd_notify(f"MAINPID={row.monitor_pid}\nREADY=1")


@dataclass
class _Made:
    pods: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    def undo(self, eng: Engine) -> None:
        from supervisor.volumes.db import VolumeDB

        for name in self.pods[::-1]:
            with contextlib.suppress(Exception):
                _remove_pod(eng, name)
        for cid in self.containers:  # the service container, when no pod was made
            with contextlib.suppress(Exception):
                eng.remove(cid, force=True)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        for f in self.files:
            with contextlib.suppress(OSError):
                os.rmdir(f) if os.path.isdir(f) else os.unlink(f)
        from supervisor.volumes import local

        db = VolumeDB(eng.store)
        for v in self.volumes:
            with contextlib.suppress(Exception):
                local.remove(eng.paths, db, v)


def _pod_exists(db: PodDB, name: str) -> bool:
    try:
        db.find(name)
    except NotFoundError:
        return False
    return True


def _check_host_paths(pod: PodPlan) -> None:
    import stat

    checks = {"Directory": stat.S_ISDIR, "File": stat.S_ISREG, "Socket": stat.S_ISSOCK,
              "CharDevice": stat.S_ISCHR, "BlockDevice": stat.S_ISBLK}
    for hp in pod.host_paths:
        test = checks.get(hp.type)
        if test is None:
            continue
        try:
            ok = test(os.stat(hp.path).st_mode)
        except OSError:
            ok = False
        if not ok:
            raise UsageError(f"kube: hostPath {hp.path!r} is not a {hp.type} (hostPath.type)")


def _make_volumes(eng: Engine, names: list[str], options: dict[str, dict[str, str]],
                  made: _Made) -> list[str]:
    from supervisor.volumes import local
    from supervisor.volumes.db import Volume, VolumeDB
    from supervisor.volumes.use import now

    db = VolumeDB(eng.store)
    out = []
    for name in names:
        opts = dict(options.get(name, {}))
        driver = opts.pop("driver", "local")
        local.check_options(driver, opts)
        if db.find(name) is None:
            vol = db.add(Volume(name, now(), driver, {}, opts), ignore=True)
            made.volumes.append(name)
            local.make(eng.paths, vol)
            out.append(name)
    return out


def _make_dirs(eng: Engine, pod: PodPlan, made: _Made) -> None:
    base = os.path.join(_kube_dir(eng), pod.name)
    for hp in pod.host_paths:
        if hp.type == "DirectoryOrCreate" and not os.path.exists(hp.path):
            os.makedirs(hp.path, 0o755)
            made.files.append(hp.path)
        elif hp.type == "FileOrCreate" and not os.path.exists(hp.path):
            os.makedirs(os.path.dirname(hp.path), 0o755, exist_ok=True)
            with open(hp.path, "x"):
                made.files.append(hp.path)
    if not pod.dirs:
        return
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(_kube_dir(eng), 0o700, exist_ok=True)
    os.makedirs(base, 0o755)
    made.dirs.append(base)
    for d in pod.dirs:
        vdir = os.path.join(base, d.name)
        os.makedirs(vdir, 0o755)
        for fname, data in d.files.items():
            path = os.path.join(vdir, fname)
            os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)


def _make_pod(eng: Engine, pod: PodPlan, opts: PlayOptions, made: _Made,
              warnings: list[str], service: str = "") -> PodReport:
    from dataclasses import replace

    from supervisor.api.containers import CreateRequest, create_in
    from supervisor.pods import ops as pod_ops

    _make_dirs(eng, pod, made)
    request = replace(pod.request, service_container=service)
    row = pod_ops.create(eng, request, lambda o: create_in(eng, CreateRequest(o)))
    made.pods.append(pod.name)
    for init in pod.init_containers:
        _run_init(eng, row.id, pod.name, init.name,
                  replace(init.options, auto_remove=True, restart="no", network=""))
    ids = []
    for ctr in pod.containers:
        options = _container_flags(ctr.options, opts.extra)
        if opts.log_driver:
            options = replace(options, log_driver=opts.log_driver)
        # Podman 4.3's kube play: the containers ignore a unit's NOTIFY_SOCKET (with
        # --service-container, play itself says READY)
        options = replace(options, network="", sdnotify="ignore",
                          labels=_unit_label(options.labels))
        ids.append(create_in(eng, CreateRequest(options, pod=row.id)).id)
    return PodReport(row.id, ids)


def _unit_label(labels: dict[str, str]) -> dict[str, str]:
    """Podman's: played by a unit (podman-kube@.service sets PODMAN_SYSTEMD_UNIT), the
    containers carry its name, which `auto-update` restarts (as `create` does)."""
    from supervisor.autoupdate import UNIT_LABEL

    unit = os.environ.get(UNIT_LABEL, "")
    return {UNIT_LABEL: unit, **labels} if unit else labels


def _build_images(eng: Engine, pods: list[PodPlan], context: str) -> None:
    """--build: an image that has a directory of its name holding a Containerfile (or
    Dockerfile) in the context directory is built from it and tagged with the image's name
    first, as Podman's (the build's lines on stdout)."""
    from supervisor.api.build import BuildRequest, build_in

    done: set[str] = set()
    for pod in pods:
        for ctr in pod.containers:
            image = ctr.options.image
            base = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
            directory = os.path.join(context, base)
            if image in done or not any(os.path.isfile(os.path.join(directory, f))
                                        for f in ("Containerfile", "Dockerfile")):  # fmt: skip
                continue
            done.add(image)
            build_in(eng, BuildRequest(directory, tags=(image,)), 1)


def _pod_flags(pod: PodPlan, extra: PlayExtra, index: int) -> PodPlan:
    """--no-hosts, --userns, and the pod's --ip/--mac-address (the i-th of each, Podman's
    order): a static address needs a network, the default bridge unless one is named."""
    from dataclasses import replace

    req = replace(pod.request, no_hosts=pod.request.no_hosts or extra.no_hosts,
                  userns=extra.userns or pod.request.userns)
    ip = extra.ips[index] if index < len(extra.ips) else ""
    mac = extra.macs[index] if index < len(extra.macs) else ""
    if ip or mac:
        req = replace(req, ip=ip, mac=mac, network=req.network or "bridge")
    return replace(pod, request=req)


_SECCOMP_KEYS = ("container.seccomp.security.alpha.kubernetes.io",  # this container's
                 "seccomp.security.alpha.kubernetes.io/pod")


def _container_flags(options: CreateOptions, extra: PlayExtra) -> CreateOptions:
    """--annotation, --log-opt, the registry flags; and the seccomp profile the annotations
    name (`localhost/FILE` under --seccomp-profile-root, `unconfined`), as Podman 4.3."""
    from dataclasses import replace

    from supervisor.runflags import parse_annotations

    given = parse_annotations(list(extra.annotations))
    runflags = replace(options.runflags,
                       annotations=[*options.runflags.annotations,
                                    *(f"{k}={v}" for k, v in given.items())])
    options = replace(options, runflags=runflags, log_opts={**options.log_opts, **extra.log_opts},
                      tls_verify=extra.tls_verify, creds=extra.creds, authfile=extra.authfile,
                      cert_dir=extra.cert_dir)
    mine = dict(a.partition("=")[::2] for a in options.runflags.annotations)
    profile = next((mine[k] for k in _SECCOMP_KEYS if k in mine), "")
    if profile.startswith("localhost/"):
        root = extra.seccomp_root or "/var/lib/kubelet/seccomp"
        path = os.path.join(root, profile.removeprefix("localhost/"))
        options = replace(options, security_opt=[*options.security_opt, f"seccomp={path}"])
    elif profile == "unconfined":
        options = replace(options, security_opt=[*options.security_opt, "seccomp=unconfined"])
    return options


def _run_init(eng: Engine, pod_id: str, pod: str, name: str, options: CreateOptions) -> None:
    """An init container, run to completion in the pod's namespaces (its infra starts first);
    removed after (--rm). A failure stops the play: what it made is removed."""
    from supervisor.api.containers import CreateRequest, create_in

    cid = create_in(eng, CreateRequest(options, pod=pod_id)).id
    eng.start(cid)
    code = eng.wait(cid)
    # wait answers at the exit record, while the --rm cleanup may still run: the pod's start
    # must not find the container still listed (rm waits for that cleanup, then it is gone)
    with contextlib.suppress(NotFoundError):
        eng.remove(cid, force=True)
    if code != 0:
        raise StateError(f"kube: pod {pod}: init container {name} exited with code {code}")


def _remove_pod(eng: Engine, name: str) -> str | None:
    from supervisor.pods import ops as pod_ops

    try:
        pod = pod_ops.remove(eng, name, force=True, timeout=None)
    except NotFoundError:
        pod = None
    shutil.rmtree(os.path.join(_kube_dir(eng), name), ignore_errors=True)
    return pod.id if pod is not None else None


# down ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownReport:
    stopped: list[str]
    removed: list[str]


def down(settings: Settings, text: str) -> DownReport:
    """The pods these documents would make, stopped and removed with their containers and
    the directories play made for them; volumes (claims) are kept, as Podman keeps them."""
    from supervisor.kube import play as kp
    from supervisor.pods import ops as pod_ops
    from supervisor.pods.db import PodDB

    docs, _ = parse(text)
    names = kp.pod_names(docs)
    stopped, removed = [], []
    with session(settings) as eng:
        db = PodDB(eng.store)
        for name in names:
            if not _pod_exists(db, name):
                shutil.rmtree(os.path.join(_kube_dir(eng), name), ignore_errors=True)
                continue
            # Podman 4.3's kube down stops with a zero timeout (PodStopOptions{}): SIGKILL at
            # once. Every member first, so their monitors finish together, not in turn.
            for row in pod_ops.containers(eng, pod_ops.find(eng, name))[::-1]:
                if row.status.is_active:
                    with contextlib.suppress(ScopeboxError):
                        eng.kill(row.id, "SIGKILL")
            pod = pod_ops.stop(eng, name, timeout=0)
            stopped.append(pod.id)
        for name in names:
            pid = _remove_pod(eng, name)
            if pid:
                removed.append(pid)
    return DownReport(stopped, removed)
