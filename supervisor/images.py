"""Local images: import of a rootfs tarball, naming, lookup, removal.

An image is an OCI image config plus an ordered list of layers (diff ids), each unpacked once
under `layers/<hex>/` (content-addressed), so several images share a layer's files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass, field

from supervisor.errors import ConflictError, NotFoundError, UsageError
from supervisor.layers import unpack_layer
from supervisor.paths import Paths
from supervisor.refs import _short_match, normalize_name
from supervisor.store import ImageRow, ImagesLock, Store
from supervisor.timefmt import now_rfc3339

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_HEX = set("0123456789abcdef")


def resolve(store: Store, ref: str) -> ImageRow:
    """By name (full or short), id or unique id prefix."""
    images = store.list_images()
    bare = ref.removeprefix("sha256:")
    for img in images:
        if img.id == bare:
            return img
    try:
        full = normalize_name(ref)
    except UsageError:
        full = ""
    for img in images:
        if full in img.names:
            return img
    short = [img for img in images if any(_short_match(ref, n) for n in img.names)]
    if len(short) == 1:
        return short[0]
    if len(short) > 1:
        raise UsageError(f"short name {ref!r} matches several images; give the full name")
    if len(bare) >= 3 and set(bare) <= _HEX:
        hits = [img for img in images if img.id.startswith(bare)]
        if len(hits) == 1:
            return hits[0]
    raise NotFoundError("image", ref)


@dataclass(frozen=True)
class ImportOptions:
    source: str
    reference: str | None = None
    changes: list[str] = field(default_factory=list)
    message: str = ""


def _apply_changes(config: dict[str, object], changes: list[str]) -> None:
    """The Dockerfile instructions `import --change` allows (CMD ENTRYPOINT ENV WORKDIR ...)."""
    for change in changes:
        verb, _, arg = change.strip().partition(" ")
        verb, arg = verb.upper(), arg.strip()
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
        else:
            raise UsageError(
                f"--change {verb} is not supported (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL)"
            )


def import_tarball(store: Store, opts: ImportOptions) -> ImageRow:
    paths = store.paths
    if opts.source != "-" and not os.path.isfile(opts.source):
        raise UsageError(f"cannot import {opts.source!r}: no such file")
    name = normalize_name(opts.reference) if opts.reference else None
    container_config: dict[str, object] = {"Env": [DEFAULT_PATH]}
    _apply_changes(container_config, opts.changes)  # bad input fails before any work
    layers_root = os.path.join(paths.root, "layers")
    os.makedirs(layers_root, mode=0o700, exist_ok=True)
    _prune_stale_imports(layers_root)
    tmp = tempfile.mkdtemp(prefix=".import-", dir=layers_root)
    os.chmod(tmp, 0o755)  # the rootfs's "/" unless the archive says otherwise
    try:
        try:
            digest, size = unpack_layer(opts.source, tmp)
        except zlib.error as exc:
            raise UsageError(f"cannot import {opts.source!r}: {exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with ImagesLock(paths):
        final = paths.layer_dir(digest)
        try:
            os.rename(tmp, final)
        except OSError:  # the same layer is already stored: keep that one
            shutil.rmtree(tmp, ignore_errors=True)
        return _record_image(store, paths, digest, size, name, opts, container_config)


def _prune_stale_imports(layers_root: str, age: float = 3600.0) -> None:
    """Temporary dirs of imports killed half-way (a live import's dir is younger)."""
    cutoff = time.time() - age
    for entry in os.scandir(layers_root):
        if entry.name.startswith(".import-") and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry.path, ignore_errors=True)


def _record_image(
    store: Store,
    paths: Paths,
    digest: str,
    size: int,
    name: str | None,
    opts: ImportOptions,
    container_config: dict[str, object],
) -> ImageRow:
    config = {
        "created": now_rfc3339(),
        "architecture": "amd64",
        "os": "linux",
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{digest}"]},
        "history": [
            {"created": now_rfc3339(), "created_by": "scopebox import", "comment": opts.message}
        ],
    }
    blob = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    image_id = hashlib.sha256(blob).hexdigest()
    img_dir = paths.image_dir(image_id)
    os.makedirs(img_dir, mode=0o700, exist_ok=True)
    with open(os.path.join(img_dir, "config.json"), "wb") as f:
        f.write(blob)
    return store.add_image(
        ImageRow(
            id=image_id,
            names=[name] if name else [],
            created=str(config["created"]),
            size=size,
            layers=[digest],
            config=config,
        )
    )


def layer_dirs(paths: Paths, img: ImageRow) -> list[str]:
    """Overlay lower dirs, top-most first."""
    return [paths.layer_dir(d) for d in reversed(img.layers)]


def remove_image(store: Store, ref: str, force: bool = False) -> list[str]:
    """Untag a name, or delete the image when it has no name left. Returns what was done."""
    with ImagesLock(store.paths):
        img = resolve(store, ref)
        matched = [n for n in img.names if n == _normalized(ref) or _short_match(ref, n)]
        if matched and len(img.names) > 1:
            store.set_image_names(img.id, [n for n in img.names if n != matched[0]])
            return [f"Untagged: {matched[0]}"]
        if len(img.names) > 1 and not force:
            raise ConflictError(
                f"image {ref!r} is referenced by several names ({', '.join(img.names)});"
                " remove them by name or use -f"
            )
        users = store.containers_using_image(img.id)
        if users:
            raise ConflictError(
                f"image {ref!r} is in use by container(s) {', '.join(users)};"
                " remove them first or use -f"
            )
        store.delete_image(img.id)
        shutil.rmtree(store.paths.image_dir(img.id), ignore_errors=True)
        for layer in img.layers:
            if not store.layer_in_use(layer):
                shutil.rmtree(store.paths.layer_dir(layer), ignore_errors=True)
    return [*(f"Untagged: {n}" for n in img.names), f"Deleted: {img.id}"]


def _normalized(ref: str) -> str:
    try:
        return normalize_name(ref)
    except UsageError:
        return ""
