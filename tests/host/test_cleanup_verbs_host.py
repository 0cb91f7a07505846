"""The verbs scripts clean up with: `container prune`, `system prune`, `system reset`, `untag`,
and the rule that a pod's infra container goes only with its pod. Each on a store of its own
(reset removes the whole store)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.clihelp import Scopebox


@pytest.fixture
def box(tmp_path: Path) -> Scopebox:
    b = Scopebox({"SCOPEBOX_ROOT": str(tmp_path / "root"),
                  "SCOPEBOX_RUNROOT": str(tmp_path / "run")})  # fmt: skip
    b.ensure_busybox()
    return b


def _names(box: Scopebox) -> list[str]:
    return box("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_container_prune_keeps_running_labelled_out_and_infra(box: Scopebox) -> None:
    box("run", "-d", "--name", "up", "busybox", "sleep", "100")
    box("create", "--name", "made", "busybox", "true")
    box("create", "--name", "kept", "--label", "keep=1", "busybox", "true")
    box("run", "--name", "ran", "busybox", "true")
    box("pod", "create", "--name", "pd")
    try:
        # asked, and answered no: nothing goes
        res = box("container", "prune", input="n\n")
        assert res.stdout == ("WARNING! This will remove all non running containers.\n"
                              "Are you sure you want to continue? [y/N] ")  # fmt: skip
        assert sorted(_names(box)) == sorted(["up", "made", "kept", "ran", _infra(box, "pd")])
        ids = {box("inspect", "--format", "{{.Id}}", n).stdout.strip(): n
               for n in ("made", "ran")}  # fmt: skip
        res = box("container", "prune", "-f", "--filter", "label!=keep=1")
        assert sorted(res.stdout.split()) == sorted(ids)
        # the running one, the one the filter spared and the pod's infra stay
        assert sorted(_names(box)) == sorted(["up", "kept", _infra(box, "pd")])
        for bad, err in (("bogus=1", "Error: bogus is an invalid filter\n"),
                         ("until=abc", 'Error: failed to parse value as time or duration: "abc"\n'),
                         ("label", "Error: filter input must be in the form of filter=value:"
                                   " label is invalid\n")):  # fmt: skip
            res = box("container", "prune", "-f", "--filter", bad, check=False)
            assert (res.returncode, res.stderr) == (125, err)
    finally:
        box("pod", "rm", "-f", "-a")
        box("rm", "-f", "-a", "-t", "0")


def test_infra_goes_only_with_its_pod(box: Scopebox) -> None:
    box("pod", "create", "--name", "pd")
    box("create", "--pod", "pd", "--name", "member", "busybox", "true")
    infra = box("pod", "inspect", "--format", "{{.InfraContainerID}}", "pd").stdout.strip()
    pod = box("pod", "inspect", "--format", "{{.ID}}", "pd").stdout.strip()
    res = box("rm", "-f", infra, check=False)
    assert res.returncode == 125
    assert res.stderr == (f"Error: container {infra} is the infra container of pod {pod} and"
                          " cannot be removed without removing the pod\n")  # fmt: skip
    assert box("pod", "ps", "--format", "{{.Name}} {{.NumberOfContainers}}").stdout == "pd 2\n"
    # rm --all takes the pods with their containers (Podman 4.3), no pod is left empty
    res = box("rm", "-a")
    assert len(res.stdout.split()) == 2
    assert box("pod", "ps", "-q").stdout == ""
    assert _names(box) == []
    events = box("events", "--stream=false", "--filter", "type=pod", "--format",
                 "{{.Status}} {{.Name}}").stdout  # fmt: skip
    assert events.splitlines()[-1] == "remove pd"


def test_system_prune(box: Scopebox) -> None:
    box("run", "--name", "ran", "busybox", "true")
    box("run", "-d", "--name", "up", "-v", "inuse:/data", "busybox", "sleep", "100")
    box("network", "create", "spare")
    box("volume", "create", "unused")
    box("tag", "busybox", "localhost/extra:v1")
    try:
        res = box("system", "prune", input="n\n")
        assert res.stdout.startswith("WARNING! This command removes:\n\t- all stopped containers\n")
        assert sorted(_names(box)) == ["ran", "up"]
        ran = box("inspect", "--format", "{{.Id}}", "ran").stdout.strip()
        res = box("system", "prune", "-f", "--volumes")
        assert res.stdout.splitlines() == [
            "Deleted Containers", ran, "Deleted Networks", "spare", "Deleted Volumes", "unused",
            "Total reclaimed space: 0B"], res.stdout  # fmt: skip
        assert _names(box) == ["up"]
        assert "inuse" in box("volume", "ls", "-q").stdout.split()
        # -a: every image no container uses; busybox is used by `up`
        box("import", str(_tiny_tar(box)), "localhost/unused:v1")
        res = box("system", "prune", "-a", "-f")
        lines = res.stdout.splitlines()
        assert lines[0] == "Deleted Images" and len(lines) == 3, lines
        assert lines[-1].startswith("Total reclaimed space: "), lines
        assert lines[-1] != "Total reclaimed space: 0B", lines
        images = box("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        assert sorted(images) == ["localhost/busybox:latest", "localhost/extra:v1"]
    finally:
        box("rm", "-f", "-a", "-t", "0")


def _tiny_tar(box: Scopebox) -> Path:
    path = Path(box.root).parent / "tiny.tar"
    import tarfile

    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("hello")
        tar.addfile(info)
    return path


def test_untag(box: Scopebox) -> None:
    box("tag", "busybox", "localhost/a:1", "localhost/b:2")
    image = box("image", "inspect", "--format", "{{.Id}}", "busybox").stdout.strip()

    def names() -> list[str]:
        out = box("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        return sorted(out)

    assert box("untag", "busybox", "localhost/a:1").stdout == ""
    assert names() == ["localhost/b:2", "localhost/busybox:latest"]
    res = box("untag", "busybox", "localhost/zzz:9", "b:2", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: localhost/zzz:9: tag not known\n")
    assert names() == ["localhost/b:2", "localhost/busybox:latest"]  # nothing went
    box("image", "untag", "busybox", "b:2")
    box("untag", image)  # every name: the image stays, dangling
    assert names() == ["<none>:<none>"]
    res = box("untag", "nosuch", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: nosuch: image not known\n")
    events = box("events", "--stream=false", "--filter", "event=untag", "--format",
                 "{{.Name}}").stdout.split()  # fmt: skip
    assert events == ["localhost/a:1", "localhost/b:2", "localhost/busybox:latest"]


def test_system_reset(box: Scopebox, tmp_path: Path) -> None:
    host = tmp_path / "hostdata"
    host.mkdir()
    (host / "keep").write_text("the host's\n")
    box("pod", "create", "--name", "pd")
    box("run", "-d", "--pod", "pd", "--name", "member", "busybox", "sleep", "100")
    box("run", "-d", "--name", "up", "-v", "vol:/data", "busybox", "sleep", "100")
    box("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt",
        f"device={host}", "bound")  # fmt: skip
    box("run", "-d", "--name", "binder", "-v", "bound:/x", "busybox", "sleep", "100")
    box("network", "create", "net1")
    secret = tmp_path / "s"
    secret.write_text("x")
    box("secret", "create", "s1", str(secret))
    pids = [int(box("inspect", "--format", "{{.State.Pid}}", n).stdout) for n in
            ("member", "up", "binder")]  # fmt: skip
    res = box("system", "reset", input="n\n")
    assert f'the graphRoot directory: "{box.root}"' in res.stdout
    assert os.path.isdir(box.root)
    assert box("system", "reset", "-f").stdout == ""
    assert not os.path.exists(box.root)
    assert not os.path.exists(box.runroot)  # no API socket in it here
    assert (host / "keep").read_text() == "the host's\n"  # a bind volume's files are the host's
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), pid
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(tmp_path) not in mounts
    # a fresh store afterwards: the default network only
    assert _names(box) == []
    assert box("network", "ls", "--format", "{{.Name}}").stdout == "podman\n"
    assert box("images", "-q").stdout == ""


def _infra(box: Scopebox, pod: str) -> str:
    """The name of the pod's infra container."""
    infra = box("pod", "inspect", "--format", "{{.InfraContainerID}}", pod).stdout.strip()
    return box("inspect", "--format", "{{.Name}}", infra).stdout.strip()
