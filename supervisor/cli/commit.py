"""scopebox commit [-a A] [-c CHANGE]... [-m MSG] [-p] [-f oci|docker] [-q] CONTAINER [IMAGE]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import copy as api

    p = new_parser("commit", "Create a new image from a container's changes.")
    p.add_argument("-a", "--author", default="")
    p.add_argument("-c", "--change", action="append", default=[])
    p.add_argument("-m", "--message", default="")
    p.add_argument("-p", "--pause", action="store_true",
                   help="freeze a running container meanwhile (scopebox always does)")
    p.add_argument("-f", "--format", default="oci")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--squash", action="store_true")
    p.add_argument("container")
    p.add_argument("image", nargs="?")
    ns = p.parse_args(argv)
    if ns.squash:
        from supervisor.errors import UsageError

        raise UsageError("--squash is not supported: the image keeps its layers")
    req = api.CommitRequest(ns.container, ns.image, tuple(ns.change), ns.message, ns.author,
                            True, ns.format)
    print(api.commit(settings, req))
    return 0
