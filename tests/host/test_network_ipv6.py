"""IPv6 on bridge networks (net6), as a user runs it: `network create --ipv6` / a v6 `--subnet`,
`run --ip6` and `ip6=`, addresses and default routes in the container, /etc/hosts, `inspect`,
AAAA answers of the DNS responder, published ports reached over IPv6 (from the "host", from
another container, hairpin), and nothing left behind.

The CLI runs under `nsenter --net=HOST`, HOST a private network namespace the test makes (with
2001:db8::1 and 192.0.2.1 on a veth standing for the host's own addresses): nothing here
touches this machine's own network namespace."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import sys
from collections.abc import Iterator

import pytest

from supervisor.network import netlink
from tests.clihelp import Scopebox, wait_for
from tests.host.test_network_run import HTTPD, in_ctr_get, leaks, sh, table

pytestmark = pytest.mark.skipif(
    shutil.which("nft") is None or shutil.which("unshare") is None or os.geteuid() != 0
    or not os.path.exists("/proc/net/if_inet6"),
    reason="needs root, IPv6 in the kernel, nft (Debian nftables) and unshare",
)
HOST6 = "2001:db8::1"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("hostns6") / "ns")
    netlink.create_netns(path)
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "add", "h0", "type", "veth", "peer", "name", "h1"],
                ["ip", "addr", "add", "192.0.2.1/24", "dev", "h0"],
                ["ip", "addr", "add", f"{HOST6}/64", "dev", "h0", "nodad"],
                ["ip", "link", "set", "h0", "up"], ["ip", "link", "set", "h1", "up"]):
        sh(path, *cmd)
    yield path
    netlink.remove_netns(path)


@pytest.fixture(scope="module")
def sb(host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("scopebox6")
    box = Scopebox({"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run"),
                    "SCOPEBOX_NETNS": "bridge"}, wrap=["nsenter", f"--net={host}"])
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")
    assert leaks(box, host) == []


GET = """
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())
except OSError as exc:
    print("failed", exc)
