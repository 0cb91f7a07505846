"""Local manifest lists (`manifest create|add|annotate|remove|inspect|rm|exists|push`): a
Docker manifest list per file in ROOT/manifest-lists, naming images of the local store by
their manifest digest. Podman keeps a list as an image without layers; scopebox keeps it
beside the images (`images` does not show it: docs/DIFFERENCES.md, manifest-store)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from typing import Any, NamedTuple

from supervisor.errors import NotFoundError, UsageError
from supervisor.paths import Paths
from supervisor.refs import normalize_name
from supervisor.store import ImageRow, Store

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
LOCAL = "containers-storage:"


class ManifestList(NamedTuple):
    id: str
    name: str
    entries: list[dict[str, Any]]

    def document(self) -> dict[str, Any]:
        """Podman's rendering: an empty list shows "manifests": null (Go's nil slice)."""
        return {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": self.entries or None}

    def index_bytes(self) -> bytes:
        return json.dumps(self.document(), indent=4).encode()


class EntryOptions(NamedTuple):
    """`add`/`annotate`'s overrides of an entry's platform and annotations."""

    os: str = ""
    arch: str = ""
    variant: str = ""
    os_version: str = ""
    annotations: tuple[str, ...] = ()


def _dir(paths: Paths) -> str:
    return os.path.join(paths.root, "manifest-lists")


def _path(paths: Paths, list_id: str) -> str:
    return os.path.join(_dir(paths), list_id + ".json")


def _all(paths: Paths) -> list[ManifestList]:
    try:
        names = sorted(os.listdir(_dir(paths)))
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        if name.endswith(".json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                with open(os.path.join(_dir(paths), name)) as f:
                    doc = json.load(f)
                out.append(ManifestList(name[:-5], doc["name"], list(doc["entries"])))
    return out


def all_lists(paths: Paths) -> list[ManifestList]:
    return _all(paths)


def find(paths: Paths, ref: str) -> ManifestList:
    name = _name(ref)
    for ml in _all(paths):
        if ml.name == name or ml.id == ref or (len(ref) >= 12 and ml.id.startswith(ref)):
            return ml
    raise NotFoundError("manifest list", ref)


def exists(paths: Paths, ref: str) -> bool:
    try:
        find(paths, ref)
    except (NotFoundError, UsageError):
        return False
    return True


def _name(ref: str) -> str:
    return normalize_name(ref.removeprefix(LOCAL))


def save(paths: Paths, ml: ManifestList) -> None:
    os.makedirs(_dir(paths), exist_ok=True)
    tmp = _path(paths, ml.id) + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"name": ml.name, "entries": ml.entries}, f)
    os.replace(tmp, _path(paths, ml.id))


def create(paths: Paths, store: Store, ref: str, images: list[str], amend: bool) -> ManifestList:
    name = _name(ref)
    with contextlib.suppress(NotFoundError):
        found = find(paths, name)
        if amend:
            return add(paths, store, found, images, EntryOptions())
        _in_use(name, found.id)
    for img in store.list_images():
        if name in img.names:
            _in_use(name, img.id)
    seed = f"{name}\0{time.time_ns()}".encode()
    ml = ManifestList(hashlib.sha256(seed).hexdigest(), name, [])
    return add(paths, store, ml, images, EntryOptions())


def _in_use(name: str, holder: str) -> None:
    raise UsageError(f'creating image to hold manifest list: image name "{name}" is already'
                     f' associated with image "{holder}": that name is already in use')


def add(paths: Paths, store: Store, ml: ManifestList, images: list[str],
        opts: EntryOptions) -> ManifestList:
    entries = list(ml.entries)
    for ref in images:
        entry = annotated(entry_of(store, ref), opts)
        # the same image again replaces its entry (Podman's)
        entries = [e for e in entries if e["digest"] != entry["digest"]] + [entry]
    ml = ml._replace(entries=entries)
    save(paths, ml)
    return ml


def entry_of(store: Store, ref: str) -> dict[str, Any]:
    """A list entry for a local image: its manifest's type, size, digest; its platform."""
    from supervisor.imageref import resolve
    from supervisor.images import image_blobs

    img = resolve(store, ref.removeprefix(LOCAL))
    blobs = image_blobs(store, img.id)
    platform = {"architecture": img.config.get("architecture") or "",
                "os": img.config.get("os") or ""}
    if img.config.get("variant"):
        platform["variant"] = img.config["variant"]
    digest = "sha256:" + hashlib.sha256(blobs.manifest_bytes).hexdigest()
    return {"mediaType": blobs.manifest_media_type, "size": len(blobs.manifest_bytes),
            "digest": digest, "platform": platform}


def annotated(entry: dict[str, Any], opts: EntryOptions) -> dict[str, Any]:
    platform = dict(entry["platform"])
    for key, value in (("architecture", opts.arch), ("os", opts.os),
                       ("os.version", opts.os_version), ("variant", opts.variant)):
        if value:
            platform[key] = value
    out = {**entry, "platform": dict(sorted(platform.items()))}
    notes = dict(entry.get("annotations") or {})
    for item in opts.annotations:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"no value given for annotation {key!r}")
        notes[key] = value
    if notes:
        out["annotations"] = notes
    return out


def annotate(paths: Paths, ml: ManifestList, digest: str, opts: EntryOptions) -> ManifestList:
    from supervisor.blobs import parse_digest

    try:
        parse_digest(digest)
    except UsageError:
        raise UsageError(f'invalid image digest "{digest}": invalid checksum digest format'
                         ) from None
    entries = [annotated(e, opts) if e["digest"] == digest else e for e in ml.entries]
    if not any(e["digest"] == digest for e in ml.entries):
        raise NotFoundError("manifest list entry", digest)
    ml = ml._replace(entries=entries)
    save(paths, ml)
    return ml


def remove_entry(paths: Paths, ml: ManifestList, ref: str, digest: str) -> ManifestList:
    if not any(e["digest"] == digest for e in ml.entries):
        raise UsageError(f"removing from manifest list {ref}: no instance matching digest"
                         f' "{digest}" found in manifest list: file does not exist')
    ml = ml._replace(entries=[e for e in ml.entries if e["digest"] != digest])
    save(paths, ml)
    return ml


def delete(paths: Paths, ml: ManifestList) -> None:
    os.unlink(_path(paths, ml.id))


def image_of(store: Store, digest: str) -> ImageRow:
    """The local image an entry names (its manifest's digest)."""
    for img in store.list_images():
        if img.digest == digest:
            return img
    raise NotFoundError("image", digest)
