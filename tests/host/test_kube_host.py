"""kube (issue 15) with real containers: generate -> play --down -> play recreates the same
pod; generate of the replayed pod equals the first; the YAML validates against every
Kubernetes version kubernetes-validate bundles; ConfigMaps, Secrets and emptyDir reach the
containers; hostile YAML makes nothing. Pods run with `--network none` (the host's own
network namespace is never touched: bridges are the networking tests' business)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.clihelp import Scopebox, wait_for


def _yaml_docs(text: str) -> list[Any]:
    import yaml

    return [d for d in yaml.safe_load_all(text) if d is not None]


def _validate_everywhere(text: str) -> int:
    """Strict validation against each bundled Kubernetes version; returns how many."""
    kv = pytest.importorskip("kubernetes_validate")
    base = Path(kv.__file__).parent / "kubernetes-json-schema"
    versions = sorted(p.name.split("-")[0][1:] for p in base.glob("v*-local-strict"))
    assert versions, "kubernetes-validate bundles no schemas"
    for doc in _yaml_docs(text):
        for version in versions:
            kv.validate(doc, version, strict=True)
    return len(versions)


def _normal(text: str) -> str:
    """Ids and times out: what must be equal between two generations."""
    text = re.sub(r'creationTimestamp: "[^"]*"', "creationTimestamp: T", text)
    return re.sub(r"SandboxID/(\S+): [0-9a-f]+", r"SandboxID/\1: ID", text)


def _inspect_view(sb: Scopebox, ref: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sb("inspect", ref).stdout)[0]
    host, cfg = doc["HostConfig"], doc["Config"]
    return {
        "env": sorted(e for e in cfg["Env"] if not e.startswith(("PATH=", "HOSTNAME=",
                                                                 "container=", "TERM="))),
        # the process: `sleep 300` comes back as command (Kubernetes' entrypoint) with no args
        "process": [doc["Path"], *doc["Args"]], "workdir": cfg["WorkingDir"],
        "user": cfg["User"], "memory": host["Memory"], "nanocpus": host["NanoCpus"],
        "capadd": sorted(host["CapAdd"]), "capdrop": sorted(host["CapDrop"]),
        "readonly": host["ReadonlyRootfs"],
        "mounts": sorted((m["Destination"], m.get("Name") or m["Source"], m["RW"])
                         for m in doc["Mounts"]),
    }


def test_generate_play_round_trip(sb: Scopebox, tmp_path: Path) -> None:
    hostdir = tmp_path / "share"
    hostdir.mkdir()
    (hostdir / "f").write_text("from the host\n")
    sb("pod", "create", "--name", "rt", "--network", "none")
    sb("create", "--pod", "rt", "--name", "app", "-e", "A=1", "-e", "Y=y", "-w", "/home",
       "--memory", "64m", "--cpus", "0.5", "--cap-add", "NET_ADMIN", "--cap-drop", "CHOWN",
       "--user", "1000", "--read-only", "-v", "rtdata:/data",
       "-v", f"{hostdir}:/host:ro", "busybox", "sleep", "300")
    sb("create", "--pod", "rt", "--name", "side", "busybox", "sh", "-c", "echo side; sleep 300")
    sb("pod", "start", "rt")
    before = {c: _inspect_view(sb, c) for c in ("app", "side")}
    first = sb("generate", "kube", "rt").stdout
    assert _validate_everywhere(first) >= 13  # 1.25 .. 1.37
    (pod,) = _yaml_docs(first)
    assert pod["kind"] == "Pod" and pod["metadata"]["name"] == "rt"
    assert [c["name"] for c in pod["spec"]["containers"]] == ["app", "side"]
    path = tmp_path / "rt.yaml"
    path.write_text(first)

    down = sb("kube", "down", str(path)).stdout
    pod_id = down.split("\n")[1]
    assert down == f"Pods stopped:\n{pod_id}\nPods removed:\n{pod_id}\n"
    assert sb("pod", "exists", "rt", check=False).returncode == 1
    assert sb("ps", "-aq").stdout == ""
    assert sb("volume", "exists", "rtdata").returncode == 0  # claims stay, as in Podman

    out = sb("play", "kube", "--network", "none", str(path)).stdout
    assert re.fullmatch(r"Pod:\n[0-9a-f]{64}\nContainers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\n", out)
    wait_for(lambda: sb("inspect", "--format", "{{.State.Status}}", "rt-side").stdout.strip()
             == "running", what="the replayed pod running")
    after = {c: _inspect_view(sb, f"rt-{c}") for c in ("app", "side")}
    assert after == before
    assert sb("exec", "rt-app", "cat", "/host/f").stdout == "from the host\n"
    second = sb("generate", "kube", "rt").stdout
    assert _normal(second) == _normal(first)
    sb("kube", "down", str(path))
    assert sb("ps", "-aq").stdout == "" and sb("pod", "ps", "-q").stdout == ""
    sb("volume", "rm", "rtdata")


def test_container_generate_service_and_deployment(sb: Scopebox, tmp_path: Path) -> None:
    sb("create", "--name", "solo", "--network", "none", "--restart", "on-failure" if
       os.path.isdir("/run/systemd/system") else "no", "-e", "K=v", "busybox", "top")
    text = sb("generate", "kube", "-s", "solo").stdout
    svc, pod = _yaml_docs(text)
    assert svc["kind"] == "Service" and pod["metadata"]["name"] == "solo-pod"
    assert pod["spec"]["containers"][0]["command"] == ["top"]
    _validate_everywhere(text)
    text = sb("kube", "generate", "--type", "deployment", "solo").stdout
    (dep,) = _yaml_docs(text)
    assert dep["kind"] == "Deployment" and dep["metadata"]["name"] == "solo-pod-deployment"
    _validate_everywhere(text)
    path = tmp_path / "dep.yaml"
    assert sb("generate", "kube", "--type", "deployment", "-f", str(path), "solo").stdout == ""
    assert _yaml_docs(path.read_text())[0]["kind"] == "Deployment"
    res = sb("generate", "kube", "-f", str(path), "solo", check=False)  # Podman's rule
    assert (res.returncode, res.stderr) == (125, f'Error: cannot write to "{path}"; file exists\n')
    sb("play", "kube", "--start=false", str(path))
    env = json.loads(sb("inspect", "solo-pod-deployment-pod-solo").stdout)[0]["Config"]["Env"]
    assert "K=v" in env
    res = sb("play", "kube", "--start=false", str(path), check=False)
    assert res.returncode == 125 and "already exists" in res.stderr
    sb("play", "kube", "--start=false", "--replace", str(path))
    sb("play", "kube", "--down", str(path))
    sb("rm", "solo")
    assert sb("ps", "-aq").stdout == ""
    res = sb("generate", "kube", "nosuch", check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1


def test_ports_round_trip_without_starting(sb: Scopebox, tmp_path: Path) -> None:
    """Published ports go to the pod (bridge); --start=false makes nothing in the kernel."""
    path = tmp_path / "ports.yaml"
    path.write_text(
        "kind: Pod\nmetadata: {name: pp}\nspec:\n  containers:\n  - name: web\n"
        "    image: busybox\n    ports:\n    - {containerPort: 80, hostPort: 18080}\n"
        "    - {containerPort: 53, hostPort: 15353, protocol: UDP, hostIP: 127.0.0.1}\n")
    sb("play", "kube", "--start=false", str(path))
    doc = json.loads(sb("pod", "inspect", "pp").stdout)
    assert doc["State"] == "Created"
    (pod,) = _yaml_docs(sb("generate", "kube", "pp").stdout)
    assert pod["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "hostPort": 18080},
        {"containerPort": 53, "hostPort": 15353, "hostIP": "127.0.0.1", "protocol": "UDP"}]
    sb("kube", "down", str(path))


CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {MODE: fast, app.conf: "key=value\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: sec}
data: {PASSWORD: aHVudGVyMg==}
stringData: {USER: bob}
---
apiVersion: v1
kind: Pod
metadata: {name: cm}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: [sh, -c]
    args: ["echo $MODE $PASSWORD $USER; cat /cfg/app.conf /sec/PASSWORD; echo; touch /scratch/x;
            ls /scratch; sleep 300"]
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: cfg, key: MODE}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: sec, key: PASSWORD}}
    envFrom:
    - secretRef: {name: sec}
    livenessProbe: {exec: {command: ["true"]}, periodSeconds: 30}
    readinessProbe: {exec: {command: ["true"]}}
    volumeMounts:
    - {name: cfgvol, mountPath: /cfg}
    - {name: secvol, mountPath: /sec}
    - {name: scratch, mountPath: /scratch}
  volumes:
  - {name: cfgvol, configMap: {name: cfg}}
  - {name: secvol, secret: {secretName: sec}}
  - {name: scratch, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
spec: {}
"""


