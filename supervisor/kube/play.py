"""`play kube`: Kubernetes documents into a plan of pods, containers and volumes to make.
Pure: the documents come loaded (`yamlio`), the plan is data the API carries out. Every
field is type-checked (a wrong type is one error naming its path); every kind or field that is
not honoured is a warning naming it (Podman ignores them silently)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from supervisor.errors import UsageError
from supervisor.health import HealthFlags
from supervisor.options import CreateOptions, RunFlagOptions
from supervisor.pods.ops import PodCreateRequest
from supervisor.resources import ResourceOptions


class KubeError(UsageError):
    """The documents ask for something wrong or impossible; nothing was made."""


_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,199}$")
_ENV = re.compile(r"^[^=\x00-\x1f]+$")
RESTART = {"Always": "always", "OnFailure": "on-failure", "Never": "no"}
PULL = {"Always": "always", "IfNotPresent": "missing", "Never": "never"}
HOSTPATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                  "CharDevice", "BlockDevice")
# What each level honours; anything else is warned about. (Fields written by generators
# and meaningless on one host, such as creationTimestamp, are accepted quietly.)
POD_SPEC = {"containers", "initContainers", "volumes", "hostname", "hostNetwork",
            "restartPolicy", "shareProcessNamespace", "hostAliases", "dnsConfig",
            "automountServiceAccountToken", "enableServiceLinks"}
CONTAINER = {"name", "image", "command", "args", "env", "envFrom", "workingDir", "ports",
             "resources", "securityContext", "volumeMounts", "tty", "stdin", "imagePullPolicy",
             "terminationMessagePath", "terminationMessagePolicy", "livenessProbe"}
PROBE = {"exec", "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold",
         "successThreshold"}
SECURITY = {"capabilities", "privileged", "runAsUser", "runAsGroup", "readOnlyRootFilesystem"}
METADATA = {"name", "labels", "annotations", "creationTimestamp", "namespace"}
MAX_CONTAINERS = 100  # per pod, init containers included: a file cannot ask for thousands


@dataclass(frozen=True)
class HostPath:
    """A hostPath volume: made (`*OrCreate`) or checked before anything else is made."""

    path: str
    type: str = ""


@dataclass(frozen=True)
class DirVolume:
    """configMap, secret and emptyDir volumes: a directory of the pod's, under
    `<root>/kube/<pod>/<volume>`, written at play and removed by `--down`."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class CtrPlan:
    name: str  # the Kubernetes name (the container is POD-NAME)
    options: CreateOptions


@dataclass(frozen=True)
class PodPlan:
    name: str
    request: PodCreateRequest
    containers: tuple[CtrPlan, ...]
    dirs: tuple[DirVolume, ...] = ()
    host_paths: tuple[HostPath, ...] = ()
    # run one after the other to completion (removed then: Podman's "once" type) before the
    # containers are made
    init_containers: tuple[CtrPlan, ...] = ()


@dataclass
class Plan:
    pods: list[PodPlan] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)  # PersistentVolumeClaims
    warnings: list[str] = field(default_factory=list)
    # a claim's Podman annotations: its volume's --opt (driver under "driver")
    volume_options: dict[str, dict[str, str]] = field(default_factory=dict)


# typed access ------------------------------------------------------------------------------

