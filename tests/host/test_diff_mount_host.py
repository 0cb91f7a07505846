"""`diff` and `mount`/`umount` with real runc: what a container changed, and a counted mount
of its root that outlives its run and goes with `rm`."""

from __future__ import annotations

import json

import pytest

from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


def mounts(sb: Scopebox) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if sb.root in line]


def test_diff_added_changed_deleted(sb: Scopebox) -> None:
    sb("run", "--name", "dd", "busybox", "sh", "-c",
       "echo x > /newf; rm /bin/ls; echo >> /etc/passwd; mkdir -p /nd/s")
    try:
        assert sb("diff", "dd").stdout.splitlines() == [
            "C /bin", "D /bin/ls", "C /etc", "C /etc/passwd", "A /nd", "A /nd/s", "A /newf"]
        doc = json.loads(sb("diff", "--format", "json", "dd").stdout)
        assert doc == {"changed": ["/bin", "/etc", "/etc/passwd"], "added": ["/nd", "/nd/s",
                       "/newf"], "deleted": ["/bin/ls"]}
    finally:
        sb("rm", "dd")
    res = sb("diff", "dd", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: dd not found: layer not known\n")


def test_an_image_without_etc_mtab_gets_podmans_link_not_shown_by_diff(sb: Scopebox) -> None:
    """The test busybox has no /etc/mtab: Podman links it to /proc/mounts at each mount (and
    its diff leaves that out)."""
    sb("run", "--name", "mt", "busybox", "readlink", "/etc/mtab")
    try:
        assert sb("logs", "mt").stdout == "/proc/mounts\n"
        assert sb("diff", "mt").stdout == ""
    finally:
        sb("rm", "mt")


def test_mount_is_counted_and_survives_the_run(sb: Scopebox) -> None:
    cid = sb("create", "--name", "mnt", "busybox", "sh", "-c", "echo ran > /ran").stdout.strip()
    merged = f"{sb.root}/containers/{cid}/merged"
    try:
        assert sb("mount", "mnt").stdout == merged + "\n"
        assert sb("mount", "mnt").stdout == merged + "\n"
        assert f"{cid[:12]}  {merged}" in sb("mount").stdout.splitlines()
        assert json.loads(sb("mount", "--format", "json").stdout)[0]["Names"] == ["mnt"]
        sb("start", "-a", "mnt")  # its cleanup must leave the user's mount alone
        with open(f"{merged}/ran") as f:
            assert f.read() == "ran\n"
        sb("umount", "mnt")
        assert merged in mounts(sb)  # counted twice
        sb("umount", "mnt")
        assert merged not in mounts(sb)
        sb("mount", "mnt")
        sb("umount", "-a")
        assert merged not in mounts(sb)
        sb("mount", "mnt")
    finally:
        sb("rm", "mnt")  # unmounts what the user left mounted
    assert merged not in mounts(sb)
    res = sb("mount", "nosuch", check=False)
    assert res.returncode == 125 and "no such container" in res.stderr
    res = sb("umount", check=False)
    assert res.returncode == 125


def test_commit_then_run_and_save(sb: Scopebox, tmp_path: object) -> None:
    sb("run", "--name", "cm", "busybox", "sh", "-c", "echo committed > /newf; rm /bin/ls")
    try:
        image_id = sb("commit", "-c", 'CMD ["cat", "/newf"]', "-c", "EXPOSE 80", "-c",
                      "STOPSIGNAL SIGINT", "-m", "msg", "-a", "me", "-f", "docker", "cm",
                      "localhost/cm:v1").stdout.strip()
        assert len(image_id) == 64
        assert sb("run", "--rm", "localhost/cm:v1").stdout == "committed\n"
        res = sb("run", "--rm", "localhost/cm:v1", "ls", "/", check=False)
        assert res.returncode == 127  # the deletion is a whiteout in the new layer
        doc = json.loads(sb("image", "inspect", "localhost/cm:v1").stdout)[0]
        assert doc["Config"]["ExposedPorts"] == {"80/tcp": {}}
        assert doc["Config"]["StopSignal"] == "SIGINT" and doc["Author"] == "me"
        assert len(doc["RootFS"]["Layers"]) == 2
        sb("save", "-o", f"{tmp_path}/cm.tar", "localhost/cm:v1")
        sb("rmi", "localhost/cm:v1")
        sb("load", "-i", f"{tmp_path}/cm.tar")
        assert sb("run", "--rm", "localhost/cm:v1").stdout == "committed\n"
        res = sb("commit", "-c", "FROM x", "cm", check=False)
        assert res.returncode == 125 and "--change 'FROM' is not supported" in res.stderr
    finally:
        sb("rm", "-f", "cm")
        sb("rmi", "-f", "localhost/cm:v1", check=False)
