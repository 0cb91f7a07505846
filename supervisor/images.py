"""Local images: storing an image from blobs, import, naming, lookup, removal.

An image is a manifest, an OCI image config and its layer archives in the blob store
(`blobs/sha256/`), plus its layers unpacked once under `layers/<diff id hex>/` (overlay lower
dirs shared by every image using them). `commit_image` (pull, load, import) and `image_blobs`
(push, save) are the contract with the registry code: /work/helpers/CONTRACT-images.md.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NamedTuple, cast

from supervisor.blobs import BlobStore, parse_digest
from supervisor.errors import ConflictError, NotFoundError, ScopeboxError, UsageError
from supervisor.imageref import digest_names
from supervisor.imageref import resolve as resolve  # performance: re-exported, lookups are light
from supervisor.layers import compression_of, sniff_compression, unpack_layer, write_tar
from supervisor.manifests import (
    CONFIG_LIMIT,
    MANIFEST_LIMIT,
    MEDIA_TAR,
    MEDIA_TAR_GZIP,
    MEDIA_TAR_ZSTD,
    OCI_CONFIG,
    Manifest,
    build_manifest,
    config_bytes,
    diff_ids,
    digest_of,
    parse_config,
    parse_manifest,
)
from supervisor.manifests import Descriptor as Descriptor  # re-exported: the contract's name
from supervisor.paths import Paths
from supervisor.refs import _short_match, normalize_name, split_digested
from supervisor.store import FileLock, ImageRow, ImagesLock, LayerBlob, Store
from supervisor.timefmt import now_rfc3339

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_CHUNK = 1 << 20


class WrongPlatform(NotFoundError):
    """A local image exists by that name, but for another os/arch than `--platform` asks for:
    as Podman does, it counts as missing (a pull may bring the right one)."""

    def __init__(self, ref: str, have: str, want: str) -> None:
        super().__init__("image", ref)
        self.have, self.want = have, want
        ScopeboxError.__init__(
            self, f"image {ref!r} here is {have}, not the requested platform {want}"
        )


def _host_arch() -> str:
    from supervisor.registry.platform import Platform

    return Platform.host().arch


def image_platform(img: ImageRow) -> str:
    """os/arch[/variant] from the image's config ("" parts if it says nothing)."""
    cfg = img.config
    text = f"{cfg.get('os', '')}/{cfg.get('architecture', '')}"
    return text + (f"/{cfg['variant']}" if cfg.get("variant") else "")


def resolve_platform(store: Store, ref: str, platform: str | None) -> ImageRow:
    """`resolve`, and with `platform` (`--platform os/arch[/variant]`) the image must be for
    it: else WrongPlatform. A variant is only compared when both name one."""
    img = resolve(store, ref)
    if platform is None:
        return img
    from supervisor.registry.platform import Platform

    want, cfg = Platform.parse(platform), img.config
    same = cfg.get("os") == want.os and cfg.get("architecture") == want.arch
    variant = str(cfg.get("variant") or "")
    if not same or (want.variant and variant and variant != want.variant):
        raise WrongPlatform(ref, image_platform(img), str(want))
    return img


@dataclass(frozen=True)
class ImportOptions:
    """What `import` asks for."""

    source: str
    reference: str | None = None
    changes: list[str] = field(default_factory=list)
    message: str = ""
    os: str = ""  # --os, --arch, --variant: the image's platform ("": the host's)
    arch: str = ""
    variant: str = ""


def split_change(change: str) -> tuple[str, str]:
    """A --change's instruction and argument, as Podman splits them: at the first space
    (`CMD /bin/sh`), else at the first `=` (`CMD=/bin/sh`, which scripts and Podman's own
    tests write)."""
    text = change.strip()
    verb, sep, arg = text.partition(" ")
    if not sep:
        verb, _, arg = text.partition("=")
    return verb.upper(), arg.strip()