def test_configmaps_secrets_emptydir(sb: Scopebox) -> None:
    res = sb("kube", "play", "--network", "none", "-", input=CONFIG)
    assert res.stderr.splitlines() == [
        "Warning: pod cm: spec.containers[0].readinessProbe is not supported: ignored",
        "Warning: kind Service svc: not supported: ignored",
    ]
    assert res.stdout.startswith("Pod:\n")
    wait_for(lambda: "x\n" in sb("logs", "cm-main").stdout, what="the container's output")
    assert sb("logs", "cm-main").stdout == "fast hunter2 bob\nkey=value\nhunter2\nx\n"
    check = json.loads(sb("inspect", "cm-main").stdout)[0]["Config"]["Healthcheck"]
    assert check["Test"] == ["CMD", "true"] and check["Interval"] == 30 * 10**9
    assert sb("exec", "cm-main", "sh", "-c", "echo no > /cfg/app.conf",
              check=False).returncode != 0  # configMap volumes are read-only
    kube_dir = Path(sb.root) / "kube" / "cm"
    assert (kube_dir / "scratch" / "x").exists()
    sb("kube", "down", "-", input=CONFIG)
    assert not kube_dir.exists()
    assert sb("ps", "-aq").stdout == "" and sb("pod", "ps", "-q").stdout == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Pod\nmetadata: {name: 'x;reboot'}\nspec: {containers: [{name: c, image: busybox}]}",
         "invalid pod name"),
        ("kind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: 'c%n', image: busybox}]}",
         "invalid container name"),
        ("kind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: c, image: busybox},\n"
         "  {name: d, image: nosuchimage}]}", "nosuchimage"),
        ("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
         "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
         "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
         "aliases are expanded"),
        ("kind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: c, image: busybox,\n"
         "  env: [{name: A, valueFrom: {configMapKeyRef: {name: nocm, key: k}}}]}]}",
         "configmap 'nocm' not found"),
    ],
)
def test_hostile_yaml_makes_nothing(sb: Scopebox, text: str, message: str) -> None:
    res = sb("play", "kube", "--network", "none", "-", input=text, check=False)
    assert res.returncode == 125
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: ")
    assert message in res.stderr
    assert sb("ps", "-aq").stdout == "" and sb("pod", "ps", "-q").stdout == ""
    assert not os.path.exists(os.path.join(sb.root, "kube", "ok"))


