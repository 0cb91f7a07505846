"""The product as a user installs it: scopebox's wheel, built from this checkout, installed with pip
into a fresh virtualenv of Debian's Python and run by a real non-root user; its units from the
wheel; a container run by it, its monitor under the system's Python; Supervisor's package of
the same name refused; and this machine's own install (packaging/install.sh)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clihelp import REPO, Scopebox

pytestmark = pytest.mark.host

USER = "nobody"  # a real user without any right on root's files
SYSTEM_PYTHON = "/usr/bin/python3"
PRODUCT = Path("/usr/lib/scopebox")  # where packaging/install.sh installs
INSTALLED = Path("/usr/local/bin/scopebox")
LAUNCHER = "/usr/local/bin/scopebox"  # inside a test's --destdir


def run(*argv: str | Path, user: str = "", **kw: object) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", user, "--"] if user else []
    return subprocess.run(
        [*prefix, *map(str, argv)], capture_output=True, text=True, cwd="/", timeout=300, **kw
    )  # type: ignore[call-overload, no-any-return]


def pip(venv: Path, *args: str | Path) -> None:
    res = run(venv / "bin/python3", "-I", "-m", "pip", "-q", "--disable-pip-version-check", *args)
    assert res.returncode == 0, res.stderr


def world_readable_dir() -> Path:
    """Not below pytest's tmp_path: that is root's alone, and USER must read what is here."""
    path = Path(tempfile.mkdtemp(prefix="scopebox-install-", dir="/tmp"))
    path.chmod(0o755)
    return path


def site_packages(venv: Path) -> Path:
    return venv / f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def imported_supervisor(command: Path, user: str) -> str:
    """Where `command` (a launcher script) loads the `supervisor` package from, as `user`: its
    own interpreter, run verbose (-v), names the file each module's code came from."""
    interp, *flags = command.read_text().splitlines()[0].removeprefix("#!").split()
    res = run(interp, *flags, "-v", command, "version", user=user)
    assert res.returncode == 0, res.stderr
    found = re.search(r"^# code object from '?(\S+?/supervisor/__pycache__/__init__\.\S+\.pyc)",
                      res.stderr, re.MULTILINE)  # fmt: skip
    assert found, f"supervisor was not loaded from compiled bytecode:\n{res.stderr[-2000:]}"
    return found[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    res = run("sh", REPO / "packaging/build-wheel.sh", out, sys.executable)
    assert res.returncode == 0, res.stderr
    (built,) = out.glob("scopebox-*.whl")
    return built


@pytest.fixture(scope="module")
def product(wheel: Path) -> Iterator[Path]:
    """`pip install` of the wheel into a fresh venv, then its units into a scratch root."""
    base = world_readable_dir()
    venv = base / "venv"
    assert run(SYSTEM_PYTHON, "-m", "venv", venv).returncode == 0
    pip(venv, "install", wheel)
    res = run(venv / "bin/scopebox-install-units", "--destdir", base / "root", "--launcher",
              LAUNCHER)  # fmt: skip
    assert (res.returncode, res.stderr) == (0, "")
    yield base
    shutil.rmtree(base)


def test_wheel_cli_runs_for_a_non_root_user(product: Path) -> None:
    for command in (product / "venv/bin/scopebox", product / f"root{LAUNCHER}"):
        version = run(command, "version", user=USER)
        assert version.returncode == 0, version.stderr
        assert version.stdout.startswith("Version:")
        usage = run(command, "--help", user=USER)
        assert usage.returncode == 0, usage.stderr
        assert "Usage:\n  scopebox [options] [command]" in usage.stdout


def test_wheel_cli_loads_the_installed_package_compiled(product: Path) -> None:
    venv = product / "venv"
    loaded = imported_supervisor(product / f"root{LAUNCHER}", USER)
    assert loaded.startswith(f"{site_packages(venv)}/supervisor/"), loaded
    assert not loaded.startswith(str(REPO))


def test_wheel_ships_units_for_the_installed_package(product: Path) -> None:
    root, venv = product / "root", product / "venv"
    unit = (root / "etc/systemd/system/scopebox-restart.service").read_text()
    assert f"\nExecStart={LAUNCHER} start --all " in unit
    generator = (root / "usr/lib/systemd/system-generators/scopebox-quadlet-generator").read_text()
    assert f" {site_packages(venv)} --scopebox={LAUNCHER} " in generator
    # journald's host-wide limit stays: the opt-in --journald-unlimited was not given
    assert not (root / "etc/systemd/journald.conf.d/50-scopebox.conf").exists()
    launcher = (root / LAUNCHER.lstrip("/")).read_text()
    assert launcher.startswith(f"#!{venv}/bin/python3 -IS\n")


def test_wheel_environment_shadows_no_standard_module(product: Path) -> None:
    """The monitor and the generator put site-packages FIRST on sys.path (python -I -S): a
    dependency's top-level `enum` or `json` there would replace the standard library's."""
    names = {p.name.split(".")[0] for p in site_packages(product / "venv").iterdir()}
    assert names & sys.stdlib_module_names == set()


def test_wheel_runs_a_container_monitored_by_the_system_python(product: Path, sb: Scopebox) -> None:
    command = product / f"root{LAUNCHER}"
    env = sb.environ()
    res = run(command, "run", "--rm", "busybox", "echo", "hello from the wheel", env=env)
    assert (res.returncode, res.stdout) == (0, "hello from the wheel\n"), res.stderr
    res = run(command, "run", "-d", "busybox", "sleep", "300", env=env)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    try:
        pid = sb.inspect(cid)["State"]["ConmonPid"]  # type: ignore[index]
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        assert argv[:3] == [SYSTEM_PYTHON, "-I", "-S"], argv
        root = str(site_packages(product / "venv"))
        assert root in argv, argv
        # The monitor's exit command runs from the wheel too; on a running container a no-op.
        exit_cmd = [a.removeprefix("--exit-command=") for a in argv if "--exit-command=" in a]
        assert exit_cmd[:3] == [str(product / "venv/bin/python3"), "-I", "-S"], exit_cmd
        assert root in exit_cmd
        res = run(*exit_cmd, env=env)
        assert res.returncode == 0, res.stderr
        assert sb.state(cid)["Running"] is True
    finally:
        sb("rm", "-f", cid)


def test_supervisord_in_the_same_environment_is_refused(wheel: Path) -> None:
    """pip mixes the two packages' files without a word, in either order; scopebox refuses."""
    base = world_readable_dir()
    try:
        venv = base / "venv"
        assert run(SYSTEM_PYTHON, "-m", "venv", venv).returncode == 0
        pip(venv, "install", "--no-deps", wheel)
        pip(venv, "install", "--no-deps", "supervisor")  # Supervisor, from PyPI
        for _ in range(2):
            res = run(venv / "bin/scopebox", "version")
            assert res.returncode == 125 and res.stdout == ""
            assert res.stderr.startswith("Error: the Python package 'supervisor' in ")
            assert "Supervisor (supervisord" in res.stderr and res.stderr.count("\n") == 1
            pip(venv, "install", "--no-deps", "--force-reinstall", wheel)  # ours over theirs
    finally:
        shutil.rmtree(base)


def test_machine_install_runs_for_any_user_from_its_wheel() -> None:
    if not (PRODUCT / "bin/scopebox-install-units").exists():
        pytest.skip("scopebox is not installed on this machine: run sh packaging/install.sh")
    for args in (["version"], ["--help"]):
        res = run(INSTALLED, *args, user=USER)
        assert res.returncode == 0, res.stderr
    loaded = imported_supervisor(INSTALLED, USER)
    assert loaded.startswith(f"{site_packages(PRODUCT)}/supervisor/"), loaded
    (dist,) = site_packages(PRODUCT).glob("scopebox-*.dist-info")
    origin = json.loads((dist / "direct_url.json").read_text())
    assert "archive_info" in origin and origin["url"].endswith(".whl"), origin  # not editable
