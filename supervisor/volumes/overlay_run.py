"""The :O and image mounts of a container's run (supervisor/volumes/overlay.py): OCI overlay
mounts on fresh upper/work dirs under the container's dir, made by the runtime."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from supervisor.errors import CommandCannotRun, NotFoundError, UsageError
from supervisor.spec import Mount
from supervisor.volumes.overlay import IMAGE, OVERLAY

if TYPE_CHECKING:
    from supervisor.container.context import Context


def run_mounts(ctx: Context, cid: str, mounts: list[Mount]) -> list[Mount]:
    """`mounts` with each :O and image one made an overlay on fresh upper/work dirs."""
    container_dir = ctx.paths.container_dir(cid)
    out = []
    for index, m in enumerate(mounts):
        if m.type not in (OVERLAY, IMAGE):
            out.append(m)
            continue
        if m.type == OVERLAY and not os.path.isdir(m.source):
            raise UsageError(f"overlay mount (:O) source {m.source!r}: not a directory")
        from supervisor.rootfs import overlay_supported

        if not overlay_supported(container_dir):
            raise UsageError(f"{'image' if m.type == IMAGE else 'overlay (:O)'} mounts need "
                             "overlayfs under the storage root")  # fmt: skip
        lowers = _image_layers(ctx, m) if m.type == IMAGE else [m.source]
        base = os.path.join(container_dir, "overlay", str(index))
        shutil.rmtree(base, ignore_errors=True)  # the last run's changes
        writable = "ro" not in m.options
        for sub in ("upper", "work") if writable else ("lower",):
            os.makedirs(os.path.join(base, sub), mode=0o700)
        lowerdir = ":".join(_escape(d) for d in lowers)
        if writable:
            data = (f"lowerdir={lowerdir},upperdir={_escape(base)}/upper,"
                    f"workdir={_escape(base)}/work")  # fmt: skip
        else:  # overlayfs needs two lower dirs when there is no upper one
            data = f"lowerdir={lowerdir}:{_escape(base)}/lower"
        out.append(Mount(m.destination, "overlay", "overlay", (*m.options, data)))
    return out


def _image_layers(ctx: Context, m: Mount) -> list[str]:
    from supervisor import images

    try:
        img = images.resolve(ctx.store, m.source)
    except NotFoundError:  # Podman's words and exit code (126), found at start as there
        raise CommandCannotRun(f'creating image volume "{m.source}":"{m.destination}": '
                               f"{m.source}: image not known") from None  # fmt: skip
    return images.layer_dirs(ctx.paths, img)


def _escape(path: str) -> str:
    """overlayfs splits its options at ',' and lowerdir at ':' (a backslash escapes them)."""
    return path.replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:")