def _apply_changes(config: dict[str, object], changes: list[str]) -> None:
    """The Dockerfile instructions `import --change` allows (CMD ENTRYPOINT ENV WORKDIR ...)."""
    for change in changes:
        verb, arg = split_change(change)
        if verb in ("CMD", "ENTRYPOINT"):
            try:
                value = json.loads(arg) if arg.startswith("[") else ["/bin/sh", "-c", arg]
            except json.JSONDecodeError as exc:
                raise UsageError(f"bad --change {change!r}: {exc.msg}") from exc
            config["Cmd" if verb == "CMD" else "Entrypoint"] = value
        elif verb == "ENV":
            key, sep, val = arg.partition("=")
            if not sep:
                key, _, val = arg.partition(" ")
            old = config.get("Env")
            env = [e for e in (old if isinstance(old, list) else []) if not e.startswith(f"{key}=")]
            config["Env"] = [*env, f"{key}={val.strip()}"]
        elif verb == "WORKDIR":
            config["WorkingDir"] = arg
        elif verb == "USER":
            config["User"] = arg
        elif verb == "LABEL":
            key, _, val = arg.partition("=")
            config.setdefault("Labels", {})[key] = val.strip('"')  # type: ignore[index]
        elif verb == "VOLUME":  # volumes (issue 14)
            try:
                paths = json.loads(arg) if arg.startswith("[") else arg.split()
            except json.JSONDecodeError as exc:
                raise UsageError(f"bad --change {change!r}: {exc.msg}") from exc
            config.setdefault("Volumes", {}).update({p: {} for p in paths})  # type: ignore[attr-defined]
        else:
            raise UsageError(
                f"--change {verb} is not supported (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL,"
                " VOLUME)"
            )


# --- blobs -> a stored image (pull, load, import all end here) --------------------------


@dataclass(frozen=True)
class ImageBlobs:
    """An image's manifest, config and layer descriptors."""

    image_id: str  # hex
    manifest_media_type: str
    manifest_bytes: bytes
    config: Descriptor
    layers: list[Descriptor]  # base first


def _prune_tmp(paths: Paths) -> None:
    """Unpack dirs of processes killed half-way (their per-blob lock is free again), and
    layers whose removal was interrupted."""
    root = os.path.join(paths.root, "layers")
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith((".del-", ".import-")):
            shutil.rmtree(entry.path, ignore_errors=True)
        elif entry.name.startswith(".tmp-"):
            lock = FileLock(paths, f"layer-{entry.name[5:]}.lock")
            if lock.try_acquire():
                shutil.rmtree(entry.path, ignore_errors=True)
                lock.release()


def ensure_layer(store: Store, blob: Descriptor, expected: str | None) -> tuple[str, int]:
    """Unpack a layer blob into `layers/<diff id>` unless that layer is already there.

    One process per blob does the work (a per-blob flock; the others wait and find it done).
    The layer appears only complete (unpacked beside it, then renamed)."""
    paths = store.paths
    blob_hex = parse_digest(blob.digest)
    compression = compression_of(blob.media_type)
    with FileLock(paths, f"layer-{blob_hex}.lock"):
        known = store.layer_blob(blob.digest)
        diff = expected or (known.diff_id if known else None)
        if diff and os.path.isdir(paths.layer_dir(diff)):
            size = store.layer_size(diff)
            if size is not None:
                if known is None or known.diff_id != diff:
                    store.add_layer(
                        diff, size, LayerBlob(blob.digest, diff, blob.media_type, blob.size)
                    )
                return diff, size
        blobs = BlobStore(paths)
        if not blobs.has(blob.digest):
            raise UsageError(f"layer blob {blob.digest} is missing from the blob store")
        tmp = os.path.join(paths.root, "layers", f".tmp-{blob_hex}")
        shutil.rmtree(tmp, ignore_errors=True)  # a killed predecessor's (we hold its lock)
        os.makedirs(tmp, mode=0o755)
        try:
            got = unpack_layer(blobs.path(blob.digest), tmp, compression)
            if expected and got.diff_id != expected:
                raise UsageError(
                    f"layer {blob.digest} unpacks to sha256:{got.diff_id}, but the image config"
                    f" says sha256:{expected}"
                )
            try:
                os.rename(tmp, paths.layer_dir(got.diff_id))
            except OSError as exc:  # the same layer from another archive is already there
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        lb = LayerBlob(blob.digest, got.diff_id, blob.media_type, blob.size)
        store.add_layer(got.diff_id, got.size, lb)
        return got.diff_id, got.size


