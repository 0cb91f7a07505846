"""The monitor's exit command (and reconciliation's): record the exit, tear down, --rm.

Runs under `python3 -I -S` (see supervisor/cli/cleanup.py): standard library only.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from supervisor.container.remove import (
    can_hand_off,
    finish_removal,
    hand_off_locked,
    keep_exit_code,
    remove_locked,
)
from supervisor.container.resources import teardown
from supervisor.store import ContainerLock

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow


def cleanup(ctx: Context, cid: str, hand_off: bool = False) -> None:
    """The monitor's exit command (and reconciliation's): record, tear down, --rm.
    `hand_off` (a foreground `run --rm`, issue 16): the removal's teardown may be left to
    the monitor's exit command (remove.can_hand_off): the row goes, the rest follows."""
    from supervisor.pods.join import after_exit, pod_of  # pods (issue 15): --exit-policy

    pod_id = pod_of(ctx, cid)
    removed = _cleanup(ctx, cid, hand_off and not pod_id)
    after_exit(ctx, pod_id)  # pods (issue 15)
    if removed is not None and removed.config.runflags.rmi:  # helper "runflags": --rmi
        _remove_image(ctx, removed)


def _remove_image(ctx: Context, row: ContainerRow) -> None:
    """helper "runflags": `run --rmi`: the image goes unless another container uses it
    (Podman's rule: the name the user gave is removed, as by `rmi NAME`: an image with other
    names keeps them; quietly nothing when it is in use or gone)."""
    from supervisor.errors import ScopeboxError
    from supervisor.images import remove_image

    if row.config.options.rootfs:  # a tree, no image
        return
    with contextlib.suppress(ScopeboxError):
        remove_image(ctx.store, row.config.options.image)


def _cleanup(ctx: Context, cid: str, hand_off: bool = False) -> ContainerRow | None:
    with ContainerLock(ctx.paths, cid) as lock:
        row = ctx.store.get_container(cid)
        if row is None:
            finish_removal(ctx, cid)  # issue 16: a `run --rm` handed its teardown to us
            lock.discard()
            return None
        row = ctx.refresh(row, locked=True)
        if row.status.is_active:
            return None
        if hand_off and can_hand_off(row):
            hand_off_locked(ctx, row)
            return None
        if row.config.auto_remove:
            keep_exit_code(ctx, row)
            remove_locked(ctx, row)
            lock.discard()
            return row
        if not row.cleaned:
            teardown(ctx, row)
        return None
