"""`generate kube`: containers and pods as Kubernetes documents, the way Podman 4.3 writes
them (field names, the header, its name rules), as plain dicts. Pure: the input is what
`kube.source` read from the store."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

HEADER = """\
# Save the output of this file and use kubectl create -f to import
# it into Kubernetes.
#
# Created with scopebox-{version}
"""
# Podman's note, written when a pod has volumes (a document of its own, before the others).
VOLUME_NOTE = (
    "\n# NOTE: If you generated this yaml from an unprivileged and rootless podman container"
    " on an SELinux\n# enabled system, check the podman generate kube man page for steps to"
    " follow to ensure that your pod/container\n# has the right permissions to access the"
    " volumes added.\n"
)
MAX_ANNOTATION = 63  # Podman truncates annotation values to this (and says so)


@dataclass(frozen=True)
class Port:
    container_port: int
    host_port: int = 0  # 0: none fixed (a free one is chosen at each start)
    host_ip: str = ""
    proto: str = "tcp"


@dataclass(frozen=True)
class HostMount:
    source: str
    destination: str
    read_only: bool = False
    kind: str = "DirectoryOrCreate"  # hostPath.type: Directory, File, DirectoryOrCreate


@dataclass(frozen=True)
class NamedVolume:
    name: str
    destination: str
    read_only: bool = False


@dataclass(frozen=True)
class KubeCtr:
    """One container as the generator sees it."""

    name: str
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str = ""
    ports: tuple[Port, ...] = ()
    memory: int | None = None  # bytes
    cpu_milli: int | None = None
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    privileged: bool = False
    run_as_user: int | None = None
    run_as_group: int | None = None
    read_only: bool = False
    tty: bool = False
    stdin: bool = False
    annotations: dict[str, str] = field(default_factory=dict)
    binds: tuple[HostMount, ...] = ()
    volumes: tuple[NamedVolume, ...] = ()
    restart: str = "no"  # no | on-failure | always | unless-stopped
    hostname: str = ""  # "" when the container has the default one
    host_network: bool = False
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    probe: Probe | None = None  # the healthcheck, as a liveness probe


@dataclass(frozen=True)
class Probe:
    """A healthcheck: its argv (`CMD-SHELL` as `/bin/sh -c`) and Docker's durations in
    seconds."""

    command: tuple[str, ...]
    period: int = 0
    timeout: int = 0
    initial_delay: int = 0
    failures: int = 0


def probe(p: Probe) -> dict[str, Any]:
    doc: dict[str, Any] = {"exec": {"command": list(p.command)}}
    for key, value in (("initialDelaySeconds", p.initial_delay), ("periodSeconds", p.period),
                       ("timeoutSeconds", p.timeout), ("failureThreshold", p.failures)):
        if value > 0:
            doc[key] = value
    return doc


@dataclass(frozen=True)
class KubePod:
    name: str
    pod_id: str
    containers: tuple[KubeCtr, ...]
    labels: dict[str, str] = field(default_factory=dict)
    hostname: str = ""
    ports: tuple[Port, ...] = ()  # the infra's (published for the pod)
    share_net: bool = True
    share_pid: bool = False
    host_network: bool = False
    add_hosts: tuple[str, ...] = ()  # "name:ip"
    dns: tuple[str, ...] = ()


def remove_underscores(name: str) -> str:
    return name.replace("_", "")


def truncate(value: str) -> str:
    return value.strip()[:MAX_ANNOTATION]


def _ports(ports: tuple[Port, ...]) -> list[dict[str, Any]]:
    out = []
    for p in ports:
        doc: dict[str, Any] = {"containerPort": p.container_port}
        if p.host_port:
            doc["hostPort"] = p.host_port
        if p.host_ip:
            doc["hostIP"] = p.host_ip
        if p.proto != "tcp":
            doc["protocol"] = p.proto.upper()
        out.append(doc)
    return out


def quantity_memory(value: int) -> str:
    """Kubernetes' canonical form of a byte count: the largest binary suffix that divides it."""
    for suffix, size in (("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30),
                         ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if value and value % size == 0:
            return f"{value // size}{suffix}"
    return str(value)


def quantity_cpu(milli: int) -> str:
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def volume_name(source: str) -> str:
    """Podman's name for a bind mount's source: /mnt/data/ -> mnt-data, / -> root."""
    if source == "/":
        return "root"
    return source.strip("/").replace("/", "-")


def _security(c: KubeCtr) -> dict[str, Any]:
    sec: dict[str, Any] = {}
    if c.privileged:
        sec["privileged"] = True
    else:  # Podman writes the capabilities of every unprivileged container, `{}` when none
        caps: dict[str, Any] = {}
        if c.cap_add:
            caps["add"] = list(c.cap_add)
        if c.cap_drop:
            caps["drop"] = list(c.cap_drop)
        sec["capabilities"] = caps
    if c.read_only:
        sec["readOnlyRootFilesystem"] = True
    if c.run_as_user is not None:
        sec["runAsUser"] = c.run_as_user
        # Podman writes runAsGroup: 0 for a user given without a group, which changes the
        # group of a user whose passwd entry names another on the way back: scopebox writes
        # the group only when one was given (docs/DIFFERENCES.md)
        if c.run_as_group is not None:
            sec["runAsGroup"] = c.run_as_group
    return sec


def container(c: KubeCtr, in_pod: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A v1.Container and the pod volumes it needs. `in_pod`: Podman 4.3's pod path, which
    writes empty `resources` and `capabilities` objects."""
    doc: dict[str, Any] = {"name": remove_underscores(c.name), "image": c.image}
    if c.command:
        doc["command"] = list(c.command)
    if c.args:
        doc["args"] = list(c.args)
    if c.env:
        doc["env"] = [{"name": k, "value": v} for k, v in c.env]
    if c.workdir and c.workdir != "/":
        doc["workingDir"] = c.workdir
    if c.ports:
        doc["ports"] = _ports(c.ports)
    limits: dict[str, str] = {}
    if c.memory:
        limits["memory"] = quantity_memory(c.memory)
    if c.cpu_milli:
        limits["cpu"] = quantity_cpu(c.cpu_milli)
    if limits or in_pod:
        doc["resources"] = {"limits": limits} if limits else {}
    sec = _security(c)
    if sec:
        doc["securityContext"] = sec
    if c.probe is not None:  # Podman 4.3 writes none (docs/DIFFERENCES.md)
        doc["livenessProbe"] = probe(c.probe)
    if c.tty:
        doc["tty"] = True
    if c.stdin:
        doc["stdin"] = True
    mounts, volumes = [], []
    for i, b in enumerate(c.binds):
        name = f"{volume_name(b.source)}-host-{i}"
        mount: dict[str, Any] = {"mountPath": b.destination, "name": name}
        if b.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
        volumes.append({"name": name, "hostPath": {"path": b.source, "type": b.kind}})
    for v in c.volumes:
        name = f"{v.name}-pvc"
        mount = {"mountPath": v.destination, "name": name}
        claim: dict[str, Any] = {"claimName": v.name}
        if v.read_only:
            mount["readOnly"] = claim["readOnly"] = True
        mounts.append(mount)
        volumes.append({"name": name, "persistentVolumeClaim": claim})
    if mounts:
        doc["volumeMounts"] = mounts
    return doc, volumes


def _annotations(ctrs: tuple[KubeCtr, ...]) -> dict[str, str]:
    out = {}
    for c in ctrs:
        for k, v in c.annotations.items():
            out[f"{k}/{remove_underscores(c.name)}"] = truncate(v)
    return out


def _dedup(volumes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for v in volumes:
        seen.setdefault(v["name"], v)
    return list(seen.values())


def _pod_doc(name: str, created: str, annotations: dict[str, str], labels: dict[str, str],
             spec: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"creationTimestamp": created, "labels": labels, "name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _dns(servers: tuple[str, ...], searches: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if servers:
        out["nameservers"] = list(servers)
    if searches:
        out["searches"] = list(searches)
    return out


RESTART = {"always": "Always", "unless-stopped": "Always", "on-failure": "OnFailure",
           "no": "Never"}


def pod_of_containers(ctrs: tuple[KubeCtr, ...], created: str) -> dict[str, Any]:
    """Podman's `generate kube CONTAINER...`: one pod named after the first container
    (`-pod` added when that name is a container's)."""
    name = remove_underscores(ctrs[0].name) + "-pod"  # its own name is always a container's
    docs, volumes = [], []
    for c in ctrs:
        doc, vols = container(c, in_pod=False)
        docs.append(doc)
        volumes += vols
    spec: dict[str, Any] = {"automountServiceAccountToken": False, "containers": docs,
                            "enableServiceLinks": False}
    hostname = next((c.hostname for c in ctrs if c.hostname), "")
    if hostname:
        spec["hostname"] = hostname
    if all(c.host_network for c in ctrs):
        spec["hostNetwork"] = True
    # Podman 4.3 writes no restartPolicy for containers (only for pods): scopebox does when
    # one is set, so that play kube gives it back (docs/DIFFERENCES.md)
    restart = next((c.restart for c in ctrs if c.restart != "no"), "")
    if restart:
        spec["restartPolicy"] = RESTART[restart]
    dns = _dns(tuple(dict.fromkeys(s for c in ctrs for s in c.dns)),
               tuple(dict.fromkeys(s for c in ctrs for s in c.dns_search)))
    if dns:
        spec["dnsConfig"] = dns
    if volumes:
        spec["volumes"] = _dedup(volumes)
    return _pod_doc(name, created, _annotations(ctrs), {"app": name}, spec)


def pod_of_pod(pod: KubePod, created: str) -> dict[str, Any]:
    """Podman's `generate kube POD`: the members (the infra left out), the pod's published
    ports on the first member, the restart policy of the first member."""
    docs, volumes = [], []
    for i, c in enumerate(pod.containers):
        doc, vols = container(c, in_pod=True)
        if pod.share_net:
            doc.pop("ports", None)
            if i == 0 and pod.ports:
                doc["ports"] = _ports(pod.ports)
        docs.append(doc)
        volumes += vols
    spec: dict[str, Any] = {"automountServiceAccountToken": False, "containers": docs,
                            "enableServiceLinks": False}
    if pod.hostname:
        spec["hostname"] = pod.hostname
    if pod.host_network:
        spec["hostNetwork"] = True
    if pod.add_hosts:
        spec["hostAliases"] = [{"hostnames": [h.partition(":")[0]], "ip": h.partition(":")[2]}
                               for h in pod.add_hosts]
    if pod.dns:
        spec["dnsConfig"] = _dns(pod.dns, ())
    if pod.containers:
        spec["restartPolicy"] = RESTART.get(pod.containers[0].restart, "Never")
    if pod.share_pid:
        spec["shareProcessNamespace"] = True
    if volumes:
        spec["volumes"] = _dedup(volumes)
    labels = {**pod.labels, "app": remove_underscores(pod.name)}
    doc = _pod_doc(pod.name, created, _annotations(pod.containers), labels, spec)
    doc["status"] = {}
    return doc


def service(pod: dict[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
    """A NodePort Service for the pod's ports (node ports drawn from 30000-32767, distinct)."""
    rng = rng or random.Random()
    used: set[int] = set()
    ports = []
    for c in pod["spec"]["containers"]:
        for p in c.get("ports", ()):
            node = rng.randint(30000, 32767)
            while node in used:
                node = rng.randint(30000, 32767)
            used.add(node)
            sp: dict[str, Any] = {"name": str(p["containerPort"]), "nodePort": node,
                                  "port": p["containerPort"], "targetPort": p["containerPort"]}
            if "protocol" in p:
                sp["protocol"] = p["protocol"]
            ports.append(sp)
    meta = pod["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"creationTimestamp": meta["creationTimestamp"], "labels": meta["labels"],
                     "name": meta["name"]},
        "spec": {"ports": ports, "selector": {"app": meta["labels"]["app"]}, "type": "NodePort"},
    }


def deployment(pod: dict[str, Any]) -> dict[str, Any]:
    """`--type deployment` (Podman 4.4's shape): the pod as the template of one replica."""
    meta = pod["metadata"]
    name = meta["name"]
    app = meta["labels"]["app"]
    template_meta = {k: v for k, v in meta.items()}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"creationTimestamp": meta["creationTimestamp"], "labels": {"app": app},
                     "name": f"{name}-deployment"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": template_meta, "spec": pod["spec"]}},
    }


# Podman's volume options and their annotations (play kube reads them back)
VOLUME_ANNOTATIONS = {"o": "volume.podman.io/mount-options", "device": "volume.podman.io/device",
                      "type": "volume.podman.io/type", "UID": "volume.podman.io/uid",
                      "GID": "volume.podman.io/gid"}
DRIVER_ANNOTATION = "volume.podman.io/driver"


def claim(name: str, driver: str, labels: dict[str, str], options: dict[str, str],
          created: str) -> dict[str, Any]:
    """A named volume as Podman writes it: a 1Gi ReadWriteOnce claim."""
    annotations = {DRIVER_ANNOTATION: driver}
    annotations.update({VOLUME_ANNOTATIONS[k]: v for k, v in options.items()
                        if k in VOLUME_ANNOTATIONS})
    meta: dict[str, Any] = {"annotations": annotations, "creationTimestamp": created,
                            "name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}},
            "status": {}}


_ORDER = {"PersistentVolumeClaim": 0, "Service": 1}


def render(docs: list[dict[str, Any]], version: str) -> str:
    """Podman's layout: the header, then the documents separated by `---`: claims, services,
    then (after Podman's volume note when a pod has volumes) the pods."""
    from supervisor.kube.yamlio import dump

    docs = sorted(docs, key=lambda d: _ORDER.get(d.get("kind", ""), 2))
    first = [dump(d) for d in docs if d.get("kind") in _ORDER]
    rest = [dump(d) for d in docs if d.get("kind") not in _ORDER]
    note = [VOLUME_NOTE] if any(_spec(d).get("volumes") for d in docs) else []
    parts = first + note + rest
    return HEADER.format(version=version) + "---\n".join(parts) + "\n"  # Podman's Println


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc.get("spec", {})
    if doc.get("kind") == "Deployment":
        template: dict[str, Any] = spec.get("template", {})
        return template.get("spec", {})  # type: ignore[no-any-return]
    return spec
