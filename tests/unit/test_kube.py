"""kube (issue 15): the pure parts: the YAML reader's limits, the writer's quoting, the
generator's documents, the player's plan, warnings and errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervisor.errors import UsageError
from supervisor.kube import generate as gen
from supervisor.kube import play, yamlio

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {tier: front}
  annotations:
    note/app: hi
    io.podman.annotations.init/app: "TRUE"
    io.kubernetes.cri-o.TTY/app: "false"
    io.podman.annotations.autoremove/app: "TRUE"
    io.podman.annotations.publish-all/app: "FALSE"
spec:
  hostname: h1
  restartPolicy: OnFailure
  shareProcessNamespace: true
  containers:
  - name: app
    image: busybox
    command: [sh, -c]
    args: ["echo hi"]
    workingDir: /srv
    env:
    - {name: A, value: "1"}
    - name: MODE
      valueFrom: {configMapKeyRef: {name: cfg, key: MODE}}
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 53, hostPort: 5353, protocol: UDP, hostIP: 127.0.0.1}
    - {containerPort: 9000}
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    securityContext:
      capabilities: {add: [CAP_NET_ADMIN], drop: [CAP_CHOWN]}
      runAsUser: 1000
      readOnlyRootFilesystem: true
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: cfgvol, mountPath: /cfg}
    livenessProbe: {exec: {command: ["true"]}, periodSeconds: 5, failureThreshold: 2}
    readinessProbe: {exec: {command: ["true"]}}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: pvc1}}
  - {name: cfgvol, configMap: {name: cfg}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {MODE: fast}
---
kind: Service
metadata: {name: svc}
"""


def _plan(text: str) -> play.Plan:
    return play.plan(yamlio.load_documents(text), "/k")


