"""scopebox container restore (verbs): see supervisor/cli/checkpoint.py."""

from __future__ import annotations

from supervisor.cli.checkpoint import restore as main

__all__ = ["main"]
