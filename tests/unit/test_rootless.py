"""Rootless mode (issue 17), the pure parts: sub-id files, newuidmap's arguments, the user's
paths, pasta's command line, `--network pasta` and its place among a run's resources."""

from __future__ import annotations

import re

import pytest

from supervisor import rootless
from supervisor.container import resources
from supervisor.errors import UsageError
from supervisor.network.pasta import pasta_args
from supervisor.network.request import NetConfig, NetFlags, PortMap, build, default_mode
from supervisor.network.slirp import hostfwd_request, slirp_args
from supervisor.rootless.subids import Range, mapping_args, mappings, parse
from supervisor.spec import NetworkMode
from tests.unit.configs import config

SUBUID = """\
# comment
alice:100000:65536
1001:300000:1000
bob:165536:65536
alice:bad:1
alice:400000:0
"""


def test_subuid_lines_by_name_or_id_in_file_order() -> None:
    assert parse(SUBUID, "alice", 1001) == [Range(100000, 65536), Range(300000, 1000)]
    assert parse(SUBUID, "carol", 1002) == []


def test_newuidmap_arguments_map_root_to_the_user_then_the_ranges() -> None:
    ranges = [Range(100000, 65536), Range(300000, 1000)]
    assert mapping_args(1001, ranges) == ["0", "1001", "1", "1", "100000", "65536",
                                          "65537", "300000", "1000"]
    assert mappings(1001, ranges)[2] == {"container_id": 65537, "host_id": 300000,
                                         "size": 1000}


def test_user_paths_follow_xdg(tmp_path: object) -> None:
    env = {"HOME": "/home/a", "XDG_DATA_HOME": "/data"}
    assert rootless.data_dir(env) == "/data/scopebox"
    assert rootless.data_dir({"HOME": "/home/a"}) == "/home/a/.local/share/scopebox"
    # a runtime dir that is not the caller's (here: missing) falls back to /tmp, as Podman's
    assert rootless.runtime_dir({"XDG_RUNTIME_DIR": "/nonexistent"}, 1001) == \
        "/tmp/scopebox-run-1001"


def test_pasta_forwards_only_the_published_ports() -> None:
    ports = (PortMap(80, "tcp", 8080), PortMap(53, "udp", 0, "127.0.0.1"))
    args = pasta_args(ports, "/run/ns", "/run/ns.pid")
    assert args == ["--config-net", "--quiet", "--pid", "/run/ns.pid", "-t", "8080:80",
                    "-u", "127.0.0.1/53:53", "-T", "none", "-U", "none", "--netns", "/run/ns"]
    assert pasta_args((), "/n", "/p")[4:8] == ["-t", "none", "-u", "none"]


def test_network_pasta_accepts_published_ports() -> None:
    net = build("pasta", NetFlags(publish=("8080:80",)), "bridge")
    assert net.mode == "pasta" and net.ports == (PortMap(80, "tcp", 8080),)
    assert build("none", NetFlags(publish=("8080:80",)), "bridge").ports == ()  # Podman's
    assert default_mode(None, root=False) in ("slirp4netns", "pasta")
    assert default_mode(None, root=True) == "bridge"


def test_pasta_is_made_before_the_runtime() -> None:
    cfg = config(net=NetConfig(mode="pasta"), network=NetworkMode.PASTA)
    assert [r.name for r in resources.for_run(cfg)] == ["rundir", "rootfs", "pasta", "runtime"]


def test_the_hosts_root_is_not_rootless() -> None:
    import os

    if os.geteuid() == 0 and not rootless.in_user_namespace():
        assert rootless.outer_uid() is None


def test_slirp4netns_is_podmans_configuration_and_ports_go_through_its_api() -> None:
    assert slirp_args("/n", "/a", 5) == ["--configure", "--mtu=65520",
                                         "--disable-host-loopback", "--netns-type=path",
                                         "--api-socket=/a", "--ready-fd=5", "/n", "tap0"]
    assert hostfwd_request(PortMap(80, "tcp", 8080)) == {
        "execute": "add_hostfwd",
        "arguments": {"proto": "tcp", "host_addr": "0.0.0.0", "host_port": 8080,
                      "guest_port": 80}}
    net = build("slirp4netns", NetFlags(publish=("9000:9000", "9001")), "bridge")
    # a port without a host port gets a free one at create (tests/host/test_rootless_host.py)
    assert net.ports == (PortMap(9000, "tcp", 9000), PortMap(9001, "tcp", 0))


def test_limits_name_the_controllers_they_need() -> None:
    from supervisor.resources import ResourceOptions
    from supervisor.rootless.cgroups import needed

    assert needed(ResourceOptions()) == []
    assert needed(ResourceOptions(memory="64m", cpus="0.5", pids_limit=50)) == [
        "cpu", "memory", "pids"]
    assert needed(ResourceOptions(cpuset_cpus="0", device_read_bps=("/dev/vda:1mb",))) == [
        "cpuset", "io"]


def test_the_user_bus_is_where_the_runtimes_look(tmp_path: object) -> None:
    import os
    import socket

    from supervisor.rootless.cgroups import user_bus

    d = str(tmp_path)
    assert user_bus({"XDG_RUNTIME_DIR": d}) is None  # no socket there
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(os.path.join(d, "bus"))
        assert user_bus({"XDG_RUNTIME_DIR": d}) == os.path.join(d, "bus")
        other = os.path.join(d, "other")
        s2 = socket.socket(socket.AF_UNIX)
        s2.bind(other)
        env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={other},guid=1", "XDG_RUNTIME_DIR": d}
        assert user_bus(env) == other
        s2.close()
    with open(os.path.join(d, "file"), "w"):
        pass
    assert user_bus({"DBUS_SESSION_BUS_ADDRESS": f"unix:path={d}/file"}) is None


def test_slirp4netns_options_as_podmans() -> None:
    """`--network slirp4netns:cidr=...,mtu=...,allow_host_loopback=...` (Podman's
    500-networking tests); its other keys refused by name, a bad value in Podman's words."""
    net = build("slirp4netns:cidr=10.0.3.0/24,mtu=1500", NetFlags(), "bridge")
    assert (net.mode, net.target) == ("slirp4netns", "cidr=10.0.3.0/24,mtu=1500")
    assert slirp_args("/n", "/a", 5, net.target) == [
        "--configure", "--mtu=1500", "--disable-host-loopback", "--cidr=10.0.3.0/24",
        "--netns-type=path", "--api-socket=/a", "--ready-fd=5", "/n", "tap0"]
    assert "--disable-host-loopback" not in slirp_args(
        "/n", "/a", 5, "allow_host_loopback=true")
    # slirp4netns's own port handler is the one scopebox uses (700-play.bats passes it)
    net = build("slirp4netns:port_handler=slirp4netns", NetFlags(), "bridge")
    assert slirp_args("/n", "/a", 5, net.target)[:3] == [
        "--configure", "--mtu=65520", "--disable-host-loopback"]
    for value, words in (("bogus=1", 'unknown option for slirp4netns: "bogus=1"'),
                         ("port_handler=rootlesskit", "port_handler=rootlesskit is not"),
                         ("port_handler=x", 'unknown port_handler for slirp4netns: "x"'),
                         ("cidr=xx", 'invalid cidr "xx"'),
                         ("enable_ipv6=true", "enable_ipv6 is not supported by scopebox"),
                         ("mtu=9", "invalid mtu")):
        with pytest.raises(UsageError, match=re.escape(words)):
            build(f"slirp4netns:{value}", NetFlags(), "bridge")