def test_plan_of_a_pod() -> None:
    p = _plan(POD)
    assert [pod.name for pod in p.pods] == ["web"] and p.volumes == ["pvc1"]
    pod = p.pods[0]
    req = pod.request
    # 9000 without hostPort: on the same host port, as Podman 4.3 plays it
    assert req.publish == ("8080:80/tcp", "127.0.0.1:5353:53/udp", "9000:9000/tcp")
    assert req.network == "bridge" and req.hostname == "h1"
    assert req.share == "ipc,net,uts,pid" and req.labels == {"tier": "front"}
    (ctr,) = pod.containers
    o = ctr.options
    assert o.name == "web-app" and o.image == "busybox"
    assert o.entrypoint == ["sh", "-c"] and o.command == ["echo hi"]
    assert o.env == ["A=1", "MODE=fast"] and o.workdir == "/srv"
    assert o.resources.memory == str(64 << 20) and o.resources.cpus == "0.5"
    assert o.cap_add == ["CAP_NET_ADMIN"] and o.cap_drop == ["CAP_CHOWN"]
    assert o.user == "1000" and o.read_only and o.restart == "on-failure"
    # misc (issue 19): Podman's kube play: no tmpfs on the read-only root, no proxy variables
    assert (o.read_only_tmpfs, o.http_proxy) == (False, False)
    assert o.volumes == ["pvc1:/data", "/k/web/cfgvol:/cfg:ro"]
    assert o.runflags.init and o.runflags.annotations == ["note=hi"]
    assert o.health.timeout == "1s" and o.health.start_period == "0s"  # Kubernetes' defaults
    assert pod.dirs == (play.DirVolume("cfgvol", {"MODE": b"fast"}),)
    assert sorted(p.warnings) == [
        "kind Service svc: not supported: ignored",
        "pod web: annotation io.podman.annotations.autoremove/app=TRUE is not supported: "
        "ignored",
        "pod web: spec.containers[0].readinessProbe is not supported: ignored",
    ]
    assert o.health.cmd == '["CMD", "true"]' and o.health.interval == "5s"
    assert o.health.retries == 2 and o.health.on_failure == "restart"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Pod\nmetadata: {name: 'a;b'}\nspec: {containers: [{name: c, image: i}]}",
         "invalid pod name 'a;b'"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: 'c\\n', image: i}]}",
         "invalid container name"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: [i]}]}",
         "spec.containers[0].image: expected a string, got a list"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: []}", "at least one container"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, "
         "env: [{name: X, valueFrom: {secretKeyRef: {name: s, key: k}}}]}]}",
         "secret 's' not found"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, "
         "volumeMounts: [{name: v, mountPath: /x}]}]}", "no volume 'v'"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Sometimes, "
         "containers: [{name: c, image: i}]}", "'Sometimes' is not Always"),
        ("kind: Secret\nmetadata: {name: s}\ndata: {k: '***'}", "not valid base64"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: ["
         + ", ".join(f"{{name: c{i}, image: i}}" for i in range(101)) + "]}",
         "more than 100 containers in one pod"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, "
         "workingDir: \"/a\\nb\"}]}", "is not an absolute path"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, "
         "env: [{name: \"A\\nB\", value: x}]}]}", "invalid environment variable name"),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}, "
         "{name: c, image: i}]}", "two containers have one name"),
        ("kind: Pod\nmetadata: {name: p, annotations: {test: " + "v" * 64 + "}}\n"
         "spec: {containers: [{name: c, image: i}]}",  # Podman's words, before any pull
         'invalid annotation "test"="' + "v" * 64 + '" value length exceeds Kubernetetes max 63'),
    ],
)
def test_bad_documents_are_one_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=None) as info:
        _plan(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_deployment_is_one_pod_with_a_warning() -> None:
    p = _plan("kind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 3\n  template:\n"
              "    spec: {containers: [{name: c, image: i}]}\n")
    assert [pod.name for pod in p.pods] == ["d-pod"]
    assert p.pods[0].containers[0].options.name == "d-pod-c"
    assert p.warnings == ["deployment d: spec.replicas 3: one replica is made (as Podman)"]
    p = _plan("kind: Pod\nmetadata: {name: p, namespace: prod}\n"
              "spec: {containers: [{name: c, image: i}]}")
    assert p.warnings == ["pod p: metadata.namespace 'prod': one host has no namespaces: "
                          "ignored"]


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BOMB, "aliases are expanded"),
        ("a: " + "[" * 100 + "]" * 100, "nested deeper than 64"),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(100)), "nested deeper than 64"),
        ("x" * (5 << 20), "larger than 4 MiB"),
        ("---\na: 1\n" * 101, "more than 100 documents"),
        ("a: [1", "is not valid"),
        ("a: !!python/object:os.system x", "is not valid"),
        ("? [a]\n: b", "is not valid"),
    ],
)
def test_hostile_yaml(text: str, message: str) -> None:
    with pytest.raises(yamlio.KubeYAMLError) as info:
        yamlio.load_documents(text)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_dump_quotes_what_go_yaml_would_misread() -> None:
    text = yamlio.dump({"a": "y", "b": "N", "c": "1000", "d": "", "e": "true", "f": "plain"})
    assert text == 'a: "y"\nb: "N"\nc: "1000"\nd: ""\ne: "true"\nf: plain\n'


WEB = gen.KubeCtr(
    name="web_1", image="localhost/busybox:latest", command=("sleep", "1000"),
    env=(("FOO", "bar"), ("Y", "y")), workdir="/srv",
    ports=(gen.Port(80, 8080), gen.Port(90, 9090, "127.0.0.1", "udp")),
    memory=64 << 20, cpu_milli=500, cap_add=("CAP_NET_ADMIN",), cap_drop=("CAP_CHOWN",),
    run_as_user=1000, read_only=True, annotations={"note": "hi"},
    binds=(gen.HostMount("/srv/data/", "/host", True, "Directory"),),
    volumes=(gen.NamedVolume("data", "/data"),),
)


