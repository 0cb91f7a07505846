"""scopebox push [-q] [--tls-verify=BOOL] [--creds U:P] [--authfile F] IMAGE [DESTINATION]"""

from __future__ import annotations

import argparse
import sys

from supervisor.cli.common import registry_flags, registry_options, words_progress
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("push", "Push an image to a registry.")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--digestfile", help="write the pushed manifest's digest to this file")
    registry_flags(p, cert_dir=True)
    a = p.add_argument
    a("--compress", action="store_true",
      help="for the dir transport (Podman); layers go to a registry as stored")
    a("--compression-format", help="gzip (the layers as stored); zstd is refused")
    a("--disable-content-trust", action="store_true", help="Docker's; nothing to do (Podman)")
    a("-f", "--format", help="the manifest type: oci or v2s2, the one stored (no conversion)")
    a("--remove-signatures", action="store_true", help="scopebox keeps no signatures to remove")
    a("--sign-by", help="refused: scopebox does not sign images")
    a("--sign-by-sigstore-private-key", metavar="PATH",
      help="refused: scopebox does not sign images")
    a("--sign-passphrase-file", metavar="PATH", help="refused: scopebox does not sign images")
    a("image")
    a("destination", nargs="?")
    ns = p.parse_args(argv)
    _check(ns)
    from supervisor.api import registry

    tty = not ns.quiet and sys.stderr.isatty()
    progress = words_progress(ns.quiet)
    try:
        digest = registry.push(
            settings, ns.image, ns.destination, registry_options(ns), progress, ns.format
        )
    finally:
        progress.close()
    if ns.digestfile:
        with open(ns.digestfile, "w") as f:
            f.write(digest)
    if tty:
        print(f"Pushed {digest}", file=sys.stderr)
    return 0


def _check(ns: argparse.Namespace) -> None:
    """Podman's checks of the values, then what scopebox cannot do, before any connection."""
    if ns.format is not None and ns.format not in ("oci", "v2s1", "v2s2"):
        raise UsageError(f'unknown format "{ns.format}". Choose on of the supported formats:'
                         " 'oci', 'v2s1', or 'v2s2'")
    if ns.format == "v2s1":
        raise UsageError("--format v2s1: scopebox does not write Docker schema 1 manifests")
    level = ns.compression_format
    if level is not None and level not in ("gzip", "zstd", "zstd:chunked"):
        raise UsageError(f'cannot find compressor for "{level}"')
    if level is not None and level != "gzip":
        raise UsageError(f"--compression-format {level}: scopebox pushes the layers as stored"
                         " and does not recompress them")
    for flag in ("sign_by", "sign_by_sigstore_private_key", "sign_passphrase_file"):
        if getattr(ns, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')}: scopebox does not sign images"
                             " (no GPG or sigstore signing)")
