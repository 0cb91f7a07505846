"""scopebox load [-i FILE] [-q]"""

from __future__ import annotations

from supervisor import archive
from supervisor.cli.common import engine
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("load", "Load images from a docker-archive or oci-archive.")
    p.add_argument("-i", "--input", default="-")
    p.add_argument("-q", "--quiet", action="store_true")
    ns = p.parse_args(argv)
    with engine(settings) as eng:
        loaded = archive.load(eng.store, ns.input)
    for item in loaded:
        for name in item.names or [f"sha256:{item.image.id}"]:
            print(f"Loaded image: {name}")
    return 0
