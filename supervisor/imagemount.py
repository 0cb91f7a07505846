"""`image mount` / `image umount`: an image's layers mounted read-only on the host.

The mount point is `$RUNROOT/image-mounts/<id>/merged` (a tmpfs run dir: a reboot forgets
it with the mount). Like Podman's store, a mount is counted: each `image mount` adds one,
each `image umount` takes one and unmounts at zero, `--force` unmounts at once. The count is
a file beside the mount point, changed under the image's lock; a mount found without its count
(a process killed between the two) counts once. `rmi` unmounts the image it deletes.
"""

from __future__ import annotations

import os
import shutil
from typing import NamedTuple

from supervisor.errors import UsageError
from supervisor.mount import is_mountpoint, mount, umount
from supervisor.paths import Paths
from supervisor.store import FileLock, ImageRow, Store

MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096


class Mounted(NamedTuple):
    id: str
    names: list[str]
    path: str


def _top(paths: Paths) -> str:
    return os.path.join(paths.runroot, "image-mounts")


def mount_point(paths: Paths, image_id: str) -> str:
    return os.path.join(_top(paths), image_id, "merged")


def _count_file(paths: Paths, image_id: str) -> str:
    return os.path.join(_top(paths), image_id, "count")


def _count(paths: Paths, image_id: str) -> int:
    try:
        with open(_count_file(paths, image_id)) as f:
            return max(int(f.read().strip() or 0), 0)
    except (OSError, ValueError):
        return 1 if is_mountpoint(mount_point(paths, image_id)) else 0


def _set_count(paths: Paths, image_id: str, count: int) -> None:
    tmp = _count_file(paths, image_id) + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{count}\n")
    os.replace(tmp, _count_file(paths, image_id))


def mount_image(store: Store, img: ImageRow, layers: list[str]) -> str:
    """Mount (or count one more mount of) the image; `layers`: its layer dirs, top first."""
    paths = store.paths
    target = mount_point(paths, img.id)
    with FileLock(paths, f"image-mount-{img.id}"):
        if not is_mountpoint(target):
            os.makedirs(target, mode=0o755, exist_ok=True)
            _mount_layers(layers, target)
            _set_count(paths, img.id, 1)
        else:
            _set_count(paths, img.id, _count(paths, img.id) + 1)
    return target


def _mount_layers(layers: list[str], target: str) -> None:
    if len(layers) == 1:  # overlayfs needs two lower dirs without an upper one
        mount(layers[0], target, "", MS_BIND)
        try:
            mount("", target, "", MS_BIND | MS_REMOUNT | MS_RDONLY)
        except BaseException:
            umount(target, detach=True)
            raise
        return
    if not layers:
        raise UsageError("the image has no layers to mount")
    opts = f"lowerdir={':'.join(layers)}"  # no upper dir: read-only
    if len(opts) > 4000:
        raise UsageError("too many image layers for one overlay mount option page")
    mount("overlay", target, "overlay", MS_RDONLY, opts)


def unmount_image(paths: Paths, image_id: str, force: bool) -> bool:
    """One mount less (every mount with `force`); True when the image was unmounted now."""
    target = mount_point(paths, image_id)
    with FileLock(paths, f"image-mount-{image_id}"):
        if not is_mountpoint(target):
            shutil.rmtree(os.path.dirname(target), ignore_errors=True)
            return False
        left = 0 if force else _count(paths, image_id) - 1
        if left > 0:
            _set_count(paths, image_id, left)
            return False
        umount(target)
        shutil.rmtree(os.path.dirname(target), ignore_errors=True)
        return True


def mounted_ids(paths: Paths) -> list[str]:
    try:
        ids = sorted(os.listdir(_top(paths)))
    except FileNotFoundError:
        return []
    return [i for i in ids if is_mountpoint(mount_point(paths, i))]
