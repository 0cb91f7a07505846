"""`save` and `load`: docker-archive and oci-archive tarballs, several images per archive.

docker-archive (what `docker save`/`podman save` write): `manifest.json` lists each image's
config file, RepoTags and layer files (uncompressed tars named by diff id; gzip'd ones are
accepted on load). oci-archive: an OCI image layout (`oci-layout`, `index.json`,
`blobs/sha256/`) in a tar; names are the `org.opencontainers.image.ref.name` annotations.
Loading streams every blob into the blob store (verified) and ends in `images.commit_image`.
"""

from __future__ import annotations

import gzip
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from supervisor import images
from supervisor.blobs import BlobStore, parse_digest
from supervisor.errors import UsageError
from supervisor.layers import compression_of, sniff_compression
from supervisor.manifests import (
    CONFIG_LIMIT,
    MANIFEST_LIMIT,
    MEDIA_TAR,
    MEDIA_TAR_GZIP,
    MEDIA_TAR_ZSTD,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Descriptor,
    build_manifest,
    diff_ids,
    digest_of,
    parse_config,
    parse_manifest,
)
from supervisor.paths import Paths
from supervisor.refs import _short_match, normalize_name
from supervisor.store import ImageRow, ImagesLock, Store

FORMATS = ("docker-archive", "oci-archive")
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
_CHUNK = 1 << 20
_INDEX_LIMIT = 4 << 20
_MEDIA = {"gzip": MEDIA_TAR_GZIP, "zstd": MEDIA_TAR_ZSTD, "none": MEDIA_TAR}


@dataclass(frozen=True)
class Loaded:
    image: ImageRow
    names: list[str]


# --- save ------------------------------------------------------------------------------------


def save(store: Store, refs: list[str], out: BinaryIO, fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown archive format {fmt!r} (docker-archive or oci-archive)")
    chosen: list[tuple[images.ImageBlobs, list[str]]] = []
    for ref in refs:
        img = images.resolve(store, ref)
        names = _names_for(img, ref)
        chosen.append((images.image_blobs(store, img.id), names))
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, bufsize=_CHUNK) as tar:
        if fmt == "docker-archive":
            _save_docker(store, tar, chosen)
        else:
            _save_oci(store, tar, chosen)


def _names_for(img: ImageRow, ref: str) -> list[str]:
    """The name the user gave; an image given by id goes without a name (as Podman does)."""
    for name in img.names:
        if name == images._normalized(ref) or _short_match(ref, name):
            return [name]
    return []


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o444
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk


def _open_uncompressed(blobs: BlobStore, d: Descriptor) -> IO[bytes]:
    f = open(blobs.path(d.digest), "rb")  # noqa: SIM115 - closed by the caller
    kind = compression_of(d.media_type)
    if kind == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=f, mode="rb"))
    if kind == "zstd":
        import zstandard

        return cast(IO[bytes], zstandard.ZstdDecompressor().stream_reader(f, closefd=True))
    return f


def _uncompressed_size(store: Store, blobs: BlobStore, d: Descriptor, diff: str) -> int:
    if compression_of(d.media_type) == "none":
        return d.size
    size = store.layer_size(diff)
    if size is not None:
        return size
    n = 0
    with _open_uncompressed(blobs, d) as f:
        while chunk := f.read(_CHUNK):
            n += len(chunk)
    return n


def _save_docker(
    store: Store, tar: tarfile.TarFile, chosen: list[tuple[images.ImageBlobs, list[str]]]
) -> None:
    blobs = BlobStore(store.paths)
    entries: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    written: set[str] = set()
    for ib, names in chosen:
        cfg = blobs.read_bytes(ib.config.digest, CONFIG_LIMIT)
        cfg_name = f"{parse_digest(ib.config.digest)}.json"
        if cfg_name not in written:
            _add_bytes(tar, cfg_name, cfg)
            written.add(cfg_name)
        layer_files = []
        for d, diff in zip(ib.layers, diff_ids(json.loads(cfg)), strict=True):
            name = f"{diff}.tar"
            layer_files.append(name)
            if name in written:
                continue
            info = tarfile.TarInfo(name)
            info.size, info.mode = _uncompressed_size(store, blobs, d, diff), 0o444
            with _open_uncompressed(blobs, d) as f:
                tar.addfile(info, f)
            written.add(name)
        entries.append({"Config": cfg_name, "RepoTags": names, "Layers": layer_files})
        for n in names:
            repo, _, tag = n.rpartition(":")
            repositories.setdefault(repo, {})[tag] = diff_ids(json.loads(cfg))[-1]
    _add_bytes(tar, "manifest.json", json.dumps(entries).encode())
    _add_bytes(tar, "repositories", json.dumps(repositories).encode())


