"""scopebox pod kill [-s SIGNAL] POD... [--all] [--latest]"""

from __future__ import annotations

import argparse

from supervisor.cli.pod_act import run
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.api import Report


def _flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--signal", default="SIGKILL", help="the signal (default SIGKILL)")


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import pods as api
    from supervisor.api.containers import check_signal
    from supervisor.cli.kill import signal_value_glued

    def kill(refs: list[str], ns: argparse.Namespace) -> list[Report]:
        check_signal(ns.signal)  # a bad signal is the error, before any pod is looked up
        return api.kill(settings, refs, ns.signal)

    return run("kill", signal_value_glued(argv), settings, kill, _flags)
