"""`restart`: stop, then start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def restart(ctx: Context, ref: str, timeout: int | None = None) -> ContainerRow:
    row = ctx.stop(ref, timeout)
    return ctx.start(row.id).row
