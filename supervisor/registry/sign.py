"""`image sign`: Podman 4.3's GPG "simple signing" of an image in a registry.

The signature is an OpenPGP signed message (made by the `gpg` binary with the user's key,
`GNUPGHOME` as gpg reads it) of the JSON payload containers-signature(5) describes, naming the
reference and the digest of its manifest in the registry; it is written where Podman's
lookaside layout puts it: `DIR/<repository path>@sha256=<hex>/signature-N` (the first N free).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass

from supervisor.errors import RegistryError, UsageError
from supervisor.registry import auth, conf
from supervisor.registry.client import Repository, Session
from supervisor.registry.reference import Reference, parse

SIGSTORE = "/var/lib/containers/sigstore"  # Podman's default lookaside directory


@dataclass(frozen=True)
class SignOptions:
    reference: str  # docker://NAME
    sign_by: str
    directory: str = ""
    authfile: str | None = None
    cert_dir: str | None = None


def payload(ref: Reference, digest: str, creator: str, now: int) -> bytes:
    """containers-signature(5)'s "atomic container signature" (pure)."""
    doc = {
        "critical": {
            "identity": {"docker-reference": str(ref)},
            "image": {"docker-manifest-digest": digest},
            "type": "atomic container signature",
        },
        "optional": {"creator": creator, "timestamp": now},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def signature_dir(directory: str, ref: Reference, digest: str) -> str:
    return os.path.join(directory, f"{ref.path}@{digest.replace(':', '=', 1)}")


def sign(opts: SignOptions, creator: str) -> str:
    """Sign one image; returns the signature file written."""
    transport, colon, name = opts.reference.partition(":")
    if not colon or not name:  # Podman's words
        raise UsageError(f'parsing image name: Invalid image name "{opts.reference}",'
                         " expected colon-separated transport:reference")
    if transport != "docker" or not name.startswith("//"):
        raise UsageError(f"image sign: {opts.reference!r}: only docker:// references can be"
                         " signed (the signature names a registry's manifest)")
    directory = opts.directory or SIGSTORE
    if not os.path.isdir(directory):  # Podman's words
        raise UsageError(f"stat {directory}: no such file or directory")
    ref, digest = _manifest_digest(name[2:], opts)
    signed = _gpg_sign(payload(ref, digest, creator, int(time.time())), opts.sign_by)
    target = signature_dir(directory, ref, digest)
    os.makedirs(target, mode=0o755, exist_ok=True)
    for n in range(1, 1000):
        path = os.path.join(target, f"signature-{n}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(signed)
        return path
    raise UsageError(f"image sign: {target!r} holds too many signatures")


def _manifest_digest(name: str, opts: SignOptions) -> tuple[Reference, str]:
    """The reference as named (short names as `pull` resolves them) and the digest of its
    manifest in the registry (a mirror's, when registries.conf names one)."""
    cfg = conf.load()
    errors: list[str] = []
    for cand in cfg.candidates(parse(name)):
        for ep in cfg.endpoints(cand):
            creds = auth.lookup(ep.ref.repository, opts.authfile)
            try:
                session = Session(ep.ref.domain, ep.insecure, creds, cert_dir=opts.cert_dir)
                try:
                    got = Repository(session, ep.ref.path).get_manifest(ep.ref.manifest_ref)
                finally:
                    session.close()
                return cand, got.digest
            except RegistryError as exc:
                errors.append(str(exc))
    raise RegistryError("; ".join(errors) or f"{name}: no registry to ask")


def _gpg_sign(data: bytes, identity: str) -> bytes:
    try:
        res = subprocess.run(["gpg", "--batch", "--no-tty", "--local-user", identity,
                              "--sign", "--output", "-"], input=data, capture_output=True,
                             check=False)  # fmt: skip
    except FileNotFoundError:
        raise UsageError("image sign: gpg is not installed") from None
    if res.returncode != 0 or not res.stdout:
        reason = res.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"signing with {identity!r}: " + (reason[-1] if reason else "gpg failed"))
    return res.stdout
