"""What Podman 4.3.1's own system tests (bats, test/system) caught and tests/compat cannot
compare as it is: stderr lines that carry a time stamp."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.clihelp import Scopebox

pytestmark = pytest.mark.host

WARNING = re.compile(r'^time="[0-9T:-]+Z" level=warning msg="(.*)"$')


def test_kernel_memory_is_a_warned_noop(sb: Scopebox) -> None:
    """030-run.bats "--kernel-memory warning": Podman's words, and the container runs."""
    res = sb("run", "--rm", "--kernel-memory", "100", "busybox", "sh", "-c", "echo ran; exit 3",
             check=False)  # fmt: skip
    assert (res.returncode, res.stdout) == (3, "ran\n"), res.stderr
    m = WARNING.match(res.stderr.strip())
    assert m, res.stderr
    assert m.group(1) == "The --kernel-memory flag is no longer supported. This flag is a noop."


def test_stop_past_the_grace_period_says_so(sb: Scopebox) -> None:
    """050-stop.bats "stop -t 1 Generate warning": Podman's words when SIGKILL follows; none
    with -t 0, where no grace period was given."""
    for grace, said in (("1", True), ("0", False)):
        sb("run", "-d", "--rm", "--name", "bats-stopme", "busybox", "sleep", "100")
        res = sb("stop", "-t", grace, "bats-stopme")
        assert res.stdout == "bats-stopme\n"
        want = ("StopSignal SIGTERM failed to stop container bats-stopme in 1 seconds,"
                " resorting to SIGKILL")
        assert (want in res.stderr) is said, res.stderr
    assert sb("ps", "-aq").stdout == ""


def test_logs_of_several_containers_interleave(sb: Scopebox) -> None:
    """035-logs.bats "multi k8s-file": `logs -f A B` follows both at once, each line after
    the container's short id (--names: its name)."""
    ids = [sb("run", "-d", "--name", name, "busybox", "sh", "-c", script).stdout.strip()[:12]
           for name, script in (("bats-l1", "echo a; sleep 4; echo d"),
                                ("bats-l2", "sleep 1; echo b; sleep 1; echo c"))]
    try:
        out = sb("logs", "-f", "bats-l1", "bats-l2").stdout
        assert out == f"{ids[0]} a\n{ids[1]} b\n{ids[1]} c\n{ids[0]} d\n"
        out = sb("logs", "--names", "bats-l2", "bats-l1").stdout
        assert sorted(out.splitlines()) == ["bats-l1 a", "bats-l1 d", "bats-l2 b", "bats-l2 c"]
        res = sb("logs", "bats-l1", "nosuch", check=False)
        assert (res.returncode, res.stdout) == (125, ""), res
        assert res.stderr.startswith('Error: no container with name or ID "nosuch" found')
    finally:
        sb("rm", "-f", "-t", "0", "bats-l1", "bats-l2")


def test_run_from_a_docker_archive(sb: Scopebox, tmp_path: Path) -> None:
    """030-run.bats "podman run docker-archive": commit keeps the container's --entrypoint
    (and drops the image's Cmd), `run docker-archive:PATH` loads the archive with the copy's
    lines Podman prints, no "Trying to pull", and runs the image."""
    archive = tmp_path / "archive.tar"
    try:
        sb("run", "--name", "bats-arc", "--entrypoint", '["/bin/echo","from-archive"]',
           "busybox")
        sb("commit", "-q", "bats-arc", "bats-arc-img")
        sb("save", "--quiet", "bats-arc-img", "-o", str(archive))
        sb("rm", "bats-arc")
        sb("rmi", "bats-arc-img")
        res = sb("run", "--rm", f"docker-archive:{archive}")
        assert res.stdout == "from-archive\n"
        lines = res.stderr.splitlines()
        assert lines[0] == "Getting image source signatures", res.stderr
        assert any(line.startswith("Copying blob sha256:") for line in lines)
        assert "Writing manifest to image destination" in lines
        assert not any("Trying to pull" in line for line in lines)
        assert sb("image", "exists", "localhost/bats-arc-img:latest", check=False).returncode == 0
    finally:
        sb("rm", "-f", "-t", "0", "bats-arc", check=False)
        sb("rmi", "-f", "bats-arc-img", check=False)


def test_image_volume_mode_from_containers_conf(sb: Scopebox, tmp_path: Path) -> None:
    """160-volumes.bats "--image-volume": containers.conf's [engine] image_volume_mode is the
    default for the image's VOLUMEs; --image-volume wins."""
    import subprocess

    from tests.clihelp import REPO, SCOPEBOX

    conf = tmp_path / "containers.conf"
    conf.write_text('[engine]\nimage_volume_mode="tmpfs"\n')
    try:
        sb("create", "--name", "bats-iv", "busybox", "true")
        sb("commit", "-q", "--change", "VOLUME /data", "bats-iv", "bats-iv-img")
        env = {**sb.environ(), "CONTAINERS_CONF": str(conf)}
        for flags, want in (([], "tmpfs"), (["--image-volume", "bind"], "not tmpfs")):
            res = subprocess.run([*SCOPEBOX, "run", "--rm", *flags, "bats-iv-img", "sh", "-c",
                                  "stat -f -c %T /data | grep -qx tmpfs && echo tmpfs ||"
                                  " echo not tmpfs"], capture_output=True, text=True,
                                 env=env, cwd=REPO, timeout=60, check=False)  # fmt: skip
            assert (res.returncode, res.stdout) == (0, want + "\n"), res.stderr
        assert sb("run", "--rm", "bats-iv-img", "sh", "-c", "stat -f -c %T /data").stdout \
            != "tmpfs\n"
    finally:
        sb("rm", "-f", "-t", "0", "bats-iv", check=False)
        sb("rmi", "-f", "bats-iv-img", check=False)


def test_events_logfile_path_from_containers_conf(sb: Scopebox, tmp_path: Path) -> None:
    """090-events.bats "events_logfile_path in containers.conf": the file backend writes (and
    `events` reads) the file containers.conf names."""
    import subprocess

    from tests.clihelp import REPO, SCOPEBOX

    log = tmp_path / "events.log"
    conf = tmp_path / "containers.conf"
    conf.write_text(f'[engine]\nevents_logfile_path="{log}"\n')
    env = {**sb.environ(), "CONTAINERS_CONF": str(conf)}

    def run(*args: str) -> str:
        res = subprocess.run([*SCOPEBOX, "--events-backend=file", *args], capture_output=True,
                             text=True, env=env, cwd=REPO, timeout=60, check=False)
        assert res.returncode == 0, res.stderr
        return res.stdout

    try:
        run("create", "--name", "bats-evlog", "busybox", "true")
        assert '"Name":"bats-evlog"' in log.read_text()
        out = run("events", "--stream=false", "--filter", "container=bats-evlog",
                  "--format", "{{.Status}}")
        assert out == "create\n"
    finally:
        sb("rm", "-f", "-t", "0", "bats-evlog", check=False)