PODMAN_POD = """\
# Save the output of this file and use kubectl create -f to import
# it into Kubernetes.
#
# Created with podman-4.3.1
apiVersion: v1
kind: Pod
metadata:
  annotations:
    io.kubernetes.cri-o.ContainerType/c1: container
    io.kubernetes.cri-o.SandboxID/c1: SANDBOX
    io.kubernetes.cri-o.TTY/c1: "false"
    io.podman.annotations.autoremove/c1: "FALSE"
    io.podman.annotations.init/c1: "FALSE"
    io.podman.annotations.privileged/c1: "FALSE"
    io.podman.annotations.publish-all/c1: "FALSE"
  creationTimestamp: "2026-12-06T02:13:15Z"
  labels:
    app: p1
  name: p1
spec:
  automountServiceAccountToken: false
  containers:
  - command:
    - sleep
    - "100"
    env:
    - name: A
      value: "1"
    image: localhost/busybox:latest
    name: c1
    resources: {}
    securityContext:
      capabilities: {}
  enableServiceLinks: false
  hostname: p1
  restartPolicy: Never
status: {}
""".replace("SANDBOX", "0c860ff3d95e5da7535aea347f1569b83d60cde068cfd940fb8c45c5104178f"[:63])


def test_plays_what_podman_wrote(sb: Scopebox) -> None:
    out = sb("play", "kube", "--start=false", "-", input=PODMAN_POD)
    assert out.stderr == ""  # everything in it is honoured
    doc = json.loads(sb("inspect", "p1-c1").stdout)[0]
    assert [doc["Path"], *doc["Args"]] == ["sleep", "100"] and "A=1" in doc["Config"]["Env"]
    assert json.loads(sb("pod", "inspect", "p1").stdout)["Hostname"] == "p1"
    sb("play", "kube", "--down", "-", input=PODMAN_POD)
    assert sb("ps", "-aq").stdout == ""


