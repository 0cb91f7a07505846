"""`pull`: resolve a reference, fetch manifest, config and layers into the BlobStore (verified
while streaming, each blob at most once across concurrent pulls), then hand them to the store.

Nothing becomes visible before it is verified: blobs are published by `BlobStore` only when
digest and size match, and the image exists only once `commit_image` records it.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from supervisor import images as store_api
from supervisor.blobs import BlobStore, DigestMismatch, parse_digest
from supervisor.errors import RegistryError, ScopeboxError, UsageError
from supervisor.registry import auth, conf
from supervisor.registry.auth import Credentials
from supervisor.registry.client import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    LIST_TYPES,
    MANIFEST_LIMIT,
    OCI_INDEX,
    OCI_MANIFEST,
    Manifest,
    Repository,
    Session,
)
from supervisor.registry.platform import Platform, choose
from supervisor.registry.progress import Progress
from supervisor.registry.reference import Reference, parse
from supervisor.store import FileLock, ImageRow, Store

LAYER_TYPES = (
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",  # the store says if it can unpack it
)
MAX_PARALLEL = 4


@dataclass(frozen=True)
class PullOptions:
    reference: str
    platform: str | None = None
    tls_verify: bool | None = None
    creds: Credentials | None = None
    authfile: str | None = None
    cert_dir: str | None = None  # None: certs.d/HOST


@dataclass(frozen=True)
class PullResult:
    image: ImageRow
    name: Reference
    digest: str


@dataclass(frozen=True)
class _Desc:
    media_type: str
    digest: str
    size: int


def tags_of(opts: PullOptions) -> tuple[Reference, list[str]]:
    """`pull --all-tags`: the repository (short names resolved as `pull` does: the first
    candidate whose registry answers) and its tags, in the registry's order."""
    cfg = conf.load()
    errors: list[str] = []
    for cand in cfg.candidates(parse(opts.reference)):
        for ep in cfg.endpoints(cand, opts.tls_verify):
            creds = opts.creds or auth.lookup(ep.ref.repository, opts.authfile)
            try:
                session = Session(ep.ref.domain, ep.insecure, creds, cert_dir=opts.cert_dir)
                try:
                    return cand, Repository(session, ep.ref.path).list_tags()
                finally:
                    session.close()
            except RegistryError as exc:
                errors.append(str(exc))
                last = exc
    if len(errors) == 1:
        raise last
    raise RegistryError(f"listing the tags of {opts.reference!r} failed: " + "; ".join(errors))


class _Cancelled(Exception):
    """Another layer's download failed: stop this one."""


def pull(store: Store, opts: PullOptions, progress: Progress | None = None) -> PullResult:
    progress = progress or Progress()
    want = Platform.parse(opts.platform) if opts.platform else Platform.host()
    cfg = conf.load()
    errors: list[str] = []
    for cand in cfg.candidates(parse(opts.reference)):
        for ep in cfg.endpoints(cand, opts.tls_verify):
            try:
                try:
                    return _pull_endpoint(store, opts, cand, ep.ref, ep.insecure, want, progress)
                except UsageError as exc:
                    # A concurrent rmi freed a blob between download and commit: once more.
                    if not str(exc).endswith("; retry"):
                        raise
                    return _pull_endpoint(store, opts, cand, ep.ref, ep.insecure, want, progress)
            except (RegistryError, DigestMismatch) as exc:
                errors.append(str(exc))
                last = exc
    if len(errors) == 1:
        raise last
    raise RegistryError(f"pulling {opts.reference!r} failed: " + "; ".join(errors))


def _pull_endpoint(
    store: Store,
    opts: PullOptions,
    name: Reference,
    src: Reference,
    insecure: bool,
    want: Platform,
    progress: Progress,
) -> PullResult:
    creds = opts.creds or auth.lookup(src.repository, opts.authfile)
    session = Session(src.domain, insecure, creds, cert_dir=opts.cert_dir)
    try:
        repo = Repository(session, src.path)
        blobs = BlobStore(store.paths)
        top = repo.get_manifest(src.manifest_ref)
        manifest = top
        if top.media_type in LIST_TYPES:
            desc = choose(top.json(), want, explicit=opts.platform is not None)
            manifest = repo.get_manifest(str(desc.get("digest", "")))
        config_desc, layers = _image_manifest(manifest)
        for m in {top.digest: top, manifest.digest: manifest}.values():
            blobs.put_bytes(m.data, m.digest)
        config = _fetch_config(repo, blobs, config_desc)
        _fetch_layers(repo, blobs, store, _diff_ids(config, layers), layers, progress)
    finally:
        session.close()
    names = [name.name] if name.tag and not name.digest else []
    image = store_api.commit_image(
        store, manifest.digest, manifest.data, config, names, f"{name.repository}@{top.digest}"
    )
    progress.stored(config_desc.digest)
    return PullResult(image, name, top.digest)


def _descriptor(d: Any, what: str) -> _Desc:
    if not isinstance(d, dict):
        raise RegistryError(f"manifest: {what} is not a descriptor")
    digest, size, mt = d.get("digest"), d.get("size"), d.get("mediaType", "")
    if not isinstance(digest, str) or not isinstance(size, int) or size < 0:
        raise RegistryError(f"manifest: {what} has no valid digest and size")
    try:
        parse_digest(digest)
    except ScopeboxError as exc:
        raise RegistryError(f"manifest: {what}: {exc}") from exc
    return _Desc(str(mt), digest, size)


