"""`cp` with real runc: Docker's/Podman's placement rules, running and stopped containers, tar
streams, and every way a container's files could try to make cp touch the host."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clihelp import REPO, SCOPEBOX, Scopebox

pytestmark = pytest.mark.host


@pytest.fixture(scope="module")
def web(sb: Scopebox) -> Iterator[str]:
    sb("run", "-d", "--name", "cpweb", "busybox", "sleep", "1000")
    sb("exec", "cpweb", "sh", "-c",
       "mkdir -p /d/x && echo f > /d/f && echo y > /d/x/y && echo cf > /cfile"
       " && mkfifo /fifo && ln -s /etc /etclink && ln -s ../../../../../../etc /dotdot"
       " && echo z > /own && chown 1234:1234 /own && chmod 4755 /own")
    yield "cpweb"
    sb("rm", "-f", "-t", "0", "cpweb")


@pytest.fixture
def host(tmp_path: Path) -> Path:
    (tmp_path / "dir/sub").mkdir(parents=True)
    (tmp_path / "file").write_text("hi\n")
    (tmp_path / "dir/a").write_text("a\n")
    (tmp_path / "dir/sub/b").write_text("b\n")
    return tmp_path


def cat(sb: Scopebox, ctr: str, path: str) -> str:
    return sb("exec", ctr, "cat", path).stdout


def find(sb: Scopebox, ctr: str, path: str) -> list[str]:
    return sorted(sb("exec", ctr, "find", path).stdout.split())


def test_file_in_and_out(sb: Scopebox, web: str, host: Path) -> None:
    sb("cp", str(host / "file"), f"{web}:/tmp/f1")
    assert cat(sb, web, "/tmp/f1") == "hi\n"
    sb("cp", str(host / "file"), f"{web}:tmp/")  # relative to the container's root; a dir
    assert cat(sb, web, "/tmp/file") == "hi\n"
    sb("cp", f"{web}:/d/f", str(host / "file"))  # over an existing file
    assert (host / "file").read_text() == "f\n"
    sb("cp", f"{web}:/d/f", str(host / "dir"))  # into a directory
    assert (host / "dir/f").read_text() == "f\n"


def test_directory_rules(sb: Scopebox, web: str, host: Path) -> None:
    sb("cp", str(host / "dir"), f"{web}:/tmp/new")  # missing: made with the content
    assert find(sb, web, "/tmp/new") == ["/tmp/new", "/tmp/new/a", "/tmp/new/sub",
                                         "/tmp/new/sub/b"]
    sb("cp", str(host / "dir"), f"{web}:/tmp/new")  # existing: copied into it
    assert "/tmp/new/dir/sub/b" in find(sb, web, "/tmp/new")
    sb("exec", web, "mkdir", "/tmp/dot")
    sb("cp", f"{host}/dir/.", f"{web}:/tmp/dot")  # dir/. : the content, merged
    assert find(sb, web, "/tmp/dot") == ["/tmp/dot", "/tmp/dot/a", "/tmp/dot/sub",
                                         "/tmp/dot/sub/b"]
    sb("cp", f"{web}:/d", str(host / "out"))
    assert sorted(str(p.relative_to(host)) for p in (host / "out").rglob("*")) == [
        "out/f", "out/x", "out/x/y"]
    sb("cp", f"{web}:/d/x/.", str(host / "dir"))
    assert (host / "dir/y").read_text() == "y\n"


@pytest.mark.parametrize(("src", "dest", "message"), [
    ("{h}/file", "{c}:/tmp/nodir/", '"/tmp/nodir/" could not be found on container cpweb:'
     " no such file or directory"),
    ("{h}/file", "{c}:/nosuch/x", '"/nosuch/x" could not be found on container cpweb'),
    ("{h}/dir", "{c}:/cfile", "destination must be a directory when copying a directory"),
    ("{h}/nosuch", "{c}:/tmp", '"{h}/nosuch" could not be found on the host'),
    ("{c}:/nosuch", "{h}", '"/nosuch" could not be found on container cpweb'),
    ("{c}:/d", "{h}/file", "destination must be a directory when copying a directory"),
    ("{c}:/d/f", "{h}/nope/x", '"{h}/nope/x" could not be found on the host'),
    ("{c}:/d", "{h}/newd/", '"{h}/newd/" could not be found on the host'),
    ("nosuchctr:/x", "{h}", 'container "nosuchctr" does not exist'),
    ("{h}/file", "nosuchctr:/x", 'container "nosuchctr" does not exist'),
    ("{h}/file", "{h}/x", "name or ID cannot be empty"),
    ("{h}/file", "{c}:", "you must specify paths"),
    ("{c}:/dev/null", "{h}/null", "is a device or socket"),
])
def test_errors_are_one_line_and_125(sb: Scopebox, web: str, host: Path, src: str, dest: str,
                                     message: str) -> None:
    res = sb("cp", src.format(h=host, c=web), dest.format(h=host, c=web), check=False)
    assert res.returncode == 125
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: ")
    assert message.format(h=host) in res.stderr
    assert not (host / "null").exists() and not (host / "x").exists()


def test_overwrite(sb: Scopebox, web: str, host: Path) -> None:
    sb("exec", web, "mkdir", "-p", "/ovd/file")
    res = sb("cp", str(host / "file"), f"{web}:/ovd", check=False)
    assert res.returncode == 125, res
    # Podman's words around ours (bats 065-cp "--overwrite file - host/ctr" matches them)
    assert 'error creating "/ovd/file": cannot overwrite directory "/ovd/file" with' \
        " non-directory (--overwrite replaces it): file exists" in res.stderr
    sb("cp", "--overwrite", str(host / "file"), f"{web}:/ovd")
    assert cat(sb, web, "/ovd/file") == "hi\n"


def test_ownership(sb: Scopebox, web: str, host: Path) -> None:
    os.chown(host / "file", 1234, 1234)
    sb("cp", str(host / "file"), f"{web}:/tmp/own1")  # --archive (default): the container's user
    assert sb("exec", web, "stat", "-c", "%u %g", "/tmp/own1").stdout == "0 0\n"
    sb("cp", "--archive=false", str(host / "file"), f"{web}:/tmp/own2")
    assert sb("exec", web, "stat", "-c", "%u %g", "/tmp/own2").stdout == "1234 1234\n"
    sb("run", "-d", "--name", "cpuser", "--user", "99:98", "busybox", "sleep", "100")
    try:
        sb("cp", str(host / "file"), "cpuser:/tmp/own3")
        assert sb("exec", "cpuser", "stat", "-c", "%u %g", "/tmp/own3").stdout == "99 98\n"
    finally:
        sb("rm", "-f", "-t", "0", "cpuser")
    # out: the caller's, and no setuid bit from a container reaches the host
    sb("cp", f"{web}:/own", str(host / "own"))
    st = os.stat(host / "own")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o755)


def test_tar_streams(sb: Scopebox, web: str, host: Path) -> None:
    out = subprocess.run([*SCOPEBOX, "cp", f"{web}:/d", "-"], capture_output=True,
                         env=sb.environ(), cwd=REPO, timeout=60, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        assert sorted(m.name for m in tar) == ["d", "d/f", "d/x", "d/x/y"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(host / "file", "file")
        tar.add(host / "dir", "dir")
    sb("exec", web, "mkdir", "/tmp/stdin")
    res = subprocess.run([*SCOPEBOX, "cp", "-", f"{web}:/tmp/stdin"], input=buf.getvalue(),
                         capture_output=True, env=sb.environ(), cwd=REPO, timeout=60)
    assert res.returncode == 0, res.stderr
    assert find(sb, web, "/tmp/stdin") == ["/tmp/stdin", "/tmp/stdin/dir", "/tmp/stdin/dir/a",
                                           "/tmp/stdin/dir/sub", "/tmp/stdin/dir/sub/b",
                                           "/tmp/stdin/file"]
    res = subprocess.run([*SCOPEBOX, "cp", "-", f"{web}:/cfile"], input=buf.getvalue(),
                         capture_output=True, env=sb.environ(), cwd=REPO, timeout=60)
    assert res.returncode == 125
    assert b"destination must be a directory when copying from stdin" in res.stderr


@pytest.mark.parametrize("data", [b"some text, not a tar\n", b"x" * 2000])
def test_not_a_tar_on_stdin(sb: Scopebox, web: str, data: bytes) -> None:
    """bats 065-cp "from stdin to container": Podman's one line, nothing written."""
    res = subprocess.run([*SCOPEBOX, "cp", "-", f"{web}:/tmp"], input=data,
                         capture_output=True, env=sb.environ(), cwd=REPO, timeout=60)
    assert (res.returncode, res.stderr.decode()) == (
        125, "Error: source must be a (compressed) tar archive when copying from stdin\n")