def commit_image(
    store: Store,
    manifest_digest: str,
    manifest_bytes: bytes,
    config_bytes: bytes,
    names: list[str],
    repo_digest: str | None,
) -> ImageRow:
    """Blobs already in the BlobStore -> a stored image (see /docs: the images contract)."""
    paths = store.paths
    if digest_of(manifest_bytes) != manifest_digest:
        raise UsageError(f"manifest content does not match its digest {manifest_digest}")
    manifest = parse_manifest(manifest_bytes)
    if digest_of(config_bytes) != manifest.config.digest:
        raise UsageError(f"image config does not match its digest {manifest.config.digest}")
    config = parse_config(config_bytes, len(manifest.layers))
    diffs = diff_ids(config)
    blobs = BlobStore(paths)
    for data, digest in ((manifest_bytes, manifest_digest), (config_bytes, manifest.config.digest)):
        if not blobs.has(digest):
            blobs.put_bytes(data, digest)
    missing = [d.digest for d in manifest.layers if not blobs.has(d.digest)]
    if missing:
        raise UsageError(f"layer blob {missing[0]} is missing from the blob store")
    os.makedirs(os.path.join(paths.root, "layers"), mode=0o700, exist_ok=True)
    _prune_tmp(paths)
    held = [manifest_digest, manifest.config.digest, *(d.digest for d in manifest.layers)]
    try:
        return _commit_layers(store, manifest, config, diffs, names, repo_digest, held)
    except BaseException:
        # Layers unpacked for this image and used by no other: not left behind. (A concurrent
        # commit that needs one again finds it gone under ImagesLock and unpacks it anew.)
        with ImagesLock(paths):
            used = {d for i in store.list_images() for d in i.layers}
            for diff in diffs:
                if diff not in used:
                    _free_layer(store, diff)
        raise


def _commit_layers(
    store: Store,
    manifest: Manifest,
    config: dict[str, Any],
    diffs: list[str],
    names: list[str],
    repo_digest: str | None,
    held: list[str],
) -> ImageRow:
    paths = store.paths
    blobs = BlobStore(paths)
    image_id = parse_digest(manifest.config.digest)
    manifest_digest = held[0]
    for _ in range(5):
        sizes = [
            ensure_layer(store, d, want)[1] for d, want in zip(manifest.layers, diffs, strict=True)
        ]
        with ImagesLock(paths):  # rmi frees layers and blobs under this lock
            if not all(os.path.isdir(paths.layer_dir(d)) for d in diffs):
                continue  # a layer was freed by a concurrent rmi: unpack it again
            gone = [d for d in held if not blobs.has(d)]
            if gone:
                raise UsageError(f"blob {gone[0]} was removed while storing the image; retry")
            created = config.get("created")
            return store.add_image(
                ImageRow(
                    id=image_id,
                    names=list(names),
                    created=created if isinstance(created, str) and created else now_rfc3339(),
                    size=sum(sizes),
                    layers=diffs,
                    config=config,
                    digest=manifest_digest,
                    repo_digests=[repo_digest] if repo_digest else [],
                    blobs=held,
                ),
                first=True,
            )
    raise ConflictError("layers kept being removed while storing the image; retry")


def image_blobs(store: Store, ref: str) -> ImageBlobs:
    """The manifest, config and layer blobs of an image, for push and save."""
    img = resolve(store, ref)
    blobs = BlobStore(store.paths)
    if not (img.digest and all(blobs.has(b) for b in img.blobs)):
        with ImagesLock(store.paths):
            _rebuild_blobs(store, img)
        img = resolve(store, img.id)
    data = blobs.read_bytes(img.digest, MANIFEST_LIMIT)
    m = parse_manifest(data)
    return ImageBlobs(img.id, m.media_type, data, m.config, m.layers)


def _rebuild_blobs(store: Store, img: ImageRow) -> None:
    """An image stored before blobs were kept (or whose blobs were lost): config from the
    image dir or the row, layers re-packed (gzip) from their dirs. A re-packed layer whose
    diff id differs from the config's (different tar bytes, same files) gets a new config."""
    blobs = BlobStore(store.paths)
    layers: list[Descriptor] = []
    new_diffs: list[str] = []
    for diff in img.layers:
        known = [b for b in store.blobs_of_layer(diff) if blobs.has(b.digest)]
        if known:
            layers.append(Descriptor(known[0].media_type, known[0].digest, known[0].size))
            new_diffs.append(diff)
            continue
        desc, got = pack_layer(store, diff)
        layers.append(desc)
        new_diffs.append(got)
    legacy = os.path.join(store.paths.image_dir(img.id), "config.json")
    if blobs.has(f"sha256:{img.id}"):
        cfg = blobs.read_bytes(f"sha256:{img.id}", CONFIG_LIMIT)
    elif os.path.isfile(legacy):
        with open(legacy, "rb") as f:
            cfg = f.read()
    else:
        cfg = config_bytes(img.config)
    if new_diffs != img.layers:
        obj = json.loads(cfg)
        obj["rootfs"]["diff_ids"] = [f"sha256:{d}" for d in new_diffs]
        cfg = config_bytes(obj)
    cfg_digest = blobs.put_bytes(cfg)
    manifest = build_manifest(Descriptor(OCI_CONFIG, cfg_digest, len(cfg)), layers)
    digest = blobs.put_bytes(manifest)
    store.set_image_manifest(img.id, digest, [digest, cfg_digest, *(d.digest for d in layers)])


