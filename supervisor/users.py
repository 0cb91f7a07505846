"""Resolve `-u user[:group]` against the container's own /etc/passwd and /etc/group.

The rootfs comes from an image, so its files may be symlinks pointing anywhere: every path
is resolved component by component under the rootfs, symlinks included, and never leaves it.
Semantics follow Docker/runc: a user named or numbered in passwd brings its primary group,
home and the groups that list it as a member; an explicit group replaces all of that.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from supervisor.errors import UsageError

_MAX_SYMLINKS = 40
_MAX_FILE_BYTES = 16 << 20


class UserLookupError(UsageError):
    """`-u` or `--group-add` names a user or group the container's files do not know."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind  # "user" or "group"
        self.name = name
        file = "passwd" if kind == "user" else "group"
        super().__init__(f"unable to find {kind} {name}: no matching entries in {file} file")


@dataclass(frozen=True)
class ExecUser:
    """The ids (and home) a container's process runs as."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str  # for HOME when the image and the user set none


@dataclass(frozen=True)
class _Passwd:
    """One line of the container's /etc/passwd."""

    name: str
    uid: int
    gid: int
    home: str


@dataclass(frozen=True)
class _Group:
    """One line of the container's /etc/group."""

    name: str
    gid: int
    members: tuple[str, ...]


def resolve_user(
    rootfs: str, user: str = "", group_add: Sequence[str] = (), *, root_fd: int | None = None
) -> ExecUser:
    """The uid, gid, supplementary gids and home for `user` inside `rootfs`.

    `user` is `name`, `uid`, `name:group` or `uid:gid` (empty = root). Pass `root_fd`
    (an open directory) instead of `rootfs` to resolve against an already opened root.
    """
    fd = root_fd if root_fd is not None else os.open(rootfs, os.O_PATH | os.O_DIRECTORY)
    try:
        passwd = [_parse_passwd(line) for line in _read_lines(fd, "/etc/passwd")]
        groups = [_parse_group(line) for line in _read_lines(fd, "/etc/group")]
    finally:
        if root_fd is None:
            os.close(fd)
    return _resolve(
        user,
        group_add,
        [p for p in passwd if p is not None],
        [g for g in groups if g is not None],
    )


def _resolve(
    user: str, group_add: Sequence[str], passwd: list[_Passwd], groups: list[_Group]
) -> ExecUser:
    user_arg, _, group_arg = (user or "0").partition(":")
    entry = _find_user(user_arg, passwd)
    uid = entry.uid if entry is not None else int(user_arg)
    gid = entry.gid if entry is not None else 0
    home = entry.home if entry is not None and entry.home else "/"
    extra: list[int] = []
    if group_arg:
        gid = _find_group(group_arg, groups)
    elif entry is not None:
        extra = [g.gid for g in groups if entry.name in g.members]
    extra += [_find_group(name, groups) for name in group_add]
    return ExecUser(uid, gid, tuple(dict.fromkeys(g for g in extra if g != gid)), home)


def _find_user(arg: str, passwd: list[_Passwd]) -> _Passwd | None:
    """The passwd entry for a name or number; None for a number passwd lacks."""
    for entry in passwd:
        if entry.name == arg:
            return entry
    if not _is_number(arg):
        raise UserLookupError("user", arg)
    return next((e for e in passwd if e.uid == int(arg)), None)


def _find_group(arg: str, groups: list[_Group]) -> int:
    for entry in groups:
        if entry.name == arg:
            return entry.gid
    if _is_number(arg):
        return int(arg)
    raise UserLookupError("group", arg)


def _is_number(text: str) -> bool:
    # ASCII digits only: str.isdigit() accepts "²", which int() rejects.
    return text.isascii() and text.isdigit()


def _parse_passwd(line: str) -> _Passwd | None:
    fields = line.split(":")
    if len(fields) < 4 or not _is_number(fields[2]) or not _is_number(fields[3]):
        return None
    home = fields[5] if len(fields) > 5 else ""
    return _Passwd(fields[0], int(fields[2]), int(fields[3]), home)


def _parse_group(line: str) -> _Group | None:
    fields = line.split(":")
    if len(fields) < 3 or not _is_number(fields[2]):
        return None
    members = tuple(m for m in fields[3].split(",") if m) if len(fields) > 3 else ()
    return _Group(fields[0], int(fields[2]), members)


def _read_lines(root_fd: int, path: str) -> Iterator[str]:
    """Lines of a file under the root; a missing file reads as empty (like runc)."""
    try:
        fd = open_in_root(root_fd, path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return iter(())
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        return iter(())
    with os.fdopen(fd, "rb") as file:
        data = file.read(_MAX_FILE_BYTES)
    lines = data.decode("utf-8", "replace").splitlines()
    return (line for line in lines if line.strip() and not line.startswith("#"))


def open_in_root(root_fd: int, path: str, flags: int) -> int:
    """Open `path` as if `root_fd` were `/`: symlinks and `..` cannot climb out of it."""
    todo = [c for c in reversed(path.split("/")) if c not in ("", ".")]
    stack = [os.dup(root_fd)]  # fds of the directories walked; stack[0] is the root
    links = 0
    try:
        while todo:
            name = todo.pop()
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1])
            mode = os.fstat(fd).st_mode
            if stat.S_ISLNK(mode):
                target = os.readlink(name, dir_fd=stack[-1])
                os.close(fd)
                links += 1
                if links > _MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, "too many symbolic links", path)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo.extend(c for c in reversed(target.split("/")) if c not in ("", "."))
                continue
            stack.append(fd)
            if todo and not stat.S_ISDIR(mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        final = os.fstat(stack[-1]).st_mode
        if not (stat.S_ISREG(final) or stat.S_ISDIR(final)):
            # A FIFO or device planted in an image must neither block us nor act when opened.
            raise OSError(errno.EINVAL, "not a regular file or directory", path)
        # Reopening an O_PATH fd through /proc follows no further names: it is the inode found.
        return os.open(f"/proc/self/fd/{stack[-1]}", flags | os.O_CLOEXEC)
    finally:
        for fd in stack:
            os.close(fd)
