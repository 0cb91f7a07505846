"""scopebox manifest create|add|annotate|remove|inspect|rm|exists|push (verbs): local
manifest lists, printed as Podman 4.3 prints them."""

from __future__ import annotations

import argparse
import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.api.manifests import EntryOptions

USAGE = ("usage: scopebox manifest {create|add|annotate|remove|inspect|rm|exists|push}"
         " [OPTIONS] ...")


def main(argv: list[str], settings: Settings) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    verb, rest = argv[0], argv[1:]
    run = _VERBS.get(verb)
    if run is None:
        raise UsageError(f"unrecognized command `scopebox manifest {verb}` (see 'scopebox"
                         " manifest --help')")
    return run(rest, settings)


def _entry_flags(p: argparse.ArgumentParser, os_features: bool) -> None:
    a = p.add_argument
    a("--annotation", action="append", default=[], help="set an annotation (KEY=VALUE)")
    a("--arch", default="", help="override the architecture of the image")
    a("--features", action="append", default=[], help="accepted (a Docker list keeps none)")
    a("--os", default="", help="override the OS of the image")
    a("--os-version", default="", help="override the OS version of the image")
    a("--variant", default="", help="override the variant of the image")
    if os_features:
        a("--os-features", action="append", default=[],
          help="accepted (a Docker list keeps none)")


def _entry_options(ns: argparse.Namespace) -> EntryOptions:
    from supervisor.api.manifests import EntryOptions

    return EntryOptions(ns.os, ns.arch, ns.variant, ns.os_version, tuple(ns.annotation))


def _remote_flags(p: argparse.ArgumentParser) -> None:
    from supervisor.cli.common import registry_flags

    registry_flags(p, cert_dir=True)


def _check_all(all_: bool) -> None:
    if all_:
        raise UsageError("--all: scopebox adds local images, never lists, to a list")


def create(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api

    p = new_parser("manifest create", "Create a manifest list of local images.")
    p.add_argument("--all", action="store_true", help="refused: images only, not lists")
    p.add_argument("-a", "--amend", action="store_true", help="add to an existing list")
    p.add_argument("--tls-verify", nargs="?", const="true", help="accepted (local images only)")
    p.add_argument("list")
    p.add_argument("images", nargs="*")
    ns = p.parse_args(argv)
    _check_all(ns.all)
    print(api.create(settings, ns.list, ns.images, ns.amend))
    return 0


def add(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api

    p = new_parser("manifest add", "Add local images to a manifest list.")
    p.add_argument("--all", action="store_true", help="refused: images only, not lists")
    _entry_flags(p, os_features=False)
    _remote_flags(p)
    p.add_argument("list")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    _check_all(ns.all)
    print(api.add(settings, ns.list, ns.images, _entry_options(ns)))
    return 0


def annotate(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api

    p = new_parser("manifest annotate", "Annotate an entry of a manifest list.")
    _entry_flags(p, os_features=True)
    p.add_argument("list")
    p.add_argument("image")
    ns = p.parse_args(argv)
    print(api.annotate(settings, ns.list, ns.image, _entry_options(ns)))
    return 0


def remove(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api

    p = new_parser("manifest remove", "Remove an entry from a manifest list.")
    p.add_argument("list")
    p.add_argument("digest")
    ns = p.parse_args(argv)
    print(api.remove_entry(settings, ns.list, ns.digest))
    return 0


def inspect(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api
    from supervisor.cli.output import print_json

    p = new_parser("manifest inspect", "Show a manifest list.")
    p.add_argument("--tls-verify", nargs="?", const="true", help="accepted (local lists only)")
    p.add_argument("list")
    ns = p.parse_args(argv)
    print_json(api.inspect(settings, ns.list))
    return 0


def exists(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api

    p = new_parser("manifest exists", "Exit 0 if the manifest list exists, else 1.")
    p.add_argument("list")
    ns = p.parse_args(argv)
    return 0 if api.exists(settings, ns.list) else 1


def rm(argv: list[str], settings: Settings) -> int:
    """Podman's rm of a list: Untagged/Deleted lines; a missing one exits 1."""
    from supervisor.api import manifests as api
    from supervisor.errors import NotFoundError

    p = new_parser("manifest rm", "Remove manifest lists.")
    p.add_argument("lists", nargs="+")
    ns = p.parse_args(argv)
    code = 0
    for ref in ns.lists:
        try:
            name, list_id = api.remove(settings, ref)
        except NotFoundError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            code = 1
            continue
        print(f"Untagged: {name}\nDeleted: {list_id}")
    return code


def push(argv: list[str], settings: Settings) -> int:
    from supervisor.api import manifests as api
    from supervisor.cli.common import progress_sink, registry_options

    p = new_parser("manifest push", "Push a manifest list and its images to a registry.")
    a = p.add_argument
    a("--all", default="true", help="push the list's images too (always: true)")
    a("--compression-format", help="gzip (the layers as stored); zstd is refused")
    a("--digestfile", help="write the pushed list's digest to this file")
    a("-f", "--format", help="v2s2: the list's type (no conversion)")
    a("-q", "--quiet", action="store_true", help="no progress output")
    a("--remove-signatures", action="store_true", help="scopebox keeps no signatures")
    a("--rm", action="store_true", help="remove the list once pushed")
    for flag in ("--sign-by", "--sign-by-sigstore-private-key", "--sign-passphrase-file"):
        a(flag, help="refused: scopebox does not sign images")
    _remote_flags(p)
    a("list")
    a("destination")
    ns = p.parse_args(argv)
    _check_push(ns)
    progress = progress_sink(ns.quiet)
    try:
        digest = api.push(settings, ns.list, ns.destination, registry_options(ns), progress,
                          ns.rm)
    finally:
        progress.close()
    if ns.digestfile:
        with open(ns.digestfile, "w") as f:
            f.write(digest)
    return 0


def _check_push(ns: argparse.Namespace) -> None:
    if ns.all not in ("true", "1"):
        raise UsageError("--all=false: scopebox pushes a list with its images")
    if ns.format not in (None, "v2s2"):
        raise UsageError(f"--format {ns.format}: scopebox pushes a Docker manifest list"
                         " (v2s2) as stored and does not convert it")
    if ns.compression_format not in (None, "gzip"):
        raise UsageError(f"--compression-format {ns.compression_format}: scopebox pushes the"
                         " layers as stored and does not recompress them")
    for flag in ("sign_by", "sign_by_sigstore_private_key", "sign_passphrase_file"):
        if getattr(ns, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')}: scopebox does not sign images"
                             " (no GPG or sigstore signing)")


_VERBS = {"create": create, "add": add, "annotate": annotate, "remove": remove,
          "inspect": inspect, "exists": exists, "rm": rm, "push": push}
