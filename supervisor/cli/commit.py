"""scopebox commit [-a A] [-c CHANGE]... [-m MSG] [-p] [-f oci|docker] [-q] CONTAINER [IMAGE]"""

from __future__ import annotations

from typing import TextIO

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
    p.add_argument("--iidfile", help="write the image's id to this file")
    p.add_argument("--include-volumes", action="store_true",
                   help="the container's named volumes and mounts as image volumes too")
    p.add_argument("container")
    p.add_argument("image", nargs="?")
    ns = p.parse_args(argv)
    if ns.squash:
        from supervisor.errors import UsageError

        raise UsageError("--squash is not supported: the image keeps its layers")
    req = api.CommitRequest(ns.container, ns.image, tuple(ns.change), ns.message, ns.author,
                            True, ns.format, ns.include_volumes)
    if ns.iidfile is None:
        print(api.commit(settings, req))
        return 0
    with _iidfile(ns.iidfile) as f:  # opened first: a path it cannot write makes no image
        try:
            image_id = api.commit(settings, req)
        except BaseException:
            from supervisor.cli.output import remove_regular_file

            remove_regular_file(ns.iidfile)
            raise
        f.write(image_id)
    print(image_id)
    return 0


def _iidfile(path: str) -> TextIO:
    from supervisor.errors import UsageError

    try:
        return open(path, "w")
    except OSError as exc:  # Podman's words
        raise UsageError(f"failed to write image ID: open {path}: "
                         f"{(exc.strerror or '').lower()}") from exc
