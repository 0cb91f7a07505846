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

    from supervisor.events.write import container as event

    event(ctx, row._replace(name=new_name), "rename")
    if row.status.is_active:  # the monitor's own events (died) take the new name
        import contextlib
        import os

        path = os.path.join(ctx.paths.container_rundir(row.id), "name")
        with contextlib.suppress(FileNotFoundError), open(path, "w") as f:  # gone: no matter
            f.write(new_name)
