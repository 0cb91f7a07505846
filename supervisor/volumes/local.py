"""The local driver: a volume's data is `$ROOT/volumes/<name>/_data`; with `--opt type=`,
`device=`, `o=` that directory is a mount point, mounted while containers use the volume.

Standard library only (the exit command runs `teardown_mounts` and `remove` under
`python3 -I -S`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING

from supervisor.errors import SystemError_, UsageError
from supervisor.mount import is_mountpoint, mount, umount
from supervisor.volumes.db import Volume, VolumeDB, volume_users

if TYPE_CHECKING:
    from supervisor.paths import Paths
    from supervisor.store import Store

# `--opt o=` flags that are mount(2) flags, not filesystem data
_MS = {"ro": 1, "rw": 0, "nosuid": 2, "nodev": 4, "noexec": 8, "sync": 16, "noatime": 1024,
       "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24}
MS_BIND = 4096
CREATE_OPTS = ("type", "device", "o", "size", "inodes", "uid", "gid", "copy", "nocopy")


def volume_dir(paths: Paths, name: str) -> str:
    return os.path.join(paths.volumes, name)


def data_dir(paths: Paths, name: str) -> str:
    return os.path.join(paths.volumes, name, "_data")


def check_options(driver: str, options: dict[str, str]) -> None:
    if driver != "local":
        raise UsageError(f"volume driver {driver!r} is not supported (scopebox has 'local')")
    for key, value in options.items():
        if key in ("size", "inodes"):
            raise UsageError("volume options size and inodes not supported: the volume store"
                             " has no project quota")
        if key in ("uid", "gid") and not value.isdigit():
            raise UsageError(f"invalid volume option {key}={value!r}: a number")
        if key not in CREATE_OPTS:
            raise UsageError(f"invalid mount option {key} for driver 'local': invalid argument")
    if ("device" in options or "o" in options) and "type" not in options:
        raise UsageError("volume option device or o needs type (e.g. --opt type=tmpfs)")
    device = options.get("device", "")
    if options.get("type", "").lower() == "bind" and not os.path.exists(device):
        # Podman checks a bind's source at create, in its words (its system test matches)
        raise UsageError(f"invalid volume option device for driver 'local': stat {device}: "
                         "no such file or directory")


def make(paths: Paths, vol: Volume) -> None:
    """The directories of a recorded volume (an orphan dir of the same name, left by a
    remove that was killed, is cleared first)."""
    data = data_dir(paths, vol.name)
    if not os.path.isdir(data):
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(volume_dir(paths, vol.name))
    os.makedirs(paths.volumes, mode=0o700, exist_ok=True)
    os.makedirs(data, mode=0o755, exist_ok=True)
    if "uid" in vol.options or "gid" in vol.options:
        os.chown(data, int(vol.options.get("uid", "-1")), int(vol.options.get("gid", "-1")))


def remove(paths: Paths, db: VolumeDB, name: str, exclude: frozenset[str] = frozenset()) -> None:
    """Forget the volume (refused while a container other than `exclude` names it), then
    unmount and delete its data."""
    with volume_lock(paths, name):
        db.delete(name, exclude)
        data = data_dir(paths, name)
        while is_mountpoint(data):
            umount(data, detach=True)
        shutil.rmtree(volume_dir(paths, name), ignore_errors=True)


@contextlib.contextmanager
def volume_lock(paths: Paths, name: str) -> Iterator[None]:
    """Mount, unmount and remove decisions of one volume, one process at a time."""
    locks = os.path.join(paths.runroot, "volume-locks")
    os.makedirs(locks, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(locks, name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def mount_volume(paths: Paths, vol: Volume) -> None:
    """Mount a `type=` volume's file system on its data dir (idempotent)."""
    data = data_dir(paths, vol.name)
    if is_mountpoint(data):
        return
    flags, extra = 0, []
    for opt in filter(None, vol.options.get("o", "").split(",")):
        if opt in _MS:
            flags |= _MS[opt]
        elif opt == "bind" or opt == "rbind":
            flags |= MS_BIND | (16384 if opt == "rbind" else 0)
        else:
            extra.append(opt)
    kind = vol.options.get("type", "")
    if kind == "bind":  # `-o type=bind`, as Podman takes it: a bind without `o=bind`
        flags |= MS_BIND
    device = vol.options.get("device", kind)
    mount(device, data, "" if flags & MS_BIND else kind, flags, ",".join(extra))


