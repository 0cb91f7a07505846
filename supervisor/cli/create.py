"""scopebox create [OPTIONS] IMAGE [COMMAND [ARG...]]"""

from __future__ import annotations

from supervisor.cli.common import (
    add_create_flags,
    create_container,
    create_options,
    engine,
    new_create_parser,
)


def main(argv: list[str]) -> int:
    p = new_create_parser("create", "Create a container without starting it.")
    add_create_flags(p)
    ns = p.parse_args(argv)
    with engine() as eng:
        row = create_container(eng, ns, create_options(ns))
    print(row.id)
    return 0
