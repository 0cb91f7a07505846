"""Pure tests of the -v, --tmpfs and --ulimit parsers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.spec import (
    RLIM_INFINITY,
    Mount,
    SpecError,
    Ulimit,
    parse_mount_volume,
    parse_tmpfs,
    parse_ulimit,
    tmpfs_copyup,
)


def test_volume_defaults_to_recursive_private_rw_bind() -> None:
    assert parse_mount_volume("/host/dir:/ctr") == Mount(
        "/ctr", "/host/dir", "bind", ("rbind", "rw", "rprivate")
    )


def test_volume_options() -> None:
    mount = parse_mount_volume("/h:/c/../d/:ro,Z,nosuid,rshared,bind")
    assert mount.destination == "/d"
    assert mount.options == ("bind", "ro", "rshared", "nosuid")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/only", "expected /host/path:/container/path"),
        ("/a:/b:ro:x", "expected"),
        (":/b", "expected"),
        ("/a:", "expected"),
        ("name:/data", "named volumes are not supported"),
        ("/a:rel", "container path must be absolute"),
        ("/a:/", "destination can't be '/'"),
        ("/a:/b:rw,bogus", "unknown option 'bogus'"),
    ],
)
def test_volume_errors(value: str, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        parse_mount_volume(value)
    assert "\n" not in str(info.value)


def test_tmpfs_defaults_and_options() -> None:
    assert parse_tmpfs("/run") == Mount(
        "/run", "tmpfs", "tmpfs", ("rw", "nosuid", "nodev")
    )
    mount = parse_tmpfs("/run:size=64m,mode=1777,noexec,ro,uid=1000")
    assert mount.options == ("ro", "nosuid", "nodev", "noexec", "size=64m", "mode=1777", "uid=1000")


def test_tmpfs_copyup_is_podmans_default() -> None:
    """The runtime fills a user's tmpfs from the image (runc's tmpcopyup) unless notmpcopyup,
    which is no runtime option and goes; other mounts stay as they are."""
    assert tmpfs_copyup(parse_tmpfs("/run")).options == ("rw", "nosuid", "nodev", "tmpcopyup")
    assert tmpfs_copyup(parse_tmpfs("/run:notmpcopyup")).options == ("rw", "nosuid", "nodev")
    assert tmpfs_copyup(parse_tmpfs("/run:tmpcopyup")).options.count("tmpcopyup") == 1
    bind = Mount("/x", "/y", "bind", ("rbind",))
    assert tmpfs_copyup(bind) is bind


@pytest.mark.parametrize(
    "value",
    ["run", "/", "/run:size=lots", "/run:mode=999", "/run:bogus", "/run:uid=-1", "/run:size"],
)
def test_tmpfs_errors(value: str) -> None:
    with pytest.raises(SpecError, match="invalid tmpfs"):
        parse_tmpfs(value)


def test_ulimit_forms() -> None:
    assert parse_ulimit("nofile=1024:2048") == Ulimit("nofile", 1024, 2048)
    assert parse_ulimit("nproc=50") == Ulimit("nproc", 50, 50)
    assert parse_ulimit("core=-1") == Ulimit("core", RLIM_INFINITY, RLIM_INFINITY)
    assert parse_ulimit("memlock=64:-1") == Ulimit("memlock", 64, RLIM_INFINITY)
    assert parse_ulimit("nofile=10").rlimit_type == "RLIMIT_NOFILE"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nofile", "expected name=soft"),
        ("nofile=", "expected name=soft"),
        ("bogus=1", "unknown type 'bogus'"),
        ("nofile=abc", "'abc' is not a number"),
        ("nofile=10:x", "'x' is not a number"),
        ("nofile=2048:1024", "soft limit 2048 exceeds hard limit 1024"),
        ("nofile=-1:1024", "exceeds hard limit"),
    ],
)
def test_ulimit_errors(value: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_ulimit(value)


@given(st.text(max_size=40))
def test_parsers_raise_only_spec_errors(value: str) -> None:
    for parse in (parse_mount_volume, parse_tmpfs, parse_ulimit):
        try:
            parse(value)
        except SpecError as exc:
            assert "\n" not in str(exc).replace(repr(value), "")
