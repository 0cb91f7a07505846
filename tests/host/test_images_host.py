"""Images end to end through the CLI: load/save (both formats, several images, Podman in both
directions), layered images with whiteouts and hardlinks on overlay and on the copy fallback,
reference counts (rmi, prune, system df), export, history, bad archives, concurrency, crashes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.clihelp import REPO, SCOPEBOX, Scopebox, wait_for

pytestmark = pytest.mark.host

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# --- building archives by hand (an independent writer, not scopebox's) ----------------------


def tar_bytes(build: Callable[[tarfile.TarFile], None]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()


def add_file(tar: tarfile.TarFile, name: str, data: bytes = b"", mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def add_special(tar: tarfile.TarFile, name: str, kind: bytes, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o755
    tar.addfile(info)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def docker_archive(
    path: Path, images: list[tuple[list[str], list[bytes]]], gzip_layers: bool = False
) -> list[str]:
    """Write a docker-archive; returns the image ids (config digests)."""
    ids = []
    entries = []
    files: dict[str, bytes] = {}
    for names, layers in images:
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-02T03:04:05Z",
            "config": {"Cmd": ["sh"], "Env": [PATH_ENV]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(x)}" for x in layers]},
            "history": [
                {"created": "2026-01-02T03:04:05Z", "created_by": f"layer {i}"}
                for i in range(len(layers))
            ],
        }
        cfg = json.dumps(config).encode()
        ids.append(sha(cfg))
        files[f"{sha(cfg)}.json"] = cfg
        layer_names = []
        for x in layers:
            name = f"{sha(x)}/layer.tar"
            files[name] = gzip.compress(x, mtime=0) if gzip_layers else x
            layer_names.append(name)
        entries.append({"Config": f"{sha(cfg)}.json", "RepoTags": names, "Layers": layer_names})
    files["manifest.json"] = json.dumps(entries).encode()

    def build(tar: tarfile.TarFile) -> None:
        for name, data in files.items():
            add_file(tar, name, data)

    path.write_bytes(tar_bytes(build))
    return ids


@pytest.fixture(scope="module")
def busybox_layer(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("bb") / "bb.tar"
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(out)], check=True)
    return out.read_bytes()


def layer1(tar: tarfile.TarFile) -> None:
    add_special(tar, "data", tarfile.DIRTYPE)
    add_file(tar, "data/keep", b"keep\n")
    add_file(tar, "data/gone", b"gone\n")
    add_special(tar, "data/opq", tarfile.DIRTYPE)
    add_file(tar, "data/opq/old", b"old\n")
    add_special(tar, "data/evil", tarfile.SYMTYPE, "/etc")


def layer2(tar: tarfile.TarFile) -> None:
    add_special(tar, "data", tarfile.DIRTYPE)
    add_file(tar, "data/.wh.gone")
    add_special(tar, "data/opq", tarfile.DIRTYPE)
    add_file(tar, "data/opq/.wh..wh..opq")
    add_file(tar, "data/opq/new", b"new\n")
    add_file(tar, "data/big", b"B" * 4096)
    add_special(tar, "data/big2", tarfile.LNKTYPE, "data/big")
    # a real dir where the lower layer has a symlink to /etc: files go in the dir, not /etc
    add_special(tar, "data/evil", tarfile.DIRTYPE)
    add_file(tar, "data/evil/planted", b"inside\n")


def snapshot(sb: Scopebox) -> tuple[list[str], list[str], str]:
    def ls(p: str) -> list[str]:
        return sorted(os.listdir(p)) if os.path.isdir(p) else []

    return (
        ls(f"{sb.root}/layers"),
        ls(f"{sb.root}/blobs/sha256"),
        sb("images", "-q", "--no-trunc").stdout,
    )


@pytest.fixture
def clean(sb: Scopebox) -> Iterator[None]:
    """The test leaves the store as it found it (layers, blobs, images)."""
    before = snapshot(sb)
    yield
    assert snapshot(sb) == before


# --- layered images ------------------------------------------------------------------------


@pytest.mark.parametrize("driver", ["overlay", "vfs"])
def test_layered_image_with_whiteouts_and_hardlinks_runs(
    sb: Scopebox, busybox_layer: bytes, tmp_path: Path, driver: str, clean: None
) -> None:
    box = Scopebox({**sb.env, "SCOPEBOX_STORAGE_DRIVER": driver})
    archive = tmp_path / "multi.tar"
    docker_archive(
        archive,
        [(["localhost/multi:1"], [busybox_layer, tar_bytes(layer1), tar_bytes(layer2)])],
        gzip_layers=True,
    )
    assert box("load", "-i", str(archive)).stdout == "Loaded image: localhost/multi:1\n"
    script = (
        "ls /data; echo --; ls /data/opq; echo --; cat /data/keep /data/opq/new /data/evil/planted;"
        " stat -c %i /data/big /data/big2 | uniq | wc -l; test ! -e /etc/planted && echo clean"
    )
    name = f"multi-{driver}"
    box("run", "-d", "--name", name, "localhost/multi:1", "sleep", "1000")
    try:
        upper = Path(box.root, "containers", box.inspect(name)["Id"], "upper")  # type: ignore[arg-type]
        # the copy fallback holds the image's files in the container's own dir; overlay does not
        assert (upper / "data" / "keep").exists() == (driver == "vfs")
    finally:
        box("rm", "-f", name)
    res = box("run", "--rm", "localhost/multi:1", "sh", "-c", script)
    assert res.stdout == "big\nbig2\nevil\nkeep\nopq\n--\nnew\n--\nkeep\nnew\ninside\n1\nclean\n"
    assert not os.path.exists("/etc/planted")
    box("rmi", "localhost/multi:1")


# --- save and load -------------------------------------------------------------------------


def test_save_and_export_write_into_a_device_never_replace_it(sb: Scopebox, tmp_path: Path
                                                              ) -> None:  # fmt: skip
    """`save -o /dev/null` (a copy of it here) and `export -o` write into the device: an
    archive renamed over its target replaced /dev/null with a regular file."""
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    sb("save", "--format", "oci-archive", "-o", str(null), "busybox")
    sb("save", "-o", str(null), "busybox")
    cid = sb("create", "busybox", "true").stdout.strip()
    sb("export", "-o", str(null), cid)
    sb("rm", cid)
    assert stat.S_ISCHR(null.stat().st_mode) and null.stat().st_rdev == os.makedev(1, 3)


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_save_load_several_images(sb: Scopebox, tmp_path: Path, fmt: str, clean: None) -> None:
    sb("tag", "busybox", "localhost/copy-a:1")
    bb2 = tmp_path / "bb2.tar"
    docker_archive(bb2, [(["localhost/other:2"], [tar_bytes(layer1)])])
    sb("load", "-i", str(bb2))
    ids = {r: sb("image", "inspect", "-f", "{{.Id}}", r).stdout for r in ("copy-a:1", "other:2")}
    out = tmp_path / "both.tar"
    sb("save", "--format", fmt, "-o", str(out), "localhost/copy-a:1", "localhost/other:2")
    sb("rmi", "localhost/copy-a:1", "localhost/other:2")
    res = sb("load", "-i", str(out))
    assert res.stdout == "Loaded image: localhost/copy-a:1\nLoaded image: localhost/other:2\n"
    for ref, image_id in ids.items():
        assert sb("image", "inspect", "-f", "{{.Id}}", ref).stdout == image_id
    # the same through stdin
    sb("rmi", "localhost/copy-a:1", "localhost/other:2")
    with open(out) as f:
        res = subprocess.run(
            [*SCOPEBOX, "load"],
            stdin=f,
            capture_output=True,
            text=True,
            env=sb.environ(),
            cwd=REPO,
        )
    assert res.returncode == 0 and "Loaded image: localhost/other:2" in res.stdout, res
    sb("rmi", "localhost/copy-a:1", "localhost/other:2")
    assert not os.listdir(f"{sb.root}/tmp")


@pytest.fixture
def podman(tmp_path: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    base = tmp_path / "podman"
    runroot = tempfile.mkdtemp(prefix="sbpm-")  # podman refuses a run root over 50 characters
    cmd = [
        "podman",
        "--root",
        str(base / "root"),
        "--runroot",
        runroot,
        "--runtime",
        "runc",
        "--cgroup-manager",
        "cgroupfs",
        "--events-backend",
        "file",
    ]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        res = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res
        return res

    yield run
    subprocess.run([*cmd, "system", "reset", "-f"], capture_output=True, timeout=120)
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(runroot, ignore_errors=True)


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_podman_loads_what_scopebox_saves_and_the_reverse(
    sb: Scopebox,
    podman: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
    busybox_layer: bytes,
    fmt: str,
    clean: None,
) -> None:
    archive = tmp_path / "multi.tar"
    docker_archive(
        archive, [(["localhost/interop:1"], [busybox_layer, tar_bytes(layer1), tar_bytes(layer2)])]
    )
    sb("load", "-i", str(archive))
    ours = tmp_path / "ours.tar"
    sb("save", "--format", fmt, "-o", str(ours), "localhost/interop:1")
    sb("rmi", "localhost/interop:1")
    assert "localhost/interop:1" in podman("load", "-i", str(ours)).stdout
    nofile = os.sysconf("SC_OPEN_MAX")
    out = podman(
        "run",
        "--rm",
        "--network",
        "none",
        "--ulimit",
        f"nofile={nofile}:{nofile}",
        "--ulimit",
        "nproc=4096:4096",
        "localhost/interop:1",
        "sh",
        "-c",
        "ls /data /data/opq",
    ).stdout
    assert out == "/data:\nbig\nbig2\nevil\nkeep\nopq\n\n/data/opq:\nnew\n"
    theirs = tmp_path / "theirs.tar"
    podman("save", "--format", fmt, "-o", str(theirs), "localhost/interop:1")
    assert sb("load", "-i", str(theirs)).stdout == "Loaded image: localhost/interop:1\n"
    res = sb("run", "--rm", "localhost/interop:1", "sh", "-c", "ls /data /data/opq")
    assert res.stdout == out
    podman_layers = json.loads(podman("image", "inspect", "localhost/interop:1").stdout)[0]
    ours_layers = json.loads(sb("image", "inspect", "localhost/interop:1").stdout)[0]
    assert podman_layers["RootFS"]["Layers"] == ours_layers["RootFS"]["Layers"]
    sb("rmi", "localhost/interop:1")


def test_podman_import_then_save_loads_here(
    sb: Scopebox,
    podman: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
    busybox_layer: bytes,
    clean: None,
) -> None:
    (tmp_path / "rootfs.tar").write_bytes(busybox_layer)
    podman("import", "--change", "CMD sh", str(tmp_path / "rootfs.tar"), "localhost/pimp:1")
    podman("save", "-o", str(tmp_path / "p.tar"), "localhost/pimp:1")
    sb("load", "-i", str(tmp_path / "p.tar"))
    assert sb("run", "--rm", "localhost/pimp:1", "echo", "ok").stdout == "ok\n"
    sb("rmi", "localhost/pimp:1")


# --- reference counts ------------------------------------------------------------------------


def test_shared_layer_is_freed_with_the_last_image(
    sb: Scopebox, busybox_layer: bytes, tmp_path: Path, clean: None
) -> None:
    archive = tmp_path / "two.tar"
    shared = tar_bytes(layer1)
    docker_archive(
        archive,
        [
            (["localhost/s1:1"], [busybox_layer, shared]),
            (["localhost/s2:1"], [shared, tar_bytes(layer2)]),
        ],
    )
    sb("load", "-i", str(archive))
    layers = set(os.listdir(f"{sb.root}/layers"))
    assert sha(shared) in layers and sha(tar_bytes(layer2)) in layers
    sb("rmi", "localhost/s1:1")
    assert sha(shared) in os.listdir(f"{sb.root}/layers")  # s2 still uses it
    sb("rmi", "localhost/s2:1")
    assert sha(shared) not in os.listdir(f"{sb.root}/layers")


def test_rmi_of_an_image_in_use_and_force(
    sb: Scopebox, tmp_path: Path, busybox_layer: bytes, clean: None
) -> None:
    docker_archive(tmp_path / "u.tar", [(["localhost/used:1"], [busybox_layer])])
    sb("load", "-i", str(tmp_path / "u.tar"))
    sb("tag", "localhost/used:1", "localhost/used:2")
    assert sb("rmi", "localhost/used:2").stdout == "Untagged: localhost/used:2\n"
    cid = sb("create", "--name", "uses-it", "localhost/used:1", "true").stdout.strip()
    res = sb("rmi", "localhost/used:1", check=False)
    # Podman's words and code (scripts match on "image is in use")
    assert (res.returncode, res.stderr) == (2, f"Error: image used by {cid}: image is in use by"
                                            " a container: consider listing external containers"
                                            " and force-removing image\n"), res
    # by id, with two names: only with -f (Podman's message names the id and the names)
    image_id = sb("images", "-q", "--no-trunc", "localhost/used:1").stdout.strip()[7:]
    sb("tag", "localhost/used:1", "localhost/used:2")
    res = sb("rmi", image_id[:12], check=False)
    assert (res.returncode, res.stderr) == (125, f'Error: unable to delete image "{image_id}" by'
                                            " ID with more than one tag ([localhost/used:1"
                                            " localhost/used:2]): please force removal\n"), res
    assert sb("ps", "-a", "-q", "--no-trunc").stdout == f"{cid}\n"
    # -f by id: the container goes, then every name and the image
    out = sb("rmi", "-f", f"sha256:{image_id}").stdout
    assert out == f"Untagged: localhost/used:1\nUntagged: localhost/used:2\nDeleted: {image_id}\n"
    assert "uses-it" not in sb("ps", "-a").stdout


def test_image_prune(sb: Scopebox, tmp_path: Path, busybox_layer: bytes, clean: None) -> None:
    archive = tmp_path / "p.tar"
    a, b = docker_archive(
        archive,
        [(["localhost/pa:1"], [tar_bytes(layer1)]), (["localhost/pb:1"], [tar_bytes(layer2)])],
    )
    sb("load", "-i", str(archive))
    sb("tag", "localhost/pb:1", "localhost/pa:1")  # pa's image loses its only name: dangling
    res = sb("image", "prune", input="n\n")
    assert "Are you sure" in res.stdout and a in sb("images", "-q", "--no-trunc").stdout.replace(
        "sha256:", ""
    )
    assert sb("image", "prune", "-f").stdout == f"{a}\n"
    sb("create", "--name", "keeps-busybox", "busybox", "true")
    try:
        out = sb("image", "prune", "-a", "-f").stdout.split()
        assert out == [b], out  # busybox is in use; pb is not
    finally:
        sb("rm", "-f", "keeps-busybox")


def test_system_df(sb: Scopebox, tmp_path: Path, busybox_layer: bytes, clean: None) -> None:
    archive = tmp_path / "df.tar"
    shared = tar_bytes(layer1)

    # d1's base must differ from the fixture's busybox layer: the rootfs script stamps the
    # second it ran, so a layer made in the same second as the fixture's would be shared
    def base(tar: tarfile.TarFile) -> None:
        with tarfile.open(fileobj=io.BytesIO(busybox_layer)) as src:
            for m in src:
                tar.addfile(m, src.extractfile(m) if m.isfile() else None)
        add_file(tar, "df-marker", b"d1\n")

    d1_base = tar_bytes(base)
    docker_archive(
        archive, [(["localhost/d1:1"], [d1_base, shared]), (["localhost/d2:1"], [shared])]
    )
    sb("load", "-i", str(archive))
    sb(
        "run",
        "--name",
        "df-writer",
        "localhost/d1:1",
        "sh",
        "-c",
        "head -c 300000 /bin/busybox > /f",
    )
    try:
        rows = json.loads(sb("system", "df", "--format", "json").stdout)
        by = {r["Type"]: r for r in rows}
        # each layer counted once: busybox's (the fixture's import), d1's two, d2's shared one
        bb = int(sb("image", "inspect", "-f", "{{.Size}}", "busybox").stdout)
        assert sb("images", "-q").stdout.count("\n") == 3 == by["Images"]["Total"]
        assert by["Images"]["Active"] == 1
        assert by["Images"]["RawSize"] == bb + len(d1_base) + len(shared)
        # d1's layers are in use and d2's only layer is d1's too: only busybox is reclaimable
        assert by["Images"]["RawReclaimable"] == bb
        assert by["Containers"]["Total"] == 1 and by["Containers"]["Active"] == 0
        assert by["Containers"]["RawSize"] == 300000 == by["Containers"]["RawReclaimable"]
        table = sb("system", "df").stdout.splitlines()
        assert table[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
        assert table[3].split()[:2] == ["Local", "Volumes"]
    finally:
        sb("rm", "-f", "df-writer")
        sb("rmi", "localhost/d1:1", "localhost/d2:1")


# --- export, history, inspect -----------------------------------------------------------------


def test_export_a_stopped_container(sb: Scopebox, tmp_path: Path) -> None:
    sb("run", "--name", "exp", "busybox", "sh", "-c", "echo made > /made; rm /etc/group")
    try:
        out = tmp_path / "fs.tar"
        sb("export", "-o", str(out), "exp")
        with tarfile.open(out) as tar:
            names = set(tar.getnames())
            made = tar.extractfile("made")
            assert made is not None and made.read() == b"made\n"
        assert {"bin/busybox", "etc/passwd"} <= names and "etc/group" not in names
        assert not any(n.startswith(".wh.") or "/.wh." in n for n in names)
        cid = str(sb.inspect("exp")["Id"])
        with open("/proc/self/mountinfo") as f:
            assert cid not in f.read()  # mounted for the export only
        res = sb("export", "no-such-container", "-o", str(tmp_path / "x.tar"), check=False)
        assert res.returncode == 125 and not (tmp_path / "x.tar").exists()
        assert [p.name for p in tmp_path.iterdir()] == ["fs.tar"]  # no temp file left
    finally:
        sb("rm", "-f", "exp")


def test_history_inspect_and_images_formats(sb: Scopebox, tmp_path: Path, clean: None) -> None:
    hist = sb("history", "busybox").stdout.splitlines()
    assert hist[0].split() == ["ID", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert "scopebox import" in hist[1]
    # Podman's own tests (110-history.bats): history's CreatedAt is the list's, in Go's layout
    at = sb("history", "--format", "{{.CreatedAt}}", "busybox").stdout.splitlines()[0]
    assert at == sb("images", "--format", "{{.CreatedAt}}", "busybox").stdout.strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", at), at
    (ins,) = json.loads(sb("image", "inspect", "busybox").stdout)
    for key in (
        "Id",
        "Digest",
        "RepoTags",
        "RepoDigests",
        "Created",
        "Size",
        "Config",
        "RootFS",
        "History",
        "Architecture",
        "Os",
    ):
        assert key in ins, key
    assert ins["RepoTags"] == ["localhost/busybox:latest"] and ins["Config"]["Cmd"] == ["sh"]
    assert ins["RepoDigests"] == [f"localhost/busybox@{ins['Digest']}"]
    (j,) = [x for x in json.loads(sb("images", "--format", "json").stdout) if x["Id"] == ins["Id"]]
    assert j["Digest"] == ins["Digest"] and j["Size"] == ins["Size"]
    digests = sb("images", "--digests").stdout.splitlines()
    assert digests[0].split()[:4] == ["REPOSITORY", "TAG", "DIGEST", "IMAGE"]
    assert ins["Digest"] in "".join(digests)
    res = sb("image", "inspect", "nope:1", check=False)
    assert res.returncode == 125 and "no such image" in res.stderr


# --- bad archives ------------------------------------------------------------------------------


def _archive_with(path: Path, files: dict[str, bytes]) -> Path:
    def build(tar: tarfile.TarFile) -> None:
        for name, data in files.items():
            add_file(tar, name, data)

    path.write_bytes(tar_bytes(build))
    return path


def test_bad_archives_are_refused_and_leave_nothing(
    sb: Scopebox, tmp_path: Path, clean: None
) -> None:
    good_layer = tar_bytes(layer1)
    cfg = json.dumps(
        {"rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(good_layer)}"]}}
    ).encode()
    wrong = json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
    entry = {"Config": "c.json", "RepoTags": ["localhost/bad:1"], "Layers": ["l.tar"]}
    hostile = tar_bytes(
        lambda t: (add_special(t, "x", tarfile.SYMTYPE, "/etc"), add_file(t, "x/pwned"))
    )
    hostile_cfg = json.dumps(
        {"rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(hostile)}"]}}
    ).encode()
    cases = {
        "garbage": (tmp_path / "g.tar", None),
        "no manifest": (_archive_with(tmp_path / "a.tar", {"x": b"y"}),
                        "payload does not match any of the supported image formats:"),
        "bad json": (
            _archive_with(tmp_path / "b.tar", {"manifest.json": b"{"}),
            "malformed manifest.json",
        ),
        "missing layer": (
            _archive_with(
                tmp_path / "c.tar", {"manifest.json": json.dumps([entry]).encode(), "c.json": cfg}
            ),
            "archive lacks 'l.tar'",
        ),
        "diff id mismatch": (
            _archive_with(
                tmp_path / "d.tar",
                {
                    "manifest.json": json.dumps([entry]).encode(),
                    "c.json": wrong,
                    "l.tar": good_layer,
                },
            ),
            "but the image config says",
        ),
        "hostile layer": (
            _archive_with(
                tmp_path / "e.tar",
                {
                    "manifest.json": json.dumps([entry]).encode(),
                    "c.json": hostile_cfg,
                    "l.tar": hostile,
                },
            ),
            "through the symlink",
        ),
        "second layer hostile": (
            _archive_with(
                tmp_path / "i.tar",
                {
                    "manifest.json": json.dumps(
                        [{**entry, "Layers": ["ok.tar", "l.tar"]}]
                    ).encode(),
                    "c.json": json.dumps(
                        {
                            "rootfs": {
                                "type": "layers",
                                "diff_ids": [f"sha256:{sha(good_layer)}", f"sha256:{sha(hostile)}"],
                            }
                        }
                    ).encode(),
                    "ok.tar": good_layer,
                    "l.tar": hostile,
                },
            ),
            "through the symlink",
        ),
        "huge manifest": (
            _archive_with(tmp_path / "f.tar", {"manifest.json": b" " * ((4 << 20) + 1)}),
            "larger than",
        ),
        "config too large": (
            _archive_with(
                tmp_path / "h.tar",
                {
                    "manifest.json": json.dumps([entry]).encode(),
                    "c.json": b" " * ((8 << 20) + 1),
                    "l.tar": good_layer,
                },
            ),
            "larger than",
        ),
    }
    (tmp_path / "g.tar").write_bytes(os.urandom(5000))
    for what, (path, message) in cases.items():
        res = sb("load", "-i", str(path), check=False)
        assert res.returncode == 125, (what, res)
        assert res.stderr.startswith("Error: ") and res.stderr.count("\n") == 1, (what, res.stderr)
        assert message is None or message in res.stderr, (what, res.stderr)
        assert not os.path.exists("/etc/pwned")
    res = sb("load", "-i", str(tmp_path / "none.tar"), check=False)
    assert res.returncode == 125 and "no such file" in res.stderr


def test_hostile_import_leaves_nothing(sb: Scopebox, tmp_path: Path, clean: None) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(tar_bytes(lambda t: (add_file(t, "ok"), add_file(t, "../../escape"))))
    res = sb("import", str(bad), "localhost/hostile:1", check=False)
    assert res.returncode == 125 and "refusing entry with '..'" in res.stderr, res
    assert not (tmp_path.parent / "escape").exists()


# --- concurrency and crashes --------------------------------------------------------------------


def test_concurrent_loads_and_imports_of_overlapping_images(
    sb: Scopebox, tmp_path: Path, busybox_layer: bytes, clean: None
) -> None:
    shared = tar_bytes(lambda t: [add_file(t, f"f{i}", os.urandom(20000)) for i in range(200)])
    a, b = tmp_path / "a.tar", tmp_path / "b.tar"
    docker_archive(a, [(["localhost/ca:1"], [busybox_layer, shared])])
    docker_archive(b, [(["localhost/cb:1"], [shared, tar_bytes(layer1)])], gzip_layers=True)
    (tmp_path / "shared.tar").write_bytes(shared)
    procs = [sb.popen("load", "-i", str(p)) for p in (a, b, a, b)]
    procs += [sb.popen("import", str(tmp_path / "shared.tar"), f"localhost/ci:{i}") for i in (1, 2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, (out, err)
    layers = os.listdir(f"{sb.root}/layers")
    assert layers.count(sha(shared)) == 1 and not [x for x in layers if x.startswith(".")]
    assert sb("run", "--rm", "localhost/ca:1", "ls", "/f199").stdout == "/f199\n"
    sb("rmi", "localhost/ca:1", "localhost/cb:1", "localhost/ci:1", "localhost/ci:2")


def test_killed_mid_unpack_leaves_nothing_and_the_next_attempt_completes(
    sb: Scopebox, tmp_path: Path, clean: None
) -> None:
    big = tmp_path / "big.tar"
    with tarfile.open(big, "w") as tar:
        for i in range(400):
            add_file(tar, f"d/f{i}", os.urandom(256 * 1024))
    proc = sb.popen("import", str(big), "localhost/big:1")
    layers = Path(sb.root, "layers")

    def unpacking() -> bool:  # the child has begun writing files (so it is past its setup)
        return any(p.name.startswith(".tmp-") and (p / "d").exists() for p in layers.iterdir())

    wait_for(unpacking, timeout=60, what="the unpack to start")
    (child,) = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    # Stopped, the unpacker cannot finish on its own: only dying with the CLI removes it.
    os.kill(int(child), signal.SIGSTOP)
    os.kill(proc.pid, signal.SIGKILL)  # the CLI only
    proc.wait()

    def gone() -> bool:
        try:
            return Path(f"/proc/{child}/stat").read_text().split(") ")[1][0] in "ZX"
        except FileNotFoundError:
            return True

    try:
        wait_for(gone, timeout=5, what="the unpacker to die with the CLI")
    finally:
        if not gone():
            os.kill(int(child), signal.SIGKILL)
        proc.communicate()  # its pipes close once both are gone
    assert "localhost/big" not in sb("images").stdout
    assert not (layers / sha(big.read_bytes())).exists()
    res = sb("import", str(big), "localhost/big:1")
    assert res.returncode == 0
    assert not [p for p in os.listdir(layers) if p.startswith(".")]
    assert len(os.listdir(layers / sha(big.read_bytes()) / "d")) == 400
    sb("rmi", "localhost/big:1")


def test_prune_removes_layers_no_image_uses(sb: Scopebox, clean: None) -> None:
    """What a process killed between unpacking a layer and recording its image leaves."""
    orphan = Path(sb.root, "layers", "f" * 64)
    (orphan / "etc").mkdir(parents=True)
    old_blob, young_blob = (
        Path(sb.root, "blobs", "sha256", "e" * 64),
        Path(sb.root, "blobs", "sha256", "d" * 64),
    )
    old_blob.write_bytes(b"left by a killed load")
    young_blob.write_bytes(b"maybe a pull about to record its image")
    os.utime(old_blob, (0, 0))
    assert sb("image", "prune", "-f").stdout == ""
    assert not orphan.exists() and not old_blob.exists() and young_blob.exists()
    young_blob.unlink()


def test_load_oci_archive_with_an_image_index(
    sb: Scopebox, tmp_path: Path, busybox_layer: bytes, clean: None
) -> None:
    """A multi-platform OCI archive: this host's image is picked from the nested index."""
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> dict[str, object]:
        blobs[sha(data)] = data
        return {"digest": f"sha256:{sha(data)}", "size": len(data)}

    def image(layer: bytes, arch: str) -> dict[str, object]:
        cfg = json.dumps(
            {
                "architecture": arch,
                "os": "linux",
                "config": {"Cmd": ["sh"]},
                "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(layer)}"]},
            }
        ).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **put(cfg)},
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        **put(gzip.compress(layer, mtime=0)),
                    }
                ],
            }
        ).encode()
        return {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            **put(manifest),
            "platform": {"os": "linux", "architecture": arch},
        }

    other = tar_bytes(lambda t: add_file(t, "wrong-arch", b"arm"))
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [image(other, "arm64"), image(busybox_layer, "amd64")],
        }
    ).encode()
    top = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                **put(index),
                "annotations": {"org.opencontainers.image.ref.name": "localhost/multiarch:1"},
            }
        ],
    }
    files = {
        "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
        "index.json": json.dumps(top).encode(),
        **{f"blobs/sha256/{k}": v for k, v in blobs.items()},
    }
    archive = _archive_with(tmp_path / "ma.tar", files)
    assert sb("load", "-i", str(archive)).stdout == "Loaded image: localhost/multiarch:1\n"
    assert (
        sb("run", "--rm", "localhost/multiarch:1", "ls", "/wrong-arch", check=False).returncode == 1
    )
    assert (
        sb("image", "inspect", "-f", "{{.Architecture}}", "localhost/multiarch:1").stdout
        == "amd64\n"
    )
    sb("rmi", "localhost/multiarch:1")