class _Tee:
    """Hashes the uncompressed stream (the diff id) on its way into gzip."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)


def pack_layer(store: Store, diff: str) -> tuple[Descriptor, str]:
    """A gzip'd layer blob made from `layers/<diff>`; returns it and the tar's diff id."""
    blobs = BlobStore(store.paths)
    with blobs.writer() as w:
        gz = gzip.GzipFile(fileobj=cast(BinaryIO, w), mode="wb", compresslevel=5, mtime=0)
        tee = _Tee(cast(BinaryIO, gz))
        write_tar(store.paths.layer_dir(diff), cast(BinaryIO, tee), layer=True)
        gz.close()
        size = w.written
        digest = w.commit()
    got = tee.sha.hexdigest()
    store.add_layer_blob(LayerBlob(digest, got, MEDIA_TAR_GZIP, size))
    return Descriptor(MEDIA_TAR_GZIP, digest, size), got


# --- import --------------------------------------------------------------------------------


def import_tarball(store: Store, opts: ImportOptions) -> ImageRow:
    paths = store.paths
    if opts.source != "-" and not os.path.isfile(opts.source):
        raise UsageError(f"cannot import {opts.source!r}: no such file")
    names = [normalize_name(opts.reference)] if opts.reference else []
    container_config: dict[str, object] = {"Env": [DEFAULT_PATH]}
    _apply_changes(container_config, opts.changes)  # bad input fails before any work
    blobs = BlobStore(paths)
    blob = _store_source(blobs, opts.source)
    try:
        diff, _ = ensure_layer(store, blob, None)
        now = now_rfc3339()
        config = {
            "created": now,
            # The host's unless given: what import is given is taken to run here (as Podman's).
            "architecture": opts.arch or _host_arch(),
            "os": opts.os or "linux",
            **({"variant": opts.variant} if opts.variant else {}),
            "config": container_config,
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff}"]},
            "history": [{"created": now, "created_by": "scopebox import", "comment": opts.message}],
        }
        cfg = config_bytes(config)
        cfg_digest = blobs.put_bytes(cfg)
        manifest = build_manifest(Descriptor(OCI_CONFIG, cfg_digest, len(cfg)), [blob])
        digest = blobs.put_bytes(manifest)
        return commit_image(store, digest, manifest, cfg, names, None)
    except BaseException:
        with ImagesLock(paths):
            if not store.blob_in_use(blob.digest):
                blobs.remove(blob.digest)
        raise


_MEDIA = {"gzip": MEDIA_TAR_GZIP, "zstd": MEDIA_TAR_ZSTD, "none": MEDIA_TAR}


def _store_source(blobs: BlobStore, source: str) -> Descriptor:
    """The archive, as given, becomes the layer's blob (so push and save need no re-pack)."""
    fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC) if source != "-" else os.dup(0)
    with os.fdopen(fd, "rb") as f, blobs.writer() as w:
        head = f.read(_CHUNK)
        kind = sniff_compression(head)
        while head:
            w.write(head)
            head = f.read(_CHUNK)
        size = w.written
        digest = w.commit()
    return Descriptor(_MEDIA[kind], digest, size)


# --- removal and reference counts ------------------------------------------------------------


def layer_dirs(paths: Paths, img: ImageRow) -> list[str]:
    """Overlay lower dirs, top-most first."""
    return [paths.layer_dir(d) for d in reversed(img.layers)]


