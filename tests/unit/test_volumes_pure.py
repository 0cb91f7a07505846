"""The pure parsers of -v, --mount and --volumes-from, and the volume name rule."""

from __future__ import annotations

import subprocess
import sys

import pytest

from supervisor.errors import UsageError
from supervisor.spec import Mount
from supervisor.volumes import mounts as vm
from supervisor.volumes.mounts import VolumeMount


def test_named_volume_with_options() -> None:
    v = vm.parse_volume("data:/var/lib/db:ro,U,nocopy,z")
    assert isinstance(v, VolumeMount)
    assert (v.name, v.destination, v.anonymous, v.copy, v.chown) == (
        "data", "/var/lib/db", False, False, True)
    assert v.options == ("rbind", "ro", "rprivate", "nosuid", "nodev")
    assert not v.rw


def test_anonymous_volume_and_bind() -> None:
    anon = vm.parse_volume("/cache/")
    assert anon == VolumeMount("", "/cache", anonymous=True)
    bind = vm.parse_volume("/srv/x:/x:noexec,shared,bind")
    assert bind == Mount("/x", "/srv/x", "bind", ("bind", "rw", "shared", "noexec"))


@pytest.mark.parametrize("name", ["../x", "a b", "x;y", "a/b", "-x", ".hidden", "$(id)", "%n"])
def test_bad_volume_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="names must match"):
        vm.validate_name(name)
    if not name.startswith("."):  # `-v ../x:/d` is a relative host path, as in Podman
        with pytest.raises(UsageError, match="names must match"):
            vm.parse_volume(f"{name}:/d")
        with pytest.raises(UsageError, match="names must match"):
            vm.parse_mount(f"type=volume,src={name},dst=/d")


@pytest.mark.parametrize(("spec", "message"), [
    ("v:rel", 'invalid container path "rel", must be an absolute path'),
    ("v:/m:bogus", 'invalid option type "bogus"'),
    ("v:/m:ro,rw", "can only specify 1 'rw' or 'ro' option"),
    ("v:/m:O,ro", "can't use 'O' with other options"),
    ("/h:/m:U", ":U is supported on volumes only"),
    ("/h:/m:nocopy", "copy and nocopy are for volumes"),
    ("v:/", "cannot be mounted on '/'"),
    ("a:b:c:d", "expected [SOURCE:]DESTINATION[:OPTIONS]"),
    ("rel", "must be an absolute path"),
])
def test_bad_volume_specs(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        vm.parse_volume(spec)
    assert message in str(err.value)


def test_relative_sources_are_made_absolute_by_the_caller() -> None:
    assert vm.absolute_source("./d:/x", "/home/u") == "/home/u/d:/x"
    assert vm.absolute_source("../x:/x:ro", "/home/u") == "/home/x:/x:ro"
    assert vm.absolute_source("vol:/x", "/home/u") == "vol:/x"


def test_mount_forms() -> None:
    assert vm.parse_mount("type=volume,src=v,dst=/d,ro=true,volume-nocopy") == VolumeMount(
        "v", "/d", ("rbind", "ro", "rprivate", "nosuid", "nodev"), copy=False)
    assert vm.parse_mount("type=volume,target=/d") == VolumeMount("", "/d", anonymous=True)
    assert vm.parse_mount("type=bind,source=/h,destination=/d,readonly,bind-propagation=rslave"
                          ) == Mount("/d", "/h", "bind", ("rbind", "ro", "rslave"))
    assert vm.parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777") == Mount(
        "/t", "tmpfs", "tmpfs", ("rw", "nosuid", "nodev", "size=1m", "mode=1777"))
    devpts = vm.parse_mount("type=devpts,destination=/dev/pts2,uid=5")
    assert isinstance(devpts, Mount) and "uid=5" in devpts.options


@pytest.mark.parametrize(("spec", "message"), [
    ("type=foo,dst=/m", 'invalid filesystem type "foo"'),
    ("type=volume,dst=/m,bogus=1", "bogus: invalid mount option"),
    ("type=bind,dst=/m", "needs a source"),
    ("type=volume,src=v,target=rel", "must be an absolute path"),
    ("type=volume,src=x;y,dst=/m", "names must match"),
    ("type=image,dst=/m", "must set source and destination for image volume"),
    ("type=image,src=busybox,dst=/m,readonly=false", "readonly: invalid mount option"),
    ("type=image,src=busybox,dst=/m,rw=maybe", "expected true or false"),
    ("src=v,dst=/m", "type=bind|volume|tmpfs|devpts is required"),
    ("type=tmpfs,dst=/m,tmpfs-mode=rwx", "tmpfs-mode"),
    ("type=volume,dst=/m,ro=maybe", "expected true or false"),
])
def test_bad_mounts(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        vm.parse_mount(spec)
    assert message in str(err.value)


def test_image_and_overlay_mounts_are_recorded_for_the_start() -> None:
    assert vm.parse_mount("type=image,src=busybox,dst=/m") == Mount(
        "/m", "busybox", "image", ("ro",))
    assert vm.parse_mount("type=image,src=busybox,dst=/m,rw=true").options == ("rw",)
    assert vm.parse_mount("type=image,src=busybox,dst=/m,readwrite=true").options == ("rw",)
    assert vm.parse_volume("/h:/m:O") == Mount("/m", "/h", "overlay", ("rw",))
    assert vm.parse_volume("v:/m:O") == VolumeMount(
        "v", "/m", ("rbind", "rw", "rprivate", "nosuid", "nodev"), overlay=True)


def test_volumes_from() -> None:
    assert vm.parse_volumes_from("web") == ("web", None)
    assert vm.parse_volumes_from("web:ro") == ("web", True)
    assert vm.parse_volumes_from("web:rw,z") == ("web", False)
    with pytest.raises(UsageError):
        vm.parse_volumes_from("web:bogus")
    assert vm.with_mode(("rbind", "rw", "rprivate"), True) == ("rbind", "ro", "rprivate")


def test_image_volumes_skip_covered_destinations() -> None:
    out = vm.image_volumes({"/data": {}, "/logs/": {}, "[/etc/foo,": {}}, {"/data"})
    # a relative path is below / (Podman's: its bats check `VOLUME ['/etc/foo', ...]`)
    assert [v.destination for v in out] == ["/logs", "/[/etc/foo,"]
    assert all(v.anonymous and not v.name for v in out)


def test_duplicate_destinations() -> None:
    with pytest.raises(UsageError, match="duplicate mount destination"):
        vm.check_unique(["/a", "/b", "/a"])


def test_teardown_path_imports_only_the_standard_library() -> None:
    """The exit command (python3 -I -S) unmounts volumes and releases anonymous ones."""
    code = ("import sys; import supervisor.volumes.resource, supervisor.volumes.local;"
            " bad = [m for m in sys.modules if m.split('.')[0] in"
            " ('anyio', 'jeepney', 'httpx', 'yaml', 'systemd')]; assert not bad, bad")
    import supervisor

    pkg_root = supervisor.__path__[0].rsplit("/", 1)[0]
    subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, "
                    f"{pkg_root!r}); {code}"], check=True)
