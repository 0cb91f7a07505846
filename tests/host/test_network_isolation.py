"""Packets between networks and out of `--internal` ones, on the real kernel inside a private
network namespace (the test's "host"), with an "outside" namespace behind a veth standing for
the internet (198.51.100.0/24). Each refusal has its control: the same connection from a normal
network, or within one network, goes through -- so a broken setup cannot pass as isolation."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.network import kernel, netlink
from supervisor.network.db import CreateSpec, NetworkDB
from supervisor.paths import Paths
from supervisor.store import Store
from tests.host.test_network_dns import host  # noqa: F401  (fixture)
from tests.host.test_network_kernel import serve_once, sh

A, B, C = ("a7" * 32, "b8" * 32, "c9" * 32)

CONNECT = """
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    print(s.recv(100).decode())
except OSError as exc:
    print("unreachable", type(exc).__name__)
"""


def connect(ns: str, addr: str, port: int, timeout: float = 1.5) -> str:
    """A refusal is a drop (the SYN times out): 1.5 s says so; a control that must go
    through gets longer (a loaded machine must not fail it)."""
    return sh(ns, sys.executable, "-c", CONNECT, addr, str(port), str(timeout)).strip()


@pytest.fixture
def world(tmp_path: Path, host: str) -> Iterator[tuple[NetworkDB, str, str]]:  # noqa: F811
    """The store, the host namespace, and an outside namespace routed from the host."""
    outside = str(tmp_path / "outside")
    netlink.create_netns(outside)
    sh(host, "ip", "link", "add", "wan0", "type", "veth", "peer", "name", "wan1", "netns",
       outside)
    sh(host, "ip", "addr", "add", "198.51.100.1/24", "dev", "wan0")
    sh(host, "ip", "link", "set", "wan0", "up")
    for cmd in (["addr", "add", "198.51.100.2/24", "dev", "wan1"], ["link", "set", "wan1", "up"],
                ["link", "set", "lo", "up"]):
        sh(outside, "ip", *cmd)
    store = Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))
    ndb = NetworkDB(store)
    yield ndb, host, outside
    store.close()
    netlink.remove_netns(outside)
    for ns in (tmp_path / "ns").iterdir() if (tmp_path / "ns").exists() else ():
        netlink.remove_netns(str(ns))


def join(ndb: NetworkDB, hostns: str, tmp: Path, cid: str, network: str) -> str:
    ns = str(tmp / "ns" / cid)
    kernel.setup(kernel.make_plan(ndb, cid, ns, [network]), str(tmp / "locks"), hostns)
    return ns


def test_internal_network_has_no_way_out_but_peers_talk(
        world: tuple[NetworkDB, str, str], tmp_path: Path) -> None:
    ndb, hostns, outside = world
    ndb.create(CreateSpec(name="open", subnets=["10.81.0.0/24"]), [])
    ndb.create(CreateSpec(name="sealed", subnets=["10.82.0.0/24"], internal=True), [])
    a = join(ndb, hostns, tmp_path, A, "sealed")
    b = join(ndb, hostns, tmp_path, B, "sealed")
    c = join(ndb, hostns, tmp_path, C, "open")
    assert "default" not in sh(a, "ip", "route")  # no route out is given...
    # ...and one the container adds itself (CAP_NET_ADMIN) is dropped by the forward chain
    sh(a, "ip", "route", "add", "default", "via", "10.82.0.1")
    server = serve_once(outside, 80, "wan")
    assert connect(a, "198.51.100.2", 80).startswith("unreachable")
    assert connect(c, "198.51.100.2", 80, 10) == "wan 198.51.100.1"  # control: masqueraded
    server.wait(5)
    peer = serve_once(b, 81, "peer")
    assert connect(a, "10.82.0.3", 81, 10) == "peer 10.82.0.2"  # peers on the bridge
    peer.wait(5)


def test_networks_do_not_reach_each_other(world: tuple[NetworkDB, str, str],
                                          tmp_path: Path) -> None:
    ndb, hostns, _ = world
    ndb.create(CreateSpec(name="red", subnets=["10.83.0.0/24"]), [])
    ndb.create(CreateSpec(name="blue", subnets=["10.84.0.0/24"]), [])
    r1 = join(ndb, hostns, tmp_path, A, "red")
    r2 = join(ndb, hostns, tmp_path, B, "red")
    b1 = join(ndb, hostns, tmp_path, C, "blue")
    server = serve_once(b1, 82, "blue")
    assert connect(r1, "10.84.0.2", 82).startswith("unreachable")
    server.kill()
    server.wait()
    server = serve_once(r2, 82, "red")
    assert connect(r1, "10.83.0.3", 82, 10) == "red 10.83.0.2"  # control: same network
    server.wait(5)
    # and the other way: blue -> red
    server = serve_once(r1, 83, "red")
    assert connect(b1, "10.83.0.2", 83).startswith("unreachable")
    server.kill()
    server.wait()
    chain = f"nw_{ndb.get('red').network_interface}"  # scopeboxN (podmanN is Podman's)
    proc = subprocess.run(["nsenter", f"--net={hostns}", "nft", "list", "chain", "inet",
                           "scopebox", chain], capture_output=True, text=True)
    assert "oifname @bridges drop" in proc.stdout
