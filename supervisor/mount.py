"""mount(2) and umount2(2) through ctypes: one syscall instead of a mount(8) process."""

from __future__ import annotations

import errno
import os
from functools import cache
from typing import Any

from supervisor.errors import SystemError_

MNT_DETACH = 2


@cache
def _libc() -> Any:
    import ctypes  # only when mounting: the read paths never pay for it

    return ctypes.CDLL(None, use_errno=True)


def _errno() -> int:
    import ctypes

    return ctypes.get_errno()


def mount(source: str, target: str, fstype: str, flags: int = 0, data: str = "") -> None:
    rc = _libc().mount(source.encode(), target.encode(), fstype.encode(), flags, data.encode())
    if rc != 0:
        err = _errno()
        raise SystemError_(f"cannot mount {fstype} on {target!r}: {os.strerror(err)}")


def umount(target: str, detach: bool = False) -> bool:
    """Unmount; False if nothing was mounted there."""
    rc = _libc().umount2(target.encode(), MNT_DETACH if detach else 0)
    if rc == 0:
        return True
    err = _errno()
    if err in (errno.EINVAL, errno.ENOENT):
        return False
    raise SystemError_(f"cannot unmount {target!r}: {os.strerror(err)}")


def is_mountpoint(path: str) -> bool:
    path = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo") as f:
            return any(_unescape(line.split()[4]) == path for line in f)
    except OSError:
        return False


def mounts_under(top: str) -> list[str]:
    """Mount points at or below `top`, outermost first (mountinfo's order)."""
    top = os.path.realpath(top)
    below = top.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        targets = [_unescape(line.split()[4]) for line in f]
    return [t for t in targets if t == top or t.startswith(below)]


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (\\040)."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


OVERLAYFS_SUPER_MAGIC = 0x794C7630


def fs_type(path: str) -> int:
    """statfs(2)'s f_type (the filesystem's magic number), 0 if it cannot be read."""
    import ctypes

    buf = ctypes.create_string_buffer(256)  # struct statfs: 120 bytes on 64-bit Linux
    if _libc().statfs(path.encode(), buf) != 0:
        return 0
    return ctypes.c_ulong.from_buffer(buf).value & 0xFFFFFFFF


def mount_overlay(lowers: list[str], upper: str, work: str, target: str) -> None:
    """lowers: top-most first, as overlayfs wants them."""
    opts = f"lowerdir={':'.join(lowers)},upperdir={upper},workdir={work}"
    if len(opts) > 4000:
        raise SystemError_("too many image layers for one overlay mount option page")
    mount("overlay", target, "overlay", 0, opts)
