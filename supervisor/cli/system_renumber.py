"""scopebox system renumber (verbs): see supervisor/cli/system_migrate.py."""

from __future__ import annotations

from supervisor.cli.system_migrate import renumber as main

__all__ = ["main"]