def test_import_of_a_zstd_tarball(
    sb: Scopebox, tmp_path: Path, busybox_layer: bytes, clean: None
) -> None:
    """The CLI process has not imported zstandard before it forks and chroots the unpacker."""
    if shutil.which("zstd") is None:
        pytest.skip("zstd is not installed")
    (tmp_path / "bb.tar").write_bytes(busybox_layer)
    subprocess.run(["zstd", "-q", str(tmp_path / "bb.tar")], check=True)
    sb("import", "--change", 'CMD ["sh"]', str(tmp_path / "bb.tar.zst"), "localhost/zst:1")
    assert sb("run", "--rm", "localhost/zst:1", "echo", "zstd").stdout == "zstd\n"
    (ins,) = json.loads(sb("image", "inspect", "localhost/zst:1").stdout)
    assert ins["RootFS"]["Layers"] == [f"sha256:{sha(busybox_layer)}"]
    sb("rmi", "localhost/zst:1")


def test_load_from_a_url(sb: Scopebox, tmp_path: Path, clean: None) -> None:
    """Podman's `load -i http://...`: the body is loaded; a URL that fails is one line."""
    import functools
    import http.server
    import threading

    docker_archive(tmp_path / "web.tar", [(["localhost/from-url:1"], [tar_bytes(layer1)])])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        res = sb("load", "-i", f"{base}/web.tar")
        assert res.stdout == "Loaded image: localhost/from-url:1\n"
        sb("rmi", "localhost/from-url:1")
        res = sb("load", "-i", f"{base}/missing.tar", check=False)
        assert (res.returncode, res.stderr) == (
            125, f"Error: cannot load '{base}/missing.tar': HTTP 404\n")
    finally:
        server.shutdown()
        server.server_close()
    assert not os.listdir(f"{sb.root}/tmp")


