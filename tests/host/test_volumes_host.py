"""Volumes on the real kernel with runc: what a container sees, what the host keeps, what
the mount table says, and what bad input leaves (nothing)."""

from __future__ import annotations

import io
import json
import os
import signal
import tarfile
from pathlib import Path

import pytest

from tests.clihelp import Scopebox, wait_for


def mount_line(path: str) -> str | None:
    with open("/proc/self/mountinfo") as f:
        return next((line for line in f if line.split()[4] == path), None)


def data(sb: Scopebox, name: str) -> Path:
    return Path(sb.root) / "volumes" / name / "_data"


def volumes(sb: Scopebox) -> set[str]:
    return set(sb("volume", "ls", "-q").stdout.split())


def test_data_persists_across_containers(sb: Scopebox) -> None:
    sb("run", "--rm", "-v", "keep:/d", "busybox", "sh", "-c", "echo kept > /d/f")
    assert (data(sb, "keep") / "f").read_text() == "kept\n"
    out = sb("run", "--rm", "-v", "keep:/other", "busybox", "cat", "/other/f").stdout
    assert out == "kept\n"
    sb("volume", "rm", "keep")
    assert not data(sb, "keep").exists()


def test_ro_is_read_only_in_the_kernel(sb: Scopebox) -> None:
    script = "grep ' /d ' /proc/self/mountinfo; touch /d/x; echo rc=$?"
    out = sb("run", "--rm", "-v", "rov:/d:ro", "busybox", "sh", "-c", script).stdout
    fields = out.splitlines()[0].split()
    assert fields[5].split(",")[0] == "ro"  # the mount's own flags: read-only in the kernel
    assert {"nosuid", "nodev"} <= set(fields[5].split(","))
    assert "rc=1" in out and not (data(sb, "rov") / "x").exists()
    rw = sb("run", "--rm", "-v", "rov:/d", "busybox", "sh", "-c", script).stdout
    assert rw.splitlines()[0].split()[5].startswith("rw") and "rc=0" in rw
    sb("volume", "rm", "rov")


def test_copy_up_fills_a_new_volume_from_the_image(sb: Scopebox) -> None:
    out = sb("run", "--rm", "-v", "etcv:/etc", "busybox", "cat", "/etc/passwd").stdout
    assert out.startswith("root:")
    assert (data(sb, "etcv") / "passwd").read_text() == out
    # Only a new volume is filled: a change survives the next container.
    sb("run", "--rm", "-v", "etcv:/etc", "busybox", "rm", "/etc/passwd")
    assert not (data(sb, "etcv") / "passwd").exists()
    sb("run", "--rm", "-v", "etcv:/etc", "busybox", "true")
    assert not (data(sb, "etcv") / "passwd").exists()
    sb("run", "--rm", "-v", "nocp:/etc:nocopy", "busybox", "true")
    # (the runtime makes mount points for the /etc/hosts, hostname, resolv.conf binds)
    assert not (data(sb, "nocp") / "passwd").exists()
    sb("volume", "rm", "etcv", "nocp")


def test_U_chowns_the_volume_to_the_container_user(sb: Scopebox) -> None:
    sb("run", "--rm", "-v", "own:/o", "busybox", "sh", "-c", "touch /o/f")
    assert data(sb, "own").joinpath("f").stat().st_uid == 0
    out = sb("run", "--rm", "-u", "1234:4321", "-v", "own:/o:U", "busybox",
             "sh", "-c", "stat -c %u:%g /o /o/f; touch /o/g && echo wrote").stdout
    assert out.split() == ["1234:4321", "1234:4321", "wrote"]
    st = data(sb, "own").stat()
    assert (st.st_uid, st.st_gid) == (1234, 4321)
    sb("volume", "rm", "own")


def test_anonymous_volumes_go_with_rm_v_and_run_rm_not_plain_rm(sb: Scopebox) -> None:
    before = volumes(sb)
    sb("run", "--rm", "-v", "/scratch", "busybox", "true")
    assert volumes(sb) == before  # run --rm took its anonymous volume along
    cid = sb("run", "-d", "-v", "/scratch", "busybox", "sleep", "100").stdout.strip()
    (anon,) = volumes(sb) - before
    mounts = sb.inspect(cid)["Mounts"]
    assert isinstance(mounts, list)
    assert mounts[0]["Name"] == anon and mounts[0]["Type"] == "volume"
    sb("rm", "-f", cid)
    assert volumes(sb) - before == {anon}  # plain rm keeps it (Podman)
    sb("volume", "rm", anon)
    cid = sb("create", "--mount", "type=volume,dst=/scratch", "busybox", "true").stdout.strip()
    (anon,) = volumes(sb) - before
    sb("rm", "-v", cid)
    assert volumes(sb) == before and not data(sb, anon).exists()


