"""scopebox pod kill [-s SIGNAL] POD... [--all] [--latest]"""

from __future__ import annotations

import argparse

from supervisor.cli.pod_act import run
from supervisor.settings import Settings


def _flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--signal", default="SIGKILL", help="the signal (default SIGKILL)")


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import pods as api

    return run("kill", argv, settings,
               lambda refs, ns: api.kill(settings, refs, ns.signal), _flags)
