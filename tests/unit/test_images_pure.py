"""Pure parts of the image store: entry policy, manifests and configs, views, the DB migration."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from supervisor.errors import NotFoundError, UsageError
from supervisor.layers import LayerError, check_entry, clean_path, sniff_compression
from supervisor.manifests import (
    DOCKER_MANIFEST,
    MANIFEST_LIMIT,
    OCI_MANIFEST,
    Descriptor,
    build_manifest,
    parse_config,
    parse_manifest,
)
from supervisor.paths import Paths
from supervisor.store import ImageRow, Store
from supervisor.views import history_items, image_json, inspect_image, repo_digests

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def _member(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type, m.mode = kind, mode
    return m


def test_clean_path() -> None:
    assert clean_path("./a/b/") == "a/b"
    assert clean_path("/etc/passwd") == "etc/passwd"  # absolute: made relative to the rootfs
    assert clean_path("./") == ""
    for bad in ("../x", "a/../../x", "a/.."):
        with pytest.raises(LayerError, match=r"'\.\.'"):
            clean_path(bad)


def test_devices_and_setuid_need_root() -> None:
    dev = _member("dev/null", tarfile.CHRTYPE, 0o666)
    assert check_entry(dev, is_root=True) == 0o666
    with pytest.raises(LayerError, match="only root"):
        check_entry(dev, is_root=False)
    with pytest.raises(LayerError, match="only root"):
        check_entry(_member("dev/sda", tarfile.BLKTYPE), is_root=False)
    suid = _member("bin/su", mode=0o4755)
    assert check_entry(suid, is_root=True) == 0o4755
    assert check_entry(suid, is_root=False) == 0o755
    assert check_entry(_member("tmp", tarfile.DIRTYPE, 0o1777), is_root=False) == 0o1777
    assert check_entry(_member("p", tarfile.FIFOTYPE), is_root=False) == 0o644


def test_sniff_compression() -> None:
    assert sniff_compression(b"\x1f\x8b\x08\x00") == "gzip"
    assert sniff_compression(b"\x28\xb5\x2f\xfd") == "zstd"
    assert sniff_compression(b"bin/") == "none"


def _manifest(**over: object) -> bytes:
    obj: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": D1,
            "size": 10,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "digest": D2,
                "size": 5,
            }
        ],
    }
    obj.update(over)
    return json.dumps(obj).encode()


def test_parse_manifest_accepts_docker_and_oci() -> None:
    m = parse_manifest(_manifest())
    assert m.media_type == DOCKER_MANIFEST and m.config.digest == D1 and m.layers[0].size == 5
    oci = parse_manifest(build_manifest(m.config, m.layers))
    assert oci.media_type == OCI_MANIFEST
    assert oci.layers[0].media_type == "application/vnd.oci.image.layer.v1.tar+gzip"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (_manifest(schemaVersion=1), "schemaVersion"),
        (_manifest(mediaType="application/x-weird"), "media type"),
        (_manifest(layers=[]), "no layers"),
        (_manifest(config={"digest": D1}), "lacks mediaType"),
        (_manifest(config={"mediaType": "x", "digest": "md5:abc", "size": 1}), "only sha256"),
        (_manifest(config={"mediaType": "x", "digest": D1, "size": -1}), "valid size"),
        (
            _manifest(layers=[{"mediaType": "application/x-rar", "digest": D2, "size": 1}]),
            "unsupported layer media type",
        ),
        (_manifest(layers=[{"mediaType": "x", "digest": D2, "size": 1}] * 501), "more than 500"),
        (b" " * (MANIFEST_LIMIT + 1), "too large"),
    ],
)
def test_parse_manifest_refuses(data: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_manifest(data)


def test_parse_config() -> None:
    good = {"rootfs": {"type": "layers", "diff_ids": [D1, D2]}}
    assert parse_config(json.dumps(good).encode(), 2) == good
    with pytest.raises(UsageError, match="lists 2 layers, the manifest 1"):
        parse_config(json.dumps(good).encode(), 1)
    for bad in ({}, {"rootfs": {"type": "layers", "diff_ids": []}}, {"rootfs": {"type": "x"}}):
        with pytest.raises(UsageError, match="malformed image config"):
            parse_config(json.dumps(bad).encode(), 1)


def _img(**over: object) -> ImageRow:
    row = ImageRow(
        id="a" * 64,
        names=["docker.io/library/busybox:latest", "localhost/bb:1"],
        created="2026-01-01T00:00:00Z",
        size=300,
        layers=["1" * 64, "2" * 64],
        config={
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["sh"], "Labels": {"a": "b"}},
            "history": [
                {"created": "2026-01-01T00:00:00Z", "created_by": "ADD rootfs", "comment": "c"},
                {"created": "2026-01-01T00:00:00Z", "created_by": "ENV x", "empty_layer": True},
                {"created": "2026-01-01T00:00:00Z", "created_by": "RUN y"},
            ],
        },
        digest=D1,
        repo_digests=[f"docker.io/library/busybox@{D2}"],
    )
    return row._replace(**over)


def test_repo_digests_are_pulled_ones_then_each_name_at_the_manifest() -> None:
    assert repo_digests(_img()) == [
        f"docker.io/library/busybox@{D2}",
        f"docker.io/library/busybox@{D1}",
        f"localhost/bb@{D1}",
    ]
    assert repo_digests(_img(digest="", repo_digests=[])) == []


def test_image_json_and_inspect_shapes() -> None:
    j = image_json(_img(), containers=2)
    assert j["Id"] == "a" * 64 and j["Containers"] == 2 and j["Labels"] == {"a": "b"}
    assert j["RepoTags"] == _img().names and j["Digest"] == D1
    ins = inspect_image(_img())
    for key in (
        "Id",
        "Digest",
        "RepoTags",
        "RepoDigests",
        "Created",
        "Config",
        "RootFS",
        "History",
        "Architecture",
        "Os",
        "Size",
        "GraphDriver",
        "Comment",
    ):
        assert key in ins, key
    assert ins["RootFS"]["Layers"] == ["sha256:" + "1" * 64, "sha256:" + "2" * 64]
    assert ins["Comment"] == "c" and ins["Config"]["Cmd"] == ["sh"]


def test_history_newest_first_with_layer_sizes() -> None:
    items = history_items(_img(), [100, 200])
    assert [i["CreatedBy"] for i in items] == ["RUN y", "ENV x", "ADD rootfs"]
    assert [i["RawSize"] for i in items] == [200, 0, 100]
    assert [i["ID"] for i in items] == ["a" * 12, "<missing>", "<missing>"]


def test_old_database_is_migrated(tmp_path: Path) -> None:
    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))
    (tmp_path / "root").mkdir()
    db = sqlite3.connect(paths.db)
    db.execute(
        "CREATE TABLE images (id TEXT PRIMARY KEY, names TEXT NOT NULL, created TEXT NOT NULL,"
        " size INTEGER NOT NULL, layers TEXT NOT NULL, config TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO images VALUES ('ab', '[\"localhost/x:latest\"]', 't', 1, '[\"cd\"]', '{}')"
    )
    db.commit()
    db.close()
    store = Store(paths)
    (img,) = store.list_images()
    assert (img.digest, img.repo_digests, img.blobs) == ("", [], [])
    store.add_image(ImageRow("ab", ["localhost/y:1"], "t", 1, ["cd"], {}, D1, ["r@" + D1], [D1]))
    (img,) = Store(paths).list_images()  # a second open migrates nothing twice
    assert img.names == ["localhost/x:latest", "localhost/y:1"] and img.digest == D1
    assert img.blobs == [D1] and img.repo_digests == ["r@" + D1]


def test_descriptor_json() -> None:
    assert Descriptor("m", D1, 3).to_json() == {"mediaType": "m", "digest": D1, "size": 3}


def test_pick_platform() -> None:
    from supervisor.archive import pick_platform

    index = {
        "manifests": [
            {"digest": D1, "platform": {"os": "linux", "architecture": "arm64"}},
            {"digest": D2, "platform": {"os": "linux", "architecture": "amd64"}},
        ]
    }
    assert pick_platform(json.dumps(index).encode()) == D2
    with pytest.raises(UsageError, match="no image for linux/amd64"):
        pick_platform(json.dumps({"manifests": index["manifests"][:1]}).encode())
    with pytest.raises(UsageError, match="malformed image index"):
        pick_platform(b"{}")


def _digest_store(tmp_path: Path) -> Store:
    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))
    (tmp_path / "root").mkdir()
    store = Store(paths)
    store.add_image(_img(repo_digests=[f"docker.io/library/busybox@{D2}"]))
    return store


def test_a_digest_reference_finds_the_image_its_tag_dropped(tmp_path: Path) -> None:
    from supervisor import images

    store = _digest_store(tmp_path)
    for ref in (f"busybox@{D2}", f"docker.io/library/busybox:latest@{D2}",
                f"busybox:other@{D1}", f"localhost/bb@{D1}"):  # fmt: skip
        assert images.resolve(store, ref).id == "a" * 64, ref
    with pytest.raises(NotFoundError):
        images.resolve(store, f"localhost/other@{D1}")  # no name of it is in that repository
    with pytest.raises(UsageError, match="invalid image reference"):
        images.resolve(store, "busybox@sha256:zz")


def test_untag_and_rmi_of_a_digest_name_keep_the_tagged_image(tmp_path: Path) -> None:
    """Podman: `untag IMG repo:tag@digest` and `rmi repo@digest` take the digest's name only."""
    from supervisor import images

    store = _digest_store(tmp_path)
    assert images.untag(store, "bb:1", [f"busybox:latest@{D2}"]) == (
        "a" * 64, [f"docker.io/library/busybox@{D2}"])
    (img,) = store.list_images()
    assert img.repo_digests == [] and len(img.names) == 2
    with pytest.raises(UsageError, match="tag not known"):
        images.untag(store, "bb:1", [f"busybox@{D2}"])
    assert images.remove_image(store, f"localhost/bb@{D1}") == [f"Untagged: localhost/bb@{D1}"]
    assert [i.names for i in store.list_images()] == [img.names]
    assert not images.deletes(img, f"localhost/bb@{D1}")


def test_a_stored_image_pulled_or_loaded_again_gets_its_new_name_first(tmp_path: Path) -> None:
    """Podman: load/pull put the reference's name before the image's others; tag appends."""
    store = _digest_store(tmp_path)
    img = store.add_image(_img(names=["localhost/loaded:1"]), first=True)
    assert img.names == ["localhost/loaded:1", "docker.io/library/busybox:latest", "localhost/bb:1"]
    img = store.add_image(_img(names=["localhost/tagged:1"]))
    assert img.names[-1] == "localhost/tagged:1"
    assert store.list_images()[0].names == img.names
