"""scopebox pull [-q] [--platform OS/ARCH[/VARIANT]] [--tls-verify=BOOL] [--creds U:P]
[--authfile F] IMAGE"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from supervisor.cli.common import (
    platform_flags,
    platform_option,
    pull_progress,
    registry_flags,
    registry_options,
)
from supervisor.cli.main import new_parser
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.api import registry


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pull", "Pull an image from a registry.")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--platform", help="os/arch[/variant] to pick from a manifest list")
    platform_flags(p)
    p.add_argument("-a", "--all-tags", action="store_true",
                   help="pull every tag of the image's repository")
    registry_flags(p, cert_dir=True)
    p.add_argument("--disable-content-trust", action="store_true",
                   help="Docker's; nothing to do (Podman)")
    p.add_argument("image")
    ns = p.parse_args(argv)
    from supervisor.api import registry

    opts = registry_options(ns)
    ns.platform = platform_option(ns)
    refs = registry.tags(settings, ns.image, opts) if ns.all_tags else [ns.image]
    for ref in refs:
        _pull_one(settings, ref, ns, opts)
    return 0


def _pull_one(settings: Settings, ref: str, ns: argparse.Namespace,
              opts: registry.RegistryOptions) -> None:
    from supervisor.api import registry

    progress = pull_progress(ns.quiet, ref)
    try:
        image_id = registry.pull(settings, ref, ns.platform, opts, progress)
    finally:
        progress.close()
    print(image_id, flush=True)
