"""What Podman 4.3.1's systemd-minded bats files (250-systemd, 220-healthcheck, run in the test
bed by tools/bats_in_bed.sh) caught that needs no systemd to check."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.clihelp import REPO, SCOPEBOX, Scopebox, wait_for

pytestmark = pytest.mark.host

WARNING = re.compile(r'^time="[0-9T:-]+Z" level=warning msg="(.*)"$')


def test_generate_systemd_warns_of_a_restart_policy_in_podmans_words(sb: Scopebox) -> None:
    """250 "generate - systemd - basic" (#15284): a unit without --new for a container with
    its own restart policy; logrus's line, Podman's words, and the unit still printed."""
    cid = sb("create", "--restart=always", "busybox", "true").stdout.strip()
    try:
        res = sb("generate", "systemd", cid)
        assert res.stdout.startswith(f"# container-{cid}.service\n"), res.stdout
        m = WARNING.match(res.stderr.strip())
        assert m, res.stderr
        assert m.group(1) == (
            f'Container {cid} has restart policy \\"always\\" which can lead to issues on'
            " shutdown: consider recreating the container without a restart policy and use"
            " systemd's restart mechanism instead")
        assert sb("generate", "systemd", "--new", cid).stderr == ""
    finally:
        sb("rm", "-f", cid)


def test_commit_change_takes_key_equals_value(sb: Scopebox) -> None:
    """250 "autoupdate local": `commit --change CMD=/bin/bash` (Podman splits at the first
    space, else at the first `=`); `ENV A=b` keeps its own `=`."""
    sb("create", "--name", "bats-chg", "busybox", "true")
    try:
        sb("commit", "-q", "--change", "CMD=/bin/true", "--change", "ENV A=b=c", "bats-chg",
           "bats-chg-img")
        out = sb("image", "inspect", "--format", "{{json .Config}}", "bats-chg-img").stdout
        cfg = json.loads(out)
        assert cfg["Cmd"] == ["/bin/sh", "-c", "/bin/true"], cfg
        assert "A=b=c" in cfg["Env"], cfg
    finally:
        sb("rm", "-f", "bats-chg")
        sb("rmi", "-f", "bats-chg-img", check=False)


def test_info_with_an_empty_format_prints_nothing(sb: Scopebox) -> None:
    """250 "--cgroup=cgroupfs doesn't show systemd warning": `info -f ''` is a template too."""
    res = sb("--log-level", "warning", "--cgroup-manager=cgroupfs", "info", "-f", "")
    assert (res.stdout.strip(), res.stderr) == ("", "")


def test_socket_activation_reaches_the_container(sb: Scopebox) -> None:
    """250 "pass LISTEN environment": with systemd's LISTEN_FDS set (a socket-activated
    unit), the container gets LISTEN_PID=1 (its main process), LISTEN_FDS, LISTEN_FDNAMES, and
    the descriptors themselves at 3...; without it, none of them."""
    script = "env | grep ^LISTEN_ | sort; cat <&3"
    env = {**sb.environ(), "LISTEN_PID": "100", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "web"}
    # The socket stands in as a pipe: our stdin, moved to descriptor 3 by the shell.
    res = subprocess.run(["sh", "-c", 'exec 3<&0 </dev/null; exec "$@"', "sh", *SCOPEBOX, "run",
                          "--rm", "busybox", "sh", "-c", script], input="through fd 3\n",
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
                         check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == "LISTEN_FDNAMES=web\nLISTEN_FDS=1\nLISTEN_PID=1\nthrough fd 3\n"
    plain = sb("run", "--rm", "busybox", "sh", "-c", "env | grep ^LISTEN_ || echo none")
    assert plain.stdout == "none\n"


def test_sdnotify_socket_is_the_one_at_create(sb: Scopebox, tmp_path: Path) -> None:
    """260-sdnotify "ignore" and "conmon": the caller's NOTIFY_SOCKET at create is kept
    (`{{.Config.SdNotifySocket}}`, none with `ignore`); with `conmon` that socket hears the
    monitor's pid and READY=1 at start, with `ignore` nothing."""
    sock_path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    listener.settimeout(10)
    env = {**sb.environ(), "NOTIFY_SOCKET": sock_path}

    def cli(*args: str) -> str:
        res = subprocess.run([*SCOPEBOX, *args], capture_output=True, text=True, env=env,
                             cwd=REPO, timeout=60, check=False)  # fmt: skip
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    fmt = "{{.Config.SdNotifyMode}} {{.Config.SdNotifySocket}}|"
    try:
        ign = cli("create", "--sdnotify=ignore", "busybox", "sh", "-c", "echo $NOTIFY_SOCKET")
        assert sb("container", "inspect", ign, "--format", fmt).stdout == "ignore |\n"
        assert cli("start", "--attach", ign) == ""  # started with NOTIFY_SOCKET set too
        cid = cli("run", "-d", "--sdnotify=conmon", "busybox", "sleep", "100")
        assert sb("container", "inspect", cid, "--format", fmt).stdout == \
            f"conmon {sock_path}|\n"
        conmon_pid = sb("container", "inspect", cid, "--format", "{{.State.ConmonPid}}").stdout
        assert listener.recv(4096).decode() == f"MAINPID={conmon_pid.strip()}\nREADY=1"
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):  # that one message only
            listener.recv(4096)
        doc: dict[str, str] = sb.inspect(cid)["Config"]  # type: ignore[assignment]
        assert (doc["sdNotifyMode"], doc["sdNotifySocket"]) == ("conmon", sock_path)
        plain = sb("create", "busybox", "true").stdout.strip()
        config: dict[str, str] = sb.inspect(plain)["Config"]  # type: ignore[assignment]
        assert "sdNotifySocket" not in config
    finally:
        listener.close()
        sb("rm", "-a", "-f", "-t", "0")


