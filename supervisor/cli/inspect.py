"""scopebox inspect [--format F] [--type container|image] NAME..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor import images
from supervisor.cli.common import engine, print_json, render_each
from supervisor.cli.main import new_parser
from supervisor.errors import NotFoundError
from supervisor.settings import Settings
from supervisor.views import inspect_container, inspect_image


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("inspect", "Show low-level information on containers or images.")
    p.add_argument("-f", "--format")
    p.add_argument("--type", choices=("container", "image", "all"), default="all")
    p.add_argument("names", nargs="+")
    ns = p.parse_args(argv)
    out: list[dict[str, Any]] = []
    code = 0
    with engine(settings) as eng:
        for ref in ns.names:
            try:
                out.append(_one(eng, ref, ns.type))
            except NotFoundError:
                print(f"Error: no such object: {ref!r}", file=sys.stderr)
                code = 125
    if ns.format and ns.format != "json":
        render_each(ns.format, out)
    else:
        print_json(out)
    return code


def _one(eng: Any, ref: str, kind: str) -> dict[str, Any]:
    if kind in ("container", "all"):
        try:
            row = eng.find(ref)
            return inspect_container(
                eng.paths, row, eng.store.get_image(row.image_id), eng.restarting(row)
            )
        except NotFoundError:
            if kind == "container":
                raise
    return inspect_image(images.resolve(eng.store, ref), eng.paths)
