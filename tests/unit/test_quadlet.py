"""supervisor.quadlet: .container files -> services (pure), and the shipped generator script run
as systemd runs it (a real process over temporary directories)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor import install_units, quadlet
from tests.unit.test_units_unitfile import WORD
from units import unitfile

REPO = Path(__file__).resolve().parents[2]
SB = "/usr/local/bin/scopebox"
FIXED = [
    SB,
    "run",
    "--name=systemd-%N",
    "--cidfile=%t/%N.cid",
    "--replace",
    "--rm",
    "--cgroups=split",
    "--sdnotify=conmon",
    "-d",
]


def convert(tmp_path: Path, text: str, name: str = "web.container") -> quadlet.Service:
    path = tmp_path / name
    path.write_text(text)
    return quadlet.convert_file(str(path), [SB])


def problems(tmp_path: Path, text: str, name: str = "web.container") -> list[str]:
    with pytest.raises(quadlet.QuadletError) as info:
        convert(tmp_path, text, name)
    return [str(p).replace(str(tmp_path) + "/", "") for p in info.value.problems]


def exec_start(svc: quadlet.Service) -> list[str]:
    """ExecStart's words as systemd reads them, our own specifiers left unexpanded."""
    sec = svc.unit.section("Service")
    assert sec is not None
    value = sec.values("ExecStart")
    assert len(value) == 1
    return unitfile.split_words(value[0])


def user_words(words: list[str]) -> list[str]:
    return [unitfile.unescape_specifiers(w).replace("$$", "$") for w in words]


def test_minimal_container(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Container]\nImage=busybox\n")
    assert svc.name == "web.service"
    assert exec_start(svc) == [*FIXED, "busybox"]
    s = svc.unit.section("Service")
    assert s is not None
    assert [(e.key, e.value) for e in s.entries if e.key != "ExecStart"] == [
        ("KillMode", "mixed"),
        ("Type", "notify"),
        ("NotifyAccess", "all"),
        ("Delegate", "yes"),
        ("SyslogIdentifier", "%N"),
        ("Environment", "PODMAN_SYSTEMD_UNIT=%n"),
        ("ExecStop", f"{SB} rm -f -i --cidfile=%t/%N.cid"),
        ("ExecStopPost", f"-{SB} rm -f -i --cidfile=%t/%N.cid"),
        ("ExecStopPost", "-/bin/rm -f %t/%N.cid"),
    ]
    text = svc.unit.render()
    assert text.index("[Unit]") < text.index("[X-Container]") < text.index("[Service]")


def test_supported_keys_become_flags(tmp_path: Path) -> None:
    svc = convert(
        tmp_path,
        "[Container]\n"
        "Image=busybox\n"
        "ContainerName=web1\n"
        "Exec=sh -c 'echo $A'\n"
        'Environment=A=1 "B=two words"\n'
        "Environment=C=3\n"
        "EnvironmentFile=web.env\n"
        "Label=tier=front\n"
        "Volume=/srv/data:/data:ro\n"
        "Tmpfs=/run\n"
        "ReadOnly=yes\n"
        "VolatileTmp=true\n"
        "User=1000\n"
        "Group=100\n"
        "WorkingDir=/data\n"
        "HostName=web\n"
        "Network=host\n"
        "LogDriver=journald\n"
        "StopTimeout=3\n"
        "Ulimit=nofile=100:200\n"
        "PidsLimit=50\n"
        "Notify=yes\n"
        "PodmanArgs=--memory 64m\n",
    )
    words = exec_start(svc)
    assert words[:8] == [
        SB,
        "run",
        "--cidfile=%t/%N.cid",
        "--replace",
        "--rm",
        "--cgroups=split",
        "--sdnotify=container",
        "-d",
    ]
    assert user_words(words[8:]) == [
        "--name=web1",
        "--hostname=web",
        "--workdir=/data",
        "--log-driver=journald",
        "--stop-timeout=3",
        "--pids-limit=50",
        "--tmpfs=/run",
        "--ulimit=nofile=100:200",
        "--read-only",
        "--tmpfs=/tmp:rw,size=512M,mode=1777",
        "--user=1000:100",
        "--env=A=1",
        "--env=B=two words",
        "--env=C=3",
        "--label=tier=front",
        f"--env-file={tmp_path}/web.env",
        "--volume=/srv/data:/data:ro",
        "--network=host",
        "--memory",
        "64m",
        "busybox",
        "sh",
        "-c",
        "echo $A",
    ]
    unit = svc.unit.section("Unit")
    assert unit is not None and "/srv/data" in unit.values("RequiresMountsFor")