def test_a_registry_update_policy_needs_a_fully_qualified_image(sb: Scopebox,
                                                                tmp_path: Path) -> None:
    """255-auto-update "validate input": create refuses a registry (or image) policy on a
    short name or on another transport, in Podman's words, and makes nothing; `local` takes
    any name; a policy auto-update does not know is named as Podman names it."""
    archive = str(tmp_path / "bb.tar")
    sb("tag", "busybox", "au-short:latest")
    sb("save", "-o", archive, "au-short:latest")
    try:
        for image, policy, err in (
            ("au-short:latest", "registry",
             'short name: auto updates require fully-qualified image reference:'
             ' "au-short:latest"'),
            ("au-short:latest", "image",
             'short name: auto updates require fully-qualified image reference:'
             ' "au-short:latest"'),
            (f"docker-archive:{archive}", "registry",
             'auto updates require the docker image transport but image is of transport'
             ' "docker-archive"'),
        ):
            res = sb("create", "--label", f"io.containers.autoupdate={policy}", image,
                     check=False)
            assert (res.returncode, res.stdout, res.stderr) == (125, "", f"Error: {err}\n")
        assert sb("ps", "-aq").stdout == ""
        sb("create", "--label", "io.containers.autoupdate=local", "au-short:latest")
        # 255 "autoupdate=fakevalue": a running container of a unit with a policy unknown
        sb("run", "-d", "--label", "io.containers.autoupdate=fake", "--label",
           "PODMAN_SYSTEMD_UNIT=au-fake.service", "busybox", "sleep", "100")
        res = sb("auto-update", check=False)
        bad = ('Error: invalid auto-update policy "fake": valid policies are ["disabled"'
               ' "image" "local" "registry"]\n')
        assert (res.returncode, res.stderr) == (125, bad)
        # 255 "multiple services": the other containers are still considered (Podman's
        # report first, then the error, exit 125)
        sb("run", "-d", "--label", "io.containers.autoupdate=local", "--label",
           "PODMAN_SYSTEMD_UNIT=au-local.service", "busybox", "sleep", "100")
        res = sb("auto-update", "--dry-run", "--format", "{{.Unit}} {{.Policy}} {{.Updated}}",
                 check=False)
        assert (res.returncode, res.stdout, res.stderr) == (
            125, "au-local.service local false\n", bad)
        # a registry that cannot be asked fails that container only (Podman's "failed")
        sb("tag", "busybox", "127.0.0.1:1/au/img:latest")
        cid = sb("run", "-d", "--label", "io.containers.autoupdate=registry", "--label",
                 "PODMAN_SYSTEMD_UNIT=au-reg.service", "127.0.0.1:1/au/img:latest", "sleep",
                 "100").stdout.strip()
        res = sb("auto-update", "--dry-run", "--format", "{{.Unit}} {{.Policy}} {{.Updated}}",
                 check=False)
        assert (res.returncode, sorted(res.stdout.splitlines())) == (
            125, ["au-local.service local false", "au-reg.service registry failed"])
        assert res.stderr.startswith(
            f"{bad}Error: checking image updates for container {cid}: "), res.stderr
    finally:
        sb("rm", "-a", "-f")
        sb("rmi", "-f", "au-short:latest", "127.0.0.1:1/au/img:latest", check=False)


