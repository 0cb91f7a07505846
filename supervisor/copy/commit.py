"""`commit`: a container's own layer (the overlay's upper dir) on top of its image's layers,
as a new image that `run`, `save` and `push` take like any pulled one."""

from __future__ import annotations

import contextlib
import copy
import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from supervisor.errors import UsageError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow

# --change verbs import's own code knows (images._apply_changes) and those only commit takes
_IMPORT_VERBS = ("CMD", "ENTRYPOINT", "ENV", "WORKDIR", "USER", "LABEL")
_MORE_VERBS = ("EXPOSE", "VOLUME", "STOPSIGNAL", "ONBUILD")


@dataclass(frozen=True)
class CommitOptions:
    reference: str | None = None
    changes: list[str] = field(default_factory=list)
    message: str = ""
    author: str = ""
    pause: bool = True
    format: str = "oci"
    include_volumes: bool = False  # --include-volumes


def _volumes(row: ContainerRow, everything: bool) -> list[str]:
    """The destinations commit adds to the image's `Volumes`, as Podman 4.3 does: the anonymous
    volumes always; with --include-volumes also named volumes, binds and tmpfs mounts."""
    cfg = row.config
    out = [v.destination for v in cfg.volumes if everything or v.anonymous]
    return out + ([m.destination for m in cfg.mounts] if everything else [])


def _container_command(config: dict[str, Any], row: ContainerRow) -> None:
    """Podman commits the container's own entrypoint and command (`run --entrypoint X`
    drops the image's Cmd, Docker's rule, in the image as in the container)."""
    o = row.config.options
    if o.entrypoint is not None:
        config["Entrypoint"] = list(o.entrypoint) or None
        config["Cmd"] = list(o.command) or None
    elif o.command:
        config["Cmd"] = list(o.command)


def apply_changes(config: dict[str, Any], changes: list[str]) -> None:
    from supervisor.images import _apply_changes, split_change

    for change in changes:
        verb, arg = split_change(change)
        if verb in _IMPORT_VERBS:
            _apply_changes(config, [change])
        elif verb == "EXPOSE":
            for port in arg.split():
                config.setdefault("ExposedPorts", {})[port if "/" in port else f"{port}/tcp"] = {}
        elif verb == "VOLUME":
            paths = json.loads(arg) if arg.startswith("[") else arg.split()
            for path in paths:
                config.setdefault("Volumes", {})[path] = {}
        elif verb == "STOPSIGNAL":
            config["StopSignal"] = arg
        elif verb == "ONBUILD":
            config["OnBuild"] = [*(config.get("OnBuild") or []), arg]
        else:
            allowed = ", ".join(_IMPORT_VERBS + _MORE_VERBS)
            raise UsageError(f"--change {verb or change!r} is not supported ({allowed})")


def commit(ctx: Context, ref: str, opts: CommitOptions) -> str:
    """The new image's id (hex)."""
    from supervisor import images
    from supervisor.copy.ops import _frozen
    from supervisor.refs import normalize_name
    from supervisor.state import Status

    if opts.format not in ("oci", "docker"):
        raise UsageError(f'unrecognized image format "{opts.format}"')  # Podman's words
    row = ctx.refresh(ctx.find(ref))
    if row.config.options.rootfs:
        raise UsageError(f"container {row.name!r} runs from --rootfs: it has no layers to commit")
    base = images.image_blobs(ctx.store, row.image_id)
    cfg: dict[str, Any] = json.loads(_read_config(ctx, row.image_id))
    cfg = copy.deepcopy(cfg)
    for dest in _volumes(row, opts.include_volumes):
        cfg.setdefault("config", {}).setdefault("Volumes", {})[dest] = {}
    _container_command(cfg.setdefault("config", {}), row)
    apply_changes(cfg.setdefault("config", {}), opts.changes)  # bad input: before any work
    names = [normalize_name(opts.reference)] if opts.reference else []
    with _still(ctx, row, opts.pause and row.status is Status.RUNNING, _frozen):
        layer, diff_id = pack_upper(ctx, row)
    from supervisor.manifests import DOCKER_CONFIG, OCI_CONFIG, build_manifest, config_bytes
    from supervisor.timefmt import now_rfc3339

    now = now_rfc3339()
    cfg["created"] = now
    if opts.author:
        cfg["author"] = opts.author
    cfg.setdefault("rootfs", {"type": "layers", "diff_ids": []})["diff_ids"].append(
        f"sha256:{diff_id}")
    entry = {"created": now, "created_by": f"scopebox commit {row.short_id}"}
    entry.update({k: v for k, v in (("comment", opts.message), ("author", opts.author)) if v})
    cfg["history"] = [*(cfg.get("history") or []), entry]
    data = config_bytes(cfg)
    from supervisor.blobs import BlobStore
    from supervisor.manifests import Descriptor

    blobs = BlobStore(ctx.paths)
    media = OCI_CONFIG if opts.format == "oci" else DOCKER_CONFIG
    cfg_desc = Descriptor(media, blobs.put_bytes(data), len(data))
    manifest = build_manifest(cfg_desc, [*base.layers, layer], oci=opts.format == "oci")
    digest = blobs.put_bytes(manifest)
    return images.commit_image(ctx.store, digest, manifest, data, names, None).id


def _read_config(ctx: Context, image_id: str) -> str:
    img = ctx.store.get_image(image_id)
    if img is None:
        from supervisor.errors import NotFoundError

        raise NotFoundError("image", image_id)
    return json.dumps(img.config)


@contextlib.contextmanager
def _still(ctx: Context, row: ContainerRow, pause: bool, frozen: Any) -> Iterator[None]:
    from supervisor.copy.ops import mounted
    from supervisor.state import Status

    if row.status in (Status.RUNNING, Status.PAUSED):
        with frozen(ctx, row, pause):
            yield
        return
    with mounted(ctx, row):  # the upper dir is complete only with the overlay unmounted...
        yield  # ...or mounted: either way it is the container's layer


def pack_upper(ctx: Context, row: ContainerRow) -> tuple[Any, str]:
    """The upper dir as a gzip'd OCI layer in the blob store (whiteouts as `.wh.` entries)."""
    from supervisor.blobs import BlobStore
    from supervisor.images import _Tee
    from supervisor.layers import MEDIA_TAR_GZIP, write_tar
    from supervisor.manifests import Descriptor
    from supervisor.store import LayerBlob

    upper = os.path.join(ctx.paths.container_dir(row.id), "upper")
    if os.path.exists(os.path.join(ctx.paths.container_dir(row.id), ".vfs-complete")):
        raise UsageError("commit needs the overlay storage driver (this store copies layers)")
    blobs = BlobStore(ctx.paths)
    with blobs.writer() as w:
        gz = gzip.GzipFile(fileobj=cast(BinaryIO, w), mode="wb", compresslevel=5, mtime=0)
        tee = _Tee(cast(BinaryIO, gz))
        write_tar(upper, cast(BinaryIO, tee), layer=True)
        gz.close()
        size = w.written
        digest = w.commit()
    diff_id = tee.sha.hexdigest()
    ctx.store.add_layer_blob(LayerBlob(digest, diff_id, MEDIA_TAR_GZIP, size))
    return Descriptor(MEDIA_TAR_GZIP, digest, size), diff_id
