"""scopebox image inspect [--format F] IMAGE..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor import images
from supervisor.cli.common import engine, print_json, render_each
from supervisor.cli.main import new_parser
from supervisor.errors import NotFoundError
from supervisor.settings import Settings
from supervisor.views import inspect_image


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("image inspect", "Show an image's configuration and layers.")
    p.add_argument("-f", "--format")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    out: list[dict[str, Any]] = []
    code = 0
    with engine(settings) as eng:
        for ref in ns.images:
            try:
                out.append(inspect_image(images.resolve(eng.store, ref), eng.paths))
            except NotFoundError:
                print(f"Error: no such image: {ref!r}", file=sys.stderr)
                code = 125
    if ns.format and ns.format != "json":
        render_each(ns.format, out)
    else:
        print_json(out)
    return code
