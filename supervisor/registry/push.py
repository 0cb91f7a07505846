"""`push`: send an image's blobs and manifest to a registry.

Each blob is skipped when the registry has it (`HEAD`), mounted from another repository of the
same registry when the image came from there, else uploaded (one monolithic `PUT`, or `PATCH`
chunks then a closing `PUT` for blobs over `chunk_size`). The manifest goes last, unchanged, so
its digest is the one the image was pulled by.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from supervisor import images as store_api
from supervisor.blobs import BlobStore, parse_digest
from supervisor.errors import UsageError
from supervisor.registry import auth, conf
from supervisor.registry.auth import Credentials
from supervisor.registry.client import Repository, Session
from supervisor.registry.progress import Progress
from supervisor.registry.reference import Reference, parse
from supervisor.store import Store

MAX_PARALLEL = 4
CHUNK_OVER = 256 << 20


@dataclass(frozen=True)
class PushOptions:
    source: str
    destination: str | None = None
    tls_verify: bool | None = None
    creds: Credentials | None = None
    authfile: str | None = None
    chunk_size: int | None = None  # None: chunked only for blobs over CHUNK_OVER
    cert_dir: str | None = None  # None: certs.d/HOST
    format: str | None = None  # --format: oci | v2s2 (the manifest is sent as stored)


def check_format(wanted: str | None, media_type: str) -> None:
    """--format: the manifest goes unchanged (its digest is the one it was pulled by), so the
    type asked for must be the stored one's; Podman 4.3 would convert it."""
    from supervisor.manifests import DOCKER_MANIFEST, OCI_MANIFEST

    types = {"oci": OCI_MANIFEST, "v2s2": DOCKER_MANIFEST}
    if wanted is not None and types.get(wanted) != media_type:
        stored = {v: k for k, v in types.items()}.get(media_type, media_type)
        raise UsageError(f"--format {wanted}: the image's manifest is {stored}; scopebox pushes"
                         " it as stored and does not convert manifests")


def destination(store: Store, opts: PushOptions) -> Reference:
    from supervisor.images import resolve

    text = opts.destination
    if text is None:
        img = resolve(store, opts.source)
        wanted = [n for n in img.names if n == opts.source or n.endswith("/" + opts.source)]
        text = wanted[0] if wanted else opts.source
    parsed = parse(text.removeprefix("docker://"))
    if parsed.domain is None:
        raise UsageError(
            f"push: {text!r} does not name a registry; give a destination such as"
            f" registry.example.com/{parsed.path}"
        )
    return parsed.qualify(parsed.domain)


def push(store: Store, opts: PushOptions, progress: Progress | None = None) -> str:
    """Returns the manifest digest the registry stored."""
    progress = progress or Progress()
    blobs_of = store_api.image_blobs(store, opts.source)
    check_format(opts.format, blobs_of.manifest_media_type)
    dest = destination(store, opts)
    ep = conf.load().endpoints(dest, opts.tls_verify)[-1]  # the primary location, never a mirror
    creds = opts.creds or auth.lookup(ep.ref.repository, opts.authfile)
    session = Session(ep.ref.domain, ep.insecure, creds, cert_dir=opts.cert_dir)
    try:
        repo = Repository(session, ep.ref.path)
        sources = _mount_sources(store, opts.source, ep.ref)
        blobs = BlobStore(store.paths)
        todo = list(blobs_of.layers)  # the config after them, as Podman's "Copying config"
        failed = threading.Event()

        def one(d: store_api.Descriptor) -> None:
            try:
                _push_blob(repo, blobs, d.digest, d.size, sources, progress, opts.chunk_size)
            except BaseException:
                failed.set()
                raise

        with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
            futures = [pool.submit(one, d) for d in {d.digest: d for d in todo}.values()]
        for f in futures:
            exc = f.exception()
            if exc is not None:
                raise exc
        config = blobs_of.config
        _push_blob(repo, blobs, config.digest, config.size, sources, Progress(), opts.chunk_size)
        digest = repo.put_manifest(
            ep.ref.tag or ep.ref.manifest_ref, blobs_of.manifest_media_type, blobs_of.manifest_bytes
        )
        progress.stored(config.digest)  # "Copying config", "Writing manifest", ...
        return digest
    finally:
        session.close()


def _mount_sources(store: Store, source: str, dest: Reference) -> list[str]:
    """Other repositories of the destination registry this image has names in."""
    from supervisor.images import resolve

    out = []
    for name in resolve(store, source).names:
        p = parse(name)
        if p.domain == dest.domain and p.path != dest.path:
            out.append(p.path)
    return out


def _push_blob(
    repo: Repository,
    blobs: BlobStore,
    digest: str,
    size: int,
    sources: list[str],
    progress: Progress,
    chunk_size: int | None,
) -> None:
    key = digest
    progress.begin(key, f"Copying blob {parse_digest(digest)[:12]}", size)
    if repo.has_blob(digest):
        progress.finish(key, "already exists")
        return
    location = None
    for src in sources:
        location = repo.mount_blob(digest, src)
        if location is None:
            progress.finish(key, f"mounted from {src}")
            return
    if location is None:
        location = repo.start_upload()
    chunk = chunk_size if chunk_size is not None else (CHUNK_OVER if size > CHUNK_OVER else None)
    with open(blobs.path(digest), "rb") as f:
        repo.upload(location, digest, size, f.read, lambda n: progress.advance(key, n), chunk)
    progress.finish(key, "done")


def push_list(store: Store, opts: PushOptions, index: bytes, media_type: str,
              images: list[str], progress: Progress | None = None) -> str:
    """`manifest push`: each local image of the list (`images`: ids) by its digest into the
    destination's repository, then the list itself under the destination's tag. Returns the
    list's digest as the registry stored it."""
    dest = destination(store, opts)
    say = (progress or Progress()).note  # Podman's words around each image
    say("Getting image list signatures")
    say(f"Copying {len(images)} of {len(images)} images in list")
    for i, image_id in enumerate(images, 1):
        digest = image_blobs_digest(store, image_id)
        say(f"Copying image {digest} ({i}/{len(images)})")
        by_digest = f"{dest.domain}/{dest.path}@{digest}"
        push(store, PushOptions(image_id, by_digest, opts.tls_verify, opts.creds, opts.authfile,
                                opts.chunk_size, opts.cert_dir), progress)
    ep = conf.load().endpoints(dest, opts.tls_verify)[-1]
    creds = opts.creds or auth.lookup(ep.ref.repository, opts.authfile)
    session = Session(ep.ref.domain, ep.insecure, creds, cert_dir=opts.cert_dir)
    try:
        repo = Repository(session, ep.ref.path)
        say("Writing manifest list to image destination")
        digest = repo.put_manifest(ep.ref.tag or ep.ref.manifest_ref, media_type, index)
        say("Storing list signatures")
        return digest
    finally:
        session.close()


def image_blobs_digest(store: Store, image_id: str) -> str:
    from supervisor.registry.client import sha256

    return sha256(store_api.image_blobs(store, image_id).manifest_bytes)