"""


def get6(ns: str, url: str) -> str:
    """From the "host" (python: static busybox's wget crashes on IPv6 URLs at times; in
    containers `in_ctr_get` uses its nc)."""
    return sh(ns, sys.executable, "-c", GET, url).stdout.strip()


def test_ipv6_alone_allocates_an_ipv4_and_a_ula_subnet(sb: Scopebox) -> None:
    sb("network", "create", "--ipv6", "auto6")
    (net,) = json.loads(sb("network", "inspect", "auto6").stdout)
    v4, v6 = (ipaddress.ip_network(s["subnet"]) for s in net["subnets"])
    assert (v4.version, v6.version, v6.prefixlen, net["ipv6_enabled"]) == (4, 6, 64, True)
    assert v6.subnet_of(ipaddress.IPv6Network("fd00::/8"))  # a ULA, as Podman's
    assert net["subnets"][1]["gateway"] == str(v6[1])
    sb("network", "rm", "auto6")


def test_dual_stack_container(sb: Scopebox, host: str) -> None:
    sb("network", "create", "--subnet", "10.93.0.0/24", "--subnet", "fd93::/64", "ds")
    cid = sb("run", "-d", "--name", "web6", "--network", "ds", "-p", "8080:80",
             "-p", f"[{HOST6}]:8081:80", "busybox", *HTTPD).stdout.strip()
    sb("run", "-d", "--name", "cli6", "--network", "ds:ip6=fd93::99", "busybox",
       "sleep", "1000")
    hello = f"hello-{cid[:12]}"
    # in the container: both addresses, a default route of each family
    addrs = sb("exec", "web6", "ip", "addr", "show", "eth0").stdout
    assert "inet 10.93.0.2/24" in addrs and "inet6 fd93::2/64 scope global" in addrs
    assert "tentative" not in addrs.split("fd93::2")[1].splitlines()[0]  # usable at once
    assert "default via fd93::1 dev eth0" in sb("exec", "web6", "ip", "-6", "route").stdout
    assert "default via 10.93.0.1 dev eth0" in sb("exec", "web6", "ip", "route").stdout
    hosts = sb("exec", "web6", "cat", "/etc/hosts").stdout
    assert f"10.93.0.2\t{cid[:12]} web6\n" in hosts and f"fd93::2\t{cid[:12]} web6\n" in hosts
    # inspect: Podman's v6 fields; the top level stays empty off the default network
    settings = sb.inspect("web6")["NetworkSettings"]
    assert isinstance(settings, dict)
    ds = settings["Networks"]["ds"]
    assert (ds["GlobalIPv6Address"], ds["GlobalIPv6PrefixLen"], ds["IPv6Gateway"],
            ds["IPAddress"]) == ("fd93::2", 64, "fd93::1", "10.93.0.2")
    assert (settings["IPAddress"], settings["GlobalIPv6Address"]) == ("", "")
    cli = sb.inspect("cli6")["NetworkSettings"]
    assert isinstance(cli, dict) and cli["Networks"]["ds"]["GlobalIPv6Address"] == "fd93::99"
    # traffic: container to container, host to the published port over both families,
    # another container through the host's IPv6 address, the container itself (hairpin)
    wait_for(lambda: get6(host, "http://[fd93::2]:80/") == hello, what="httpd over IPv6")
    assert in_ctr_get(sb, "cli6", "fd93::2", 80) == hello
    assert get6(host, f"http://[{HOST6}]:8080/") == hello
    assert get6(host, f"http://[{HOST6}]:8081/") == hello  # on that address only
    assert get6(host, "http://192.0.2.1:8081/").startswith("failed")
    assert sb("port", "web6").stdout == f"80/tcp -> 0.0.0.0:8080\n80/tcp -> {HOST6}:8081\n"
    assert get6(host, "http://192.0.2.1:8080/") == hello
    assert get6(host, "http://127.0.0.1:8080/") == hello
    for ref in ("cli6", "web6"):
        assert in_ctr_get(sb, ref, HOST6, 8080) == hello, ref
    elems = table(host)
    assert len(elems["pf4_any"]) == 1 and len(elems["pf6_any"]) == 1
    assert len(elems["pf6_addr"]) == 1 and elems["pf4_addr"] == []
    assert len(elems["nat_src6"]) == 2
    # DNS: AAAA next to A
    out = sb("exec", "cli6", "nslookup", "-type=AAAA", "web6").stdout
    assert "fd93::2" in out and "10.93.0.2" not in out
    out = sb("exec", "cli6", "nslookup", "web6").stdout
    assert "fd93::2" in out and "10.93.0.2" in out
    # a flushed ruleset comes back whole from the store, IPv6 forwards included
    sh(host, "nft", "flush", "ruleset")
    assert get6(host, f"http://[{HOST6}]:8080/").startswith("failed")
    sb("network", "reload", "--all")
    assert get6(host, f"http://[{HOST6}]:8080/") == hello
    assert get6(host, f"http://[{HOST6}]:8081/") == hello
    sb("rm", "-f", "web6", "cli6")
    assert leaks(sb, host) == []
    elems = table(host)
    assert elems["pf6_any"] == elems["pf6_addr"] == elems["nat_src6"] == []
    sb("network", "rm", "ds")


def test_ipv6_only_network(sb: Scopebox, host: str) -> None:
    sb("network", "create", "--subnet", "fd94::/64", "only6")
    (net,) = json.loads(sb("network", "inspect", "only6").stdout)
    assert [s["subnet"] for s in net["subnets"]] == ["fd94::/64"] and net["ipv6_enabled"]
    out = sb("run", "--rm", "--name", "solo", "--network", "only6", "--ip6", "fd94::42",
             "busybox", "sh", "-c",
             "ip addr show eth0; ip -6 route; cat /etc/resolv.conf; nslookup solo").stdout
    assert "inet6 fd94::42/64" in out and "inet " not in out
    assert "default via fd94::1" in out and "nameserver fd94::1" in out
    # the responder listens on the IPv6 gateway and answers AAAA
    assert "Name:\tsolo.dns.podman\nAddress: fd94::42" in out
    assert leaks(sb, host) == []
    sb("network", "rm", "only6")


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--rm", "--network", "v4net", "--ip6", "fd99::5", "busybox", "true"],
     "Error: requested static ip fd99::5 not in any subnet on network v4net"),
    (["run", "--rm", "--network", "v4net", "--ip6", "zz", "busybox", "true"],
     'Error: "zz" is not an ip address'),  # Podman's words
    (["run", "--rm", "--network", "v4net:ip6=10.0.0.1", "busybox", "true"],
     "Error: invalid ip6 '10.0.0.1': not an IPv6 address"),
    (["run", "--rm", "--network", "none", "--ip6", "fd99::5", "busybox", "true"],
     "Error: --ip6 can only be used with a bridge network, not --network none"),
    (["run", "--rm", "--network", "v4net", "-p", f"[{HOST6}]:8090:80", "busybox", "true"],
     f"Error: cannot publish on host address {HOST6}: network v4net has no IPv6 subnet"),
    (["run", "--rm", "--network", "taken6", "-p", "127.0.0.1:8090:80", "busybox", "true"],
     "Error: cannot publish on host address 127.0.0.1: network taken6 has no IPv4 subnet"),
    (["run", "--rm", "--network", "taken6", "-p", "[::1]:8090:80", "busybox", "true"],
     "Error: invalid -p/--publish '[::1]:8090:80': ::1 cannot be forwarded to a container"),
    (["network", "create", "--subnet", "fd95::/48", "clash"],
     "Error: subnet fd95::/48 is already used on the host or by another config"),
    (["network", "create", "--subnet", "fd96::/64", "--gateway", "10.0.0.1", "clash"],
     "Error: gateway 10.0.0.1 not in subnet fd96::/64"),
])
def test_bad_ipv6_input_one_line_nothing_made(sb: Scopebox, host: str, args: list[str],
                                              message: str) -> None:
    for name, subnet in (("v4net", "10.97.0.0/24"), ("taken6", "fd95::/64")):
        if sb("network", "exists", name, check=False).returncode != 0:
            sb("network", "create", "--subnet", subnet, name)
    before = sb("network", "ls", "-q").stdout
    res = sb(*args, check=False)
    lines = res.stderr.strip().splitlines()
    # run's network set-up at start is 126, as Podman's (its netavark refuses the address)
    code = 126 if "not in any subnet" in message else 125
    assert res.returncode == code and len(lines) == 1 and lines[0].startswith(message), res
    assert sb("network", "ls", "-q").stdout == before
    assert sb("ps", "-a", "-q").stdout == "" and leaks(sb, host) == []


def test_container_mode_shares_hosts_and_resolv(sb: Scopebox, host: str) -> None:
    """`--network container:X` (net6): X's /etc/hosts and resolv.conf, with the joiner's own
    `127.0.0.1 <short id> <name>` line while it runs (Podman 4.3's)."""
    sb("network", "create", "--subnet", "10.96.0.0/24", "--subnet", "fd9a::/64", "share")
    sb("run", "-d", "--name", "owner", "--network", "share", "--dns-search", "example.org",
       "busybox", "sleep", "1000")
    jid = sb("run", "-d", "--name", "joiner", "--network", "container:owner", "busybox",
             "sleep", "1000").stdout.strip()
    line = f"127.0.0.1\t{jid[:12]} joiner\n"
    owner_hosts = sb("exec", "owner", "cat", "/etc/hosts").stdout
    assert line in owner_hosts and "fd9a::2\t" in owner_hosts
    assert sb("exec", "joiner", "cat", "/etc/hosts").stdout == owner_hosts
    resolv = sb("exec", "owner", "cat", "/etc/resolv.conf").stdout
    assert "example.org" in resolv and sb("exec", "joiner", "cat", "/etc/resolv.conf").stdout \
        == resolv
    res = sb("run", "--rm", "--network", "container:owner", "--add-host", "a:1.2.3.4",
             "busybox", "true", check=False)
    assert res.returncode == 125 and res.stderr.startswith(
        "Error: cannot set extra host entries when the container is joined")
    sb("rm", "-f", "joiner")
    assert line not in sb("exec", "owner", "cat", "/etc/hosts").stdout
    sb("rm", "-f", "owner")
    sb("network", "rm", "share")
    assert leaks(sb, host) == []
