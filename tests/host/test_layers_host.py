"""Unpacking layer archives for real (forked, chrooted child): hostile and broken archives are
refused, nothing is written outside the layer dir, overlay whiteouts come out right."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.errors import UsageError
from supervisor.layers import Limits, unpack_layer, write_tar

pytestmark = pytest.mark.host

Entry = Callable[[tarfile.TarFile], None]


def file(name: str, data: bytes = b"x", mode: int = 0o644) -> Entry:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        tar.addfile(info, io.BytesIO(data))

    return add


def special(name: str, kind: bytes, link: str = "", mode: int = 0o755, dev: int = 0) -> Entry:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.mode = kind, link, mode
        info.devmajor, info.devminor = os.major(dev), os.minor(dev)
        tar.addfile(info)

    return add


def make_tar(path: Path, *entries: Entry, compress: bool = False) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for add in entries:
            add(tar)
    path.write_bytes(gzip.compress(buf.getvalue()) if compress else buf.getvalue())
    return path


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    d = tmp_path / "store" / "layer"
    d.mkdir(parents=True)
    return d


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A host directory an archive tries to reach; it must stay empty."""
    d = tmp_path / "outside"
    d.mkdir()
    return d


def unpack(tar: Path, layer: Path, **kw: object) -> None:
    unpack_layer(str(tar), str(layer), **kw)  # type: ignore[arg-type]


def test_dotdot_is_refused(tmp_path: Path, layer: Path, outside: Path) -> None:
    tar = make_tar(tmp_path / "t.tar", file("a"), file("../../outside/pwned"))
    with pytest.raises(UsageError, match=r"refusing entry with '\.\.'"):
        unpack(tar, layer)
    assert list(outside.iterdir()) == []


def test_absolute_paths_land_inside_the_layer(tmp_path: Path, layer: Path, outside: Path) -> None:
    tar = make_tar(tmp_path / "t.tar", file(f"{outside}/abs", b"inside"))
    unpack(tar, layer)
    assert list(outside.iterdir()) == []
    assert (layer / str(outside).lstrip("/") / "abs").read_bytes() == b"inside"


@pytest.mark.parametrize("target", ["ABS", "../../../../../../../../ABS"])
def test_no_write_through_a_symlink_planted_earlier(
    tmp_path: Path, layer: Path, outside: Path, target: str
) -> None:
    link = target.replace("ABS", str(outside).lstrip("/")) if ".." in target else str(outside)
    tar = make_tar(tmp_path / "t.tar", special("evil", tarfile.SYMTYPE, link), file("evil/pwned"))
    with pytest.raises(UsageError, match="through the symlink 'evil'"):
        unpack(tar, layer)
    assert list(outside.iterdir()) == []


def test_symlinks_pointing_outside_stay_plain_symlinks(tmp_path: Path, layer: Path) -> None:
    """A symlink's target is resolved in the container's root at run time, not here."""
    tar = make_tar(tmp_path / "t.tar", special("etc-link", tarfile.SYMTYPE, "/etc"))
    unpack(tar, layer)
    assert os.readlink(layer / "etc-link") == "/etc"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([special("h", tarfile.LNKTYPE, "/etc/passwd")], "not in this layer"),
        ([special("h", tarfile.LNKTYPE, "../../etc/passwd")], r"'\.\.'"),
        (
            [special("s", tarfile.SYMTYPE, "/etc"), special("h", tarfile.LNKTYPE, "s/passwd")],
            "through the symlink 's'",
        ),
        ([special("d", tarfile.DIRTYPE), special("h", tarfile.LNKTYPE, "d")], "to a directory"),
    ],
)
def test_hardlinks_outside_are_refused(
    tmp_path: Path, layer: Path, entries: list[Entry], message: str
) -> None:
    tar = make_tar(tmp_path / "t.tar", *entries)
    with pytest.raises(UsageError, match=message):
        unpack(tar, layer)
    assert os.stat("/etc/passwd").st_nlink == 1


def test_hardlinks_inside_share_the_inode(tmp_path: Path, layer: Path) -> None:
    tar = make_tar(tmp_path / "t.tar", file("a", b"1"), special("b", tarfile.LNKTYPE, "a"))
    unpack(tar, layer)
    assert (layer / "a").stat().st_ino == (layer / "b").stat().st_ino


