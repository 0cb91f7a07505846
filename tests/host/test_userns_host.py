"""A container's own user namespace as root (issues 17/19), checked where the kernel keeps it:
/proc/<pid>/uid_map and status, the owners of the root filesystem's files on the host."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tarfile
from collections.abc import Iterator

import pytest

from tests.cases import unique
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


def _status_ids(pid: int) -> tuple[str, str]:
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return fields["Uid"].split()[0], fields["Gid"].split()[0]


def test_maps_rootfs_ownership_top_inspect_and_joining(sb: Scopebox) -> None:
    name = unique("mapped")
    sb("run", "-d", "--name", name, "--uidmap", "0:100000:65536", "--gidmap", "0:200000:65536",
       "busybox", "sh", "-c", "touch /made; exec sleep 1000")
    pid = int(sb("inspect", "--format", "{{.State.Pid}}", name).stdout)
    with open(f"/proc/{pid}/uid_map") as f:
        assert f.read().split() == ["0", "100000", "65536"]
    assert _status_ids(pid) == ("100000", "200000")
    # the image's files (root's in the layers) are the container's root's: on the host too
    st = os.stat(f"/proc/{pid}/root/bin/busybox")
    assert (st.st_uid, st.st_gid) == (100000, 200000)
    made = os.stat(f"/proc/{pid}/root/made")
    assert (made.st_uid, made.st_gid) == (100000, 200000)
    top = sb("top", name, "user", "huser", "group", "hgroup").stdout.splitlines()
    assert top[1].split() == ["root", "100000", "root", "200000"]
    tar = os.path.join(sb.environ()["SCOPEBOX_ROOT"], "..", f"{name}.tar")
    sb("export", "-o", tar, name)  # the owners as the container sees them, as Podman's
    with tarfile.open(tar) as tf:
        assert {(m.name, m.uid, m.gid) for m in tf if m.name in ("made", "bin/busybox")} == {
            ("made", 0, 0), ("bin/busybox", 0, 0)}
    os.unlink(tar)
    host = json.loads(sb("inspect", name).stdout)[0]["HostConfig"]
    assert (host["UsernsMode"], host["IDMappings"]) == (
        "private", {"UidMap": ["0:100000:65536"], "GidMap": ["0:200000:65536"]})
    # another container in the same namespace: same maps, same owners, a dependency
    out = sb("run", "--rm", "--userns", f"container:{name}", "busybox", "sh", "-c",
             "cat /proc/self/uid_map; stat -c %u /bin/busybox; readlink /proc/self/ns/user").stdout
    assert out.split()[:4] == ["0", "100000", "65536", "0"]
    assert out.split()[4] == os.readlink(f"/proc/{pid}/ns/user")
    sb("rm", "-f", "-t", "0", name)  # the joiner was --rm: nothing depends on it any more


@contextlib.contextmanager
def _containers_subids(start: int, size: int) -> Iterator[None]:
    """The `containers` user's /etc/subuid and /etc/subgid ranges, for --userns=auto."""
    line = f"containers:{start}:{size}\n"
    saved = {}
    for path in ("/etc/subuid", "/etc/subgid"):
        with open(path, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            saved[path] = f.read()
            f.write(line)
    try:
        yield
    finally:
        for path in saved:
            with open(path, "r+") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                lines = [ln for ln in f.readlines() if ln != line]
                f.seek(0)
                f.truncate()
                f.writelines(lines)


def test_auto_ranges_do_not_overlap(sb: Scopebox) -> None:
    """Two auto containers get the `containers` ranges one after the other; the image's
    ids (root only) need Podman's minimum, 1024."""
    with _containers_subids(4_000_000, 3000):
        first, second = unique("auto1"), unique("auto2")
        sb("create", "--name", first, "--userns", "auto", "busybox", "true")
        out = sb("run", "--rm", "--name", second, "--userns", "auto:size=900", "busybox",
                 "cat", "/proc/self/uid_map").stdout
        assert out.split() == ["0", "4001024", "900"]
        res = sb("run", "--rm", "--userns", "auto:size=2000", "busybox", "true", check=False)
        assert res.returncode == 125
        assert res.stderr.endswith("could not find enough available IDs\n")
        fmt = "{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}"
        assert sb("inspect", "--format", fmt, first).stdout == (
            ' {"UidMap":["0:4000000:1024"],"GidMap":["0:4000000:1024"]}\n')
        # pod create --userns: the infra's namespace, joined by the pod's containers
        pod = unique("pod")
        sb("pod", "create", "--name", pod, "--userns", "auto:size=1100")
        out = sb("run", "--rm", "--pod", pod, "busybox", "sh", "-c",
                 "cat /proc/self/uid_map; stat -c %u /bin/busybox").stdout
        assert out.split() == ["0", "4001024", "1100", "0"]  # past `first`'s
        assert sb("pod", "inspect", "--format", "{{.InfraConfig.userns}}", pod
                  ).stdout.strip() == "auto:size=1100"
        sb("pod", "rm", "-f", "-t", "0", pod)
