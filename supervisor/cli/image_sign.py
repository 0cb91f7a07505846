"""scopebox image sign (verbs): see supervisor/cli/image_trust.py."""

from __future__ import annotations

from supervisor.cli.image_trust import sign as main

__all__ = ["main"]