INIT = """\
apiVersion: v1
kind: Pod
metadata: {name: withinit}
spec:
  restartPolicy: Never
  initContainers:
  - name: prep
    image: busybox
    command: [sh, -c, "CMD"]
    volumeMounts: [{name: w, mountPath: /work}]
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "cat /work/ready; sleep 300"]
    volumeMounts: [{name: w, mountPath: /work}]
  volumes:
  - {name: w, emptyDir: {}}
"""


def test_init_containers_run_first_and_once(sb: Scopebox) -> None:
    good = INIT.replace("CMD", "echo prepared > /work/ready")
    sb("play", "kube", "--network", "none", "-", input=good)
    wait_for(lambda: sb("logs", "withinit-app").stdout == "prepared\n", what="the app's output")
    names = sb("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert "withinit-prep" not in names and "withinit-app" in names  # removed once run
    sb("kube", "down", "-", input=good)
    res = sb("play", "kube", "--network", "none", "-", input=INIT.replace("CMD", "exit 3"),
             check=False)
    assert res.returncode == 125
    assert res.stderr == "Error: kube: pod withinit: init container prep exited with code 3\n"
    assert sb("ps", "-aq").stdout == "" and sb("pod", "ps", "-q").stdout == ""
    res = sb("play", "kube", "--start=false", "-", input=good, check=False)
    assert res.returncode == 125 and "initContainers" in res.stderr


def test_play_and_down_from_a_url(sb: Scopebox) -> None:
    """podbats (Podman's 700-play.bats "URL"): kube play and kube down read an http URL's
    body; a URL that answers 404 is one clear line and makes nothing."""
    import http.server
    import threading

    body = (b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: urlpod\nspec:\n  containers:\n"
            b"  - name: c\n    image: busybox\n    command: [sleep, '300']\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/pod.yaml"
            self.send_response(200 if ok else 404)
            self.end_headers()
            self.wfile.write(body if ok else b"no")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        sb("kube", "play", "--network", "none", f"{base}/pod.yaml")
        assert sb("inspect", "--format", "{{.State.Running}}", "urlpod-c").stdout == "true\n"
        sb("kube", "down", f"{base}/pod.yaml")
        assert sb("pod", "ps", "-q").stdout == "" and sb("ps", "-aq").stdout == ""
        res = sb("kube", "play", f"{base}/nosuch.yaml", check=False)
        assert res.returncode == 125 and res.stderr.count("\n") == 1 and "404" in res.stderr
    finally:
        server.shutdown()
        server.server_close()


def test_build_looks_in_the_working_directory(sb: Scopebox, tmp_path: Path) -> None:
    """podbats (Podman's 700-play.bats "--build --context-dir"): without --context-dir the
    build directories are looked for in the working directory, not beside the YAML file."""
    (tmp_path / "pbctx").mkdir()
    (tmp_path / "pbctx" / "Containerfile").write_text("FROM busybox\nUSER bin\n")
    yaml_file = tmp_path / "pod.yaml"
    yaml_file.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ctxpod\nspec:\n"
                         "  containers:\n  - name: c\n    image: pbctx\n    command: [id]\n")
    res = sb("kube", "play", "--network", "none", "--build", "--start=false", str(yaml_file),
             check=False)
    assert res.returncode == 125 and sb("pod", "ps", "-q").stdout == ""
    sb("kube", "play", "--network", "none", "--build", "--start=false", "--context-dir",
       str(tmp_path), str(yaml_file))
    assert sb("inspect", "--format", "{{.Config.User}}", "ctxpod-c").stdout == "bin\n"
    sb("kube", "down", str(yaml_file))
    sb("rmi", "pbctx")


SERVICE_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: svcpod}
spec:
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    readinessProbe: {exec: {command: ["true"]}}
"""


def test_service_container_follows_its_pods(sb: Scopebox) -> None:
    """Podman 4.3's `kube play --service-container` (700-play.bats): a container named after
    the YAML's hash, made and started before the pod, stopped when the pod has stopped,
    refused by rm while its pod remains, removed with the pod."""
    import hashlib

    res = sb("kube", "play", "--service-container=false", "--start=false",
             "--network", "none", "-", input=SERVICE_POD)
    assert sb("ps", "-aq", "--filter", "name=-service").stdout == ""
    # what play leaves out is said after its report (whose first lines scripts read)
    assert res.stdout.startswith("Pod:\n") and res.stderr == (
        "Warning: pod svcpod: spec.containers[0].readinessProbe is not supported: ignored\n")
    sb("pod", "rm", "-f", "svcpod")
    res = sb("kube", "play", "--service-container", "--start=false", "-",
             input=SERVICE_POD, check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: --service-container does not work with --start=stop\n"), res
    service = hashlib.sha256(SERVICE_POD.encode()).hexdigest()[:12] + "-service"
    sb("kube", "play", "--service-container=true", "--network", "none", "-",
       input=SERVICE_POD)
    look = "{{.State.Running}} {{.IsService}} {{.HostConfig.NetworkMode}}"
    assert sb("inspect", "--format", look, service).stdout == "true true none\n"
    assert sb("inspect", "--format", "{{.IsService}}", "svcpod-main").stdout == "false\n"
    sb("stop", "svcpod-main")  # the pod's last container: the pod, then its service, stop
    wait_for(lambda: sb("inspect", "--format", "{{.State.Running}}",
                        service).stdout == "false\n", what="the service container's stop")
    assert sb("pod", "inspect", "--format", "{{.State}}", "svcpod").stdout == "Exited\n"
    sb("pod", "start", "svcpod")
    assert sb("inspect", "--format", "{{.State.Running}}", service).stdout == "true\n"
    service_id = sb("inspect", "--format", "{{.Id}}", service).stdout.strip()
    pod_id = sb("pod", "inspect", "--format", "{{.Id}}", "svcpod").stdout.strip()
    res = sb("rm", "-f", service, check=False)
    assert (res.returncode, res.stderr) == (
        125, f"Error: container {service_id} is the service container of pod(s) {pod_id} "
        "and cannot be removed without removing the pod(s)\n"), res
    sb("pod", "rm", "-f", "svcpod")
    assert sb("ps", "-aq").stdout == ""
