"""Entries Podman adds to a container's /etc/passwd and /etc/group at start (`run --passwd`,
on by default; `--passwd-entry`, `--hostuser`), with Podman 4.3's rules and words:

- `-u UID[:GID]` naming a uid the image's passwd lacks gets `UID:*:UID:GID:container user:
  WORKDIR:/bin/sh` (GID 0 unless given), and a numeric group the image's group file lacks gets
  `GID:x:GID:USER`; so `whoami`, `id`, shells and ssh-like tools find the user.
- `--hostuser NAME|UID` copies a host account (`NAME:*:UID:GID:GECOS:HOME:/bin/sh`, HOME the
  working directory unless the account's home is mounted) unless the image has that name or
  uid; HOME is set to it when neither the image nor `-e` sets HOME.
- `--passwd-entry TEMPLATE` replaces the line's format: `$USERNAME $UID $GID $NAME $HOME`.

The files are changed in place in the container's root (the next start finds the entries and
adds nothing), or, with `--read-only`, written to the container's dir (the image's file and the
additions, at each start) and bound over the image's. Nothing is done for a file the image
lacks or a user mounted.
`plan` is pure; `apply` does the reading and writing, through `users.open_in_root` (an image's
/etc/passwd may be a symlink pointing anywhere: it is resolved inside the root).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from supervisor.errors import CommandCannotRun
from supervisor.options import UserFlags
from supervisor.users import open_in_root


@dataclass(frozen=True)
class HostUser:
    """A user of the host's passwd database."""

    name: str
    uid: int
    gid: int
    gecos: str  # its first field, as Go's user.Lookup gives it
    home: str


@dataclass(frozen=True)
class Plan:
    """The /etc/passwd and /etc/group lines a container gets added."""

    passwd: str = ""  # lines to add
    group: str = ""
    host_home: str = ""  # HOME for the first host user added (unless the env sets one)
    user_home: str = ""  # the -u entry's home, when one is added


@dataclass(frozen=True)
class Result:
    """What the spec needs: files to bind over the image's (read-only root), HOME."""

    binds: dict[str, str] = field(default_factory=dict)  # container path -> host file
    host_home: str = ""
    user_home: str = ""


def lookup_host_user(ref: str) -> HostUser:
    """Podman's util.LookupUser: by uid first, then by name; Go's error words."""
    import pwd

    entry = None
    if ref.isascii() and ref.isdigit():
        try:
            entry = pwd.getpwuid(int(ref))
        except (KeyError, OverflowError):
            entry = None
    if entry is None:
        try:
            entry = pwd.getpwnam(ref)
        except KeyError:
            raise LookupError(f"user: unknown user {ref}") from None
    gecos = entry.pw_gecos.split(",", 1)[0]
    return HostUser(entry.pw_name, entry.pw_uid, entry.pw_gid, gecos, entry.pw_dir)


def _fields(text: str) -> list[list[str]]:
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def _has(text: str, ref: str) -> bool:
    """runc's lookup: an entry whose name is `ref`, or whose id is `ref` as a number."""
    for f in _fields(text):
        if f[0] == ref or (len(f) > 2 and ref.isdigit() and f[2] == str(int(ref))):
            return True
    return False


def _entry(template: str, name: str, uid: int, gid: int, gecos: str, home: str) -> str:
    if not template:
        return f"{name}:*:{uid}:{gid}:{gecos}:{home}:/bin/sh\n"
    out = template
    for key, value in (("$USERNAME", name), ("$UID", str(uid)), ("$GID", str(gid)),
                       ("$NAME", gecos), ("$HOME", home)):
        out = out.replace(key, value)
    return out + "\n"


