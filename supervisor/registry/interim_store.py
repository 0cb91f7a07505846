"""INTERIM (branch `registry` only): a minimal stand-in for the store side of
/work/helpers/CONTRACT-images.md until the `imgstore` branch's `images.commit_image` and
`images.image_blobs` land on main. DROP THIS FILE AT REBASE and point `store_api` in pull.py and
push.py at `supervisor.images`. It does not convert whiteouts and keeps no reference counts.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass

from supervisor.blobs import BlobStore, parse_digest
from supervisor.errors import UsageError
from supervisor.images import resolve
from supervisor.layers import unpack_layer
from supervisor.store import ImageRow, ImagesLock, Store


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int


@dataclass(frozen=True)
class ImageBlobs:
    image_id: str
    manifest_media_type: str
    manifest_bytes: bytes
    config: Descriptor
    layers: list[Descriptor]


def _diff_ids(config: dict[str, object]) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list):
        raise UsageError("image config has no rootfs.diff_ids")
    return [str(d) for d in ids]


def ensure_layer(store: Store, blob: Descriptor, expected: str | None) -> tuple[str, int]:
    """Unpack a layer blob into `layers/<diff id>` unless there (size 0 if it was)."""
    paths = store.paths
    assert expected is not None  # hex, as in the imgstore branch
    final = paths.layer_dir(expected)
    if os.path.isdir(final):
        return expected, 0
    root = os.path.join(paths.root, "layers")
    os.makedirs(root, mode=0o700, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".import-", dir=root)
    os.chmod(tmp, 0o755)
    try:
        got, n = unpack_layer(BlobStore(paths).path(blob.digest), tmp)
        if got != expected:
            raise UsageError(f"layer {blob.digest} unpacks to sha256:{got}, config says {expected}")
        try:
            os.rename(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return expected, n


def commit_image(
    store: Store,
    manifest_digest: str,
    manifest_bytes: bytes,
    config_bytes: bytes,
    names: list[str],
    repo_digest: str | None,
) -> ImageRow:
    paths = store.paths
    manifest = json.loads(manifest_bytes)
    config = json.loads(config_bytes)
    diff_ids = _diff_ids(config)
    layers = manifest.get("layers", [])
    if len(layers) != len(diff_ids):
        raise UsageError("manifest and config disagree on the number of layers")
    size = 0
    for desc, diff in zip(layers, diff_ids, strict=True):
        d = Descriptor(desc.get("mediaType", ""), desc["digest"], int(desc["size"]))
        size += ensure_layer(store, d, parse_digest(diff))[1]
    image_id = parse_digest(_sha(config_bytes))
    with ImagesLock(paths):
        img_dir = paths.image_dir(image_id)
        os.makedirs(img_dir, mode=0o700, exist_ok=True)
        with open(os.path.join(img_dir, "config.json"), "wb") as f:
            f.write(config_bytes)
        with open(os.path.join(img_dir, "manifest-digest"), "w") as f:
            f.write(manifest_digest)
        return store.add_image(
            ImageRow(
                id=image_id,
                names=names,
                created=str(config.get("created", "")),
                size=size or sum(int(d.get("size", 0)) for d in layers),
                layers=[parse_digest(d) for d in diff_ids],
                config=config,
            )
        )


def _sha(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_blobs(store: Store, ref: str) -> ImageBlobs:
    img = resolve(store, ref)
    blobs = BlobStore(store.paths)
    try:
        with open(os.path.join(store.paths.image_dir(img.id), "manifest-digest")) as f:
            digest = f.read().strip()
    except FileNotFoundError as exc:
        raise UsageError(
            f"image {ref!r} was not pulled: interim push needs a pulled image"
        ) from exc
    data = blobs.read_bytes(digest, 4 << 20)
    doc = json.loads(data)
    cfg = doc["config"]
    return ImageBlobs(
        image_id=img.id,
        manifest_media_type=doc.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
        manifest_bytes=data,
        config=Descriptor(cfg["mediaType"], cfg["digest"], int(cfg["size"])),
        layers=[Descriptor(d["mediaType"], d["digest"], int(d["size"])) for d in doc["layers"]],
    )