def test_devices_setuid_and_owners_as_root(tmp_path: Path, layer: Path) -> None:
    assert os.geteuid() == 0  # the host tier runs as root: devices and setuid are allowed

    def owned(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("owned")
        info.uid, info.gid, info.mode = 1234, 5678, 0o6755
        tar.addfile(info, io.BytesIO(b""))

    tar = make_tar(
        tmp_path / "t.tar",
        special("null", tarfile.CHRTYPE, mode=0o666, dev=os.makedev(1, 3)),
        owned,
    )
    unpack(tar, layer)
    st = os.lstat(layer / "null")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    st = os.lstat(layer / "owned")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o6755)


def test_whiteouts_become_overlay_whiteouts(tmp_path: Path, layer: Path) -> None:
    tar = make_tar(
        tmp_path / "t.tar",
        special("d", tarfile.DIRTYPE),
        file("d/.wh..wh..opq", b""),
        file("d/new"),
        file(".wh.gone", b""),
        file("d/.wh..wh.plnk", b""),
    )
    unpack(tar, layer)
    st = os.lstat(layer / "gone")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(layer / "d", "trusted.overlay.opaque") == b"y"
    assert sorted(os.listdir(layer)) == ["d", "gone"]
    assert os.listdir(layer / "d") == ["new"]
    # ... and back: the layer re-packs with OCI whiteouts
    buf = io.BytesIO()
    write_tar(str(layer), buf, layer=True)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as packed:
        names = packed.getnames()
    assert ".wh.gone" in names and "d/.wh..wh..opq" in names and "gone" not in names


def test_a_later_entry_replaces_an_earlier_one(tmp_path: Path, layer: Path) -> None:
    tar = make_tar(
        tmp_path / "t.tar",
        special("x", tarfile.SYMTYPE, "/etc"),
        special("x", tarfile.DIRTYPE),
        file("x/f", b"real"),
    )
    unpack(tar, layer)
    assert (layer / "x").is_dir() and not (layer / "x").is_symlink()
    assert (layer / "x" / "f").read_bytes() == b"real"


def test_truncated_and_corrupt_gzip(tmp_path: Path, layer: Path) -> None:
    good = make_tar(tmp_path / "g.tar.gz", file("a", os.urandom(200_000)), compress=True)
    data = good.read_bytes()
    (tmp_path / "trunc.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(UsageError, match="cannot unpack layer"):
        unpack(tmp_path / "trunc.gz", layer)
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xFF
    (tmp_path / "corrupt.gz").write_bytes(bytes(bad))
    with pytest.raises(UsageError, match="cannot unpack layer"):
        unpack(tmp_path / "corrupt.gz", layer)
    (tmp_path / "junk").write_bytes(b"\x1f\x8b" + os.urandom(1000))
    with pytest.raises(UsageError, match="cannot unpack layer"):
        unpack(tmp_path / "junk", layer)


def test_gzip_bomb_stops_at_the_limit(tmp_path: Path, layer: Path) -> None:
    """512 MiB of zeros in about 0.5 MiB of gzip: stopped after the 64 MiB bound."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    header = tarfile.TarInfo("zeros")
    header.size = 512 << 20
    parts = [comp.compress(header.tobuf(format=tarfile.PAX_FORMAT))]
    zeros = bytes(1 << 20)
    parts += [comp.compress(zeros) for _ in range(512)]
    parts.append(comp.flush())
    (tmp_path / "bomb.gz").write_bytes(b"".join(parts))
    assert (tmp_path / "bomb.gz").stat().st_size < 1 << 20
    with pytest.raises(UsageError, match="larger than the limit of 67108864 bytes"):
        unpack(tmp_path / "bomb.gz", layer, limits=Limits(max_bytes=64 << 20))


def test_too_many_entries(tmp_path: Path, layer: Path) -> None:
    tar = make_tar(tmp_path / "t.tar", *(file(f"f{i}") for i in range(20)))
    with pytest.raises(UsageError, match="more than 10 entries"):
        unpack(tar, layer, limits=Limits(max_entries=10))


def test_not_an_archive(tmp_path: Path, layer: Path) -> None:
    (tmp_path / "x").write_bytes(b"hello world, not a tar" * 100)
    with pytest.raises(UsageError, match="cannot unpack layer"):
        unpack(tmp_path / "x", layer)
