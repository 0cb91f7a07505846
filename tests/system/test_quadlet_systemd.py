"""Units for users under the real systemd: `generate systemd` output installed and driven with
systemctl, and the shipped Quadlet generator turning /etc/containers/systemd/*.container into
services that run (and only run) what the file says."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import cases
from tests.clihelp import REPO, SCOPEBOX, Scopebox, leftovers, wait_for
from tests.unit.test_quadlet import render_generator
from units import unitfile

pytestmark = pytest.mark.systemd

SCOPEBOX_BIN = str(Path(sys.executable).parent / "scopebox")
QUADLET_DIR = Path("/etc/containers/systemd")
UNIT_DIR = Path("/etc/systemd/system")
GENERATOR = Path("/run/systemd/system-generators/scopebox-quadlet-generator")


def systemctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemctl", *args], capture_output=True, text=True, check=check, timeout=120
    )


def show(unit: str, prop: str) -> str:
    return systemctl("show", "-P", prop, unit).stdout.strip()


def journal_messages(unit: str) -> list[str]:
    subprocess.run(["journalctl", "--sync"], check=False)
    out = subprocess.run(
        ["journalctl", "-u", unit, "-o", "json", "--no-pager"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [str(json.loads(line).get("MESSAGE")) for line in out.splitlines() if line.strip()]


def unit_flags_missing() -> str | None:
    """`--new` units and Quadlet services need run --cidfile/--replace/--cgroups=split/--sdnotify
    and rm -i --cidfile (branch `restart`, /work/helpers/CONTRACT-units.md)."""
    run = subprocess.run([SCOPEBOX_BIN, "run", "--help"], capture_output=True, text=True).stdout
    rm = subprocess.run([SCOPEBOX_BIN, "rm", "--help"], capture_output=True, text=True).stdout
    missing = [f for f in ("--cidfile", "--replace", "--sdnotify") if f not in run]
    missing += [f"rm {f}" for f in ("--cidfile", "--ignore") if f not in rm]
    return f"scopebox lacks {', '.join(missing)} (CONTRACT-units.md)" if missing else None


@pytest.fixture
def env_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOPEBOX_BINARY", SCOPEBOX_BIN)


@pytest.fixture
def generator() -> Iterator[Path]:
    GENERATOR.parent.mkdir(parents=True, exist_ok=True)
    render_generator(GENERATOR, SCOPEBOX_BIN)
    QUADLET_DIR.mkdir(parents=True, exist_ok=True)
    yield QUADLET_DIR
    GENERATOR.unlink()
    systemctl("daemon-reload")


@contextlib.contextmanager
def installed_many(files: dict[Path, str]) -> Iterator[None]:
    """pods (helper podsx): several files at once (a pod's units), removed afterwards."""
    for path, text in files.items():
        path.write_text(text)
    try:
        yield
    finally:
        for path in files:
            path.unlink()
        systemctl("daemon-reload")


@contextlib.contextmanager
def installed(path: Path, text: str) -> Iterator[None]:
    path.write_text(text)
    try:
        yield
    finally:
        path.unlink()
        systemctl("daemon-reload")


def test_generate_systemd_starts_and_stops_the_existing_container(
    sb: Scopebox, env_binary: None
) -> None:
    name = cases.unique("gen")
    cid = sb("create", "--name", name, "busybox", "sleep", "1000").stdout.strip()
    res = sb("generate", "systemd", "--name", "--no-header", "--stop-timeout", "2", name)
    assert res.stdout.startswith(f"# container-{name}.service\n\n[Unit]\n")
    unit = f"container-{name}.service"
    with installed(UNIT_DIR / unit, res.stdout):
        verify = subprocess.run(
            ["systemd-analyze", "verify", str(UNIT_DIR / unit)], capture_output=True, text=True
        )
        assert name not in verify.stderr, verify.stderr
        systemctl("daemon-reload")
        systemctl("start", unit)
        assert sb.state(name)["Status"] == "running"
        monitor_pid = (Path(sb.runroot) / "containers" / cid / "monitor.pid").read_text()
        assert show(unit, "MainPID") == monitor_pid.strip()
        systemctl("stop", unit)
        assert sb.state(name)["Status"] == "exited"
        assert show(unit, "ActiveState") == "inactive"
        # The monitor is the unit's main process: the container's end ends the unit.
        systemctl("start", unit)
        sb("kill", name)
        wait_for(lambda: show(unit, "ActiveState") != "active", what="unit to notice the exit")
    sb("rm", "-f", name)
    assert leftovers(sb, cid) == []


def test_generate_systemd_refuses_bad_values(sb: Scopebox, env_binary: None) -> None:
    name = cases.unique("gen")
    sb("create", "--name", name, "busybox", "true")
    res = sb("generate", "systemd", "--restart-policy", "sometimes", name, check=False)
    assert res.returncode == 125
    assert res.stderr == "Error: sometimes is not a valid restart policy\n"
    res = sb("generate", "systemd", "--separator", "/", name, check=False)
    assert res.returncode == 125 and "invalid unit name" in res.stderr
    res = sb("generate", "systemd", "nosuchcontainer", check=False)
    assert res.returncode == 125
    res = sb("generate", "spec", name, check=False)  # kube (issue 15): kube is one now
    assert res.returncode == 125 and res.stderr.startswith(  # Podman's words
        "Error: unrecognized command `scopebox generate spec`\n"), res
    sb("rm", name)


def test_generate_systemd_new_runs_a_fresh_container(sb: Scopebox, env_binary: None) -> None:
    if (why := unit_flags_missing()) is not None:
        pytest.skip(why)
    name = cases.unique("gennew")
    tag = uuid.uuid4().hex[:8]
    hostile = f"a b;%n $HOME \"q\" 'q' \\ é {tag}"
    old = sb(
        "create", "--name", name, "-e", f"H={hostile}", "busybox",
        "sh", "-c", 'echo "out:$H"; exec sleep 1000',
    ).stdout.strip()  # fmt: skip
    res = sb("generate", "systemd", "--new", "--name", "--stop-timeout", "2", name)
    unit = f"container-{name}.service"
    sb("rm", name)
    with installed(UNIT_DIR / unit, res.stdout):
        systemctl("daemon-reload")
        systemctl("start", unit)
        new = sb.inspect(name)
        assert new["Id"] != old and sb.state(name)["Status"] == "running"
        assert Path(f"/run/{unit}.ctr-id").read_text().strip() == new["Id"]
        wait_for(lambda: f"out:{hostile}" in journal_messages(unit), what="output in the journal")
        systemctl("stop", unit)
        assert name not in sb("ps", "-a", "--format", "{{.Names}}").stdout
        assert not Path(f"/run/{unit}.ctr-id").exists()
        assert leftovers(sb, str(new["Id"])) == []


def test_generate_systemd_template_runs_one_container_per_instance(
    sb: Scopebox, env_binary: None
) -> None:
    """issue 19: --template (NAME@.service, one container NAME-INSTANCE per instance),
    --env, --after, --start-timeout, as systemd reads them."""
    name = cases.unique("gentpl")
    sb("create", "--name", name, "busybox", "sh", "-c", "exec sleep 1000")
    res = sb("generate", "systemd", "--template", "--name", "--stop-timeout", "2",
             "--env", "GREETING=hi there", "--after", "local-fs.target",
             "--start-timeout", "77", name)
    sb("rm", name)
    template = f"container-{name}@.service"
    units = [f"container-{name}@{i}.service" for i in ("a", "b")]
    with installed(UNIT_DIR / template, res.stdout):
        systemctl("daemon-reload")
        started = systemctl("start", *units, check=False)
        try:
            assert started.returncode == 0, journal_messages(units[0])[-15:]
            running = sb("ps", "--format", "{{.Names}}").stdout.split()
            assert {f"{name}-a", f"{name}-b"} <= set(running)
            assert "GREETING=hi there" in show(units[0], "Environment")
            assert f"PODMAN_SYSTEMD_UNIT={units[0]}-a" in show(units[0], "Environment")
            assert "local-fs.target" in show(units[1], "After").split()
            assert show(units[1], "TimeoutStartUSec") == "1min 17s"
        finally:
            systemctl("stop", *units)
        assert not {f"{name}-a", f"{name}-b"} & set(sb("ps", "-a", "--format",
                                                     "{{.Names}}").stdout.split())


def test_quadlet_container_runs_under_systemctl(sb: Scopebox, generator: Path) -> None:
    if (why := unit_flags_missing()) is not None:
        pytest.skip(why)
    name = cases.unique("quad")
    tag = uuid.uuid4().hex[:8]
    text = (
        "[Unit]\nDescription=quadlet test\n\n[Container]\nImage=busybox\n"
        f"ContainerName={name}\nExec=sh -c 'echo quadlet-hello-{tag}; exec sleep 1000'\n"
    )
    unit = f"{name}.service"
    with installed(generator / f"{name}.container", text):
        systemctl("daemon-reload")
        assert show(unit, "SourcePath") == str(generator / f"{name}.container")
        generated = f"/run/systemd/generator/{unit}"
        verify = subprocess.run(
            ["systemd-analyze", "verify", generated], capture_output=True, text=True
        )
        assert name not in verify.stderr, verify.stderr
        systemctl("start", unit)
        cid = str(sb.inspect(name)["Id"])
        assert f"{name} Up" in sb("ps", "--format", "{{.Names}} {{.Status}}").stdout
        wait_for(
            lambda: f"quadlet-hello-{tag}" in journal_messages(unit), what="output in the journal"
        )
        systemctl("stop", unit)
        assert name not in sb("ps", "-a", "--format", "{{.Names}}").stdout
        assert show(unit, "ActiveState") == "inactive"
        assert leftovers(sb, cid) == []


def test_malicious_container_file_is_inert(sb: Scopebox, generator: Path, tmp_path: Path) -> None:
    """Values built to break out (new lines, new keys, specifiers, variables, extra arguments)
    reach the container as exactly the literal text."""
    if (why := unit_flags_missing()) is not None:
        pytest.skip(why)
    name = cases.unique("evil")
    out = tmp_path / "out"
    out.mkdir()
    pwned = tmp_path / "pwned"
    args = [
        "%n",
        "%%",
        "$HOME",
        "${HOME}",
        ";",
        f"; touch {pwned}",
        '"',
        "'",
        "\\",
        "x\nExecStartPre=/bin/touch " + str(pwned),
        "--privileged",
        "é☃",
        "",
    ]
    env = 'x %n $HOME; "--rm" \\ \n y'

    def systemd_words(words: list[str]) -> str:
        return unitfile.words_value(words).replace("%%", "%")  # % is not special in .container

    script = 'for a in "$@"; do printf "%s\\0" "$a"; done > /out/argv; printf "%s" "$E" > /out/env'
    text = (
        "[Container]\nImage=busybox\n"
        f"ContainerName={name}\n"
        f"Volume={out}:/out\n"
        f"Environment={systemd_words(['E=' + env])}\n"
        f"Label={systemd_words(['evil=' + env])}\n"
        f"Exec={systemd_words(['sh', '-c', script, 'sh', *args])}\n"
        "[Service]\nType=oneshot\n"
    )
    unit = f"{name}.service"
    with installed(generator / f"{name}.container", text):
        systemctl("daemon-reload")
        assert show(unit, "ExecStartPre") == ""
        res = systemctl("start", unit, check=False)
        assert res.returncode == 0, res.stderr + "\n".join(journal_messages(unit))
        assert (out / "argv").read_bytes().decode().split("\0")[:-1] == args
        assert (out / "env").read_text() == env
        assert not pwned.exists()
    assert name not in sb("ps", "-a", "--format", "{{.Names}}").stdout


def test_generator_reports_unknown_keys_with_file_and_line(
    sb: Scopebox, generator: Path, env_binary: None
) -> None:
    name = cases.unique("bad")
    path = generator / f"{name}.container"
    text = "[Container]\nImage=busybox\nFrobnicate=yes\nTimezone=UTC\n"
    with installed(path, text):
        res = sb("quadlet", "--dryrun", check=False)
        assert res.returncode == 125
        assert f"{path}:3: unknown key Frobnicate= in [Container] (skipped)" in res.stderr
        assert f"{path}:4: Timezone= is not supported by scopebox: --tz is not supported" \
            in res.stderr
        assert f"---{name}.service---" not in res.stdout
        systemctl("daemon-reload")
        assert show(f"{name}.service", "LoadState") == "not-found"
        res = systemctl("start", f"{name}.service", check=False)
        assert res.returncode != 0 and "not found" in res.stderr
        # systemd ran the generator, which said why in the journal
        subprocess.run(["journalctl", "--sync"], check=False)
        log = subprocess.run(
            ["journalctl", "-b", "--no-pager", "-t", "scopebox-quadlet-generator"],
            capture_output=True,
            text=True,
        ).stdout
        assert f"{path}:3: unknown key Frobnicate= in [Container] (skipped)" in log


def test_generate_systemd_files_writes_the_unit_here(
    sb: Scopebox, env_binary: None, tmp_path: Path
) -> None:
    name = cases.unique("files")
    sb("create", "--name", name, "busybox", "true")
    res = subprocess.run(
        [*SCOPEBOX, "generate", "systemd", "--files", "--name", "--container-prefix", "", name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**sb.environ(), "PYTHONPATH": str(REPO)},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{tmp_path}/{name}.service\n"
    expected = sb("generate", "systemd", "--name", "--container-prefix", "", name).stdout
    text = (tmp_path / f"{name}.service").read_text()
    # the header's version line aside, the file is what stdout would have shown
    assert text.splitlines()[2:] == expected.splitlines()[2:]
    sb("rm", name)


def test_quadlet_service_restart_brings_a_killed_container_back(
    sb: Scopebox, generator: Path
) -> None:
    """systemd, not a daemon, keeps it alive: `Restart=always` in the file's [Service]."""
    if (why := unit_flags_missing()) is not None:
        pytest.skip(why)
    name = cases.unique("quadrs")
    text = (
        f"[Container]\nImage=busybox\nContainerName={name}\nExec=sleep 1000\n"
        "[Service]\nRestart=always\nRestartSec=1\n"
    )
    unit = f"{name}.service"
    with installed(generator / f"{name}.container", text):
        systemctl("daemon-reload")
        systemctl("start", unit)
        first = sb.inspect(name)
        os.kill(int(sb.state(name)["Pid"]), signal.SIGKILL)  # type: ignore[call-overload]

        def replaced() -> bool:
            res = sb("inspect", "--type", "container", name, check=False)
            if res.returncode != 0 or first["Id"] in res.stdout:
                return False
            return show(unit, "ActiveState") == "active" and sb.state(name)["Status"] == "running"

        wait_for(replaced, timeout=30, what="systemd to restart the service")
        assert show(unit, "NRestarts") == "1"
        second = str(sb.inspect(name)["Id"])
        assert Path(f"/run/{name}.cid").read_text().strip() == second
        systemctl("stop", unit)
        assert leftovers(sb, str(first["Id"])) == [] and leftovers(sb, second) == []


def test_quadlet_volume_unit_makes_the_volume_a_container_uses(
    sb: Scopebox, generator: Path
) -> None:
    """volumes (issue 14): NAME.volume -> NAME-volume.service (volume create --ignore), and a
    .container's Volume=NAME.volume:/path pulls it in before the container starts."""
    if (why := unit_flags_missing()) is not None:
        pytest.skip(why)
    name = cases.unique("qvol")
    vol = f"{name}-data"
    tag = uuid.uuid4().hex[:8]
    container = (
        f"[Container]\nImage=busybox\nContainerName={name}\nVolume={name}.volume:/d\n"
        f"Exec=sh -c 'echo {tag} > /d/f; exec sleep 1000'\n"
    )
    with installed(generator / f"{name}.volume", f"[Volume]\nVolumeName={vol}\nLabel=t={tag}\n"), \
            installed(generator / f"{name}.container", container):
        systemctl("daemon-reload")
        verify = subprocess.run(["systemd-analyze", "verify",
                                 f"/run/systemd/generator/{name}-volume.service"],
                                capture_output=True, text=True)
        assert name not in verify.stderr, verify.stderr
        systemctl("start", f"{name}.service")
        assert show(f"{name}-volume.service", "ActiveState") == "active"
        doc = json.loads(sb("volume", "inspect", vol).stdout)[0]
        assert doc["Labels"] == {"t": tag}
        data = Path(str(doc["Mountpoint"])) / "f"
        wait_for(lambda: data.exists() and data.read_text() == f"{tag}\n", what="the write")
        cid = str(sb.inspect(name)["Id"])
        systemctl("stop", f"{name}.service")
        assert leftovers(sb, cid) == []
        # the volume outlives the container; starting again finds it (--ignore)
        systemctl("restart", f"{name}-volume.service")
        assert show(f"{name}-volume.service", "ActiveState") == "active"
    sb("volume", "rm", vol)


def test_quadlet_network_unit_makes_the_network_a_container_joins(
    sb: Scopebox, generator: Path
) -> None:
    """networking (issue 13): NAME.network -> NAME-network.service (network create --ignore),
    and a .container's Network=NAME.network pulls it in and runs the container on it."""
    if (why := unit_flags_missing()) is not None:
        pytest.skip(why)
    name = cases.unique("qnet")
    net = f"{name}-net"
    tag = uuid.uuid4().hex[:8]
    container = (
        f"[Container]\nImage=busybox\nContainerName={name}\nNetwork={name}.network\n"
        "Exec=sleep 1000\n"
    )
    with installed(generator / f"{name}.network", f"[Network]\nNetworkName={net}\n"
                   f"Label=t={tag}\nInternal=yes\n"), \
            installed(generator / f"{name}.container", container):
        systemctl("daemon-reload")
        verify = subprocess.run(["systemd-analyze", "verify",
                                 f"/run/systemd/generator/{name}-network.service"],
                                capture_output=True, text=True)
        assert name not in verify.stderr, verify.stderr
        assert show(f"{name}.service", "Requires").split().count(f"{name}-network.service") == 1
        systemctl("start", f"{name}.service")
        assert show(f"{name}-network.service", "ActiveState") == "active"
        (doc,) = json.loads(sb("network", "inspect", net).stdout)
        assert (doc["labels"], doc["internal"]) == ({"t": tag}, True)
        info = sb.inspect(name)
        assert info["State"]["Running"] is True
        networks = info["NetworkSettings"]["Networks"]
        assert list(networks) == [net]
        subnet = ipaddress.ip_network(doc["subnets"][0]["subnet"])
        assert ipaddress.ip_address(networks[net]["IPAddress"]) in subnet
        cid = str(info["Id"])
        systemctl("stop", f"{name}.service")
        assert leftovers(sb, cid) == []
        # the network outlives the container; starting again finds it (--ignore)
        systemctl("restart", f"{name}-network.service")
        assert show(f"{name}-network.service", "ActiveState") == "active"
        assert sb("network", "ls", "-q", "--filter", f"label=t={tag}").stdout == f"{net}\n"
    sb("network", "rm", net)