def remove_image(store: Store, ref: str, force: bool = False, all: bool = False,
                 prune: bool = True) -> list[str]:  # fmt: skip
    """Untag a name, or delete the image when it has no name left. Returns what was done.

    Podman's rules and words (libimage): a name of several is only untagged; the image itself
    goes only by its last name, by id with -f (or -a), and never while a container uses it;
    with `prune` (rmi without --no-prune) the build's intermediate images it was made from go
    too, while nothing else names or uses them."""
    with ImagesLock(store.paths):
        img = resolve(store, ref)
        digested = split_digested(ref) if "@" in ref else None
        named = digest_names(img, *digested) if digested is not None else None
        if named is not None and img.names and not all:
            return _untag_digest(store, img, named)
        matched = named_by(img, ref)
        if matched and len(img.names) > 1 and not all:
            store.set_image_names(img.id, [n for n in img.names if n != matched[0]])
            return [f"Untagged: {matched[0]}"]
        if len(img.names) > 1 and not force and not all:
            by = "digest" if ref.startswith("sha256:") else "ID"
            raise UsageError(
                f'unable to delete image "{img.id}" by {by} with more than one tag'
                f" ([{' '.join(img.names)}]): please force removal"
            )
        users = store.containers_using_image_ids(img.id)
        if users:
            raise ConflictError(
                f"image used by {users[0]}: image is in use by a container: consider listing"
                " external containers and force-removing image"
            )
        _delete_locked(store, img)
        parents = _prune_parents(store, img.id) if prune else []
    untagged = img.names or ([named] if named else [])
    return [*(f"Untagged: {n}" for n in untagged), f"Deleted: {img.id}", *parents]


def _untag_digest(store: Store, img: ImageRow, name: str) -> list[str]:
    """`rmi repo@digest` of an image that has tags: the digest's name goes, the image stays
    (Podman's: a digest name is one of the image's several names)."""
    store.set_image_repo_digests(img.id, [d for d in img.repo_digests if d != name])
    return [f"Untagged: {name}"]


def _prune_parents(store: Store, image_id: str) -> list[str]:
    """The nameless, unused build parents of a deleted image, removed up the chain while no
    other image was made from them (Podman's rmi). Returns "Deleted: ID" lines."""
    out: list[str] = []
    while store.has_table("build_cache"):
        rows = store.query("SELECT parent FROM build_cache WHERE image = ?", (image_id,))
        with store.transaction() as db:
            db.execute("DELETE FROM build_cache WHERE image = ?", (image_id,))
        parent = store.get_image(str(rows[0][0])) if rows else None
        if (parent is None or parent.names or parent.id in store.intermediate_ids()
                or store.containers_using_image_ids(parent.id)):
            break
        _delete_locked(store, parent)
        out.append(f"Deleted: {parent.id}")
        image_id = parent.id
    return out


def named_by(img: ImageRow, ref: str) -> list[str]:
    """The image's names `ref` spells (empty when `ref` is its id)."""
    return [n for n in img.names if n == _normalized(ref) or _short_match(ref, n)]


def deletes(img: ImageRow, ref: str, all: bool = False) -> bool:
    """Whether `rmi REF` removes the image itself (not just one of its names): then `-f`
    removes the containers using it first, as Podman does."""
    if "@" in ref:  # a digest name: only an image without tags goes
        return all or not img.names
    return all or len(img.names) <= 1 or not named_by(img, ref)


def _delete_locked(store: Store, img: ImageRow) -> None:
    """Drop the row, then free what no other image uses (the caller holds ImagesLock).

    A layer is renamed aside before it is deleted, so a crash mid-way never leaves a partial
    layer where a later image would reuse it."""
    paths = store.paths
    from supervisor.imagemount import unmount_image

    unmount_image(paths, img.id, force=True)  # `image mount`'s, as libimage's removal does
    store.delete_image(img.id)
    shutil.rmtree(paths.image_dir(img.id), ignore_errors=True)
    rest = store.list_images()
    used_layers = {d for i in rest for d in i.layers}
    used_blobs = {b for i in rest for b in i.blobs}
    blobs = BlobStore(paths)
    for diff in img.layers:
        if diff in used_layers:
            continue
        _free_layer(store, diff)
        for lb in store.blobs_of_layer(diff):
            if lb.digest not in used_blobs:
                blobs.remove(lb.digest)
                store.delete_layer_blob(lb.digest)
    for digest in img.blobs:
        if digest not in used_blobs:
            blobs.remove(digest)
            store.delete_layer_blob(digest)


