"""`rename`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.names import validate_name

if TYPE_CHECKING:
    from supervisor.container.context import Context


def rename(ctx: Context, ref: str, new_name: str) -> None:
    validate_name(new_name)
    row = ctx.store.find_container(ref)
    ctx.store.rename_container(row.id, new_name)
