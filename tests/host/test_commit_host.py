"""The contract with the registry code, through the Python API on a private store:
`commit_image` (blobs -> image) and `image_blobs` (image -> blobs for push and save)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import multiprocessing
import os
import tarfile
from pathlib import Path

import pytest

from supervisor import images
from supervisor.blobs import BlobStore
from supervisor.errors import NotFoundError, UsageError
from supervisor.layers import DOCKER_TAR_GZIP, MEDIA_TAR, MEDIA_TAR_ZSTD
from supervisor.manifests import DOCKER_CONFIG, DOCKER_MANIFEST, Descriptor, build_manifest
from supervisor.paths import Paths
from supervisor.store import Store

pytestmark = pytest.mark.host


def layer_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Image:
    """A pulled-looking image (Docker schema 2, gzip layers) written into the blob store."""

    def __init__(self, store: Store, layers: list[bytes], compress: str = "gzip") -> None:
        self.blobs = BlobStore(store.paths)
        descs = []
        for raw in layers:
            if compress == "gzip":
                data, media = gzip.compress(raw, mtime=0), DOCKER_TAR_GZIP
            elif compress == "zstd":
                import zstandard

                data, media = zstandard.ZstdCompressor().compress(raw), MEDIA_TAR_ZSTD
            else:
                data, media = raw, MEDIA_TAR
            descs.append(Descriptor(media, self.blobs.put_bytes(data), len(data)))
        self.config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {"Cmd": ["sh"]},
                "rootfs": {"type": "layers", "diff_ids": [digest(x) for x in layers]},
            }
        ).encode()
        cfg = Descriptor(DOCKER_CONFIG, self.blobs.put_bytes(self.config), len(self.config))
        self.layers = descs
        self.manifest = build_manifest(cfg, descs, oci=False)
        self.digest = self.blobs.put_bytes(self.manifest)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))


def commit(store: Store, img: Image, names: list[str] | None = None) -> images.ImageRow:
    return images.commit_image(
        store,
        img.digest,
        img.manifest,
        img.config,
        names if names is not None else ["docker.io/library/x:1"],
        f"docker.io/library/x@{img.digest}",
    )


def test_commit_then_blobs_round_trip(store: Store) -> None:
    img = Image(store, [layer_tar({"a": b"1"}), layer_tar({"b": b"2"})])
    row = commit(store, img)
    assert row.id == digest(img.config).removeprefix("sha256:")
    assert row.repo_digests == [f"docker.io/library/x@{img.digest}"]
    for d in row.layers:
        assert os.path.isdir(store.paths.layer_dir(d))
    assert (Path(store.paths.layer_dir(row.layers[1])) / "b").read_bytes() == b"2"
    ib = images.image_blobs(store, "docker.io/library/x:1")
    # a pulled image is pushed with its manifest unchanged: the same digest
    assert ib.manifest_bytes == img.manifest and ib.manifest_media_type == DOCKER_MANIFEST
    assert ib.layers == img.layers and ib.config.digest == digest(img.config)
    with pytest.raises(NotFoundError):
        images.image_blobs(store, "nope")


def test_commit_is_idempotent_and_does_no_work_twice(store: Store) -> None:
    img = Image(store, [layer_tar({"a": b"1"})])
    row = commit(store, img)
    layer = Path(store.paths.layer_dir(row.layers[0]))
    ino = layer.stat().st_ino
    again = commit(store, img)
    assert again.id == row.id and again.repo_digests == row.repo_digests
    assert layer.stat().st_ino == ino  # not unpacked again
    assert len(store.list_images()) == 1


@pytest.mark.parametrize("compress", ["none", "zstd"])
def test_plain_and_zstd_layers(store: Store, compress: str) -> None:
    img = Image(store, [layer_tar({"z": b"zstd"})], compress)
    row = commit(store, img)
    assert (Path(store.paths.layer_dir(row.layers[0])) / "z").read_bytes() == b"zstd"


def _leftovers(store: Store) -> list[str]:
    root = Path(store.paths.root, "layers")
    return sorted(os.listdir(root)) if root.exists() else []


def test_refused_inputs_store_nothing(store: Store) -> None:
    img = Image(store, [layer_tar({"a": b"1"}), layer_tar({"b": b"2"})])
    with pytest.raises(UsageError, match="does not match its digest"):
        images.commit_image(store, img.digest, img.manifest + b" ", img.config, [], None)
    with pytest.raises(UsageError, match="image config does not match"):
        images.commit_image(store, img.digest, img.manifest, img.config + b" ", [], None)
    # a config whose diff id for layer 2 is wrong: layer 1 was unpacked, and is freed again
    bad_cfg = json.loads(img.config)
    bad_cfg["rootfs"]["diff_ids"][1] = "sha256:" + "0" * 64
    bad = json.dumps(bad_cfg).encode()
    cfg = Descriptor(DOCKER_CONFIG, img.blobs.put_bytes(bad), len(bad))
    manifest = build_manifest(cfg, img.layers, oci=False)
    d = img.blobs.put_bytes(manifest)
    with pytest.raises(UsageError, match="but the image config says"):
        images.commit_image(store, d, manifest, bad, ["docker.io/library/bad:1"], None)
    assert _leftovers(store) == [] and store.list_images() == []
    # a manifest naming a blob that is not there
    img.blobs.remove(img.layers[1].digest)
    with pytest.raises(UsageError, match="missing from the blob store"):
        commit(store, img)
    assert _leftovers(store) == [] and store.list_images() == []


def _commit_in_child(root: str, run: str, i: int) -> None:
    store = Store(Paths(root, run))
    img = _SHARED
    images.commit_image(store, img.digest, img.manifest, img.config, [f"localhost/c:{i}"], None)


_SHARED: Image  # set by the test before forking the children


def test_concurrent_commits_of_the_same_image(store: Store) -> None:
    """Four processes commit the same two-layer image at once: one unpack per layer, no error."""
    global _SHARED
    _SHARED = Image(
        store, [layer_tar({f"f{n}": os.urandom(50_000) for n in range(60)}) for _ in range(2)]
    )
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_commit_in_child, args=(store.paths.root, store.paths.runroot, i))
        for i in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    (row,) = Store(store.paths).list_images()
    assert sorted(row.names) == [f"localhost/c:{i}" for i in range(4)]
    assert _leftovers(store) == sorted(row.layers)


def test_blobs_for_an_image_stored_before_blobs_were_kept(store: Store) -> None:
    img = Image(store, [layer_tar({"old": b"data"})])
    row = commit(store, img)
    for d in row.blobs:  # what an older scopebox left: layer dirs and a row, no blobs
        img.blobs.remove(d)
    store.set_image_manifest(row.id, "", [])
    with store.transaction() as db:
        db.execute("DELETE FROM layer_blobs")
    ib = images.image_blobs(store, row.id)
    for d in [ib.config, *ib.layers]:
        assert img.blobs.has(d.digest)
    with gzip.open(img.blobs.path(ib.layers[0].digest)) as f, tarfile.open(fileobj=f) as tar:
        assert "old" in tar.getnames()
    again = store.get_image(row.id)
    assert again is not None and again.digest and again.blobs
