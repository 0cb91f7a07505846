"""The `scopebox` command's first step: make sure `supervisor` is scopebox's package.

Supervisor (supervisord) is on PyPI as `supervisor` with a top-level package of the same name.
pip installs both into one environment without a word, each overwriting the other's files
(`__init__.py`, `options.py`), so the command would run a mix of the two. Two cheap checks
catch either order of installation: our marker in `__init__.py`, and the absence of
supervisord's own module. Standard library only; this runs before every verb."""

from __future__ import annotations

import os
import sys

CLASH_EXIT = 125  # an engine error, as Podman's


def clash() -> str | None:
    """What is wrong with the imported `supervisor` package, or None when it is ours alone."""
    import supervisor

    where = os.path.dirname(os.path.abspath(__file__))  # ours, whoever owns __init__.py
    mixed = os.path.exists(os.path.join(where, "supervisord.py"))
    if getattr(supervisor, "SCOPEBOX", False) is True and not mixed:
        return None
    return (
        f"the Python package 'supervisor' in {where} is not scopebox's alone: Supervisor"
        " (supervisord, PyPI 'supervisor') is installed in the same environment; install"
        " scopebox in a virtualenv of its own (sh packaging/install.sh does: /usr/lib/scopebox)"
    )


def main() -> None:
    problem = clash()
    if problem is not None:
        print(f"Error: {problem}", file=sys.stderr)
        raise SystemExit(CLASH_EXIT)
    from supervisor.cli.main import entry

    entry()


if __name__ == "__main__":
    main()
