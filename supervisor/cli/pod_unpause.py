"""scopebox pod unpause POD... [--all] [--latest]"""

from __future__ import annotations

from supervisor.cli.pod_act import run
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import pods as api

    return run("unpause", argv, settings, lambda refs, ns: api.unpause(settings, refs))