def test_pod_of_containers_is_podmans_shape() -> None:
    doc = gen.pod_of_containers((WEB,), "2026-01-01T00:00:00Z")
    assert doc["metadata"] == {"annotations": {"note/web1": "hi"},
                               "creationTimestamp": "2026-01-01T00:00:00Z",
                               "labels": {"app": "web1-pod"}, "name": "web1-pod"}
    (c,) = doc["spec"]["containers"]
    assert c["name"] == "web1" and c["command"] == ["sleep", "1000"]
    assert c["ports"] == [{"containerPort": 80, "hostPort": 8080},
                          {"containerPort": 90, "hostPort": 9090, "hostIP": "127.0.0.1",
                           "protocol": "UDP"}]
    assert c["resources"] == {"limits": {"memory": "64Mi", "cpu": "500m"}}
    assert c["securityContext"] == {
        "capabilities": {"add": ["CAP_NET_ADMIN"], "drop": ["CAP_CHOWN"]},
        "readOnlyRootFilesystem": True, "runAsUser": 1000}
    assert c["volumeMounts"] == [
        {"mountPath": "/host", "name": "srv-data-host-0", "readOnly": True},
        {"mountPath": "/data", "name": "data-pvc"}]
    assert doc["spec"]["volumes"] == [
        {"name": "srv-data-host-0", "hostPath": {"path": "/srv/data/", "type": "Directory"}},
        {"name": "data-pvc", "persistentVolumeClaim": {"claimName": "data"}}]
    assert "restartPolicy" not in doc["spec"] and "status" not in doc


def test_pod_puts_the_pods_ports_on_the_first_member_and_a_service() -> None:
    import random

    other = gen.KubeCtr(name="side", image="i", restart="always")
    pod = gen.KubePod(name="p", pod_id="0" * 64, containers=(WEB, other), hostname="p",
                      ports=(gen.Port(80, 8080),), share_pid=True)
    doc = gen.pod_of_pod(pod, "t")
    first, second = doc["spec"]["containers"]
    assert first["ports"] == [{"containerPort": 80, "hostPort": 8080}]
    assert "ports" not in second and second["resources"] == {}
    assert second["securityContext"] == {"capabilities": {}}
    assert doc["spec"]["restartPolicy"] == "Never" and doc["spec"]["shareProcessNamespace"]
    assert doc["status"] == {}
    svc = gen.service(doc, random.Random(1))
    assert svc["spec"]["selector"] == {"app": "p"} and svc["spec"]["type"] == "NodePort"
    (port,) = svc["spec"]["ports"]
    assert port["name"] == "80" and 30000 <= port["nodePort"] <= 32767
    dep = gen.deployment(doc)
    assert dep["metadata"]["name"] == "p-deployment" and dep["spec"]["replicas"] == 1
    assert dep["spec"]["template"]["spec"] is doc["spec"]


def test_render_header_and_separators() -> None:
    doc = gen.pod_of_containers((WEB,), "t")
    text = gen.render([doc], "1.0")
    assert text.startswith("# Save the output of this file and use kubectl create -f to "
                           "import\n# it into Kubernetes.\n#\n# Created with scopebox-1.0\n\n"
                           "# NOTE: ")
    assert text.count("---\n") == 1 and text.endswith("claimName: data\n\n")
    assert yamlio.load_documents(text)[0]["metadata"]["name"] == "web1-pod"


def test_generated_yaml_plays_back() -> None:
    """generate -> play: the same options (names get the pod's prefix, as Podman's)."""
    doc = gen.pod_of_containers((WEB,), "t")
    p = play.plan(yamlio.load_documents(gen.render([doc], "1")), "/k")
    o = p.pods[0].containers[0].options
    assert o.name == "web1-pod-web1" and o.entrypoint == ["sleep", "1000"]
    assert o.env == ["FOO=bar", "Y=y"] and o.user == "1000"
    assert o.volumes == ["/srv/data/:/host:ro", "data:/data"]
    assert p.pods[0].request.publish == ("8080:80/tcp", "127.0.0.1:9090:90/udp")