@pytest.mark.parametrize("codec", ["gz", "bz2", "xz"])
def test_compressed_tar_on_stdin(sb: Scopebox, web: str, host: Path, codec: str) -> None:
    """As Podman's `cp -`: a (compressed) tar archive; a missing dir/ is not found."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=f"w:{codec}") as tar:  # type: ignore[call-overload]
        tar.add(host / "dir", "dir")
    sb("exec", web, "mkdir", f"/tmp/{codec}")
    res = subprocess.run([*SCOPEBOX, "cp", "-", f"{web}:/tmp/{codec}"], input=buf.getvalue(),
                         capture_output=True, env=sb.environ(), cwd=REPO, timeout=60)
    assert res.returncode == 0, res.stderr
    assert find(sb, web, f"/tmp/{codec}/dir/sub") == [f"/tmp/{codec}/dir/sub",
                                                       f"/tmp/{codec}/dir/sub/b"]
    res = subprocess.run([*SCOPEBOX, "cp", "-", f"{web}:/tmp/nodir-{codec}/"],
                         input=buf.getvalue(), capture_output=True, env=sb.environ(), cwd=REPO,
                         timeout=60)  # fmt: skip
    assert (res.returncode, res.stderr.decode()) == (125, f'Error: "/tmp/nodir-{codec}/" could '
                                                     f"not be found on container {web}: no such "
                                                     "file or directory\n")


def test_fifo_is_copied_as_a_fifo(sb: Scopebox, web: str, host: Path) -> None:
    sb("cp", f"{web}:/fifo", str(host / "fifo"), timeout=30)
    assert stat.S_ISFIFO(os.lstat(host / "fifo").st_mode)


def _secret() -> Path:
    return Path(f"/etc/scopebox-cp-escape-{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("link", ["/etclink", "/dotdot"])
def test_symlink_out_of_the_root_stays_inside_copying_in(sb: Scopebox, web: str, host: Path,
                                                         link: str) -> None:
    target = _secret()
    sb("cp", str(host / "file"), f"{web}:{link}/{target.name}")
    assert not target.exists()  # the host's /etc is untouched ...
    assert cat(sb, web, str(target)) == "hi\n"  # ... the container's /etc got it


def test_dotdot_in_the_container_path_stays_inside(sb: Scopebox, web: str, host: Path) -> None:
    target = _secret()
    sb("cp", str(host / "file"), f"{web}:../../../../..{target}")
    assert not target.exists()
    assert cat(sb, web, str(target)) == "hi\n"


def test_symlink_out_of_the_root_copying_out(sb: Scopebox, web: str, host: Path) -> None:
    secret = host / "host-secret"
    secret.write_text("host only\n")
    sb("exec", web, "ln", "-s", str(secret), "/leak")
    res = sb("cp", f"{web}:/leak", str(host / "got"), check=False)
    assert res.returncode == 125 and "could not be found on container" in res.stderr
    assert not (host / "got").exists()
    # a symlink inside a copied directory arrives as a symlink, never followed
    sb("exec", web, "sh", "-c", f"mkdir /lnk && ln -s {secret} /lnk/l")
    sb("cp", f"{web}:/lnk", str(host / "lnk"))
    assert os.readlink(host / "lnk/l") == str(secret)
    assert secret.read_text() == "host only\n"


def _tar(entries: list[tarfile.TarInfo], data: bytes = b"pwned\n") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info in entries:
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def _entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    if kind == tarfile.CHRTYPE:
        info.devmajor, info.devminor = 1, 3
    return info


def _cp_stdin(sb: Scopebox, data: bytes, dest: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*SCOPEBOX, "cp", "-", dest], input=data, capture_output=True,
                          env=sb.environ(), cwd=REPO, timeout=60)


def test_hostile_archives_on_stdin(sb: Scopebox, web: str) -> None:
    target = _secret()
    sb("exec", web, "mkdir", "-p", "/tmp/h1", "/tmp/h2", "/tmp/h3")
    # a symlink to /etc, then a file through it: lands in the container's /etc
    res = _cp_stdin(sb, _tar([_entry("l", tarfile.SYMTYPE, "/etc"),
                              _entry(f"l/{target.name}")]), f"{web}:/tmp/h1")
    assert res.returncode == 0, res.stderr
    assert not target.exists()
    assert cat(sb, web, str(target)) == "pwned\n"
    res = _cp_stdin(sb, _tar([_entry(f"../../../../..{target}x")]), f"{web}:/tmp/h2")
    assert res.returncode == 125 and b"'..'" in res.stderr
    assert not Path(f"{target}x").exists()
    res = _cp_stdin(sb, _tar([_entry("null", tarfile.CHRTYPE)]), f"{web}:/tmp/h3")
    assert res.returncode == 125 and b"refusing device node" in res.stderr
    assert sb("exec", web, "ls", "/tmp/h3").stdout == ""


def test_running_container_is_thawed_and_a_paused_one_stays_paused(
        sb: Scopebox, web: str, host: Path) -> None:
    sb("cp", str(host / "file"), f"{web}:/tmp/thaw")
    assert sb.state(web)["Status"] == "running"
    with open(f"/proc/{sb.state(web)['Pid']}/status") as f:
        assert "State:\tS" in f.read()  # sleeping, not frozen in the freezer
    sb("pause", web)
    try:
        sb("cp", str(host / "file"), f"{web}:/tmp/paused")
        assert sb.state(web)["Status"] == "paused"
    finally:
        sb("unpause", web)
    assert cat(sb, web, "/tmp/paused") == "hi\n"


def test_stopped_container_mounts_for_the_copy_only(sb: Scopebox, host: Path) -> None:
    cid = sb("create", "--name", "cpstopped", "busybox", "true").stdout.strip()
    merged = f"{sb.root}/containers/{cid}/merged"
    try:
        sb("cp", str(host / "file"), "cpstopped:/tmp/x")
        sb("cp", "cpstopped:/tmp/x", str(host / "back"))
        assert (host / "back").read_text() == "hi\n"
        with open("/proc/self/mountinfo") as f:
            assert merged not in f.read()
        # a symlink to /etc in a stopped container's root: its root is mounted on the host,
        # so resolving there would write to the host's /etc
        sb("run", "--name", "cplinked", "busybox", "ln", "-s", "/etc", "/etclink")
        target = _secret()
        sb("cp", str(host / "file"), f"cplinked:/etclink/{target.name}")
        assert not target.exists()
        sb("cp", f"cplinked:/etc/{target.name}", str(host / "back2"))
        assert (host / "back2").read_text() == "hi\n"
        sb("start", "-a", "cpstopped")  # the copy is in the container's own layer
    finally:
        sb("rm", "-f", "cpstopped", "cplinked")


def test_container_to_container(sb: Scopebox, web: str) -> None:
    sb("create", "--name", "cpother", "busybox", "true")
    try:
        sb("cp", f"{web}:/d", "cpother:/tmp/")
        out = subprocess.run([*SCOPEBOX, "cp", "cpother:/tmp/d", "-"], capture_output=True,
                             env=sb.environ(), cwd=REPO, timeout=60, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(out)) as tar:
            assert sorted(m.name for m in tar) == ["d", "d/f", "d/x", "d/x/y"]
    finally:
        sb("rm", "-f", "cpother")


def test_host_destination_is_a_directory_or_a_regular_file(sb: Scopebox, web: str,
                                                           host: Path) -> None:  # fmt: skip
    """A symlink on the host is followed, never replaced; a fifo (a device, /dev/stdout on a
    pipe) is refused in Podman's words and left as it was."""
    (host / "link").symlink_to(host / "file")
    sb("cp", f"{web}:/d/f", str(host / "link"))
    assert (host / "link").is_symlink() and (host / "file").read_text() == "f\n"
    os.mkfifo(host / "fifo")
    res = sb("cp", f"{web}:/d/f", str(host / "fifo"), check=False)
    assert res.returncode == 125 and res.stderr == (
        f'Error: invalid destination: "{host / "fifo"}" must be a directory or a regular file\n')
    assert stat.S_ISFIFO(os.lstat(host / "fifo").st_mode)


