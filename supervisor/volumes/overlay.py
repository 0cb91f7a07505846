"""`-v /host/dir:/ctr:O` (Podman's overlay mounts): the host directory is the lower layer of
an overlay whose upper and work dirs are the container's own (`<container dir>/overlay/N`),
emptied at each start: the container sees a writable copy, the host directory never changes,
and the changes are gone by the next run (Podman: "destroyed when the container finishes").
`--mount type=image,source=IMAGE,destination=DIR[,rw=true]` is the same with the image's
layers as the lower dirs (read-only unless rw=true), the image resolved at each start.

The runtime makes the mount itself (an OCI mount of type `overlay`, as Podman's), inside the
container's mount namespace: nothing is mounted on the host, so there is nothing to leak.
The records are made here; `overlay_run` makes the mounts at start."""

from __future__ import annotations

from supervisor.errors import UsageError
from supervisor.spec import Mount

OVERLAY = "overlay"  # a stored `Mount.type`: an :O mount whose source is the lower dir
IMAGE = "image"  # a stored `Mount.type`: --mount type=image, whose source is the image ref
# what an :O mount's options may carry on to the overlay (binds' own flags do not apply)
_KEPT = frozenset({"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec"})


def stored(dest: str, source: str, options: tuple[str, ...]) -> Mount:
    """The container's record of `-v SOURCE:DEST:O,...`."""
    return Mount(dest, source, OVERLAY, tuple(o for o in options if o in _KEPT))


def image_mount(dest: str, source: str, rw: bool) -> Mount:
    """The container's record of `--mount type=image,...` (the image is found at start)."""
    if not source:
        raise UsageError("must set source and destination for image volume")  # Podman's words
    return Mount(dest, source, IMAGE, ("rw",) if rw else ("ro",))