_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                  st.floats(allow_nan=False))
_value = st.recursive(_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["name", "image", "env", "ports", "value", "containerPort", "volumeMounts",
         "mountPath", "hostPath", "path", "resources", "limits", "memory", "cpu",
         "securityContext", "capabilities", "add", "valueFrom", "configMapKeyRef", "key"]),
        inner, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(container=st.dictionaries(st.sampled_from(sorted(play.CONTAINER)), _value, max_size=6),
       volumes=_value)
def test_any_shape_is_a_plan_or_one_error(container: dict[str, Any], volumes: Any) -> None:
    doc = {"kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "i", **container}],
                    "volumes": volumes}}
    try:
        play.plan([doc], "/k")
    except UsageError as exc:
        assert "\n" not in str(exc)


def test_claim_round_trip_keeps_the_volumes_options() -> None:
    doc = gen.claim("tv", "local", {}, {"type": "tmpfs", "o": "size=1m", "copy": "x"}, "t")
    assert doc["metadata"]["annotations"] == {
        "volume.podman.io/driver": "local", "volume.podman.io/type": "tmpfs",
        "volume.podman.io/mount-options": "size=1m"}
    text = gen.render([gen.pod_of_containers((WEB,), "t"), doc], "1")
    kinds = [d["kind"] for d in yamlio.load_documents(text)]
    assert kinds == ["PersistentVolumeClaim", "Pod"]  # claims first, as Podman
    assert text.index("kind: PersistentVolumeClaim") < text.index("# NOTE")
    p = play.plan(yamlio.load_documents(text), "/k")
    assert p.volumes == ["tv", "data"]
    assert p.volume_options == {"tv": {"driver": "local", "type": "tmpfs", "o": "size=1m"}}


def test_restart_policy_of_containers() -> None:
    """docs/DIFFERENCES.md `kube`: written for containers that have one (Podman 4.3: never)."""
    assert "restartPolicy" not in gen.pod_of_containers((WEB,), "t")["spec"]
    other = gen.KubeCtr(name="w", image="i", restart="on-failure")
    assert gen.pod_of_containers((other,), "t")["spec"]["restartPolicy"] == "OnFailure"
    p = play.plan([gen.pod_of_containers((other,), "t")], "/k")
    assert p.pods[0].containers[0].options.restart == "on-failure"


def test_healthcheck_is_a_liveness_probe() -> None:
    ctr = gen.KubeCtr(name="w", image="i", probe=gen.Probe(("/bin/sh", "-c", "test -e /"), 30,
                                                           5, 0, 4))
    doc = gen.pod_of_containers((ctr,), "t")
    assert doc["spec"]["containers"][0]["livenessProbe"] == {
        "exec": {"command": ["/bin/sh", "-c", "test -e /"]}, "periodSeconds": 30,
        "timeoutSeconds": 5, "failureThreshold": 4}
    health = play.plan([doc], "/k").pods[0].containers[0].options.health
    assert health.cmd == '["CMD", "/bin/sh", "-c", "test -e /"]' and health.interval == "30s"


def test_init_containers_are_planned_in_order() -> None:
    p = _plan("kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n"
              "  - {name: one, image: i}\n  - {name: two, image: i}\n"
              "  containers: [{name: c, image: i}]\n")
    assert [c.options.name for c in p.pods[0].init_containers] == ["p-one", "p-two"]
    assert p.warnings == []
    with pytest.raises(UsageError, match="two containers have one name"):
        _plan("kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: c, image: i}]\n"
              "  containers: [{name: c, image: i}]\n")