def plan(
    flags: UserFlags,
    user: str,
    passwd: str | None,
    group: str | None,
    workdir: str,
    host_users: Sequence[HostUser],
    mounted: Iterable[str] = (),
) -> Plan:
    """The lines to add, given the image's files (None: the image has none) and the host
    accounts `--hostuser` named (already looked up)."""
    if not flags.passwd:
        return Plan()
    mounted = set(mounted)
    add_passwd = add_group = ""
    host_home = user_home = ""
    added_uid = 0
    if passwd is not None:
        for hu in host_users:
            home = hu.home if _home_mounted(hu.home, mounted) else workdir
            line = _entry(flags.passwd_entry, hu.name, hu.uid, hu.gid, hu.gecos, home)
            if line in passwd.splitlines(keepends=True):
                host_home = host_home or home  # added by an earlier start: still its HOME
                continue
            if _has(passwd, hu.name) or _has(passwd, str(hu.uid)):
                continue
            add_passwd += line
            host_home = host_home or home
            added_uid = hu.uid
        line = _user_entry(flags.passwd_entry, user, passwd, group, workdir, added_uid)
        if line:
            add_passwd += line
            user_home = workdir
    if group is not None:
        add_group = _group_entry(user, group)
    return Plan(add_passwd, add_group, host_home, user_home)


def _home_mounted(home: str, mounted: set[str]) -> bool:
    """Podman keeps the account's home when it, or a directory above it, is a mount."""
    path = os.path.normpath(home) if home else "/"
    while path != "/":
        if path in mounted:
            return True
        path = os.path.dirname(path)
    return False


def _user_entry(
    template: str, user: str, passwd: str, group: str | None, workdir: str, added_uid: int
) -> str:
    name, _, group_ref = user.partition(":")
    if not (name.isascii() and name.isdigit()) or _has(passwd, name):
        return ""
    uid = int(name)
    if added_uid and uid == added_uid:
        return ""
    gid = 0
    if group_ref.isascii() and group_ref.isdigit():
        gid = int(group_ref)
    elif group_ref:
        found = [f for f in _fields(group or "") if f[0] == group_ref and len(f) > 2]
        if not found or not found[0][2].isdigit():
            return ""  # users.resolve_user says that the group is unknown
        gid = int(found[0][2])
    return _entry(template, str(uid), uid, gid, "container user", workdir)


def _group_entry(user: str, group: str) -> str:
    name, _, group_ref = user.partition(":")
    ref = group_ref or name
    if not name or not (ref.isascii() and ref.isdigit()) or _has(group, ref):
        return ""
    return f"{int(ref)}:x:{int(ref)}:{name}\n"


# the impure part ----------------------------------------------------------------------------


def apply(
    rootfs: str,
    cdir: str,
    cid: str,
    flags: UserFlags,
    user: str,
    workdir: str,
    read_only: bool,
    mounted: Sequence[str],
) -> Result:
    """Add the entries (in place, or in the container's dir for a read-only root)."""
    if not flags.passwd or (not user and not flags.hostusers):
        return Result()
    try:
        host_users = [lookup_host_user(ref) for ref in flags.hostusers]
    except LookupError as exc:
        raise CommandCannotRun(f"creating temporary passwd file for container {cid}: {exc}"
                               ) from None
    binds: dict[str, str] = {}
    root_fd = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        files = {name: None if f"/etc/{name}" in mounted else _read(root_fd, f"/etc/{name}")
                 for name in ("passwd", "group")}
        todo = plan(flags, user, files["passwd"], files["group"], workdir, host_users, mounted)
        for name, lines in (("passwd", todo.passwd), ("group", todo.group)):
            text = files[name]
            if not lines or text is None:
                continue
            sep = "" if not text or text.endswith("\n") else "\n"
            if read_only:  # the image's file and the lines, again at each start
                binds[f"/etc/{name}"] = _write_kept(os.path.join(cdir, name), text + sep + lines)
            else:
                _append(root_fd, f"/etc/{name}", sep + lines)
    finally:
        os.close(root_fd)
    return Result(binds, todo.host_home, todo.user_home)


def _read(root_fd: int, path: str) -> str | None:
    try:
        fd = open_in_root(root_fd, path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ELOOP):
            return None  # not a regular file: leave it alone
        raise
    with os.fdopen(fd, "rb") as f:
        return f.read(16 << 20).decode("utf-8", "replace")


def _append(root_fd: int, path: str, text: str) -> None:
    fd = open_in_root(root_fd, path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "wb") as f:
        f.write(text.encode())


def _write_kept(path: str, text: str) -> str:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path
