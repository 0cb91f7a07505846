"""`-u` resolution against a real rootfs directory (files written here, read by the kernel)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supervisor.users import ExecUser, UserLookupError, open_in_root, resolve_user

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice:/home/alice:/bin/sh
nohome:x:1001:1001::
broken line
"""
GROUP = """\
root:x:0:
wheel:x:10:alice,bob
audio:x:29:alice
alice:x:1000:
staff:x:50:
"""


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    return root


def test_default_is_root(rootfs: Path) -> None:
    assert resolve_user(str(rootfs)) == ExecUser(0, 0, (), "/root")


def test_name_brings_group_membership_and_home(rootfs: Path) -> None:
    assert resolve_user(str(rootfs), "alice") == ExecUser(1000, 1000, (10, 29), "/home/alice")


def test_uid_in_passwd_is_the_same_user(rootfs: Path) -> None:
    assert resolve_user(str(rootfs), "1000") == ExecUser(1000, 1000, (10, 29), "/home/alice")


def test_unknown_uid_is_fine_with_gid_0_and_home_slash(rootfs: Path) -> None:
    assert resolve_user(str(rootfs), "4242") == ExecUser(4242, 0, (), "/")


def test_explicit_group_replaces_membership(rootfs: Path) -> None:
    assert resolve_user(str(rootfs), "alice:staff") == ExecUser(1000, 50, (), "/home/alice")
    assert resolve_user(str(rootfs), "4242:777") == ExecUser(4242, 777, (), "/")


def test_group_add(rootfs: Path) -> None:
    user = resolve_user(str(rootfs), "daemon", group_add=["staff", "99", "1"])
    assert user == ExecUser(1, 1, (50, 99), "/usr/sbin")


def test_empty_home_becomes_slash(rootfs: Path) -> None:
    assert resolve_user(str(rootfs), "nohome").home == "/"


def test_unknown_names_are_docker_errors(rootfs: Path) -> None:
    with pytest.raises(UserLookupError) as info:
        resolve_user(str(rootfs), "foo")
    assert str(info.value) == "unable to find user foo: no matching entries in passwd file"
    with pytest.raises(UserLookupError, match="unable to find group nogroup: no matching"):
        resolve_user(str(rootfs), "alice:nogroup")
    with pytest.raises(UserLookupError, match="unable to find group x"):
        resolve_user(str(rootfs), "alice", group_add=["x"])


def test_missing_files_allow_numbers_only(tmp_path: Path) -> None:
    assert resolve_user(str(tmp_path), "5:6") == ExecUser(5, 6, (), "/")
    with pytest.raises(UserLookupError):
        resolve_user(str(tmp_path), "root")


def test_symlinks_resolve_inside_the_root(tmp_path: Path) -> None:
    # Outside the rootfs: a passwd the container must never see.
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("evil:x:666:666::/evil:/bin/sh\n")
    root = tmp_path / "rootfs"
    (root / "usr" / "lib").mkdir(parents=True)
    (root / "usr" / "lib" / "passwd").write_text("good:x:7:7::/good:/bin/sh\n")
    # An absolute link and a climbing relative link both stay under the rootfs.
    (root / "etc").symlink_to("../../../../../usr/lib")
    (root / "usr" / "lib" / "group").symlink_to("/../../etc/passwd")
    assert resolve_user(str(root), "good") == ExecUser(7, 7, (), "/good")
    with pytest.raises(UserLookupError):
        resolve_user(str(root), "evil")


def test_open_in_root_refuses_loops_and_fifos(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    os.mkfifo(tmp_path / "fifo")
    fd = os.open(tmp_path, os.O_PATH | os.O_DIRECTORY)
    try:
        with pytest.raises(OSError, match="too many symbolic links"):
            open_in_root(fd, "/a", os.O_RDONLY)
        with pytest.raises(OSError, match="not a regular file"):
            open_in_root(fd, "/fifo", os.O_RDONLY)
        with pytest.raises(NotADirectoryError):
            open_in_root(fd, "/fifo/x", os.O_RDONLY)
    finally:
        os.close(fd)


def test_fifo_passwd_reads_as_empty(rootfs: Path) -> None:
    (rootfs / "etc" / "passwd").unlink()
    os.mkfifo(rootfs / "etc" / "passwd")
    assert resolve_user(str(rootfs), "7") == ExecUser(7, 0, (), "/")
