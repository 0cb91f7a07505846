"""scopebox rmi [-f] IMAGE..."""

from __future__ import annotations

from supervisor import images
from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser
from supervisor.engine import Engine


def main(argv: list[str]) -> int:
    p = new_parser("rmi", "Remove images.")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        return for_each(ns.images, lambda ref: "\n".join(_remove(eng, ref, ns.force)))


def _remove(eng: Engine, ref: str, force: bool) -> list[str]:
    """Podman's -f: the containers using the image go first."""
    if force:
        img = images.resolve(eng.store, ref)
        for cid in eng.store.containers_using_image_ids(img.id):
            eng.remove(cid, force=True)
    return images.remove_image(eng.store, ref, force)