def test_image_volume_becomes_an_anonymous_volume(sb: Scopebox, tmp_path: Path) -> None:
    tar = tmp_path / "root.tar"
    with tarfile.open(tar, "w") as t:
        for name, body in (("bin/busybox", Path("/bin/busybox").read_bytes()),
                           ("srv/seed", b"from the image\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), 0o755
            t.addfile(info, io.BytesIO(body))
    sb("import", "--change", "VOLUME /srv", "--change", 'ENTRYPOINT ["/bin/busybox"]',
       str(tar), "withvol")
    before = volumes(sb)
    out = sb("run", "--name", "iv", "withvol", "cat", "/srv/seed").stdout
    assert out == "from the image\n"
    (anon,) = volumes(sb) - before
    assert (data(sb, anon) / "seed").read_text() == "from the image\n"  # copied up
    sb("rm", "-v", "iv")
    assert volumes(sb) == before
    sb("rmi", "withvol")


def test_rm_of_a_volume_in_use_is_refused(sb: Scopebox) -> None:
    cid = sb("create", "-v", "busy:/b", "busybox", "true").stdout.strip()
    res = sb("volume", "rm", "busy", check=False)
    assert res.returncode == 2
    assert res.stderr.strip() == (f"Error: volume busy is being used by the following"
                                  f" container(s): {cid}: volume is being used")
    assert "busy" in volumes(sb)
    assert sb("volume", "rm", "-f", "busy").stdout.strip() == "busy"
    assert sb("container", "exists", cid, check=False).returncode == 1
    assert "busy" not in volumes(sb)


def test_tmpfs_volume_is_mounted_while_used(sb: Scopebox) -> None:
    sb("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
       "--opt", "o=size=2m,nodev", "tv")
    path = str(data(sb, "tv"))
    assert mount_line(path) is None  # nothing mounted until a container uses it
    a = sb("run", "-d", "-v", "tv:/t", "busybox", "sleep", "100").stdout.strip()
    line = mount_line(path)
    assert line is not None and " tmpfs " in line and "size=2048k" in line
    out = sb("run", "--rm", "-v", "tv:/t", "busybox", "sh", "-c", "df -k /t | tail -1").stdout
    assert out.split()[1] == "2048"
    assert mount_line(path) is not None  # the other container still uses it
    assert sb("volume", "inspect", "--format", "{{.MountCount}}", "tv").stdout.strip() == "1"
    sb("rm", "-f", a)
    assert mount_line(path) is None
    # A monitor and container killed with SIGKILL: the next CLI tears down, unmounts.
    b = sb("run", "-d", "-v", "tv:/t", "busybox", "sleep", "100").stdout.strip()
    st = sb.state(b)
    os.kill(int(str(st["ConmonPid"])), signal.SIGKILL)
    os.kill(int(str(st["Pid"])), signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{st['Pid']}"), what="the container to go")
    assert mount_line(path) is not None
    assert sb.state(b)["Status"] == "exited"  # this read reconciles and tears down
    assert mount_line(path) is None
    sb("rm", b)
    sb("volume", "rm", "tv")


def test_volumes_from(sb: Scopebox, tmp_path: Path) -> None:
    (tmp_path / "h").write_text("host\n")
    sb("create", "--name", "src", "-v", "vf:/vf", "-v", f"{tmp_path}:/host", "busybox", "true")
    sb("run", "--rm", "-v", "vf:/vf", "busybox", "sh", "-c", "echo shared > /vf/f")
    script = "cat /vf/f /host/h; grep -E ' /(vf|host) ' /proc/self/mountinfo | cut -d' ' -f6"
    out = sb("run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", script).stdout
    lines = out.splitlines()
    assert lines[:2] == ["shared", "host"]
    assert [line.split(",")[0] for line in lines[2:]] == ["ro", "ro"]
    out = sb("run", "--rm", "--volumes-from", "src", "busybox", "sh", "-c", script).stdout
    assert [line.split(",")[0] for line in out.splitlines()[2:]] == ["rw", "rw"]
    res = sb("run", "--rm", "--volumes-from", "nosuch", "busybox", "true", check=False)
    assert res.returncode == 125 and "nosuch" in res.stderr
    sb("rm", "src")
    sb("volume", "rm", "vf")


def test_mount_forms(sb: Scopebox, tmp_path: Path) -> None:
    (tmp_path / "in").write_text("bound\n")
    script = ("cat /b/in; touch /b/new 2>/dev/null || echo robind; df -k /t | tail -1;"
              " echo v > /v/f; grep -E ' /(b|t|v) ' /proc/self/mountinfo | cut -d' ' -f5,6,9")
    out = sb("run", "--rm",
             "--mount", f"type=bind,source={tmp_path},target=/b,readonly",
             "--mount", "type=tmpfs,destination=/t,tmpfs-size=1m",
             "--mount", "type=volume,src=mv,dst=/v", "busybox", "sh", "-c", script).stdout
    lines = out.splitlines()
    assert lines[:2] == ["bound", "robind"]
    assert lines[2].split()[1] == "1024"
    types = {f.split()[0]: (f.split()[1].split(",")[0], f.split()[2]) for f in lines[3:]}
    assert types["/b"][0] == "ro" and types["/t"][1] == "tmpfs" and types["/v"][0] == "rw"
    assert (data(sb, "mv") / "f").read_text() == "v\n"
    sb("volume", "rm", "mv")


BAD = [
    (["-v", "x;y:/d"], "names must match"),
    (["-v", "a b:/d"], "names must match"),
    (["-v", "a/b:/d"], "names must match"),
    (["-v", "../nonexistent-dir-xyz:/d"], "does not exist"),
    (["-v", "good:rel"], 'invalid container path "rel"'),
    (["-v", "good:/d:bogus"], 'invalid option type "bogus"'),
    (["-v", "good:/d:O,ro"], "can't use 'O' with other options"),
    (["--mount", "type=volume,src=good,dst=/d,bogus=1"], "bogus: invalid mount option"),
    (["--mount", "type=foo,dst=/d"], 'invalid filesystem type "foo"'),
    (["--mount", "type=volume,src=good,dst=rel"], "must be an absolute path"),
    (["-v", "good:/d", "-v", "other:/d"], "duplicate mount destination"),
]


@pytest.mark.parametrize(("flags", "message"), BAD, ids=[" ".join(f) for f, _ in BAD])
def test_bad_input_makes_nothing(sb: Scopebox, flags: list[str], message: str) -> None:
    before_v, before_c = volumes(sb), sb("ps", "-aq").stdout
    res = sb("run", "--rm", *flags, "busybox", "true", check=False)
    assert res.returncode == 125
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert volumes(sb) == before_v and sb("ps", "-aq").stdout == before_c
    assert not (Path(sb.root) / "volumes" / "good").exists()


def test_volume_verbs(sb: Scopebox, tmp_path: Path) -> None:
    sb("volume", "create", "--label", "app=db", "lv")
    assert sb("volume", "create", "lv", check=False).returncode == 125
    assert sb("volume", "create", "--ignore", "lv").stdout.strip() == "lv"
    assert sb("volume", "exists", "lv", check=False).returncode == 0
    assert sb("volume", "exists", "nope", check=False).returncode == 1
    doc = json.loads(sb("volume", "inspect", "lv").stdout)[0]
    assert set(doc) == {"Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope",
                        "Options", "MountCount", "NeedsCopyUp", "NeedsChown"}
    assert doc["Mountpoint"] == str(data(sb, "lv")) and doc["Labels"] == {"app": "db"}
    assert sb("volume", "ls", "-q", "--filter", "label=app=db").stdout.split() == ["lv"]
    assert "lv" not in sb("volume", "ls", "-q", "--filter", "label=app=web").stdout.split()
    out = sb("volume", "ls", "--filter", "name=^lv$", "--format", "{{.Name}} {{.Labels}}")
    assert out.stdout == "lv map[app:db]\n"
    res = sb("volume", "inspect", "nope", check=False)
    assert res.returncode == 125 and "inspecting object: no such volume nope" in res.stderr
    res = sb("volume", "rm", "nope", check=False)
    assert res.returncode == 1
    res = sb("volume", "create", "--opt", "foo=bar", "bad", check=False)
    assert res.returncode == 125 and "invalid mount option foo" in res.stderr
    assert "bad" not in volumes(sb)
    # export / import round trip, through a file and through stdin
    sb("run", "--rm", "-v", "lv:/d", "busybox", "sh", "-c", "mkdir /d/sub; echo x > /d/sub/f")
    sb("volume", "export", "-o", str(tmp_path / "v.tar"), "lv")
    sb("volume", "create", "lv2")
    sb("volume", "import", "lv2", str(tmp_path / "v.tar"))
    assert (data(sb, "lv2") / "sub" / "f").read_text() == "x\n"
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as t:
        link = tarfile.TarInfo("esc")
        link.type, link.linkname = tarfile.SYMTYPE, str(tmp_path)
        t.addfile(link)
        info = tarfile.TarInfo("esc/owned")
        info.size = 3
        t.addfile(info, io.BytesIO(b"bad"))
    sb("volume", "import", "lv2", str(evil), check=False)
    assert not (tmp_path / "owned").exists()  # the symlink resolved inside the volume
    # prune: only volumes no container names
    cid = sb("create", "-v", "lv:/d", "busybox", "true").stdout.strip()
    pruned = sb("volume", "prune", "-f").stdout.split()
    assert "lv2" in pruned and "lv" not in pruned
    sb("rm", cid)
    sb("volume", "rm", "lv")


def test_system_df_counts_volumes(sb: Scopebox) -> None:
    def row() -> dict[str, object]:
        rows = json.loads(sb("system", "df", "--format", "json").stdout)
        return {k: v for r in rows if r["Type"] == "Local Volumes" for k, v in r.items()}

    base = row()
    sb("run", "--rm", "-v", "dfa:/d", "busybox", "sh", "-c", "head -c 70000 /bin/busybox > /d/f")
    cid = sb("create", "-v", "dfb:/d", "busybox", "true").stdout.strip()
    sb("run", "--rm", "-v", "dfb:/d", "busybox", "sh", "-c", "head -c 5000 /bin/busybox > /d/f")
    now = row()
    assert now["Total"] == int(str(base["Total"])) + 2
    assert now["Active"] == int(str(base["Active"])) + 1  # dfb: a container names it
    assert now["RawSize"] == int(str(base["RawSize"])) + 75000
    assert now["RawReclaimable"] == int(str(base["RawReclaimable"])) + 70000
    sb("rm", cid)
    sb("volume", "rm", "dfa", "dfb")


def test_overlay_mounts_leave_the_source_alone(sb: Scopebox, tmp_path: Path) -> None:
    """`:O` (Podman's): a writable overlay on a host dir or a volume; the changes stay in the
    container's run and are gone at its next start; the source never changes."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("host\n")
    out = sb("run", "--rm", "-v", f"{src}:/s:O", "busybox", "sh", "-c",
             "cat /s/f; echo ctr > /s/f; touch /s/new; cat /s/f; ls /s").stdout
    assert out == "host\nctr\nf\nnew\n"
    assert sorted(os.listdir(src)) == ["f"] and (src / "f").read_text() == "host\n"
    sb("run", "--name", "ov", "-v", f"{src}:/s:O", "busybox", "sh", "-c",
       "ls /s; touch /s/again")
    assert sb("start", "-a", "ov").stdout == "f\n"  # the first run's file is gone
    sb("rm", "ov")
    sb("run", "--rm", "-v", "ovol:/s", "busybox", "sh", "-c", "echo vol > /s/v")
    out = sb("run", "--rm", "-v", "ovol:/s:O", "busybox", "sh", "-c",
             "echo changed > /s/v; cat /s/v").stdout
    assert out == "changed\n"
    assert sb("run", "--rm", "-v", "ovol:/s", "busybox", "cat", "/s/v").stdout == "vol\n"
    sb("volume", "rm", "ovol")


def test_image_mounts(sb: Scopebox) -> None:
    """`--mount type=image` (Podman's): the image's layers, read-only unless rw=true (then the
    writes are the run's own); an unknown image is Podman's 126 at start, nothing left."""
    sb("run", "--name", "mk2", "busybox", "sh", "-c", "echo two > /l2")
    sb("commit", "-q", "mk2", "twolayers")
    sb("rm", "mk2")
    try:
        res = sb("run", "--rm", "--mount", "type=image,src=twolayers,dst=/img", "busybox", "sh",
                 "-c", "cat /img/l2; test -x /img/bin/sh && echo sh; touch /img/x", check=False)
        assert (res.returncode, res.stdout) == (1, "two\nsh\n")
        assert "Read-only file system" in res.stderr
        out = sb("run", "--rm", "--mount", "type=image,src=twolayers,dst=/img,rw=true",
                 "busybox", "sh", "-c", "echo w > /img/l2; cat /img/l2").stdout
        assert out == "w\n"
        assert sb("run", "--rm", "--mount", "type=image,src=twolayers,dst=/img", "busybox",
                  "cat", "/img/l2").stdout == "two\n"
    finally:
        sb("rmi", "twolayers")
    before = sb("ps", "-aq").stdout
    res = sb("run", "--rm", "--mount", "type=image,src=nosuchimage,dst=/img", "busybox", "true",
             check=False)
    assert (res.returncode, res.stderr) == (126, 'Error: creating image volume "nosuchimage":'
                                            '"/img": nosuchimage: image not known\n')
    assert sb("ps", "-aq").stdout == before