def _save_oci(
    store: Store, tar: tarfile.TarFile, chosen: list[tuple[images.ImageBlobs, list[str]]]
) -> None:
    blobs = BlobStore(store.paths)
    _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    written: set[str] = set()
    index: list[dict[str, Any]] = []

    def add_blob(digest: str, data: bytes | None = None) -> None:
        if digest in written:
            return
        written.add(digest)
        name = f"blobs/sha256/{parse_digest(digest)}"
        if data is not None:
            _add_bytes(tar, name, data)
            return
        path = blobs.path(digest)
        info = tarfile.TarInfo(name)
        info.size, info.mode = os.path.getsize(path), 0o444
        with open(path, "rb") as f:
            tar.addfile(info, f)

    for ib, names in chosen:
        manifest = ib.manifest_bytes
        if ib.manifest_media_type != OCI_MANIFEST:
            manifest = build_manifest(ib.config, ib.layers, oci=True)
        add_blob(ib.config.digest)
        for d in ib.layers:
            add_blob(d.digest)
        digest = digest_of(manifest)
        add_blob(digest, manifest)
        desc = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest)}
        if not names:
            index.append(desc)
        for n in names:
            index.append({**desc, "annotations": {REF_NAME: n}})
    _add_bytes(tar, "index.json", json.dumps({"schemaVersion": 2, "manifests": index}).encode())


# --- load ------------------------------------------------------------------------------------


@contextmanager
def _seekable(store: Store, source: str) -> Iterator[str]:
    """A path to the archive; stdin and a URL's body (Podman's `load -i http://...`) are
    spooled under ROOT first (tar needs random access)."""
    url = source.startswith(("http://", "https://"))
    if source != "-" and not url:
        if not os.path.isfile(source):
            raise UsageError(f"cannot load {source!r}: no such file")
        yield source
        return
    tmpdir = os.path.join(store.paths.root, "tmp")
    os.makedirs(tmpdir, mode=0o700, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmpdir, prefix="load-") as f:
        if url:
            _download(source, f)
        else:
            while chunk := os.read(0, _CHUNK):
                f.write(chunk)
        f.flush()
        yield f.name


def _download(url: str, out: IO[bytes]) -> None:
    import shutil
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=60) as resp:  # http(s) only, checked above
            shutil.copyfileobj(resp, out, _CHUNK)
    except urllib.error.HTTPError as exc:
        raise UsageError(f"cannot load {url!r}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UsageError(f"cannot load {url!r}: {getattr(exc, 'reason', exc)}") from None


def load(store: Store, source: str) -> list[Loaded]:
    """Every image in the archive; on failure the blobs this call added and no image holds
    are removed again (images committed before the failure stay)."""
    blobs = _TrackingBlobs(store.paths)
    try:
        return _load(store, source, blobs)
    except BaseException:
        with ImagesLock(store.paths):
            for digest in blobs.added:
                if not store.blob_in_use(digest):
                    blobs.remove(digest)
        raise


class _TrackingBlobs(BlobStore):
    """Remembers the blobs it added (not those already there) so a failed load can drop them."""

    def __init__(self, paths: Paths) -> None:
        super().__init__(paths)
        self.added: list[str] = []

    def put_bytes(self, data: bytes, expected: str | None = None) -> str:
        new = not self.has(digest_of(data))
        digest = super().put_bytes(data, expected)
        if new:
            self.added.append(digest)
        return digest


def _load(store: Store, source: str, blobs: _TrackingBlobs) -> list[Loaded]:
    with _seekable(store, source) as path:
        with open(path, "rb") as f:
            head = f.read(4)
        if sniff_compression(head) != "none":
            raise UsageError("compressed archives are not supported: decompress it first")
        try:
            with tarfile.open(path, mode="r:") as tar:
                members = {_clean(m.name): m for m in tar.getmembers()}
                if "manifest.json" in members:
                    return _load_docker(store, tar, members, blobs)
                if "index.json" in members:
                    return _load_oci(store, tar, members, blobs)
        except (tarfile.TarError, EOFError) as exc:
            raise _unknown_payload(f"not a tar archive ({exc})") from None
    raise _unknown_payload("no manifest.json (docker-archive) nor index.json (oci-archive)")


def _unknown_payload(why: str) -> UsageError:
    """Podman's words (scripts and its own tests match them), then what each format found, on
    the same line (Podman lists them below it)."""
    return UsageError("payload does not match any of the supported image formats: "
                      f"oci-archive: {why}; docker-archive: {why}")


def _clean(name: str) -> str:
    return "/".join(p for p in name.split("/") if p not in ("", "."))


def _member(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> IO[bytes]:
    m = members.get(_clean(name))
    f = tar.extractfile(m) if m is not None else None
    if f is None:
        raise UsageError(f"archive lacks {name!r}")
    return f


def _read(
    tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str, limit: int
) -> bytes:
    data = _member(tar, members, name).read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"{name!r} in the archive is larger than {limit} bytes")
    return data


def _store_blob(
    blobs: _TrackingBlobs, f: IO[bytes], expected: str | None = None, size: int | None = None
) -> Descriptor:
    with blobs.writer(expected, size) as w:
        head = f.read(_CHUNK)
        kind = sniff_compression(head)
        while head:
            w.write(head)
            head = f.read(_CHUNK)
        n = w.written
        new = not blobs.has("sha256:" + w._sha.hexdigest())
        digest = w.commit()
    if new:
        blobs.added.append(digest)
    return Descriptor(_MEDIA[kind], digest, n)


def _docker_name(name: str) -> str:
    """docker-archive RepoTags follow Docker's naming: `busybox:latest` is Docker Hub's."""
    first, _, rest = name.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}" if rest else f"docker.io/library/{name}"
    return normalize_name(name)


