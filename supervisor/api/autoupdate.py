"""verbs: `auto-update` (supervisor/autoupdate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.autoupdate import Update


def auto_update(settings: Settings, dry_run: bool, rollback: bool,
                errors: list[str] | None = None) -> list[Update]:
    """`errors`: containers that could not be considered (an unknown policy), Podman's
    failures reported after the updates of the others; without it the first one raises."""
    from supervisor.autoupdate import run

    with session(settings) as eng:
        return run(eng, dry_run, rollback, errors)
