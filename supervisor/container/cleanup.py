"""The monitor's exit command (and reconciliation's): record the exit, tear down, --rm.

Runs under `python3 -I -S` (see supervisor/cli/cleanup.py): standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.container.remove import keep_exit_code, remove_locked
from supervisor.container.resources import teardown
from supervisor.store import ContainerLock

if TYPE_CHECKING:
    from supervisor.container.context import Context


def cleanup(ctx: Context, cid: str) -> None:
    """The monitor's exit command (and reconciliation's): record, tear down, --rm."""
    with ContainerLock(ctx.paths, cid) as lock:
        row = ctx.store.get_container(cid)
        if row is None:
            lock.discard()
            return
        row = ctx.refresh(row, locked=True)
        if row.status.is_active:
            return
        if row.config.auto_remove:
            keep_exit_code(ctx, row)
            remove_locked(ctx, row)
            lock.discard()
        elif not row.cleaned:
            teardown(ctx, row)
