"""scopebox pod stop [-t S] [--ignore] POD... [--all] [--latest]"""

from __future__ import annotations

import argparse

from supervisor.cli.pod_act import run
from supervisor.settings import Settings


def _flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-t", "--time", type=int, default=None, help="seconds before SIGKILL")
    p.add_argument("-i", "--ignore", action="store_true", help="no such pod is no error")


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import pods as api

    return run("stop", argv, settings,
               lambda refs, ns: api.stop(settings, refs, ns.time, ns.ignore), _flags)