def teardown_mounts(paths: Paths, store_db: VolumeDB, names: list[str], cid: str,
                    active: set[str]) -> None:
    """Unmount the `type=` volumes among `names` that no running container other than `cid`
    uses (`active`: ids of containers with a recorded run). Idempotent."""
    for name in names:
        vol = store_db.find(name)
        if vol is None or not vol.needs_mount:
            continue
        with volume_lock(paths, name):
            others = [u for u in store_db.users(name) if u != cid and u in active]
            data = data_dir(paths, name)
            while not others and is_mountpoint(data):
                umount(data, detach=True)


def _secure_join(root: str, path: str) -> str | None:
    """`path` inside `root` with every symlink resolved inside `root` (never outside it),
    as the container would see it; None when a component is missing or loops."""
    parts = [p for p in path.split("/") if p and p != "."]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        here = os.path.join(root, *resolved, part)
        if os.path.islink(here):
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(here)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        if not os.path.lexists(here):
            return None
        resolved.append(part)
    return os.path.join(root, *resolved)


def image_has(rootfs: str, dest: str) -> bool:
    """Whether the image holds a non-empty directory at `dest` (something to copy up)."""
    source = _secure_join(rootfs, dest)
    if source is None or not os.path.isdir(source) or os.path.islink(source):
        return False
    with os.scandir(source) as entries:
        return any(True for _ in entries)


def copy_up(rootfs: str, dest: str, data: str) -> None:
    """Docker's copy-up: the image's content at `dest` (and that directory's owner and mode)
    into an empty new volume."""
    source = _secure_join(rootfs, dest)
    if source is None or not os.path.isdir(source) or os.path.islink(source):
        return
    if os.listdir(data):
        return  # only an empty volume is filled
    res = subprocess.run(["cp", "-a", "--no-dereference", source + "/.", data + "/"],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemError_(f"copying {dest} of the image into the volume: "
                           f"{res.stderr.strip() or res.returncode}")


def chown_tree(data: str, uid: int, gid: int) -> None:
    """`:U`: the volume and everything in it owned by the container's user."""
    os.lchown(data, uid, gid)
    for top, dirs, files in os.walk(data):
        for name in dirs + files:
            os.lchown(os.path.join(top, name), uid, gid)


def size(data: str) -> int:
    total = 0
    for top, _, files in os.walk(data):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(top, name))
                total += 0 if os.path.islink(os.path.join(top, name)) else st.st_size
    return total


def untar_into(data: str, source: object) -> None:
    """Unpack a tar stream (a binary file object) into `data` from a child chrooted there:
    `..`, absolute names and symlinks cannot lead a write outside the volume."""
    import tarfile

    fd = source.fileno() if hasattr(source, "fileno") else -1
    if fd < 0:
        raise UsageError("volume import needs a file or a pipe")
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: chroot, unpack, report the error on the pipe
        code = 0
        try:
            os.close(rd)
            os.chroot(data)
            os.chdir("/")
            with os.fdopen(os.dup(fd), "rb") as f, tarfile.open(fileobj=f, mode="r|*") as tar:
                tar.extractall("/", filter="tar")
        except BaseException as exc:
            os.write(wr, str(exc).encode()[:500])
            code = 1
        os._exit(code)
    os.close(wr)
    with os.fdopen(rd, "rb") as r:
        message = r.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise UsageError(f"importing into the volume: {message or 'the unpacking child failed'}")


def usage(store: Store) -> tuple[int, int, int, int]:
    """`system df`'s Local Volumes row: total, active (named by a container), size,
    reclaimable (the size of the others)."""
    if not store.has_table("volumes"):
        return 0, 0, 0, 0
    db = store._db
    names = [r[0] for r in db.execute("SELECT name FROM volumes")]
    active = {n for n in names if volume_users(db, n)}
    sizes = {n: size(data_dir(store.paths, n)) for n in names}
    return (len(names), len(active), sum(sizes.values()),
            sum(s for n, s in sizes.items() if n not in active))