def test_into_a_created_container_s_volumes_binds_and_tmpfs(sb: Scopebox, tmp_path: Path) -> None:
    """Podman resolves a stopped container's path to the innermost volume or bind mount
    holding it, on the host; a tmpfs gets what was copied below it at start (tmpcopyup)."""
    src = tmp_path / "f"
    src.write_text("in\n")
    bind = tmp_path / "bind"
    bind.mkdir()
    vols = [f"cpv{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for v in vols:
        sb("volume", "create", v)
    data = [sb("volume", "inspect", "-f", "{{.Mountpoint}}", v).stdout.strip() for v in vols]
    sb("create", "--name", "cpvol", "-v", f"{vols[0]}:/v", "-v", f"{vols[1]}:/v/sub",
       "-v", f"{bind}:/v/bind", "--tmpfs", "/tmp", "--mount", "type=tmpfs,dst=/home,notmpcopyup",
       "busybox", "sleep", "1000")
    try:
        sb("cp", str(src), "cpvol:/v/sub")
        sb("cp", str(src), "cpvol:/v/bind/g")
        assert os.listdir(data[1]) == ["f"] and os.listdir(data[0]) == []
        assert (bind / "g").read_text() == "in\n"
        sb("cp", str(src), "cpvol://v/bind//", timeout=30)  # POSIX keeps "//" in normpath
        assert (bind / "f").read_text() == "in\n"
        sb("cp", str(src), "cpvol://", timeout=30)
        sb("cp", "cpvol:/v/sub/f", str(tmp_path / "back"))
        assert (tmp_path / "back").read_text() == "in\n"
        res = sb("cp", "cpvol:/v/sub/nope", str(tmp_path / "n"), check=False)
        assert (res.returncode, res.stderr) == (125, 'Error: "/v/sub/nope" could not be found'
                                                " on container cpvol: no such file or directory\n")
        sb("cp", str(src), "cpvol:/tmp/")
        sb("cp", str(src), "cpvol:/home/")
        sb("start", "cpvol")
        assert sb("exec", "cpvol", "cat", "/tmp/f").stdout == "in\n"
        assert sb("exec", "cpvol", "ls", "/home").stdout == ""  # notmpcopyup: the tmpfs alone
        assert sb("exec", "cpvol", "cat", "/v/sub/f", "/v/bind/g").stdout == "in\nin\n"
    finally:
        sb("rm", "-f", "-t", "0", "cpvol")
        sb("volume", "rm", *vols)
