"""`restart`: stop, then start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.store import ContainerRow

if TYPE_CHECKING:
    from supervisor.container.context import Context


def restart(ctx: Context, ref: str, timeout: int | None = None) -> ContainerRow:
    row = ctx.stop(ref, timeout)
    from supervisor.events.write import container as event  # events (issue 14)

    event(ctx, row, "restart")
    return ctx.start(row.id).row