def test_unknown_and_unsupported_keys_are_reported_with_their_line(tmp_path: Path) -> None:
    text = (
        "[Unit]\nDescription=x\n\n[Container]\nImage=busybox\nFoo=bar\n"
        "RunInit=yes\nTimezone=UTC\nVolume=x;y:/data\nNotify=maybe\n"
    )
    assert problems(tmp_path, text) == [
        "web.container:6: unknown key Foo= in [Container]",
        "web.container:7: RunInit= is not supported by scopebox: --init is not supported",
        "web.container:8: Timezone= is not supported by scopebox: --tz is not supported",
        "web.container:9: Volume=x;y:/data: expected /host/path:/ctr/path, NAME:/ctr/path,"
        " NAME.volume:/ctr/path or /ctr/path",
        "web.container:10: Notify: not a boolean: 'maybe'",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("[Service]\nType=simple\n", "web.container: no [Container] section"),
        ("[Container]\nExec=true\n", "web.container: no Image= (or Rootfs=) in [Container]"),
        (
            "[Container]\nImage=b\n[Service]\nKillMode=none\n",
            "web.container:4: KillMode=none (only mixed or control-group work)",
        ),
        (
            "[Container]\nImage=b\n[Service]\nType=forking\n",
            "web.container:4: Type=forking (only notify or oneshot work)",
        ),
        ("[Container]\nImage=b\nExec=sh -c 'open\n", "web.container:3: Exec: unbalanced quote"),
        (
            "[Container]\nImage=b\n[Service]\nExecStart=/bin/true\n",
            "web.container:4: ExecStart= in [Service]",
        ),
        ("[Container]\nImage\n", "web.container:2: missing '='"),
        ("[Container]\nImage=b\nEnvironment=NOEQUALS\n", "web.container:3: Environment: expected"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    assert problems(tmp_path, text)[0].startswith(message)


def test_an_empty_value_resets_a_list(tmp_path: Path) -> None:
    svc = convert(
        tmp_path, "[Container]\nImage=b\nLabel=a=1\nLabel=\nLabel=b=2\nTmpfs=/x\nTmpfs=\n"
    )
    assert exec_start(svc)[len(FIXED) :] == ["--label=b=2", "b"]


def test_oneshot_runs_attached(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Container]\nImage=b\n[Service]\nType=oneshot\n")
    words = exec_start(svc)
    assert "-d" not in words and not any(w.startswith("--sdnotify") for w in words)
    s = svc.unit.section("Service")
    assert s is not None and s.values("Type") == ["oneshot"] and not s.values("NotifyAccess")


def test_install_section_becomes_links(tmp_path: Path) -> None:
    svc = convert(
        tmp_path,
        "[Container]\nImage=b\n[Install]\nWantedBy=multi-user.target default.target\n"
        "RequiredBy=x.target\nWantedBy=../evil\n",
    )
    assert svc.links == [
        "multi-user.target.wants/web.service",
        "default.target.wants/web.service",
        "x.target.requires/web.service",
    ]


# A value on one line of a .container file, as its author would quote it for systemd.
@given(st.lists(WORD, min_size=1, max_size=5), WORD, WORD)
def test_hostile_values_reach_run_literally(
    tmp_path_factory: pytest.TempPathFactory, exec_args: list[str], env: str, label: str
) -> None:
    tmp = tmp_path_factory.mktemp("q")
    svc = convert(
        tmp,
        "[Container]\nImage=busybox\n"
        f"Exec={unitfile.words_value(exec_args).replace('%%', '%')}\n"
        f"Environment={unitfile.words_value(['E=' + env]).replace('%%', '%')}\n"
        f"Label={unitfile.words_value(['l=' + label]).replace('%%', '%')}\n",
    )
    words = exec_start(svc)
    assert words[: len(FIXED)] == FIXED
    assert user_words(words[len(FIXED) :]) == [
        f"--env=E={env}",
        f"--label=l={label}",
        "busybox",
        *exec_args,
    ]


def test_directories_first_one_wins(tmp_path: Path) -> None:
    run, etc = tmp_path / "run", tmp_path / "etc"
    for d in (run, etc):
        d.mkdir()
    (run / "a.container").write_text("x")
    (etc / "a.container").write_text("y")
    (etc / "b.container").write_text("z")
    (etc / "c.txt").write_text("")
    found = quadlet.find_sources([str(run), str(etc), str(tmp_path / "missing")])
    assert found == [str(run / "a.container"), str(etc / "b.container")]
    env = {"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1"}
    assert quadlet.unit_dirs(True, env) == [
        "/run/user/1/containers/systemd",
        "/home/u/.config/containers/systemd",
    ]
    assert quadlet.unit_dirs(False, {}) == list(quadlet.SYSTEM_DIRS)
    assert quadlet.unit_dirs(False, {quadlet.DIRS_ENV: "/a:/b"}) == ["/a", "/b"]


def render_generator(dest: Path, scopebox: str = SB) -> Path:
    """The shipped generator script, filled in as scopebox-install-units does, for this
    checkout's code."""
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    dest.write_text(install_units.render_generator(scopebox, py, str(REPO)))
    dest.chmod(0o755)
    return dest


def test_generator_script_writes_units_and_reports_problems(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "web.container").write_text(
        "[Container]\nImage=busybox\n[Install]\nWantedBy=multi-user.target\n"
    )
    (src / "bad.container").write_text("[Container]\nImage=busybox\nBogus=1\n")
    gen = render_generator(tmp_path / "scopebox-quadlet-generator")
    env = {"PATH": "/usr/bin:/bin", quadlet.DIRS_ENV: str(src)}
    res = subprocess.run(
        [str(gen), "--no-kmsg-log", str(out), str(tmp_path / "early"), str(tmp_path / "late")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(out)) == ["multi-user.target.wants", "web.service"]
    assert os.readlink(out / "multi-user.target.wants/web.service") == "../web.service"
    assert f"ExecStart={SB} run --name=systemd-%N" in (out / "web.service").read_text()
    assert f"{src}/bad.container:3: unknown key Bogus= in [Container]" in res.stderr


def test_generator_without_output_dir_fails(tmp_path: Path) -> None:
    gen = render_generator(tmp_path / "g")
    res = subprocess.run([str(gen), "--no-kmsg-log"], capture_output=True, text=True)
    assert res.returncode == 1 and "missing output directory" in res.stderr


def test_quadlet_verb_dryrun_and_output_dir(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "web.container").write_text("[Container]\nImage=busybox\n")
    (src / "db.pod").write_text("[Pod]\nFoo=1\n")  # pods (helper podsx): a bad one
    env = {**os.environ, quadlet.DIRS_ENV: str(src), "SCOPEBOX_BINARY": SB}
    cmd = [sys.executable, "-m", "supervisor", "quadlet"]
    res = subprocess.run([*cmd, "--dryrun"], env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 125
    assert res.stdout.startswith("---web.service---\n# Automatically generated")
    assert f"ExecStart={SB} run " in res.stdout
    assert (
        res.stderr
        == f"{src}/db.pod:2: unknown key Foo= in [Pod] (skipped)\n"
    )
    out = tmp_path / "out"
    res = subprocess.run([*cmd, str(out)], env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 125 and os.listdir(out) == ["web.service"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 125 and "an output directory is required" in res.stderr


def test_user_generator_reads_the_users_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config/containers/systemd").mkdir(parents=True)
    (home / ".config/containers/systemd/mine.container").write_text("[Container]\nImage=b\n")
    gen = render_generator(tmp_path / "scopebox-quadlet-user-generator")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    res = subprocess.run([str(gen), "--dryrun"], env=env, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("---mine.service---\n"), res.stderr


def test_security_keys_become_flags(tmp_path: Path) -> None:
    """AddCapability=, NoNewPrivileges=, ... (supervisor/security) are run flags, not refused."""
    svc = convert(tmp_path, (
        "[Container]\nImage=busybox\nAddCapability=CAP_NET_RAW SYS_ADMIN\nDropCapability=CHOWN\n"
        "AddDevice=/dev/null:/dev/x:rw\nNoNewPrivileges=true\nSeccompProfile=/p.json\n"
        "SecurityLabelDisable=true\nMask=/proc/cpuinfo\nUnmask=ALL\n"
    ))  # fmt: skip
    words = exec_start(svc)
    for flag in ("--cap-add=CAP_NET_RAW", "--cap-add=SYS_ADMIN", "--cap-drop=CHOWN",
                 "--device=/dev/null:/dev/x:rw", "--security-opt=no-new-privileges",
                 "--security-opt=seccomp=/p.json", "--security-opt=label=disable",
                 "--security-opt=mask=/proc/cpuinfo", "--security-opt=unmask=ALL"):
        assert flag in words, flag


def test_user_namespace_keys_become_flags(tmp_path: Path) -> None:
    """issues 17/19: UserNS=, UIDMap=, GIDMap=, SubUIDMap=, SubGIDMap= are run's flags."""
    words = exec_start(convert(tmp_path, (
        "[Container]\nImage=busybox\nUserNS=auto:size=2048\nUIDMap=0:100000:10\n"
        "UIDMap=10:200:1\nGIDMap=0:100000:11\nSubUIDMap=containers\nSubGIDMap=containers\n"
    )))  # fmt: skip
    for flag in ("--userns=auto:size=2048", "--uidmap=0:100000:10", "--uidmap=10:200:1",
                 "--gidmap=0:100000:11", "--subuidname=containers",
                 "--subgidname=containers"):
        assert flag in words, flag


def test_secret_keys_become_flags(tmp_path: Path) -> None:
    """secrets: Secret= (repeatable) is run's --secret, as Quadlet's."""
    words = exec_start(convert(tmp_path, "[Container]\nImage=busybox\nSecret=tok\n"
                               "Secret=tok,type=env,target=TOK\n"))
    assert "--secret=tok" in words and "--secret=tok,type=env,target=TOK" in words


# volumes (issue 14): .volume files and Volume=NAME.volume ---------------------------------


def test_volume_file_becomes_a_oneshot_creating_the_volume(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Volume]\nLabel=app=db\nType=tmpfs\nDevice=tmpfs\n"
                  "Options=size=1m\nUser=1000\nCopy=false\n", "data.volume")
    assert svc.name == "data-volume.service"
    words = exec_start(svc)
    assert words == [SB, "volume", "create", "--ignore", "--label=app=db", "--opt=type=tmpfs",
                     "--opt=device=tmpfs", "--opt=o=size=1m", "--opt=uid=1000", "--opt=nocopy",
                     "systemd-data"]
    s = svc.unit.section("Service")
    assert s is not None and s.values("Type") == ["oneshot"]
    assert s.values("RemainAfterExit") == ["yes"]


def test_volume_name_and_bad_volume_files(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Volume]\nVolumeName=pgdata\n", "db.volume")
    assert exec_start(svc)[-1] == "pgdata"
    assert problems(tmp_path, "[Volume]\nVolumeName=a b\nFoo=1\nImage=x\nDriver=nfs\n",
                    "v.volume") == [
        "v.volume:2: invalid volume name 'a b' (names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)",
        "v.volume:3: unknown key Foo= in [Volume]",
        "v.volume:4: Image= is not supported by scopebox: image volumes are not supported",
        "v.volume:5: Driver=nfs: only the local driver exists",
    ]
    assert problems(tmp_path, "[Volume]\nVolumeName=x;rm -rf\n", "w.volume")[0].startswith(
        "w.volume:2: invalid volume name")
    assert problems(tmp_path, "[X]\n", "a.volume") == ["a.volume: no [Volume] section"]


def test_container_uses_a_volume_unit(tmp_path: Path) -> None:
    (tmp_path / "data.volume").write_text("[Volume]\nVolumeName=appdata\n")
    svc = convert(tmp_path, "[Container]\nImage=b\nVolume=data.volume:/d:ro\n"
                  "Volume=named:/n\nVolume=/anon\nMount=type=tmpfs,dst=/t\n")
    assert exec_start(svc)[len(FIXED):] == [
        "--volume=appdata:/d:ro", "--volume=named:/n", "--volume=/anon",
        "--mount=type=tmpfs,dst=/t", "b"]
    unit = svc.unit.section("Unit")
    assert unit is not None
    assert unit.values("Requires") == ["data-volume.service"]
    assert unit.values("After") == ["data-volume.service"]
    # without the .volume file beside it: Podman's default name
    svc = convert(tmp_path, "[Container]\nImage=b\nVolume=other.volume:/d\n", "x.container")
    assert exec_start(svc)[len(FIXED):] == ["--volume=systemd-other:/d", "b"]


def test_network_keys_become_run_flags(tmp_path: Path) -> None:
    """networking (issue 13): Quadlet's network keys, one flag per value."""
    svc = convert(
        tmp_path,
        "[Container]\nImage=busybox\nNetwork=back\nPublishPort=8080:80\n"
        "PublishPort=127.0.0.1::53/udp\nExposeHostPort=90\nIP=10.89.0.5\nIP6=fd00::5\n"
        "DNS=9.9.9.9\n"
        "DNSSearch=example.com\nDNSOption=ndots:2\nAddHost=db:10.0.0.2\nNetworkAlias=web\n",
    )
    words = exec_start(svc)
    for flag in ("--network=back", "--publish=8080:80", "--publish=127.0.0.1::53/udp",
                 "--expose=90", "--ip=10.89.0.5", "--ip6=fd00::5", "--dns=9.9.9.9",
                 "--dns-search=example.com",
                 "--dns-option=ndots:2", "--add-host=db:10.0.0.2", "--network-alias=web"):
        assert flag in words, flag


# networking (issue 13): .network files and Network=NAME.network -----------------------------


def test_network_file_becomes_a_oneshot_creating_the_network(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Network]\nDriver=bridge\nSubnet=10.91.0.0/24\nGateway=10.91.0.1\n"
                  "IPRange=10.91.0.128/25\nInternal=yes\nDisableDNS=true\nIPv6=1\n"
                  "IPAMDriver=host-local\nLabel=app=web tier=front\nOptions=mtu=1400\n"
                  "ScopeboxArgs=--label x=y\n[Install]\nWantedBy=multi-user.target\n",
                  "back.network")
    assert svc.name == "back-network.service"
    assert exec_start(svc) == [
        SB, "network", "create", "--ignore", "--subnet=10.91.0.0/24", "--gateway=10.91.0.1",
        "--ip-range=10.91.0.128/25", "--internal", "--disable-dns", "--ipv6",
        "--label=app=web", "--label=tier=front", "--opt=mtu=1400", "--label", "x=y",
        "systemd-back"]
    s = svc.unit.section("Service")
    assert s is not None and s.values("Type") == ["oneshot"]
    assert s.values("RemainAfterExit") == ["yes"]
    assert svc.links == ["multi-user.target.wants/back-network.service"]
    assert exec_start(convert(tmp_path, "[Network]\nInternal=no\n", "n.network")) == [
        SB, "network", "create", "--ignore", "systemd-n"]


def test_network_name_and_bad_network_files(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Network]\nNetworkName=front\n", "f.network")
    assert exec_start(svc)[-1] == "front"
    assert problems(tmp_path, "[Network]\nNetworkName=a b\nFoo=1\nGlobalArgs=--x\n"
                    "Driver=macvlan\nIPAMDriver=dhcp\nOptions=isolate\n", "v.network") == [
        "v.network:2: invalid network name 'a b' (names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)",
        "v.network:3: unknown key Foo= in [Network]",
        "v.network:4: GlobalArgs= is not supported by scopebox: use [Service]"
        " Environment=SCOPEBOX_ROOT=... instead",
        "v.network:5: Driver=macvlan: only the bridge driver exists",
        "v.network:6: IPAMDriver=dhcp: only host-local exists",
        "v.network:7: Options=isolate: expected KEY=VALUE (mtu=N, isolate=B)",
    ]
    assert problems(tmp_path, "[Network]\nNetworkName=x;rm -rf\n", "w.network")[0].startswith(
        "w.network:2: invalid network name")
    assert problems(tmp_path, "[Network]\nNetworkName=" + "a" * 201 + "\n", "l.network")[
        0].startswith("l.network:2: invalid network name")
    assert problems(tmp_path, "[X]\n", "a.network") == ["a.network: no [Network] section"]


def test_container_uses_a_network_unit(tmp_path: Path) -> None:
    (tmp_path / "back.network").write_text("[Network]\nNetworkName=backend\n")
    svc = convert(tmp_path, "[Container]\nImage=b\nNetwork=back.network\nNetwork=other\n")
    assert exec_start(svc)[len(FIXED):] == ["--network=backend", "--network=other", "b"]
    unit = svc.unit.section("Unit")
    assert unit is not None
    assert unit.values("Requires") == ["back-network.service"]
    assert unit.values("After") == ["back-network.service"]
    # without the .network file beside it: Podman's default name
    svc = convert(tmp_path, "[Container]\nImage=b\nNetwork=other.network\n", "x.container")
    assert exec_start(svc)[len(FIXED):] == ["--network=systemd-other", "b"]
    (tmp_path / "bad.network").write_text("[Network]\nNetworkName=a/b\n")
    assert problems(tmp_path, "[Container]\nImage=b\nNetwork=bad.network\n", "y.container") == [
        "y.container:3: Network=bad.network: invalid network name 'a/b'"
        " (names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)"]


# kube (issue 15): `.kube` files


def test_kube_file_becomes_a_oneshot_playing_the_yaml(tmp_path: Path) -> None:
    svc = convert(tmp_path, "[Kube]\nYaml=web.yaml\nConfigMap=/etc/cm.yaml\nNetwork=none\n"
                  "LogDriver=journald\nScopeboxArgs=--start=false\n[Install]\n"
                  "WantedBy=default.target\n", "web.kube")
    assert svc.name == "web.service"
    yaml = f"{tmp_path}/web.yaml"
    assert exec_start(svc) == [SB, "kube", "play", "--replace", "--configmap=/etc/cm.yaml",
                               "--network=none", "--log-driver=journald", "--start=false", yaml]
    s = svc.unit.section("Service")
    assert s is not None and s.values("Type") == ["oneshot"]
    assert s.values("RemainAfterExit") == ["yes"]
    assert unitfile.read_exec_value(s.values("ExecStop")[0]) == [SB, "kube", "down", yaml]
    assert svc.links == ["default.target.wants/web.service"]


def test_bad_kube_files(tmp_path: Path) -> None:
    assert problems(tmp_path, "[Kube]\nPublishPort=80\nFoo=1\nUserNS=auto\n", "k.kube") == [
        "k.kube: no Yaml= in [Kube]",
        "k.kube:2: PublishPort= is not supported by scopebox: publish ports with hostPort in"
        " the YAML",
        "k.kube:3: unknown key Foo= in [Kube]",
        "k.kube:4: UserNS= is not supported by scopebox: user namespaces are not supported yet",
    ]
    assert problems(tmp_path, "[X]\n", "a.kube") == ["a.kube: no [Kube] section"]
