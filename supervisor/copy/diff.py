"""`diff`: what a container changed in its own layer, as Podman prints it (A, C, D)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supervisor.errors import ScopeboxError, UsageError

if TYPE_CHECKING:
    from supervisor.container.context import Context


# empty files the runtime makes as mount points for the engine's own bind mounts: not the
# container's changes (Podman leaves them out too)
_MOUNT_STUBS = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv")
# directories the runtime makes for those mounts (libpod's diff skips these paths too)
_MOUNT_DIRS = ("/dev", "/proc", "/run", "/run/notify", "/run/secrets", "/sys")


@dataclass(frozen=True)
class Changes:
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Podman's text form: sorted by path."""
        tagged = [(p, "C") for p in self.changed] + [(p, "A") for p in self.added]
        tagged += [(p, "D") for p in self.deleted]
        return [f"{kind} {path}" for path, kind in sorted(tagged)]


def changes(upper: str, lowers: list[str]) -> Changes:
    """Walk the overlay's upper dir: a whiteout (char device 0/0) is a deletion, a path any
    lower layer has is a change, anything else was added."""
    out = Changes()
    for dirpath, dirnames, filenames in os.walk(upper):
        rel_dir = os.path.relpath(dirpath, upper)
        for name in sorted(dirnames + filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            st = os.lstat(f"{upper}/{rel}")
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                out.deleted.append("/" + rel)
                if name in dirnames:
                    dirnames.remove(name)
            elif any(os.path.lexists(f"{lower}/{rel}") for lower in lowers):
                out.changed.append("/" + rel)
            elif not ((f"/{rel}" in _MOUNT_STUBS and st.st_size == 0)
                      or (f"/{rel}" in _MOUNT_DIRS and stat.S_ISDIR(st.st_mode))
                      or (rel == "etc/mtab" and stat.S_ISLNK(st.st_mode))):  # the engine's
                out.added.append("/" + rel)
    return _prune(out, upper)


def _prune(found: Changes, upper: str) -> Changes:
    """A directory copied up only to hold the runtime's mount stubs is not a change: a
    changed directory is kept when something below it is reported, or it is not a dir."""
    reported = found.added + found.deleted + [p for p in found.changed
                                              if not os.path.isdir(upper + p)]
    keep = [p for p in found.changed if not os.path.isdir(upper + p)
            or any(r.startswith(p + "/") for r in reported)]
    return Changes(keep, found.added, found.deleted)


def diff(ctx: Context, ref: str, what: str = "layer") -> Changes:
    """`what`: the kind Podman's miss names ("layer" for `diff`, "container" for
    `container diff`)."""
    from supervisor import images
    from supervisor.errors import NotFoundError

    try:
        row = ctx.find(ref)
    except NotFoundError:
        raise ScopeboxError(f"{ref} not found: {what} not known") from None  # Podman's words
    if row.config.options.rootfs:
        raise UsageError(f"container {row.name!r} runs from --rootfs: it has no layers to diff")
    cdir = ctx.paths.container_dir(row.id)
    if os.path.exists(f"{cdir}/.vfs-complete"):
        raise UsageError("diff needs the overlay storage driver (this store copies layers)")
    img = ctx.store.get_image(row.image_id)
    if img is None:
        raise NotFoundError("image", row.image_name)
    return changes(f"{cdir}/upper", images.layer_dirs(ctx.paths, img))
