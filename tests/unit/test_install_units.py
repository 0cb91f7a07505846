"""scopebox-install-units into a scratch --destdir: the files a real install writes, the boot
unit systemd would read, the generators and the launcher run as real processes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from supervisor import install_units
from units import unitfile

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = "/usr/local/bin/scopebox"


def install(dest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supervisor.install_units", "--destdir", str(dest), *args],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip


def test_installs_unit_generators_dropin_and_launcher(tmp_path: Path) -> None:
    for _ in range(2):  # idempotent
        res = install(tmp_path, "--launcher", LAUNCHER)
        assert (res.returncode, res.stderr) == (0, "")
    unit = unitfile.parse((tmp_path / install_units.UNIT_FILE).read_text())
    service = next(s for s in unit.sections if s.name == "Service")
    exec_start = next(e.value for e in service.entries if e.key == "ExecStart")
    assert unitfile.read_exec_value(exec_start)[:3] == [LAUNCHER, "start", "--all"]
    wants = tmp_path / install_units.WANTS_LINK
    assert os.readlink(wants) == "/etc/systemd/system/scopebox-restart.service"
    assert not (tmp_path / install_units.JOURNALD_DROPIN).exists()  # opt-in only
    for gen in install_units.GENERATORS:
        text = (tmp_path / gen).read_text()
        assert f"{install_units.PACKAGE_ROOT} --scopebox={LAUNCHER}" in text, text
        assert stat.S_IMODE((tmp_path / gen).stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == []
    # kube (issue 15): the template, not enabled
    kube = unitfile.parse((tmp_path / install_units.KUBE_FILE).read_text())
    service = next(s for s in kube.sections if s.name == "Service")
    values = {e.key: e.value for e in service.entries}
    assert values["ExecStart"] == f"{LAUNCHER} kube play --replace %f"  # %f: the file's path
    assert values["ExecStop"] == f"{LAUNCHER} kube down %f"
    assert not list(tmp_path.rglob("*.wants/scopebox-kube@*"))


def test_journald_unlimited_is_an_opt_in(tmp_path: Path) -> None:
    """The host-wide drop-in only with --journald-unlimited; a plain install keeps what is
    there; --no-journald-unlimited takes it away."""
    dropin = tmp_path / install_units.JOURNALD_DROPIN
    assert install(tmp_path, "--journald-unlimited").returncode == 0
    assert "\n[Journal]\nRateLimitIntervalSec=0\n" in dropin.read_text()
    assert install(tmp_path).returncode == 0
    assert dropin.exists()
    assert install(tmp_path, "--no-journald-unlimited").returncode == 0
    assert not dropin.exists()
    res = install(tmp_path, "--journald-unlimited", "--no-journald-unlimited")
    assert res.returncode == 2 and "not allowed with" in res.stderr


def test_launcher_runs_the_cli_of_this_environment(tmp_path: Path) -> None:
    assert install(tmp_path, "--launcher", "/bin/scopebox").returncode == 0
    launcher = tmp_path / "bin/scopebox"
    first = launcher.read_text().splitlines()[0]
    assert first == f"#!{sys.executable} -IS"
    res = subprocess.run([str(launcher), "version"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("Version:")


def test_boot_unit_is_enabled_once_a_disable_holds(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    (tmp_path / install_units.WANTS_LINK).unlink()  # `systemctl disable`
    assert install(tmp_path).returncode == 0
    assert not (tmp_path / install_units.WANTS_LINK).exists()
    assert (tmp_path / install_units.UNIT_FILE).is_file()


def test_units_default_to_the_scopebox_beside_this_python(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    unit = (tmp_path / install_units.UNIT_FILE).read_text()
    beside = os.path.join(os.path.dirname(sys.executable), "scopebox")
    assert f"\nExecStart={beside} start --all " in unit
    assert not (tmp_path / "usr/local/bin/scopebox").exists()


def test_user_generator_runs_as_user_generator(tmp_path: Path) -> None:
    """Both scripts are one text; systemd's name for it says which: --user for the user one."""
    assert install(tmp_path, "--launcher", LAUNCHER).returncode == 0
    config, out = tmp_path / "config", tmp_path / "out"
    (config / "containers/systemd").mkdir(parents=True)
    (config / "containers/systemd/web.container").write_text("[Container]\nImage=busybox\n")
    env = {"PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(config)}  # a user's unit dir
    gen = tmp_path / install_units.GENERATORS[1]
    res = subprocess.run([str(gen), "--no-kmsg-log", str(out)], env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f"ExecStart={LAUNCHER} run " in (out / "web.service").read_text()


def test_relative_scopebox_is_refused_in_one_line(tmp_path: Path) -> None:
    res = install(tmp_path, "--scopebox", "scopebox")
    assert res.returncode == 125
    assert res.stderr == "Error: --scopebox 'scopebox': needs an absolute path\n"
    assert list(tmp_path.iterdir()) == []


def test_unwritable_destination_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "etc").write_text("a file where a directory must be")
    res = install(tmp_path)
    assert res.returncode == 125
    assert res.stderr.startswith("Error: ") and res.stderr.count("\n") == 1
    assert "Traceback" not in res.stderr


def test_api_socket_and_service(tmp_path: Path) -> None:
    """The Docker API (issue 18): the socket enabled for sockets.target, the service it
    starts running `system service` of the scopebox given."""
    assert install(tmp_path, "--launcher", LAUNCHER).returncode == 0
    sock = unitfile.parse((tmp_path / install_units.API_SOCKET_FILE).read_text())
    values = {e.key: e.value for s in sock.sections if s.name == "Socket" for e in s.entries}
    assert values["ListenStream"] == "/run/scopebox/scopebox.sock"
    assert (values["SocketMode"], values["Accept"]) == ("0660", "no")
    link = tmp_path / install_units.API_SOCKET_LINK
    assert os.readlink(link) == "/etc/systemd/system/scopebox.socket"
    service = unitfile.parse((tmp_path / install_units.API_SERVICE_FILE).read_text())
    values = {e.key: e.value for s in service.sections if s.name == "Service" for e in s.entries}
    assert unitfile.read_exec_value(values["ExecStart"]) == [
        LAUNCHER, "system", "service", "--time", "5"]
    link.unlink()  # an administrator's disable holds across updates
    assert install(tmp_path).returncode == 0
    assert not link.exists()


def test_user_api_socket_and_service(tmp_path: Path) -> None:
    """A rootless user's Docker API (issue 18): shipped for `systemctl --user`, not enabled
    (as Podman's), on the user's runtime dir, the user's alone."""
    assert install(tmp_path, "--launcher", LAUNCHER).returncode == 0
    sock = unitfile.parse((tmp_path / install_units.USER_API_SOCKET_FILE).read_text())
    values = {e.key: e.value for s in sock.sections if s.name == "Socket" for e in s.entries}
    assert values["ListenStream"] == "%t/scopebox/scopebox.sock"
    assert (values["SocketMode"], values["DirectoryMode"], values["Accept"]) == (
        "0600", "0700", "no")
    assert not (tmp_path / "etc/systemd/user/sockets.target.wants").exists()
    service = unitfile.parse((tmp_path / install_units.USER_API_SERVICE_FILE).read_text())
    values = {(s.name, e.key): e.value for s in service.sections for e in s.entries}
    assert unitfile.read_exec_value(values["Service", "ExecStart"]) == [
        LAUNCHER, "system", "service", "--time", "5"]
    assert (values["Unit", "Requires"], values["Service", "KillMode"]) == (
        "scopebox.socket", "process")


def test_network_reload_unit(tmp_path: Path) -> None:
    """Networks (issue 13): `network reload` at boot and after the firewall's own (re)load,
    ordered after it and bound to it; enabled once."""
    assert install(tmp_path, "--launcher", LAUNCHER).returncode == 0
    unit = unitfile.parse((tmp_path / install_units.NET_RELOAD_FILE).read_text())
    values = {(s.name, e.key): e.value for s in unit.sections for e in s.entries}
    for key in ("ExecStart", "ExecReload"):
        assert unitfile.read_exec_value(values["Service", key]) == [
            LAUNCHER, "network", "reload", "--all"]
    for key in ("After", "PartOf", "ReloadPropagatedFrom"):
        assert values["Unit", key].split() == ["nftables.service", "firewalld.service"]
    links = [tmp_path / rel for rel in install_units.NET_RELOAD_LINKS]
    assert [os.readlink(p) for p in links] == [f"/{install_units.NET_RELOAD_FILE}"] * 3
    links[0].unlink()  # an administrator's disable holds across updates
    assert install(tmp_path).returncode == 0
    assert not links[0].exists()
def test_docker_socket_is_opt_in(tmp_path: Path) -> None:
    """/run/docker.sock (issue 18): nothing without --docker-socket; with it the link now and a
    tmpfiles.d line that systemd-tmpfiles makes the same link from at boot; --no-docker-socket
    takes both away; somebody else's /run/docker.sock is never replaced."""
    link = tmp_path / "run/docker.sock"
    conf = tmp_path / install_units.DOCKER_TMPFILES
    assert install(tmp_path).returncode == 0
    assert not os.path.lexists(link) and not conf.exists()
    assert install(tmp_path, "--docker-socket").returncode == 0
    assert os.readlink(link) == "/run/scopebox/scopebox.sock"
    link.unlink()
    res = subprocess.run(["systemd-tmpfiles", "--create", f"--root={tmp_path}", str(conf)],
                         capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert os.readlink(link) == "/run/scopebox/scopebox.sock"
    assert install(tmp_path, "--no-docker-socket").returncode == 0
    assert not os.path.lexists(link) and not conf.exists()
    link.write_text("docker's own")
    res = install(tmp_path, "--docker-socket")
    assert res.returncode == 125
    assert res.stderr == "Error: /run/docker.sock exists and is not scopebox's: not replaced\n"
    assert link.read_text() == "docker's own"
