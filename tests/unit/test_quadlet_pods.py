"""Quadlet `.pod` files and `Pod=` in `.container` (pods, helper podsx): pure conversion."""

from __future__ import annotations

from pathlib import Path

from supervisor import quadlet
from tests.unit.test_quadlet import FIXED, SB, convert, exec_start, problems
from units import unitfile


def _values(svc: quadlet.Service, section: str, key: str) -> list[str]:
    sec = svc.unit.section(section)
    assert sec is not None
    return sec.values(key)


def test_pod_file_becomes_a_forking_service_making_the_pod(tmp_path: Path) -> None:
    (tmp_path / "back.network").write_text("[Network]\nNetworkName=backend\n")
    svc = convert(tmp_path, "[Pod]\nPublishPort=8080:80\nNetwork=back.network\n"
                  "AddHost=db:10.0.0.5\nDNS=10.0.0.53\nScopeboxArgs=--label a=b\n"
                  "[Install]\nWantedBy=multi-user.target\n", "web.pod")
    assert svc.name == "web-pod.service"
    assert svc.links == ["multi-user.target.wants/web-pod.service"]
    assert _values(svc, "Service", "Type") == ["forking"]
    assert _values(svc, "Service", "PIDFile") == ["%t/%N.pid"]
    pre = [unitfile.split_words(v) for v in _values(svc, "Service", "ExecStartPre")]
    assert pre[0] == ["/bin/rm", "-f", "%t/%N.pid", "%t/%N.pod-id"]
    assert pre[1] == [SB, "pod", "create", "--infra-conmon-pidfile=%t/%N.pid",
                      "--pod-id-file=%t/%N.pod-id", "--exit-policy=stop", "--replace",
                      "--name=systemd-web", "--network=backend", "--publish=8080:80",
                      "--add-host=db:10.0.0.5", "--dns=10.0.0.53", "--label", "a=b"]
    assert exec_start(svc) == [SB, "pod", "start", "--pod-id-file=%t/%N.pod-id"]
    stop = [unitfile.split_words(v) for v in _values(svc, "Service", "ExecStopPost")]
    assert stop == [["-" + SB, "pod", "rm", "--pod-id-file=%t/%N.pod-id", "--ignore",
                     "--force"]]
    assert _values(svc, "Unit", "Requires") == ["back-network.service"]
    named = convert(tmp_path, "[Pod]\nPodName=front\n", "f.pod")
    assert "--name=front" in unitfile.split_words(_values(named, "Service", "ExecStartPre")[1])


def test_bad_pod_files(tmp_path: Path) -> None:
    assert problems(tmp_path, "[Pod]\nPodName=a b\nFoo=1\nVolume=x:/y\n[Service]\n"
                    "Type=simple\n", "v.pod") == [
        "v.pod:2: invalid pod name 'a b' (names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)",
        "v.pod:3: unknown key Foo= in [Pod]",
        "v.pod:4: Volume= is not supported by scopebox: pod-level volumes are not supported"
        " (give Volume= in each .container)",
        "v.pod:6: Type= in [Service]: the pod's unit sets it",
    ]
    assert problems(tmp_path, "[X]\n", "a.pod") == ["a.pod: no [Pod] section"]


def test_container_joins_a_pod_unit(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Container]\nImage=b\nPod=web.pod\n")
    assert exec_start(svc)[len(FIXED):] == ["--pod-id-file=%t/web-pod.pod-id", "b"]
    assert _values(svc, "Unit", "BindsTo") == ["web-pod.service"]
    assert _values(svc, "Unit", "After") == ["web-pod.service"]
    assert problems(tmp_path, "[Container]\nImage=b\nPod=web\n", "x.container") == [
        "x.container:3: Pod=web: expected the name of a .pod file (web.pod)"]
    assert problems(tmp_path, "[Container]\nImage=b\nPod=web.pod\nPublishPort=80\n",
                    "y.container") == [
        "y.container:4: PublishPort= cannot be set in a container joining a pod (the pod's"
        " .pod file sets the network)"]


def test_pod_service_wants_its_containers(tmp_path: Path) -> None:
    (tmp_path / "web.pod").write_text("[Pod]\n")
    (tmp_path / "a.container").write_text("[Container]\nImage=b\nPod=web.pod\n")
    (tmp_path / "b.container").write_text("[Container]\nImage=b\nPod=web.pod\n")
    (tmp_path / "c.container").write_text("[Container]\nImage=b\n")
    made = {s.name: s for s in quadlet.convert_all([str(tmp_path)], [SB], print)}
    assert sorted(made) == ["a.service", "b.service", "c.service", "web-pod.service"]
    assert _values(made["web-pod.service"], "Unit", "Wants")[-2:] == ["a.service", "b.service"]
    assert _values(made["web-pod.service"], "Unit", "Before") == ["a.service", "b.service"]