def test_configmap_files_given_apart() -> None:
    """--configmap FILE: ConfigMaps from other files, for env and volumes."""
    cm = yamlio.load_documents("kind: ConfigMap\nmetadata: {name: ext}\ndata: {K: v}\n")
    pod = ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n"
           "    envFrom: [{configMapRef: {name: ext}, prefix: X_}]\n")
    p = play.plan(yamlio.load_documents(pod), "/k", configmaps=cm)
    assert p.pods[0].containers[0].options.env == ["X_K=v"]
    with pytest.raises(UsageError, match="configmap 'ext' not found"):
        play.plan(yamlio.load_documents(pod), "/k")


def test_every_kind_validates_strictly_against_every_bundled_version() -> None:
    """kubernetes-validate --strict, each Kubernetes version it bundles (1.25 .. 1.37)."""
    import random
    from pathlib import Path

    kv = pytest.importorskip("kubernetes_validate")
    base = Path(kv.__file__).parent / "kubernetes-json-schema"
    versions = sorted(p.name.split("-")[0][1:] for p in base.glob("v*-local-strict"))
    assert len(versions) >= 13
    probe = gen.Probe(("/bin/sh", "-c", "true"), 30, 5, 2, 3)
    full = gen.KubeCtr(name="full", image="i", tty=True, stdin=True, privileged=True,
                       probe=probe, restart="always", hostname="h", dns=("1.1.1.1",))
    pod = gen.KubePod(name="p", pod_id="0" * 64, containers=(WEB, full), hostname="p",
                      ports=(gen.Port(80, 8080, "127.0.0.1", "sctp"),), share_pid=True,
                      add_hosts=("db:10.0.0.2",), dns=("9.9.9.9",))
    docs = [gen.pod_of_containers((WEB, full), "2026-01-01T00:00:00Z"),
            gen.pod_of_pod(pod, "2026-01-01T00:00:00Z"),
            gen.claim("v", "local", {"l": "1"}, {"type": "tmpfs"}, "2026-01-01T00:00:00Z")]
    docs += [gen.service(docs[1], random.Random(0)), gen.deployment(docs[1])]
    # through the writer and the reader, as a user gets them
    for doc in yamlio.load_documents(gen.render(docs, "1")):
        for version in versions:
            kv.validate(doc, version, strict=True)


def test_mount_path_with_podmans_options() -> None:
    """Podman's `mountPath: /dir:z` (its own 700-play.bats plays one): the options after the
    path reach the mount; an unknown one is refused."""
    doc = ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, "
           "volumeMounts: [{name: v, mountPath: '/t:z'}, {name: v, mountPath: '/u:ro,Z'}]}], "
           "volumes: [{name: v, hostPath: {path: /srv}}]}")  # fmt: skip
    (ctr,) = _plan(doc).pods[0].containers
    assert ctr.options.volumes == ["/srv:/t:z", "/srv:/u:ro,Z"]
    with pytest.raises(play.KubeError, match="invalid path '/t:bogus'"):
        _plan(doc.replace("/t:z", "/t:bogus"))


@pytest.mark.parametrize("order", [("pod", "own"), ("own", "pod")])
def test_auto_update_annotations_are_labels_a_containers_own_winning(
        order: tuple[str, str]) -> None:
    """Podman 4.3's play: io.containers.autoupdate (the pod's, or KEY/NAME for one
    container) is each container's label too, which `auto-update` reads; a container's own
    wins wherever it stands in the mapping."""
    lines = {"pod": "io.containers.autoupdate: local",
             "own": "io.containers.autoupdate/b: registry"}
    text = ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n"
            + "".join(f"    {lines[k]}\n" for k in order)
            + "spec:\n  containers:\n  - {name: a, image: quay.io/x/y}\n"
              "  - {name: b, image: quay.io/x/y}\n")
    a, b = _plan(text).pods[0].containers
    assert a.options.labels == {"io.containers.autoupdate": "local"}
    assert b.options.labels == {"io.containers.autoupdate": "registry"}
    assert b.options.runflags.annotations == ["io.containers.autoupdate=registry"]
