"""scopebox play kube: Podman's older spelling of `kube play`."""

from __future__ import annotations

from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.cli import kube

    if not argv or argv[0] != "kube":
        raise UsageError("scopebox play: the only kind is 'kube' (scopebox play kube FILE)")
    return kube.play(argv[1:], settings, prog="play kube")
