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
        "PublishPort=8080:80\nTimezone=UTC\nVolume=data.volume:/data\nNotify=maybe\n"
    )
    assert problems(tmp_path, text) == [
        "web.container:6: unknown key Foo= in [Container]",
        "web.container:7: PublishPort=8080:80: scopebox does not publish ports yet",
        "web.container:8: Timezone= is not supported by scopebox: --tz is not supported",
        "web.container:9: Volume=data.volume:/data: only bind mounts (/host/path:/ctr/path) work",
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


@pytest.mark.parametrize("ext", [".volume", ".network", ".pod", ".kube"])
def test_other_kinds_are_reported_unsupported(tmp_path: Path, ext: str) -> None:
    assert "files are not supported" in problems(tmp_path, "[X]\n", "a" + ext)[0]


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
    (src / "db.pod").write_text("[Pod]\n")
    env = {**os.environ, quadlet.DIRS_ENV: str(src), "SCOPEBOX_BINARY": SB}
    cmd = [sys.executable, "-m", "supervisor", "quadlet"]
    res = subprocess.run([*cmd, "--dryrun"], env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 125
    assert res.stdout.startswith("---web.service---\n# Automatically generated")
    assert f"ExecStart={SB} run " in res.stdout
    assert (
        res.stderr
        == f"{src}/db.pod: .pod files are not supported: scopebox has no pods (skipped)\n"
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
