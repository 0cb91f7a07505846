"""scopebox import [-c CHANGE] [-m MSG] FILE|- [REFERENCE]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("import", "Create an image from a root filesystem tarball.")
    p.add_argument(
        "-c",
        "--change",
        action="append",
        default=[],
        help="apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL",
    )
    p.add_argument("-m", "--message", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--arch", default="", help="the image's architecture (default: the host's)")
    p.add_argument("--os", default="", help="the image's operating system (default: linux)")
    p.add_argument("--variant", default="", help="the image's architecture variant")
    p.add_argument("source")
    p.add_argument("reference", nargs="?")
    # Podman (cobra) takes flags between and after the positionals: `import F -c X REF`
    ns = p.parse_intermixed_args(argv)
    image_id = api.import_(
        settings, api.ImportOptions(ns.source, ns.reference, ns.change, ns.message, ns.os, ns.arch,
                          ns.variant)
    )
    print(f"sha256:{image_id}" if not ns.quiet else image_id)
    return 0
