"""scopebox container checkpoint|restore (verbs): CRIU is not used by scopebox. Refused with
Podman's line for a host without CRIU, and Podman's exit code, whatever the arguments."""

from __future__ import annotations

import sys

from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    return _refuse("checkpoint", argv, settings)


def restore(argv: list[str], settings: Settings) -> int:
    return _refuse("restore", argv, settings)


def _refuse(verb: str, argv: list[str], settings: Settings) -> int:
    if any(a in ("-h", "--help") for a in argv):
        from supervisor.cli import program

        print(f"{verb.capitalize()} one or more containers: refused, scopebox does not use CRIU"
              f"\n\nUsage:\n  {program()} container {verb} [options] CONTAINER [CONTAINER...]"
              "\n\nOptions:\n  -h, --help   help for this command")
        return 0
    from supervisor.api import containers as api
    from supervisor.errors import NotFoundError

    for ref in (a for a in argv if not a.startswith("-")):
        if not api.exists(settings, ref):  # Podman looks the containers up first
            raise NotFoundError("container", ref)
    import shutil

    sys.stdout.flush()
    if shutil.which("criu") is None:
        raise UsageError("checkpoint/restore requires at least CRIU 31100")
    raise UsageError(f"container {verb}: scopebox does not use CRIU, which is installed here,"
                     " to checkpoint or restore containers")
