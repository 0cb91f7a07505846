"""verbs: `auto-update` (supervisor/autoupdate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.autoupdate import Update


def auto_update(settings: Settings, dry_run: bool, rollback: bool) -> list[Update]:
    from supervisor.autoupdate import run

    with session(settings) as eng:
        return run(eng, dry_run, rollback)
