"""scopebox container cleanup ID: the monitor's exit command (not for users)."""

from __future__ import annotations

from supervisor.cli.common import engine


def main(argv: list[str]) -> int:
    with engine() as eng:
        for cid in argv:
            eng.cleanup(cid)
    return 0