def test_import_takes_flags_after_the_file(sb: Scopebox, tmp_path: Path, clean: None) -> None:
    """Podman's `import FILE --change X REF` (flags between and after the positionals)."""
    (tmp_path / "root.tar").write_bytes(tar_bytes(layer1))
    sb("import", "-q", str(tmp_path / "root.tar"), "--change", "CMD [\"/x\"]", "late-flags:1")
    res = sb("image", "inspect", "--format", "{{.Config.Cmd}}", "localhost/late-flags:1")
    assert res.stdout == "[/x]\n"
    sb("rmi", "localhost/late-flags:1")


def test_image_mount_is_read_only_counted_and_undone_by_rmi(sb: Scopebox, tmp_path: Path,
                                                            clean: None) -> None:  # fmt: skip
    """Podman's `image mount`: the path, read-only; the listing; each mount counted, `-f`
    unmounts at once; an unknown image is one line (125); `rmi` unmounts what it deletes."""
    from supervisor.mount import is_mountpoint  # mountinfo: a bind mount keeps st_dev

    docker_archive(tmp_path / "m.tar", [(["localhost/mnt:1"], [tar_bytes(layer1)])])
    sb("load", "-i", str(tmp_path / "m.tar"))
    image_id = sb("image", "inspect", "--format", "{{.Id}}", "localhost/mnt:1").stdout.strip()
    path = sb("image", "mount", "localhost/mnt:1").stdout.strip()
    assert is_mountpoint(path) and os.listdir(path)
    with pytest.raises(OSError):
        (Path(path) / "new").write_text("x")
    assert sb("image", "mount").stdout == f"localhost/mnt:1  {path}\n"
    sb("image", "mount", "localhost/mnt:1")  # counted twice now
    assert sb("image", "umount", "localhost/mnt:1").stdout == ""  # once more to go
    assert is_mountpoint(path)
    assert sb("image", "umount", "localhost/mnt:1").stdout == f"{image_id}\n"
    assert not is_mountpoint(path) and sb("image", "mount").stdout == ""
    res = sb("image", "umount", "no-such-image", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: no-such-image: image not known\n")
    sb("image", "mount", "localhost/mnt:1")
    sb("rmi", "localhost/mnt:1")
    assert not is_mountpoint(path)
