"""scopebox import [-c CHANGE] [-m MSG] FILE|- [REFERENCE]"""

from __future__ import annotations

from supervisor import images
from supervisor.cli.common import engine
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
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
    p.add_argument("source")
    p.add_argument("reference", nargs="?")
    ns = p.parse_args(argv)
    with engine(settings) as eng:
        img = images.import_tarball(
            eng.store, images.ImportOptions(ns.source, ns.reference, ns.change, ns.message)
        )
    print(f"sha256:{img.id}" if not ns.quiet else img.id)
    return 0