KUBE_YAML = """\
apiVersion: v1
kind: Pod
metadata:
  annotations:
    io.containers.autoupdate/b: disabled
    io.containers.autoupdate: local
  name: NAME
spec:
  containers:
  - {name: a, image: IMAGE, command: [top]}
  - {name: b, image: IMAGE, command: [top]}
"""


def test_kube_play_service_container_tells_its_unit(sb: Scopebox, tmp_path: Path) -> None:
    """250-systemd "podman-kube@.service template" (Type=notify, NotifyAccess=all, run by
    a unit that sets PODMAN_SYSTEMD_UNIT): play's one message is MAINPID= the service
    container's monitor and READY=1 (no MAINPID=0 of the pod's infra, which has no monitor);
    the containers carry the unit and the pod's auto-update policy, a container's own
    `KEY/NAME` winning whatever its place; once the pod is killed the service container is
    killed (Podman's 137), which its monitor exits with, so the unit fails as Podman's."""
    name = f"kn{tmp_path.name[-6:].lower().replace('_', '')}"
    yaml_file = tmp_path / "pod.yaml"
    yaml_file.write_text(KUBE_YAML.replace("NAME", name).replace("IMAGE", "busybox"))
    sock_path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    listener.settimeout(10)
    unit = f"podman-kube@{name}.service"
    env = {**sb.environ(), "NOTIFY_SOCKET": sock_path, "PODMAN_SYSTEMD_UNIT": unit}
    service = ""
    try:
        res = subprocess.run([*SCOPEBOX, "kube", "play", "--replace", "--service-container=true",
                              str(yaml_file)], capture_output=True, text=True, env=env,
                             cwd=REPO, timeout=120, check=False)  # fmt: skip
        assert res.returncode == 0, res.stderr
        service = sb("ps", "-a", "--filter", "label=io.scopebox.kube-service",
                     "--format", "{{.Names}}").stdout.strip()
        assert service.endswith("-service"), service
        monitor = sb("container", "inspect", service, "--format", "{{.State.ConmonPid}}")
        assert listener.recv(4096).decode() == f"MAINPID={monitor.stdout.strip()}\nREADY=1"
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):  # that one message only
            listener.recv(4096)
        fmt = "{{.Unit}},{{.Container}},{{.Policy}}"
        res = subprocess.run([*SCOPEBOX, "auto-update", "--dry-run", "--format", fmt],
                             capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
                             check=False)  # fmt: skip
        rows = sorted(re.sub(r",[0-9a-f]{12} \((.*)\),", r",\1,", line)
                      for line in res.stdout.splitlines())
        assert rows == [f"{unit},{name}-a,local"], res.stdout + res.stderr
        label = '{{index .Config.Labels "io.containers.autoupdate"}}'
        assert sb("inspect", f"{name}-b", "--format", label).stdout == "disabled\n"
        sb("pod", "kill", name)
        wait_for(lambda: sb("container", "inspect", service, "--format",
                            "{{.State.Status}}").stdout.strip() == "exited",
                 timeout=30, what="the service container's stop")
        code = sb("container", "inspect", service, "--format", "{{.State.ExitCode}}").stdout
        assert code.strip() == "137"
    finally:
        listener.close()
        sb("kube", "down", str(yaml_file), check=False)
        sb("rm", "-a", "-f", "-t", "0")


def test_stop_without_a_grace_period_sends_no_stop_signal(sb: Scopebox, tmp_path: Path) -> None:
    """`stop -t 0` (the kube service container's own timeout): Podman's SIGKILL at once, no
    stop signal first, so a container's handler never runs and it exits 137."""
    out = tmp_path / "out"
    out.mkdir()
    cid = sb("run", "-d", "-v", f"{out}:/out", "busybox", "sh", "-c",
             "trap 'echo term > /out/t; exit 3' TERM; echo up > /out/up; "
             "sleep 100 & wait").stdout.strip()
    try:
        wait_for(lambda: (out / "up").exists(), timeout=30, what="the container's trap")
        sb("stop", "-t", "0", cid)
        assert sb("inspect", cid, "--format", "{{.State.ExitCode}}").stdout.strip() == "137"
        assert not (out / "t").exists()
    finally:
        sb("rm", "-f", "-t", "0", cid)
