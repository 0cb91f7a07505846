"""Pure: run/create's network flags parsed as Docker and Podman read them (network/request.py)
and the /etc files they make (network/etc.py)."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.network import etc
from supervisor.network.request import (
    PORTS_DISCARDED,
    Attach,
    NetConfig,
    NetFlags,
    PortMap,
    build,
    exposed_ports,
    parse_network,
    parse_publish,
)


@pytest.mark.parametrize(("text", "want"), [
    ("80", [PortMap(80, "tcp", 0, "")]),
    ("8080:80", [PortMap(80, "tcp", 8080, "")]),
    ("127.0.0.1:8080:80/udp", [PortMap(80, "udp", 8080, "127.0.0.1")]),
    ("127.0.0.1::80", [PortMap(80, "tcp", 0, "127.0.0.1")]),
    ("0:80", [PortMap(80, "tcp", 0, "")]),
    ("8000-8001:80-81", [PortMap(80, "tcp", 8000, ""), PortMap(81, "tcp", 8001, "")]),
    ("90-91", [PortMap(90, "tcp", 0, ""), PortMap(91, "tcp", 0, "")]),
    ("53:53/tcp,udp", [PortMap(53, "tcp", 53, ""), PortMap(53, "udp", 53, "")]),
    ("9:9/sctp", [PortMap(9, "sctp", 9, "")]),
    # net6: IPv6 host addresses in brackets ([::] is every address)
    ("[2001:db8::1]:8080:80", [PortMap(80, "tcp", 8080, "2001:db8::1")]),
    ("[2001:DB8:0::1]::53/udp", [PortMap(53, "udp", 0, "2001:db8::1")]),
    ("[::]:8080:80", [PortMap(80, "tcp", 8080, "")]),
])
def test_publish_forms(text: str, want: list[PortMap]) -> None:
    assert parse_publish(text) == want


@pytest.mark.parametrize(("text", "words"), [
    ("99999:80", "between 1 and 65535 (inclusive), got 99999"),
    ("8000-8010:80", "different lengths: 11 vs 1"),
    ("81-80", "ends before it starts"),
    ("80/icmp", "tcp, udp or sctp"),
    ("[::1]:80:80", "IPv6 loopback"),
    ("[2001:db8::1]:80", "expected [IPv6 address]:[hostPort]:containerPort"),
    ("[2001:db8::1:80:80", "expected [IPv6 address]"),
    ("[10.0.0.1]:80:80", "not an IPv6 address"),
    ("a:b:c:d", "expected [hostIP:]"),
    ("8080:", "expected [hostIP:]"),
    ("x:80:80", "not an IPv4 address"),
])
def test_publish_refused(text: str, words: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_publish(text)
    assert words in str(info.value)


def test_network_forms() -> None:
    assert parse_network("none") == ("none", "", ())
    assert parse_network("bridge") == ("bridge", "", (Attach("podman"),))
    assert parse_network("a,b") == ("bridge", "", (Attach("a"), Attach("b")))
    assert parse_network("a:ip=10.1.0.5,alias=x,alias=y,mac=02:00:00:00:00:01,b") == (
        "bridge", "", (Attach("a", "10.1.0.5", "02:00:00:00:00:01", ("x", "y")), Attach("b")))
    assert parse_network("a:ip6=FD00::5,ip=10.1.0.5") == (  # net6
        "bridge", "", (Attach("a", "10.1.0.5", ip6="fd00::5"),))
    assert parse_network("container:web") == ("container", "web", ())
    assert parse_network("ns:/run/netns/x") == ("ns", "/run/netns/x", ())
    for bad in ("ns:relative", "a;b", "a:foo=1", "slirp4netns:x=1", "a,a",
                "a:mac=01:00:00:00:00:00", "a:ip6=10.0.0.1", "a:ip6=zz"):
        with pytest.raises(UsageError):
            parse_network(bad)


def test_build_applies_global_flags_and_checks_conflicts() -> None:
    cfg = build("", NetFlags(ip="10.88.0.9", aliases=("web",), publish=("80",)), "bridge")
    assert cfg.networks == (Attach("podman", "10.88.0.9", "", ("web",)),)
    assert cfg.ports == (PortMap(80),)
    assert build("", NetFlags(), "none").mode == "none"
    with pytest.raises(UsageError, match="published twice"):
        build("", NetFlags(publish=("8080:80", "8080:81")), "bridge")
    with pytest.raises(UsageError, match="exactly one network"):
        build("a,b", NetFlags(ip="10.0.0.1"), "bridge")
    with pytest.raises(UsageError, match="--dns"):
        build("container:x", NetFlags(dns=("1.1.1.1",)), "bridge")
    # Podman 4.3 takes --dns with --network host (its own resolv.conf)
    assert build("host", NetFlags(dns=("1.1.1.1",)), "bridge").dns == ("1.1.1.1",)


@pytest.mark.parametrize("mode", ["host", "none", "container:other"])
def test_ports_discarded_with_a_warning_outside_a_bridge(mode: str) -> None:
    """Podman 4.3 runs the container without the ports and says so in its own words."""
    from supervisor import notices

    heard: list[str] = []
    before = notices._sink
    notices.listen(heard.append)
    try:
        cfg = build(mode, NetFlags(publish=("8080",), publish_all=True), "bridge")
    finally:
        notices._sink = before
        notices._said.discard(PORTS_DISCARDED)
    assert cfg.ports == () and not cfg.publish_all
    assert heard == [PORTS_DISCARDED] and PORTS_DISCARDED in notices.verbatim
    assert PORTS_DISCARDED.startswith("Port mappings have been discarded as one of the Host,")


def test_publish_all_takes_exposed_ports_not_published() -> None:
    cfg = NetConfig(mode="bridge", ports=(PortMap(80, "tcp", 8080),), expose=("70/udp",),
                    publish_all=True)
    assert exposed_ports(cfg, {"80/tcp": {}, "443/tcp": {}}) == [
        PortMap(70, "udp"), PortMap(443, "tcp")]


def test_hosts_with_a_base_file_as_podman() -> None:
    """containers.conf's base_hosts_file (comments dropped) after --add-host; what it names
    is not added again: its localhost, host.containers.internal, the container itself."""
    base = "10.9.9.9 b1\n# a comment\n10.9.9.8 b2 #some comment\n127.0.0.1 localhost\n"
    hosts = etc.hosts_text(["abc", "web"], ["10.88.0.2"], "10.88.0.1", ["h3:10.0.0.3"], base,
                           "10.7.7.7")
    assert hosts == ("10.0.0.3\th3\n10.9.9.9\tb1\n10.9.9.8\tb2\n127.0.0.1\tlocalhost\n"
                     "10.7.7.7\thost.containers.internal\n10.88.0.2\tabc web\n")
    named = etc.hosts_text(["b1", "b1"], ["10.88.0.2"], "10.88.0.1", [], base)
    assert named.splitlines() == ["10.9.9.9\tb1", "10.9.9.8\tb2", "127.0.0.1\tlocalhost",
                                  "10.88.0.1\thost.containers.internal"]


def test_etc_files() -> None:
    hosts = etc.hosts_text(["abc", "web", "www"], ["10.88.0.2"], "10.88.0.1",
                           ["db:10.0.0.3", "gw:host-gateway"])
    assert hosts == ("10.0.0.3\tdb\n10.88.0.1\tgw\n127.0.0.1\tlocalhost\n::1\tlocalhost\n"
                     "10.88.0.1\thost.containers.internal\n10.88.0.2\tabc web www\n")
    host = "search lan\nnameserver 127.0.0.53\noptions edns0\n"
    assert etc.resolv_text(host, NetConfig(), ()) == (
        "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n")
    assert etc.resolv_text(host, NetConfig(), ("10.89.0.1",)) == (
        "search dns.podman lan\nnameserver 10.89.0.1\noptions edns0\n")
    mine = NetConfig(dns=("9.9.9.9",), dns_search=("x.y",), dns_options=("ndots:3",))
    assert etc.resolv_text(host, mine, ("10.89.0.1",)) == (
        "search x.y\nnameserver 9.9.9.9\noptions ndots:3\n")