def _image_manifest(m: Manifest) -> tuple[_Desc, list[_Desc]]:
    if m.media_type in (DOCKER_LIST, OCI_INDEX):
        raise RegistryError(f"manifest {m.digest}: a list inside a list is not supported")
    if m.media_type not in (DOCKER_MANIFEST, OCI_MANIFEST):
        raise RegistryError(
            f"manifest {m.digest}: unsupported media type {m.media_type!r}"
            " (Docker schema 1 images are not supported)"
        )
    doc = m.json()
    config = _descriptor(doc.get("config"), "config")
    raw_layers = doc.get("layers")
    if not isinstance(raw_layers, list):
        raise RegistryError(f"manifest {m.digest}: no layers array")
    layers = [_descriptor(d, f"layer {i}") for i, d in enumerate(raw_layers)]
    for layer in layers:
        if layer.media_type not in LAYER_TYPES:
            raise RegistryError(
                f"layer {layer.digest}: unsupported media type {layer.media_type!r}"
            )
    return config, layers


def _fetch_config(repo: Repository, blobs: BlobStore, d: _Desc) -> bytes:
    if d.size > MANIFEST_LIMIT:
        raise RegistryError(f"image config is {d.size} bytes, over the {MANIFEST_LIMIT}-byte limit")
    if blobs.has(d.digest):
        return blobs.read_bytes(d.digest, MANIFEST_LIMIT)
    data = repo.get_blob_bytes(d.digest, d.size)
    blobs.put_bytes(data, d.digest)
    return data


def _diff_ids(config: bytes, layers: list[_Desc]) -> dict[str, str]:
    """Blob digest -> the hex diff id the config declares for it (empty if they disagree:
    the store then refuses the image with its own message)."""
    try:
        doc = json.loads(config)
        ids = doc["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError):
        return {}
    if not isinstance(ids, list) or len(ids) != len(layers):
        return {}
    try:
        return {d.digest: parse_digest(str(i)) for d, i in zip(layers, ids, strict=True)}
    except ScopeboxError:
        return {}


def _fetch_layers(
    repo: Repository,
    blobs: BlobStore,
    store: Store,
    diff_ids: dict[str, str],
    layers: list[_Desc],
    progress: Progress,
) -> None:
    """Download the missing blobs (up to MAX_PARALLEL at once) and hand each, once verified,
    to a separate pool that unpacks it (a forked child per layer, one per core): unpacking
    never holds up a download."""
    unique = list({d.digest: d for d in layers}.values())
    cancel = threading.Event()
    unpackers = ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, len(unique))))
    unpacks: list[Future[None]] = []

    def unpack(d: _Desc, shown: Progress) -> None:
        if cancel.is_set():
            raise _Cancelled
        try:
            _unpack(store, d, diff_ids[d.digest], shown)
        except BaseException:
            cancel.set()
            raise

    def fetch(d: _Desc) -> None:
        try:
            fetched = _fetch_blob(repo, blobs, store, d, progress, cancel)
        except BaseException:
            cancel.set()
            raise
        if diff_ids:
            unpacks.append(unpackers.submit(unpack, d, progress if fetched else Progress()))

    downloads = ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(unique))))
    with unpackers, downloads:  # leaves `downloads` first: every unpack is submitted by then
        fetches = [downloads.submit(fetch, d) for d in unique]
    errors = [e for f in (*fetches, *unpacks) if (e := f.exception()) is not None]
    real = [e for e in errors if not isinstance(e, _Cancelled)]
    if errors:
        raise (real or errors)[0]


def _unpack(store: Store, d: _Desc, diff_id: str, progress: Progress) -> None:
    progress.finish(d.digest, "unpacking")
    own = Store(store.paths)  # an SQLite connection belongs to the thread that opened it
    try:
        store_api.ensure_layer(own, store_api.Descriptor(d.media_type, d.digest, d.size), diff_id)
    finally:
        own.close()
    progress.finish(d.digest, "done")


def _fetch_blob(
    repo: Repository,
    blobs: BlobStore,
    store: Store,
    d: _Desc,
    progress: Progress,
    cancel: threading.Event,
) -> bool:
    """Download into the BlobStore unless there; True if this call downloaded it."""
    key = d.digest
    label = f"Copying blob {parse_digest(d.digest)[:12]}"
    if blobs.has(d.digest):
        progress.begin(key, label, d.size)
        progress.finish(key, "already exists")
        return False
    # One download per blob across processes: the second waits, then finds it stored.
    with FileLock(store.paths, f"blob-{parse_digest(d.digest)}.lock"):
        if blobs.has(d.digest):
            progress.begin(key, label, d.size)
            progress.finish(key, "already exists")
            return False
        if cancel.is_set():
            raise _Cancelled
        progress.begin(key, label, d.size)
        with blobs.writer(d.digest, d.size) as w:

            def sink(chunk: bytes) -> None:
                if cancel.is_set():
                    raise _Cancelled
                w.write(chunk)
                progress.advance(key, len(chunk))

            repo.stream_blob(d.digest, d.size, sink)
            w.commit()
        return True
