"""--userns, --uidmap, --gidmap, --subuidname: Podman 4.3's rules and messages, the auto
allocation and the keep-id map (supervisor/idmaps.py, pure parts)."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.idmaps import (
    IdRange,
    Userns,
    UsernsFacts,
    allocate,
    apply,
    host_config,
    keep_id_map,
    validate,
)
from supervisor.options import UsernsOptions

SUBS = {"containers": (IdRange(0, 300000, 200000),)}
FACTS = UsernsFacts(subuids=SUBS, subgids=SUBS, existing=frozenset({"/ns"}),
                    containers={"other": ("c" * 64, Userns("private", uid_map=(IdRange(0, 5, 9),),
                                                           gid_map=(IdRange(0, 6, 9),)))})
ROOTLESS = UsernsFacts(rootless=True, outer_uid=1000, outer_gid=1000, ns_uids=65537,
                       ns_gids=65537)


@pytest.mark.parametrize(("opts", "message"), [
    (UsernsOptions("bogus"), "unrecognized namespace mode bogus passed"),
    (UsernsOptions("private"), "must provide at least one UID or GID mapping to configure a"
                               " user namespace"),
    (UsernsOptions("keep-id"), "keep-id is only supported in rootless mode"),
    (UsernsOptions("nomap"), "nomap is only supported in rootless mode"),
    (UsernsOptions("ns:/nope"), "cannot find specified user namespace path: stat /nope: no"
                                " such file or directory"),
    (UsernsOptions("container:"), "invalid config provided: namespace mode container requires"
                                  " a value"),
    (UsernsOptions("container:nosuch"), 'looking up container to share user namespace with:'
                                        ' no container with name or ID "nosuch" found: no such'
                                        ' container'),
    (UsernsOptions("auto", ["0:1:1"]), "--userns and --uidmap/--gidmap/--subuidname/"
                                       "--subgidname are mutually exclusive"),
    (UsernsOptions(None, ["0:1:1", "bad"]), 'initializing ID mappings: UID setting is malformed'
                                            ' expected ["uint32:uint32:uint32"]: ["0:1:1" "bad"]'),
    (UsernsOptions(None, [], ["-1:1:1"]), "UID setting is malformed"),  # (Podman's word)
    (UsernsOptions(None, subuidname="nosuch"), 'no subuid ranges found for user "nosuch" in'
                                               " /etc/subuid"),
    (UsernsOptions(None, ["0:1:1"], subuidname="containers"),
     "the specified UID and/or GID mapping 0:1:1 conflicts with other mappings"),
    (UsernsOptions("auto:bad=1"), 'unknown option specified: "bad"'),
    (UsernsOptions("auto:size=abc"), 'strconv.ParseUint: parsing "abc": invalid syntax'),
    (UsernsOptions("auto:uidmapping=x"), "failed to create ParseUIDMap UID=[x]: initializing"),
])  # fmt: skip
def test_bad_input_gets_podmans_words(opts: UsernsOptions, message: str) -> None:
    with pytest.raises(UsageError) as err:
        validate(opts, FACTS)
    assert message in str(err.value)


def test_maps_given_and_what_inspect_shows() -> None:
    one = validate(UsernsOptions(None, ["0:100000:10,10:200:1"]), FACTS)
    assert one.uid_map == one.gid_map == (IdRange(0, 100000, 10), IdRange(10, 200, 1))
    assert host_config(one) == {"UsernsMode": "private", "IDMappings": {
        "UidMap": ["0:100000:10", "10:200:1"], "GidMap": ["0:100000:10", "10:200:1"]}}
    sub = validate(UsernsOptions(None, subuidname="containers"), FACTS)
    assert sub.uid_map == sub.gid_map == (IdRange(0, 300000, 200000),)
    joined = validate(UsernsOptions("container:other"), FACTS)
    assert host_config(joined)["UsernsMode"] == f"container:{'c' * 64}"
    assert joined.to_host(3, 3) == (8, 9)
    assert host_config(validate(UsernsOptions("host"), FACTS)) == {"UsernsMode": "",
                                                                   "IDMappings": None}


def test_keep_id_maps_the_user_to_itself_and_the_sub_ids_around_it() -> None:
    assert keep_id_map(1000, 65537) == (IdRange(1000, 0, 1), IdRange(0, 1, 1000),
                                        IdRange(1001, 1001, 64536))
    assert keep_id_map(0, 3) == (IdRange(0, 0, 1), IdRange(1, 1, 2))
    u = validate(UsernsOptions("keep-id:uid=5,gid=6"), ROOTLESS)
    assert (u.user, u.uid_map[0], u.gid_map[0]) == ("5:6", IdRange(5, 0, 1), IdRange(6, 0, 1))
    nomap = validate(UsernsOptions("nomap"), ROOTLESS)
    assert nomap.uid_map == (IdRange(0, 1, 65536),)


def test_auto_takes_the_first_free_range_past_other_containers() -> None:
    avail = (IdRange(0, 300000, 200000),)
    first = allocate(validate(UsernsOptions("auto"), FACTS), [], avail, 1)
    assert first.uid_map == (IdRange(0, 300000, 1024),)
    second = allocate(validate(UsernsOptions("auto:size=500"), FACTS), [first], avail, 1)
    assert second.uid_map == (IdRange(0, 301024, 500),)
    forced = allocate(validate(UsernsOptions("auto:uidmapping=0:10:5,gidmapping=0:20:5"),
                               FACTS), [first, second], avail, 1)
    assert forced.uid_map == (IdRange(5, 301524, 1019), IdRange(0, 10, 5))
    assert forced.gid_map == (IdRange(5, 301524, 1019), IdRange(0, 20, 5))
    assert allocate(validate(UsernsOptions("auto"), FACTS), [], avail, 70000).uid_map == (
        IdRange(0, 300000, 65536),)  # the image's ids, at most auto_userns_max_size
    with pytest.raises(UsageError, match="could not find enough available IDs"):
        allocate(validate(UsernsOptions("auto:size=300000"), FACTS), [], avail, 1)
    with pytest.raises(UsageError, match="could not find enough available IDs"):
        allocate(validate(UsernsOptions("auto"), FACTS), [], (), 1)


def test_the_runtime_config_gets_the_namespace_and_its_maps() -> None:
    def spec() -> dict:  # type: ignore[type-arg]
        return {"linux": {"namespaces": [{"type": "mount"}]},
                "mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs"}]}

    out = spec()
    apply(out, validate(UsernsOptions(None, ["0:100000:10"]), FACTS), lambda cid: "")
    assert out["linux"]["namespaces"][-1] == {"type": "user"}
    assert out["linux"]["uidMappings"] == [{"containerID": 0, "hostID": 100000, "size": 10}]
    assert out["mounts"][0]["type"] == "bind"  # no netns of its own: the host's /sys bound
    joined = spec()
    apply(joined, validate(UsernsOptions("ns:/ns"), FACTS), lambda cid: "",
          lambda path: ([IdRange(0, 7, 1)], [IdRange(0, 8, 1)]))
    assert joined["linux"]["namespaces"][-1] == {"type": "user", "path": "/ns"}
    assert joined["linux"]["gidMappings"] == [{"containerID": 0, "hostID": 8, "size": 1}]
    untouched = spec()
    apply(untouched, validate(UsernsOptions(), FACTS), lambda cid: "")
    assert untouched == spec()