def _load_docker(
    store: Store, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], blobs: _TrackingBlobs
) -> list[Loaded]:
    try:
        entries = json.loads(_read(tar, members, "manifest.json", MANIFEST_LIMIT))
    except ValueError as exc:
        raise UsageError(f"malformed manifest.json in the archive: {exc}") from None
    if not isinstance(entries, list) or not entries:
        raise UsageError("malformed manifest.json in the archive: not a list of images")
    out = []
    seen: dict[str, Descriptor] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
            raise UsageError("malformed manifest.json in the archive: entry without Config")
        layer_names = entry.get("Layers")
        if not isinstance(layer_names, list) or not all(isinstance(x, str) for x in layer_names):
            raise UsageError("malformed manifest.json in the archive: Layers is not a list")
        cfg = _read(tar, members, entry["Config"], CONFIG_LIMIT)
        parse_config(cfg, len(layer_names))
        cfg_digest = blobs.put_bytes(cfg)
        layers = []
        for n in layer_names:
            if n not in seen:
                seen[n] = _store_blob(blobs, _member(tar, members, n))
            layers.append(seen[n])
        names = [_docker_name(n) for n in entry.get("RepoTags") or [] if isinstance(n, str)]
        manifest = build_manifest(Descriptor(OCI_CONFIG, cfg_digest, len(cfg)), layers)
        digest = blobs.put_bytes(manifest)
        img = images.commit_image(store, digest, manifest, cfg, names, None)
        out.append(Loaded(img, names))
    return out


def _load_oci(
    store: Store, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], blobs: _TrackingBlobs
) -> list[Loaded]:

    def blob_bytes(digest: str, limit: int) -> bytes:
        data = _read(tar, members, f"blobs/sha256/{parse_digest(digest)}", limit)
        if digest_of(data) != digest:
            raise UsageError(f"blob {digest} in the archive does not match its digest")
        return data

    try:
        index = json.loads(_read(tar, members, "index.json", _INDEX_LIMIT))
    except ValueError as exc:
        raise UsageError(f"malformed index.json in the archive: {exc}") from None
    descs = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(descs, list) or not descs:
        raise UsageError("malformed index.json in the archive: no manifests")
    out = []
    for desc in descs:
        if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
            raise UsageError("malformed index.json in the archive: manifest without digest")
        annotations = desc.get("annotations") or {}
        name = annotations.get(CONTAINERD_NAME) or annotations.get(REF_NAME)
        manifest_digest = desc["digest"]
        if desc.get("mediaType") in (OCI_INDEX, DOCKER_LIST):
            index_bytes = blob_bytes(manifest_digest, MANIFEST_LIMIT)
            manifest_digest = pick_platform(index_bytes)
        manifest = blob_bytes(manifest_digest, MANIFEST_LIMIT)
        m = parse_manifest(manifest)
        cfg = blob_bytes(m.config.digest, CONFIG_LIMIT)
        for d in m.layers:
            path = f"blobs/sha256/{parse_digest(d.digest)}"
            if not blobs.has(d.digest):
                _store_blob(blobs, _member(tar, members, path), d.digest, d.size)
        blobs.put_bytes(manifest, manifest_digest)
        names = [_oci_name(name)] if isinstance(name, str) and name else []
        img = images.commit_image(store, manifest_digest, manifest, cfg, names, None)
        out.append(Loaded(img, names))
    return out


DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def pick_platform(index_bytes: bytes) -> str:
    """The digest of this host's image (linux, its architecture) in an image index."""
    try:
        index = json.loads(index_bytes)
        entries = index["manifests"]
    except (ValueError, KeyError, TypeError):
        raise UsageError("malformed image index in the archive") from None
    arch = _ARCH.get(os.uname().machine, os.uname().machine)
    for entry in entries if isinstance(entries, list) else []:
        platform = entry.get("platform") or {} if isinstance(entry, dict) else {}
        if platform.get("os") == "linux" and platform.get("architecture") == arch:
            digest = entry.get("digest")
            if isinstance(digest, str):
                return digest
    raise UsageError(f"the archive's image index has no image for linux/{arch}")


def _oci_name(name: str) -> str:
    """A full reference, or (as skopeo writes) only a tag: then the image has no repository."""
    if "/" not in name and ":" not in name:
        return normalize_name(f"localhost/oci-archive:{name}")  # a bare tag, Podman's fallback
    return normalize_name(name)
