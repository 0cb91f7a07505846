"""`push IMAGE dir:PATH`: the image as containers/image's `dir:` transport lays it out, which
skopeo, buildah and Podman read back (`pull dir:PATH`, `skopeo copy dir:...`): a `version`
file, `manifest.json` (the stored manifest, unchanged: its digest stays the image's), and each
blob (config and layers) in a file named by its digest's hex.

As containers/image does, a directory holding an earlier `dir:` image is emptied first, and a
non-empty directory that is not one is refused (the push must not mix or delete a user's files).
"""

from __future__ import annotations

import os
import shutil

from supervisor import images as store_api
from supervisor.blobs import BlobStore, parse_digest
from supervisor.errors import UsageError
from supervisor.registry.progress import Progress
from supervisor.store import Store

VERSION = "Directory Transport Version: 1.1\n"


def push_dir(store: Store, source: str, path: str, progress: Progress,
             format: str | None = None) -> str:  # fmt: skip
    """The manifest's digest, as a registry push returns it; `format`: push's --format."""
    from supervisor.registry.push import check_format

    blobs_of = store_api.image_blobs(store, source)
    check_format(format, blobs_of.manifest_media_type)
    if not path:
        raise UsageError("dir: needs a directory (dir:PATH)")
    _prepare(path)
    blobs = BlobStore(store.paths)
    for d in {d.digest: d for d in blobs_of.layers}.values():
        progress.begin(d.digest, f"Copying blob {parse_digest(d.digest)[:12]}", d.size)
        shutil.copyfile(blobs.path(d.digest), os.path.join(path, parse_digest(d.digest)))
        progress.finish(d.digest, "done")
    config = blobs_of.config  # "Copying config" is said by stored(), as for a registry
    shutil.copyfile(blobs.path(config.digest), os.path.join(path, parse_digest(config.digest)))
    _write(os.path.join(path, "manifest.json"), blobs_of.manifest_bytes)
    _write(os.path.join(path, "version"), VERSION.encode())
    progress.stored(blobs_of.config.digest)
    import hashlib

    return "sha256:" + hashlib.sha256(blobs_of.manifest_bytes).hexdigest()


def _prepare(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
        names = os.listdir(path)
    except OSError as exc:
        raise UsageError(f"dir:{path}: {exc.strerror or exc}") from None
    if not names:
        return
    if "version" not in names:
        raise UsageError(f"dir:{path}: the directory is not empty and holds no image of the dir"
                         " transport (no version file); give an empty or new directory")
    for name in names:  # an earlier dir: image, replaced as containers/image replaces it
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


def _write(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
