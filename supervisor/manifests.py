"""Image manifests and configs (OCI and Docker schema 2): parsed, checked and built (pure)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from supervisor.blobs import parse_digest
from supervisor.errors import UsageError
from supervisor.layers import (
    DOCKER_TAR,
    DOCKER_TAR_GZIP,
    MEDIA_TAR,
    MEDIA_TAR_GZIP,
    MEDIA_TAR_ZSTD,
    compression_of,
)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
# The distribution registry refuses manifests over 4 MiB; configs of real images are KiBs.
MANIFEST_LIMIT = 4 << 20
CONFIG_LIMIT = 8 << 20
MAX_LAYERS = 500  # overlayfs stacks at most 500 lower dirs

_TO_OCI = {
    DOCKER_TAR_GZIP: MEDIA_TAR_GZIP,
    DOCKER_TAR: MEDIA_TAR,
    DOCKER_CONFIG: OCI_CONFIG,
    DOCKER_MANIFEST: OCI_MANIFEST,
}
_TO_DOCKER = {v: k for k, v in _TO_OCI.items()}


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor."""

    media_type: str
    digest: str  # "sha256:<hex>"
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """An image manifest: its config and layers."""

    media_type: str
    config: Descriptor
    layers: list[Descriptor]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(data: bytes, what: str, limit: int) -> dict[str, Any]:
    if len(data) > limit:
        raise UsageError(f"{what} is too large ({len(data)} bytes, limit {limit})")
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise UsageError(f"{what} is not a JSON object")
    return obj


def _descriptor(obj: object, what: str) -> Descriptor:
    if not isinstance(obj, dict):
        raise UsageError(f"malformed manifest: {what} is not an object")
    mt, digest, size = obj.get("mediaType"), obj.get("digest"), obj.get("size")
    if not isinstance(mt, str) or not isinstance(digest, str):
        raise UsageError(f"malformed manifest: {what} lacks mediaType or digest")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise UsageError(f"malformed manifest: {what} has no valid size")
    parse_digest(digest)
    return Descriptor(mt, digest, size)


def parse_manifest(data: bytes) -> Manifest:
    obj = _json(data, "manifest", MANIFEST_LIMIT)
    if obj.get("schemaVersion") != 2:
        raise UsageError("unsupported manifest: schemaVersion is not 2")
    mt = obj.get("mediaType") or OCI_MANIFEST
    if mt not in (OCI_MANIFEST, DOCKER_MANIFEST):
        raise UsageError(f"unsupported manifest media type {mt!r}")
    config = _descriptor(obj.get("config"), "config")
    raw_layers = obj.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise UsageError("malformed manifest: no layers")
    if len(raw_layers) > MAX_LAYERS:
        raise UsageError(f"image has {len(raw_layers)} layers, more than {MAX_LAYERS}")
    layers = [_descriptor(x, f"layer {i}") for i, x in enumerate(raw_layers)]
    for layer in layers:
        compression_of(layer.media_type)
    return Manifest(mt, config, layers)


def parse_config(data: bytes, layer_count: int | None = None) -> dict[str, Any]:
    """The image config; its `rootfs.diff_ids` are checked (one per layer)."""
    obj = _json(data, "image config", CONFIG_LIMIT)
    diff_ids(obj)
    if layer_count is not None and len(diff_ids(obj)) != layer_count:
        raise UsageError(
            f"image config lists {len(diff_ids(obj))} layers, the manifest {layer_count}"
        )
    return obj


def diff_ids(config: dict[str, Any]) -> list[str]:
    """The hexes of `rootfs.diff_ids`."""
    rootfs = config.get("rootfs")
    if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
        raise UsageError("malformed image config: rootfs.type is not 'layers'")
    ids = rootfs.get("diff_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(d, str) for d in ids):
        raise UsageError("malformed image config: no rootfs.diff_ids")
    return [parse_digest(d) for d in ids]


def build_manifest(config: Descriptor, layers: list[Descriptor], oci: bool = True) -> bytes:
    """A manifest in OCI (or Docker schema 2) media types, whatever the inputs use."""
    conv = _TO_OCI if oci else _TO_DOCKER
    obj = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {**config.to_json(), "mediaType": conv.get(config.media_type, config.media_type)},
        "layers": [
            {**d.to_json(), "mediaType": conv.get(d.media_type, d.media_type)} for d in layers
        ],
    }
    return json.dumps(obj, indent=2).encode()


def config_bytes(config: dict[str, Any]) -> bytes:
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


__all__ = [
    "CONFIG_LIMIT",
    "DOCKER_CONFIG",
    "DOCKER_MANIFEST",
    "MANIFEST_LIMIT",
    "MEDIA_TAR",
    "MEDIA_TAR_GZIP",
    "MEDIA_TAR_ZSTD",
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "Descriptor",
    "Manifest",
    "build_manifest",
    "config_bytes",
    "diff_ids",
    "digest_of",
    "parse_config",
    "parse_manifest",
]