_TYPES = {str: "a string", int: "an integer", bool: "a boolean", dict: "a mapping",
          list: "a list"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    for t, name in _TYPES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def want(value: Any, typ: type, path: str) -> Any:
    if type(value) is not typ:
        raise KubeError(f"kube: {path}: expected {_TYPES[typ]}, got {_type_name(value)}")
    return value


def get(doc: dict[str, Any], key: str, typ: type, path: str, default: Any = None) -> Any:
    if key not in doc or doc[key] is None:
        return default
    return want(doc[key], typ, f"{path}.{key}")


def _strings(doc: dict[str, Any], key: str, path: str) -> list[str]:
    items = get(doc, key, list, path, [])
    return [want(v, str, f"{path}.{key}[{i}]") for i, v in enumerate(items)]


def _string_map(doc: dict[str, Any], key: str, path: str) -> dict[str, str]:
    items = get(doc, key, dict, path, {})
    return {want(k, str, f"{path}.{key}"): want(v, str, f"{path}.{key}.{k}")
            for k, v in items.items()}


def _unknown(doc: dict[str, Any], known: set[str], path: str, where: str,
             warnings: list[str]) -> None:
    for key in doc:
        if key not in known:
            warnings.append(f"{where}: {path}.{key} is not supported: ignored")


def _name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise KubeError(f"kube: invalid {what} name {value!r}: names are "
                        "[a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 200 characters)")
    return value


# quantities --------------------------------------------------------------------------------

_SUFFIX = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50,
           "Ei": 1 << 60}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def memory_bytes(value: Any, path: str) -> int:
    text = str(value) if type(value) in (int, str) else want(value, str, path)
    m = _QUANTITY.match(text)
    if not m or m.group(2) == "m":
        raise KubeError(f"kube: {path}: invalid memory quantity {text!r}")
    return int(float(m.group(1)) * _SUFFIX[m.group(2) or ""])


def cpus(value: Any, path: str) -> str:
    if type(value) in (int, float):
        return str(value)
    text = want(value, str, path)
    m = _QUANTITY.match(text)
    if not m or m.group(2) not in (None, "m"):
        raise KubeError(f"kube: {path}: invalid cpu quantity {text!r}")
    number = float(m.group(1))
    return f"{number / 1000:g}" if m.group(2) == "m" else f"{number:g}"


# ConfigMaps and Secrets --------------------------------------------------------------------


@dataclass
class Sources:
    configmaps: dict[str, dict[str, bytes]] = field(default_factory=dict)
    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)


def _configmap(doc: dict[str, Any], name: str, path: str) -> dict[str, bytes]:
    out = {k: v.encode() for k, v in _string_map(doc, "data", path).items()}
    for k, v in _string_map(doc, "binaryData", path).items():
        out[k] = _b64(v, f"{path}.binaryData.{k}")
    return out


def _secret(doc: dict[str, Any], path: str) -> dict[str, bytes]:
    out = {k: _b64(v, f"{path}.data.{k}") for k, v in _string_map(doc, "data", path).items()}
    out.update({k: v.encode() for k, v in _string_map(doc, "stringData", path).items()})
    return out