def _free_layer(store: Store, diff: str) -> None:
    """Renamed aside first: a crash mid-way never leaves a partial layer where a later image
    would reuse it (the aside dir is removed by the next commit)."""
    paths = store.paths
    aside = os.path.join(paths.root, "layers", f".del-{diff}-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        os.rename(paths.layer_dir(diff), aside)
    store.delete_layer(diff)
    shutil.rmtree(aside, ignore_errors=True)


def tag(store: Store, ref: str, new_names: list[str]) -> ImageRow:
    names = [normalize_name(n) for n in new_names]
    with ImagesLock(store.paths):
        img = resolve(store, ref)
        return store.add_image(img._replace(names=names, repo_digests=[], blobs=[]))


def untag(store: Store, ref: str, names: list[str]) -> tuple[str, list[str]]:
    """`untag IMAGE [NAME...]`: the image's id and the names taken from it (every name without
    NAME); the image stays, dangling once nameless. A NAME it does not carry is Podman's
    `NAME: tag not known`, checked before any name goes. A NAME `repo[:tag]@digest` takes the
    digest's name (`repo@digest`, the tag dropped as libimage does) from the image."""
    with ImagesLock(store.paths):
        img = resolve(store, ref)
        gone, digests = _untag_names(img, names) if names else (list(img.names), [])
        store.set_image_names(img.id, [n for n in img.names if n not in gone])
        if digests:
            store.set_image_repo_digests(img.id, [d for d in img.repo_digests if d not in digests])
        return img.id, gone + digests


def _untag_names(img: ImageRow, names: list[str]) -> tuple[list[str], list[str]]:
    gone: list[str] = []
    digests: list[str] = []
    for given in names:
        digested = split_digested(given)
        if digested is not None:
            name = digest_names(img, *digested)
            if name is None:
                raise UsageError(f"{'@'.join(digested)}: tag not known")
            digests.append(name)
            continue
        name = normalize_name(given)
        if name not in img.names:
            raise UsageError(f"{name}: tag not known")
        gone.append(name)
    return gone, digests


def prune_filter(items: list[str]) -> Callable[[ImageRow], bool]:
    """`image prune --filter`: Podman 4.3's keys until=, label=, label!=, dangling=; an image
    is pruned when it passes every filter (checked before anything is removed)."""
    tests = [_prune_test(item) for item in items]
    return lambda img: all(t(img) for t in tests)


def _prune_test(item: str) -> Callable[[ImageRow], bool]:
    from supervisor.timefmt import parse_rfc3339, parse_since

    key, _, value = item.partition("=")
    if key == "until":
        try:
            cutoff = parse_since(value, "until filter")
        except UsageError:  # Podman's words
            raise UsageError(f'failed to parse value as time or duration: "{value}"') from None
        return lambda img: (parse_rfc3339(img.created) or 0.0) < cutoff
    if key in ("label", "label!"):
        name, eq, want = value.partition("=")

        def labelled(img: ImageRow) -> bool:
            labels = _labels(img)
            return name in labels and (not eq or labels[name] == want)

        return labelled if key == "label" else lambda img: not labelled(img)
    if key == "dangling" and value.lower() in ("true", "false"):
        dangling = value.lower() == "true"
        return lambda img: (not img.names) == dangling
    if key == "dangling":
        raise UsageError(f'invalid dangling filter value "{value}"')
    raise UsageError(f'unsupported image filter "{key}"')  # Podman's words


def _labels(img: ImageRow) -> dict[str, str]:
    return dict((img.config.get("config") or {}).get("Labels") or {})


def prune(store: Store, all_unused: bool,
          chosen: Callable[[ImageRow], bool] | None = None) -> list[str]:
    """Dangling images (no name), or with `all_unused` every image no container uses; with
    `chosen` (--filter) only those it passes. Returns the removed ids. Layers no image uses (left
    by a process killed between unpacking and recording its image) go too."""
    removed: list[str] = []
    with ImagesLock(store.paths):
        used = {c.image_id for c in store.list_containers()}
        if not all_unused:  # an intermediate image is no dangling one (Podman's libimage)
            used |= store.intermediate_ids()
        for img in store.list_images():
            if img.id in used or (img.names and not all_unused):
                continue
            if chosen is not None and not chosen(img):
                continue
            _delete_locked(store, img)
            removed.append(img.id)
        in_use = {d for i in store.list_images() for d in i.layers}
        root = os.path.join(store.paths.root, "layers")
        for name in os.listdir(root) if os.path.isdir(root) else []:
            if not name.startswith(".") and name not in in_use:
                _free_layer(store, name)
        _prune_blobs(store)
    _prune_tmp(store.paths)
    return removed


def _prune_blobs(store: Store, age: float = 3600.0) -> None:
    """Blobs no image lists and older than `age`: left by a killed import or load. (A younger
    one may belong to a pull about to record its image.)"""
    blobs = BlobStore(store.paths)
    blobs.prune_tmp(age)
    held = {b for i in store.list_images() for b in i.blobs}
    top = os.path.join(blobs.base, "sha256")
    cutoff = time.time() - age
    for entry in os.scandir(top) if os.path.isdir(top) else []:
        digest = f"sha256:{entry.name}"
        if digest not in held and entry.stat().st_mtime < cutoff:
            blobs.remove(digest)
            store.delete_layer_blob(digest)


def _normalized(ref: str) -> str:
    try:
        return normalize_name(ref)
    except UsageError:
        return ""


@dataclass(frozen=True)
class Usage:
    """One line of `system df`."""

    kind: str
    total: int
    active: int
    size: int
    reclaimable: int


def disk_usage(store: Store) -> list[Usage]:
    """`system df`: a layer shared by several images counts once; an image is active while a
    container uses it; a container's size is what it wrote (its upper dir)."""
    imgs = store.list_images()
    ctrs = store.list_containers()
    used = {c.image_id for c in ctrs}
    sizes = {d: store.layer_size(d) or 0 for i in imgs for d in i.layers}
    active_layers = {d for i in imgs if i.id in used for d in i.layers}
    img_size = sum(sizes.values())
    img_free = sum(s for d, s in sizes.items() if d not in active_layers)
    ctr_sizes = {
        c.id: _tree_size(os.path.join(store.paths.container_dir(c.id), "upper")) for c in ctrs
    }
    running = {c.id for c in ctrs if c.status.is_active}
    return [
        Usage("Images", len(imgs), sum(1 for i in imgs if i.id in used), img_size, img_free),
        Usage(
            "Containers",
            len(ctrs),
            len(running),
            sum(ctr_sizes.values()),
            sum(s for cid, s in ctr_sizes.items() if cid not in running),
        ),
        Usage("Local Volumes", *_volume_usage(store)),  # volumes (issue 14)
    ]


class ImageUsage(NamedTuple):
    """`system df -v`: one image (its first name), its size and what it shares."""

    name: str
    id: str
    created: str
    size: int
    shared: int
    containers: int


class ContainerUsage(NamedTuple):
    """`system df -v`: one container, what it wrote and the volumes it names."""

    id: str
    image_id: str
    command: str
    volumes: int
    size: int
    created: str
    status: str
    name: str


def verbose_usage(store: Store) -> tuple[list[ImageUsage], list[ContainerUsage]]:
    """`system df -v`'s images and containers (Podman's sections); a layer another image
    holds too is the image's shared size."""
    from collections import Counter

    from supervisor.volumes.db import volume_users

    imgs = store.list_images()
    ctrs = store.list_containers()
    holders = Counter(d for i in imgs for d in set(i.layers))
    sizes = {d: store.layer_size(d) or 0 for d in holders}
    used = Counter(c.image_id for c in ctrs)
    images_out = [
        ImageUsage(i.names[0] if i.names else "", i.id, i.created,
                   sum(sizes[d] for d in set(i.layers)),
                   sum(sizes[d] for d in set(i.layers) if holders[d] > 1), used[i.id])
        for i in imgs
    ]  # fmt: skip
    links: Counter[str] = Counter()
    if store.has_table("volumes"):
        for (name,) in store._db.execute("SELECT name FROM volumes"):
            links.update(set(volume_users(store._db, name)))
    containers_out = [
        ContainerUsage(c.id, c.image_id, " ".join(c.config.options.command or []),
                       links[c.id],
                       _tree_size(os.path.join(store.paths.container_dir(c.id), "upper")),
                       c.created, c.status.value, c.name)
        for c in ctrs
    ]  # fmt: skip
    return images_out, containers_out


def _volume_usage(store: Store) -> tuple[int, int, int, int]:  # volumes (issue 14)
    from supervisor.volumes.local import usage

    return usage(store)


def _tree_size(top: str) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(top):
        for name in filenames:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(dirpath, name))
                total += st.st_size if not os.path.islink(os.path.join(dirpath, name)) else 0
    return total
