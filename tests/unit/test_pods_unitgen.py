"""supervisor.pods.unitgen: a pod's units for `generate systemd POD` (pure; the bed runs them)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from supervisor import unitgen
from supervisor.errors import UsageError
from supervisor.options import CreateOptions
from supervisor.pods.db import PodConfig
from supervisor.pods.unitgen import Pod, create_args, render_pod
from tests.unit.configs import config
from units import unitfile

SB = "/usr/bin/scopebox"
POD = "ab" * 32
INFRA = "cd" * 32
MEMBER = "ef" * 32


def _pod(cfg: PodConfig | None = None) -> Pod:
    infra = unitgen.Container(INFRA, "abababababab-infra", config(CreateOptions(image="/r")),
                              "/run/sb")
    opts = CreateOptions(image="busybox", command=["sleep", "9"], name="web-a",
                         network=f"container:{INFRA}", cgroup_parent="/scopebox/pod_x")
    opts = replace(opts, runflags=replace(opts.runflags, ipc=f"container:{INFRA}",
                                          uts=f"container:{INFRA}"))
    member = unitgen.Container(MEMBER, "web-a", config(opts), "/run/sb")
    return Pod(POD, "web", cfg or PodConfig(cgroup="/scopebox/pod_x"), infra, [member])


def _section(text: str, name: str) -> unitfile.Section:
    sec = unitfile.parse(text).section(name)
    assert sec is not None
    return sec


def test_existing_pod_units() -> None:
    units = render_pod(_pod(), unitgen.GenerateOptions(use_name=True), SB, "1.0", "/run/sb", [])
    assert [n for n, _ in units] == ["pod-web", "container-web-a"]
    pod, member = units[0][1], units[1][1]
    u, s = _section(pod, "Unit"), _section(pod, "Service")
    assert u.values("Wants") == ["network-online.target", "container-web-a.service"]
    assert u.values("Before") == ["container-web-a.service"]
    assert s.values("ExecStart") == [f"{SB} start abababababab-infra"]
    # the default infra has no monitor: catatonit's own pid file (the runtime's)
    assert s.values("PIDFile") == [f"/run/sb/containers/{INFRA}/pidfile"]
    assert s.values("Type") == ["forking"]
    image = render_pod(_pod(PodConfig(cgroup="/scopebox/pod_x", infra_image="pause")),
                       unitgen.GenerateOptions(use_name=True), SB, "1.0", "/run/sb", [])
    pidfile = _section(image[0][1], "Service").values("PIDFile")
    assert pidfile == [f"/run/sb/containers/{INFRA}/monitor.pid"]
    mu = _section(member, "Unit")
    assert mu.values("BindsTo") == ["pod-web.service"]
    assert mu.values("After") == ["network-online.target", "pod-web.service"]
    assert _section(member, "Service").values("ExecStart") == [f"{SB} start web-a"]
    # by id
    units = render_pod(_pod(), unitgen.GenerateOptions(), SB, "1.0", "/run/sb", [])
    assert [n for n, _ in units] == [f"pod-{POD}", f"container-{MEMBER}"]


def test_new_pod_units() -> None:
    cfg = PodConfig(cgroup="/scopebox/pod_x", ports=("8080:80",), labels={"a": "b"}, cpus=1.5,
                    memory=64 << 20, share=("net",), hostname="h")
    units = render_pod(_pod(cfg), unitgen.GenerateOptions(new=True, use_name=True), SB, "1.0",
                       "/run/sb", ["--root", "/r"])
    s = _section(units[0][1], "Service")
    pre = [unitfile.split_words(v) for v in s.values("ExecStartPre")]
    assert pre[0] == ["/bin/rm", "-f", "%t/pod-web.pid", "%t/pod-web.pod-id"]
    assert pre[1] == [SB, "--root", "/r", "pod", "create", "--infra-conmon-pidfile",
                      "%t/pod-web.pid", "--pod-id-file", "%t/pod-web.pod-id",
                      "--exit-policy=stop", "--replace", "--name=web", "--publish=8080:80",
                      "--share=net", "--hostname=h", "--label=a=b", "--cpus=1.5",
                      f"--memory={64 << 20}"]
    assert s.values("PIDFile") == ["%t/pod-web.pid"]
    run = unitfile.split_words(_section(units[1][1], "Service").values("ExecStart")[0])
    # the member joins the new pod by its id file: nothing of the old infra is left
    assert "--pod-id-file=%t/pod-web.pod-id" in run
    assert not [w for w in run if INFRA in w or "pod_x" in w]
    # nor a network of its own: `run --pod-id-file --network=none` is refused (CI's bed saw it)
    assert not [w for w in run if w.startswith("--network")], run
    assert run[-3:] == ["busybox", "sleep", "9"]


def test_create_args_and_refusals() -> None:
    assert create_args(PodConfig(), "p") == ["--name=p"]
    assert create_args(PodConfig(share=()), "p") == ["--name=p", "--share=none"]
    pod = replace(_pod(), infra=None)
    with pytest.raises(UsageError, match="requires one"):
        render_pod(pod, unitgen.GenerateOptions(), SB, "1.0", "/run/sb", [])


def test_create_args_carry_the_infra_settings() -> None:
    """issue 19 (helper "flags"): `generate systemd --new POD` makes the same pod again."""
    cfg = PodConfig(dns_search=("a.example",), dns_options=("ndots:2",), no_hosts=True,
                    aliases=("x",), ip="10.88.0.9", ip6="fd00::9", mac="92:d0:c6:0a:29:33",
                    sysctls=("net.ipv4.ip_forward=1",), shm_size="10m")
    assert create_args(cfg, "p") == [
        "--name=p", "--dns-search=a.example", "--dns-option=ndots:2", "--no-hosts",
        "--network-alias=x", "--ip=10.88.0.9", "--ip6=fd00::9",
        "--mac-address=92:d0:c6:0a:29:33", "--shm-size=10m", "--sysctl=net.ipv4.ip_forward=1"]