def _b64(value: str, path: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KubeError(f"kube: {path}: not valid base64") from None


def _lookup(src: dict[str, dict[str, bytes]], kind: str, name: str, key: str | None,
            optional: bool, path: str) -> dict[str, bytes] | None:
    data = src.get(name)
    if data is None or (key is not None and key not in data):
        if optional:
            return None
        what = f"{kind} {name!r}" + (f" has no key {key!r}" if data is not None else " not found")
        raise KubeError(f"kube: {path}: {what}")
    return data


# containers --------------------------------------------------------------------------------


def _env(c: dict[str, Any], path: str, src: Sources, where: str,
         warnings: list[str]) -> list[str]:
    out: list[str] = []
    for i, e in enumerate(get(c, "envFrom", list, path, [])):
        p = f"{path}.envFrom[{i}]"
        want(e, dict, p)
        prefix = get(e, "prefix", str, p, "")
        for key, kind, table in (("configMapRef", "configmap", src.configmaps),
                                 ("secretRef", "secret", src.secrets)):
            ref = get(e, key, dict, p)
            if ref is None:
                continue
            name = get(ref, "name", str, f"{p}.{key}", "")
            data = _lookup(table, kind, name, None, get(ref, "optional", bool, p, False),
                           f"{p}.{key}")
            out += [f"{prefix}{k}={v.decode(errors='replace')}" for k, v in (data or {}).items()]
    for i, e in enumerate(get(c, "env", list, path, [])):
        p = f"{path}.env[{i}]"
        want(e, dict, p)
        name = get(e, "name", str, p, "")
        if not _ENV.match(name):
            raise KubeError(f"kube: {p}.name: invalid environment variable name {name!r}")
        if "valueFrom" in e:
            value = _value_from(get(e, "valueFrom", dict, p, {}), f"{p}.valueFrom", src, where,
                                warnings)
            if value is not None:
                out.append(f"{name}={value}")
            continue
        value = e.get("value", "")
        out.append(f"{name}={'' if value is None else want(value, str, f'{p}.value')}")
    return out


def _value_from(vf: dict[str, Any], path: str, src: Sources, where: str,
                warnings: list[str]) -> str | None:
    for key, kind, table in (("configMapKeyRef", "configmap", src.configmaps),
                             ("secretKeyRef", "secret", src.secrets)):
        ref = get(vf, key, dict, path)
        if ref is not None:
            p = f"{path}.{key}"
            name, k = get(ref, "name", str, p, ""), get(ref, "key", str, p, "")
            data = _lookup(table, kind, name, k, get(ref, "optional", bool, p, False), p)
            return None if data is None else data[k].decode(errors="replace")
    warnings.append(f"{where}: {path} ({', '.join(vf)}) is not supported: variable left out")
    return None


def _security(c: dict[str, Any], path: str, where: str,
              warnings: list[str]) -> dict[str, Any]:
    sec = get(c, "securityContext", dict, path, {})
    p = f"{path}.securityContext"
    _unknown(sec, SECURITY, p, where, warnings)
    caps = get(sec, "capabilities", dict, p, {})
    out: dict[str, Any] = {
        "cap_add": _strings(caps, "add", f"{p}.capabilities"),
        "cap_drop": _strings(caps, "drop", f"{p}.capabilities"),
        "privileged": get(sec, "privileged", bool, p, False),
        "read_only": get(sec, "readOnlyRootFilesystem", bool, p, False),
    }
    uid, gid = get(sec, "runAsUser", int, p), get(sec, "runAsGroup", int, p)
    if uid is not None:
        out["user"] = f"{uid}:{gid}" if gid is not None else str(uid)
    elif gid is not None:
        warnings.append(f"{where}: {p}.runAsGroup without runAsUser is not supported: ignored")
    return out


def _resources(c: dict[str, Any], path: str, where: str,
               warnings: list[str]) -> ResourceOptions:
    res = get(c, "resources", dict, path, {})
    p = f"{path}.resources"
    _unknown(res, {"limits", "requests"}, p, where, warnings)
    limits = get(res, "limits", dict, p, {})
    _unknown(limits, {"memory", "cpu"}, f"{p}.limits", where, warnings)
    if get(res, "requests", dict, p, {}):
        warnings.append(f"{where}: {p}.requests is not supported (only limits): ignored")
    memory = (str(memory_bytes(limits["memory"], f"{p}.limits.memory"))
              if "memory" in limits else None)
    cpu = cpus(limits["cpu"], f"{p}.limits.cpu") if "cpu" in limits else None
    return ResourceOptions(memory=memory, cpus=cpu)


def _ports(c: dict[str, Any], path: str, where: str, warnings: list[str]) -> list[str]:
    out = []
    for i, port in enumerate(get(c, "ports", list, path, [])):
        p = f"{path}.ports[{i}]"
        want(port, dict, p)
        _unknown(port, {"containerPort", "hostPort", "hostIP", "protocol", "name"}, p, where,
                 warnings)
        cport = get(port, "containerPort", int, p)
        host = get(port, "hostPort", int, p, 0)
        proto = get(port, "protocol", str, p, "TCP").lower()
        ip = get(port, "hostIP", str, p, "")
        if cport is None or not 0 < cport < 65536 or not 0 <= host < 65536:
            raise KubeError(f"kube: {p}: a port is a number from 1 to 65535")
        if proto not in ("tcp", "udp", "sctp"):
            raise KubeError(f"kube: {p}.protocol: {proto!r} is not TCP, UDP or SCTP")
        # Podman 4.3 (not Kubernetes): a containerPort alone is published on the same host
        # port (its 700-play.bats "hostport")
        host = host or cport
        if ip and not re.match(r"^[0-9a-fA-F.:]+$", ip):
            raise KubeError(f"kube: {p}.hostIP: invalid address {ip!r}")
        addr = f"[{ip}]" if ":" in ip else ip
        out.append(f"{addr + ':' if ip else ''}{host}:{cport}/{proto}")
    return out


def _mounts(c: dict[str, Any], path: str, volumes: dict[str, str], where: str,
            warnings: list[str]) -> list[str]:
    out = []
    for i, m in enumerate(get(c, "volumeMounts", list, path, [])):
        p = f"{path}.volumeMounts[{i}]"
        want(m, dict, p)
        _unknown(m, {"name", "mountPath", "readOnly"}, p, where, warnings)
        name = get(m, "name", str, p, "")
        dest = get(m, "mountPath", str, p, "")
        if name not in volumes:
            raise KubeError(f"kube: {p}.name: no volume {name!r} in the pod's volumes")
        # Podman's extension: `mountPath: /dir:z` (options after the path: z, Z, ro, rw)
        dest, _, opt_text = dest.partition(":")
        opts = [o for o in opt_text.split(",") if o] if opt_text else []
        if not dest.startswith("/") or any(ch in dest for ch in "\0\n,") or any(
                o not in ("z", "Z", "ro", "rw") for o in opts):  # fmt: skip
            raise KubeError(f"kube: {p}.mountPath: invalid path {m.get('mountPath')!r}")
        ro = (get(m, "readOnly", bool, p, False) or volumes[name].endswith(":ro")
              or "ro" in opts)  # fmt: skip
        source = volumes[name].removesuffix(":ro")
        labels = [o for o in opts if o in ("z", "Z")]
        out.append(f"{source}:{dest}:" + ",".join((["ro"] if ro else []) + labels)
                   if ro or labels else f"{source}:{dest}")
    return out


def _liveness(c: dict[str, Any], path: str, where: str, warnings: list[str]) -> HealthFlags:
    """A liveness probe as the monitor's healthcheck; its failure restarts the container
    (Kubernetes' meaning). Only `exec` probes: others are warned about."""
    import json

    p = f"{path}.livenessProbe"
    probe = get(c, "livenessProbe", dict, path)
    if probe is None:
        return HealthFlags()
    _unknown(probe, PROBE, p, where, warnings)
    command = _strings(get(probe, "exec", dict, p, {}), "command", f"{p}.exec")
    if not command:
        return HealthFlags()

    def seconds(key: str, default: int) -> str:
        value = get(probe, key, int, p, default)
        if value < 0:
            raise KubeError(f"kube: {p}.{key}: must not be negative")
        return f"{value}s"

    return HealthFlags(cmd=json.dumps(["CMD", *command]), interval=seconds("periodSeconds", 10),
                       timeout=seconds("timeoutSeconds", 1),
                       start_period=seconds("initialDelaySeconds", 0),
                       retries=get(probe, "failureThreshold", int, p, 3), on_failure="restart")


def _container(c: Any, path: str, pod: str, ctx: _PodContext) -> CtrPlan:
    want(c, dict, path)
    where, warnings = ctx.where, ctx.warnings
    _unknown(c, CONTAINER, path, where, warnings)
    name = _name(get(c, "name", str, path, ""), "container")
    image = get(c, "image", str, path, "")
    if not image or any(ch.isspace() or ch == "\0" for ch in image):
        raise KubeError(f"kube: {path}.image: invalid image {image!r}")
    command, args = _strings(c, "command", path), _strings(c, "args", path)
    sec = _security(c, path, where, warnings)
    annotations = ctx.annotations.get(name, {})
    flags = RunFlagOptions(init=annotations.pop("io.podman.annotations.init", "") == "TRUE",
                           annotations=[f"{k}={v}" for k, v in annotations.items()])
    # Podman's: the auto-update annotations (the pod's, or KEY/CONTAINER's) are the
    # container's labels too, which `auto-update` reads
    labels = {k: v for k, v in annotations.items() if k in AUTOUPDATE_KEYS}
    policy = get(c, "imagePullPolicy", str, path, "IfNotPresent")
    if policy not in PULL:
        raise KubeError(f"kube: {path}.imagePullPolicy: {policy!r} is not Always, "
                        "IfNotPresent or Never")
    workdir = get(c, "workingDir", str, path)
    if workdir is not None and (not workdir.startswith("/") or not workdir.isprintable()):
        raise KubeError(f"kube: {path}.workingDir: {workdir!r} is not an absolute path")
    opts = CreateOptions(
        image=image,
        entrypoint=command or None,
        command=args,
        name=_name(f"{pod}-{name}", "container"),
        labels=labels,
        env=_env(c, path, ctx.sources, where, warnings),
        workdir=workdir,
        user=sec.pop("user", None),
        volumes=_mounts(c, path, ctx.volumes, where, warnings),
        tty=get(c, "tty", bool, path, False),
        interactive=get(c, "stdin", bool, path, False),
        resources=_resources(c, path, where, warnings),
        restart=ctx.restart,
        pull=PULL[policy],
        runflags=flags,
        network=ctx.network,
        health=_liveness(c, path, where, warnings),
        # misc (issue 19): Podman 4.3's kube play passes no proxy variables and mounts no
        # tmpfs on a read-only root (its specgen defaults, not run's flags)
        read_only_tmpfs=False,
        http_proxy=False,
        **sec,
    )
    ctx.ports += _ports(c, path, where, warnings)
    return CtrPlan(name, opts)


# pods --------------------------------------------------------------------------------------


@dataclass
class _PodContext:
    where: str
    warnings: list[str]
    sources: Sources
    volumes: dict[str, str]  # volume name -> -v source (":ro" for read-only kinds)
    annotations: dict[str, dict[str, str]]  # container -> its annotations
    restart: str = "no"
    network: str = ""
    ports: list[str] = field(default_factory=list)


def _volumes(spec: dict[str, Any], path: str, pod: str, kube_dir: str, src: Sources,
             where: str, warnings: list[str]) -> tuple[
                 dict[str, str], list[DirVolume], list[HostPath], list[str]]:
    sources: dict[str, str] = {}
    dirs, host_paths, claims = [], [], []
    for i, v in enumerate(get(spec, "volumes", list, path, [])):
        p = f"{path}.volumes[{i}]"
        want(v, dict, p)
        name = _name(get(v, "name", str, p, ""), "volume")
        kinds = [k for k in v if k != "name"]
        if len(kinds) != 1:
            raise KubeError(f"kube: {p}: a volume has exactly one source, not {kinds}")
        kind = kinds[0]
        body = get(v, kind, dict, p, {})
        q = f"{p}.{kind}"
        if kind == "hostPath":
            hp = get(body, "path", str, q, "")
            htype = get(body, "type", str, q, "")
            if htype not in HOSTPATH_TYPES:
                raise KubeError(f"kube: {q}.type: {htype!r} is not supported")
            if "/" not in hp:  # Podman: a hostPath without a slash names a volume
                sources[name] = _name(hp, "volume")
                claims.append(hp)
                continue
            if not hp.startswith("/") or any(ch in hp for ch in ":\0\n,"):
                raise KubeError(f"kube: {q}.path: invalid path {hp!r}")
            sources[name] = hp
            host_paths.append(HostPath(hp, htype))
        elif kind == "persistentVolumeClaim":
            claim = _name(get(body, "claimName", str, q, ""), "volume")
            sources[name] = claim + (":ro" if get(body, "readOnly", bool, q, False) else "")
            claims.append(claim)
        elif kind == "emptyDir":
            if get(body, "medium", str, q, ""):
                warnings.append(f"{where}: {q}.medium is not supported (a directory on "
                                "disk): ignored")
            dirs.append(DirVolume(name))
            sources[name] = f"{kube_dir}/{pod}/{name}"
        elif kind in ("configMap", "secret"):
            key = "name" if kind == "configMap" else "secretName"
            ref = get(body, key, str, q, "")
            table = src.configmaps if kind == "configMap" else src.secrets
            data = _lookup(table, kind.lower(), ref, None, get(body, "optional", bool, q, False),
                           q) or {}
            items = get(body, "items", list, q, None)
            if items is not None:
                picked = {}
                for j, item in enumerate(items):
                    ip = f"{q}.items[{j}]"
                    want(item, dict, ip)
                    k, dest = get(item, "key", str, ip, ""), get(item, "path", str, ip, "")
                    if k not in data:
                        raise KubeError(f"kube: {ip}.key: {kind} {ref!r} has no key {k!r}")
                    picked[dest] = data[k]
                data = picked
            for fname in data:
                if not fname or fname.startswith("/") or ".." in fname.split("/") or "\0" in fname:
                    raise KubeError(f"kube: {q}: invalid file name {fname!r}")
            dirs.append(DirVolume(name, dict(data)))
            sources[name] = f"{kube_dir}/{pod}/{name}:ro"
        else:
            raise KubeError(f"kube: {p}: volume type {kind!r} is not supported (hostPath, "
                            "emptyDir, persistentVolumeClaim, configMap, secret)")
    return sources, dirs, host_paths, claims


MAX_ANNOTATION = 63  # Podman's define.MaxKubeAnnotation


def _go_quote(text: str) -> str:
    """Go's %q of a string, near enough: JSON's quoting, non-ASCII kept."""
    import json

    return json.dumps(text, ensure_ascii=False)


# auto-update's policy and authfile: annotations that become labels (Podman 4.3's play)
AUTOUPDATE_KEYS = ("io.containers.autoupdate", "io.containers.autoupdate.authfile")
# Podman's own annotations that say nothing play kube must do (the rest it warns about)
PODMAN_QUIET = {"io.podman.annotations.privileged",  # securityContext.privileged says it
                "io.podman.annotations.init.container.type"}  # see pod_plan


def _annotations(meta: dict[str, Any], names: list[str], path: str, where: str,
                 warnings: list[str]) -> dict[str, dict[str, str]]:
    """Podman's `KEY/CONTAINER` annotations back to each container's; others to every one.
    Podman's own bookkeeping keys (io.kubernetes.cri-o.*, the TRUE/FALSE ones) are left out,
    but for init; one asking for something (autoremove TRUE) is warned about."""
    out: dict[str, dict[str, str]] = {n: {} for n in names}
    items = _string_map(meta, "annotations", path).items()
    # a container's own KEY/CONTAINER wins over the pod's KEY, whichever comes first
    for key, value in sorted(items, key=lambda kv: kv[0].rpartition("/")[2] in out):
        if len(value) > MAX_ANNOTATION:  # Podman's check and words (Go's %q), before a pull
            raise KubeError(f"invalid annotation {_go_quote(key)}={_go_quote(value)} value"
                            f" length exceeds Kubernetetes max {MAX_ANNOTATION}")
        base, _, ctr = key.rpartition("/")
        targets = [ctr] if base and ctr in out else names
        base = base if base and ctr in out else key
        if base.startswith("io.kubernetes.cri-o."):
            continue
        if base.startswith("io.podman.annotations.") and base != "io.podman.annotations.init":
            if base not in PODMAN_QUIET and value.upper() != "FALSE":
                warnings.append(f"{where}: annotation {key}={value} is not supported: ignored")
            continue
        for t in targets:
            out[t][base] = value
    return out


def pod_plan(name: str, meta: dict[str, Any], spec: dict[str, Any], path: str, kube_dir: str,
             src: Sources, warnings: list[str], network: str = "") -> tuple[PodPlan, list[str]]:
    name = _name(name, "pod")
    where = f"pod {name}"
    _unknown(spec, POD_SPEC, path, where, warnings)
    _unknown(meta, METADATA, "metadata", where, warnings)
    namespace = get(meta, "namespace", str, "metadata", "default")
    if namespace != "default":
        warnings.append(f"{where}: metadata.namespace {namespace!r}: one host has no "
                        "namespaces: ignored")
    inits = get(spec, "initContainers", list, path, [])
    if meta.get("annotations", {}) and any(
            k.startswith("io.podman.annotations.init.container.type") and v != "once"
            for k, v in _string_map(meta, "annotations", "metadata").items()):
        warnings.append(f"{where}: init container type 'always' is not supported: they run "
                        "once, when play kube starts the pod")
    containers = get(spec, "containers", list, path, [])
    if len(containers) + len(inits) > MAX_CONTAINERS:
        raise KubeError(f"kube: {where}: more than {MAX_CONTAINERS} containers in one pod")
    if not containers:
        raise KubeError(f"kube: {where}: {path}.containers: a pod needs at least one container")
    volumes, dirs, host_paths, claims = _volumes(spec, path, name, kube_dir, src, where,
                                                 warnings)
    policy = get(spec, "restartPolicy", str, path, "Always")
    if policy not in RESTART:
        raise KubeError(f"kube: {path}.restartPolicy: {policy!r} is not Always, OnFailure or "
                        "Never")
    host_net = get(spec, "hostNetwork", bool, path, False)
    names = [want(c, dict, f"{path}.containers[{i}]").get("name") for i, c in
             enumerate(containers)]
    names += [want(c, dict, f"{path}.initContainers[{i}]").get("name") for i, c in
              enumerate(inits)]
    ctx = _PodContext(where, warnings, src, volumes,
                      _annotations(meta, [n for n in names if isinstance(n, str)], "metadata",
                                   where, warnings),
                      RESTART[policy], "host" if host_net else "")
    init_plans = [_container(c, f"{path}.initContainers[{i}]", name, ctx)
                  for i, c in enumerate(inits)]
    plans = [_container(c, f"{path}.containers[{i}]", name, ctx)
             for i, c in enumerate(containers)]
    if len({p.name for p in plans + init_plans}) != len(plans + init_plans):
        raise KubeError(f"kube: {where}: two containers have one name")
    share = "ipc,net,uts" + (",pid" if get(spec, "shareProcessNamespace", bool, path, False)
                             else "")
    hosts = []
    for i, alias in enumerate(get(spec, "hostAliases", list, path, [])):
        p = f"{path}.hostAliases[{i}]"
        ip = get(want(alias, dict, p), "ip", str, p, "")
        hosts += [f"{h}:{ip}" for h in _strings(alias, "hostnames", p)]
    dns_cfg = get(spec, "dnsConfig", dict, path, {})
    _unknown(dns_cfg, {"nameservers"}, f"{path}.dnsConfig", where, warnings)
    hostname = get(spec, "hostname", str, path, "")
    request = PodCreateRequest(
        # a Kubernetes pod always has a network: published ports need a bridge even where
        # containers.conf's default is none
        name=name, publish=tuple(ctx.ports),
        network=network or ("host" if host_net else "bridge" if ctx.ports else ""),
        share=share, hostname=hostname, add_hosts=tuple(hosts),
        dns=tuple(_strings(dns_cfg, "nameservers", f"{path}.dnsConfig")),
        labels=_string_map(meta, "labels", "metadata"),
        exit_policy="stop",  # Podman 4.3: a played pod stops when its last container exits
    )
    return PodPlan(name, request, tuple(plans), tuple(dirs), tuple(host_paths),
                   tuple(init_plans)), claims


# documents ---------------------------------------------------------------------------------


def _meta(doc: dict[str, Any], i: int) -> tuple[dict[str, Any], str]:
    meta = get(doc, "metadata", dict, f"document {i + 1}", {})
    return meta, get(meta, "name", str, f"document {i + 1}.metadata", "")


def plan(docs: list[Any], kube_dir: str, network: str = "",
         configmaps: list[Any] | None = None) -> Plan:
    out = Plan()
    src = Sources()
    for i, doc in enumerate([*(configmaps or []), *docs]):
        want(doc, dict, f"document {i + 1}")
        kind = get(doc, "kind", str, f"document {i + 1}", "")
        meta, name = _meta(doc, i)
        if kind == "ConfigMap":
            src.configmaps[name] = _configmap(doc, name, f"ConfigMap {name}")
        elif kind == "Secret":
            src.secrets[name] = _secret(doc, f"Secret {name}")
    for i, doc in enumerate(docs):
        kind = doc.get("kind", "")
        meta, name = _meta(doc, i)
        spec = get(doc, "spec", dict, f"{kind} {name}", {})
        if kind == "Pod":
            pod, claims = pod_plan(name, meta, spec, "spec", kube_dir, src, out.warnings,
                                   network)
        elif kind == "Deployment":
            pod, claims = _deployment(name, spec, kube_dir, src, out.warnings, network)
        elif kind == "PersistentVolumeClaim":
            out.volumes.append(_name(name, "volume"))
            out.volume_options[name] = _claim_options(meta)
            continue
        elif kind in ("ConfigMap", "Secret"):
            continue
        else:
            out.warnings.append(f"kind {kind or '(none)'} {name}: not supported: ignored")
            continue
        out.pods.append(pod)
        out.volumes += [c for c in claims if c not in out.volumes]
    names = [p.name for p in out.pods]
    if len(set(names)) != len(names):
        raise KubeError("kube: two pods have one name")
    return out


_CLAIM_KEYS = {"volume.podman.io/driver": "driver", "volume.podman.io/mount-options": "o",
               "volume.podman.io/device": "device", "volume.podman.io/type": "type",
               "volume.podman.io/uid": "UID", "volume.podman.io/gid": "GID"}


def _claim_options(meta: dict[str, Any]) -> dict[str, str]:
    """What `generate kube` of a volume wrote back into the volume's options."""
    notes = _string_map(meta, "annotations", "metadata")
    return {_CLAIM_KEYS[k]: v for k, v in notes.items() if k in _CLAIM_KEYS}


def _deployment(name: str, spec: dict[str, Any], kube_dir: str, src: Sources,
                warnings: list[str], network: str) -> tuple[PodPlan, list[str]]:
    where = f"deployment {name}"
    _unknown(spec, {"replicas", "selector", "template"}, "spec", where, warnings)
    replicas = get(spec, "replicas", int, "spec", 1)
    if replicas != 1:
        warnings.append(f"{where}: spec.replicas {replicas}: one replica is made (as Podman)")
    template = get(spec, "template", dict, "spec", {})
    meta = get(template, "metadata", dict, "spec.template", {})
    pod_spec = get(template, "spec", dict, "spec.template", {})
    return pod_plan(f"{_name(name, 'deployment')}-pod", meta, pod_spec, "spec.template.spec",
                    kube_dir, src, warnings, network)


def pod_names(docs: list[Any]) -> list[str]:
    """`--down`: the pods these documents make (nothing else is checked)."""
    out = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            continue
        _, name = _meta(doc, i)
        if doc.get("kind") == "Pod":
            out.append(_name(name, "pod"))
        elif doc.get("kind") == "Deployment":
            out.append(f"{_name(name, 'deployment')}-pod")
    return out
