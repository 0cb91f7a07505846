"""A container's root filesystem from its image's layers: an overlay mount, or where overlayfs
is unavailable (or `SCOPEBOX_STORAGE_DRIVER=vfs`) a private copy of the layers bind-mounted in
its place (same teardown: it is a mount point either way)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Callable

from supervisor.layers import OPAQUE_XATTR
from supervisor.mount import OVERLAYFS_SUPER_MAGIC, fs_type, mount, mount_overlay

MS_BIND = 0x1000
_COPIED = ".vfs-complete"


def overlay_supported(store_dir: str | None = None) -> bool:
    """`store_dir`: where the upper and work dirs would be; overlayfs refuses an overlayfs
    there (EINVAL), as when the store is inside a container or on the test bed's root."""
    if os.environ.get("SCOPEBOX_STORAGE_DRIVER", "overlay") == "vfs":
        return False
    try:
        with open("/proc/filesystems") as f:
            if not any(line.split()[-1:] == ["overlay"] for line in f):
                return False
    except OSError:
        return False
    if store_dir is not None and fs_type(store_dir) == OVERLAYFS_SUPER_MAGIC:
        # containers/<id> under the store's root: name the root, which the user chose.
        _notice_overlay_on_overlay(os.path.dirname(os.path.dirname(store_dir)))
        return False
    return True


def _notice_overlay_on_overlay(store_dir: str) -> None:
    """Podman refuses here ("'overlay' is not supported over overlayfs, a mount_program is
    required"); we fall back to copying, which works everywhere, and say so (a notice, not an
    error: the container runs)."""
    from supervisor.notices import notice

    notice(
        f"{store_dir!r} is on overlayfs, which overlayfs cannot write to: copying"
        " the image's layers for each container instead (slower); put SCOPEBOX_ROOT on"
        " another filesystem, or set SCOPEBOX_STORAGE_DRIVER=vfs to silence this"
    )


Shift = Callable[[int, int], tuple[int, int]]


def mount_layers(lowers: list[str], cdir: str, target: str, shift: Shift | None = None) -> None:
    """`lowers`: top-most first. The container's writable layer is `cdir/upper`. `shift`:
    a container in its own user namespace gets a copy owned through its map (issues 17/19;
    Podman's chowned copy: runc 1.1 idmaps no mount, see supervisor/idmaps.py)."""
    upper = os.path.join(cdir, "upper")
    if shift is None and overlay_supported(cdir):
        mount_overlay(lowers, upper, os.path.join(cdir, "work"), target)
        return
    marker = os.path.join(cdir, _COPIED)
    if not os.path.exists(marker):
        # A copy cut short (killed) is thrown away and made again.
        for entry in os.scandir(upper):
            _remove(entry.path)
        for layer in reversed(lowers):
            copy_layer(layer, upper, shift)
        with open(marker, "w"):
            pass
    mount(upper, target, "", MS_BIND)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _copy_meta(src: str, dst: str, st: os.stat_result, shift: Shift | None = None) -> None:
    uid, gid = (st.st_uid, st.st_gid) if shift is None else shift(st.st_uid, st.st_gid)
    os.chown(dst, uid, gid, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))
        for name in os.listxattr(src):
            if not name.startswith("trusted.overlay."):
                os.setxattr(dst, name, os.getxattr(src, name))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def copy_layer(layer: str, dest: str, shift: Shift | None = None) -> None:
    """Apply one layer dir onto `dest` as overlayfs would show it: whiteouts delete, opaque
    dirs hide what was below, hardlinks within the layer stay hardlinks."""
    links: dict[tuple[int, int], str] = {}
    _copy_meta(layer, dest, os.lstat(layer), shift)
    for dirpath, dirnames, filenames in os.walk(layer):
        rel = os.path.relpath(dirpath, layer)
        out_dir = dest if rel == "." else os.path.join(dest, rel)
        if rel != "." and _opaque(dirpath):
            for entry in os.scandir(out_dir):
                _remove(entry.path)
        for name in sorted(dirnames + filenames):
            src, dst = os.path.join(dirpath, name), os.path.join(out_dir, name)
            st = os.lstat(src)
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:  # whiteout
                _remove(dst)
                continue
            if stat.S_ISDIR(st.st_mode):
                if not (os.path.isdir(dst) and not os.path.islink(dst)):
                    _remove(dst)
                    os.mkdir(dst, 0o700)
                _copy_meta(src, dst, st, shift)
                continue
            _remove(dst)
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in links:
                os.link(links[key], dst, follow_symlinks=False)
                continue
            if stat.S_ISREG(st.st_mode):
                shutil.copyfile(src, dst, follow_symlinks=False)
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), dst)
            else:
                os.mknod(dst, st.st_mode, st.st_rdev)
            _copy_meta(src, dst, st, shift)
            links[key] = dst


def _opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False
