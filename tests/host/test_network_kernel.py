"""The network's kernel state on the real kernel, inside a private network namespace the test
makes (its "host"): bridges, veths, addresses, the nftables table, a published port reached
from 127.0.0.1, teardown leaving nothing, and `reload` after `nft flush ruleset`.
Nothing here touches this machine's own network namespace."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.network import kernel, netlink, nft
from supervisor.network.db import CreateSpec, NetworkDB, PortSpec
from supervisor.paths import Paths
from supervisor.store import Store
from tests.clihelp import wait_for

CID = "ab" * 32

pytestmark = pytest.mark.skipif(
    shutil.which("nft") is None or shutil.which("unshare") is None,
    reason="needs nft (Debian nftables) and unshare: install them (tests/install-deps.sh)",
)


def sh(host: str, *argv: str) -> str:
    return subprocess.run(["nsenter", f"--net={host}", *argv], check=True,
                          capture_output=True, text=True).stdout


def links(ns: str) -> dict[str, dict[str, object]]:
    return {x["ifname"]: x for x in json.loads(sh(ns, "ip", "-j", "addr"))}


def table(ns: str) -> dict[str, object] | None:
    proc = subprocess.run(["nsenter", f"--net={ns}", "nft", "-j", "list", "table", "inet",
                           "scopebox"], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def map_elements(ns: str, name: str) -> list[object]:
    t = table(ns)
    assert t is not None
    for obj in t["nftables"]:  # type: ignore[attr-defined]
        if "map" in obj and obj["map"]["name"] == name:
            return list(obj["map"].get("elem", []))
    raise AssertionError(f"no map {name}")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "hostns")
    netlink.create_netns(path)
    sh(path, "ip", "link", "set", "lo", "up")
    yield path
    netlink.remove_netns(path)


@pytest.fixture
def ctr(tmp_path: Path) -> Iterator[str]:
    """The container's namespace file (made by setup); removed even when a test fails."""
    path = str(tmp_path / "netns" / CID)
    yield path
    netlink.remove_netns(path)


@pytest.fixture
def ndb(tmp_path: Path) -> Iterator[NetworkDB]:
    store = Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))
    yield NetworkDB(store)
    store.close()


def serve_once(ns: str, port: int, reply: str) -> subprocess.Popen[str]:
    """A TCP server in `ns` that answers one connection; prints 'ready' once listening."""
    code = (
        "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,"
        f" socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', {port})); s.listen();"
        " print('ready', flush=True); c, a = s.accept();"
        f" c.sendall(('{reply} ' + a[0]).encode()); c.close()"
    )
    proc = subprocess.Popen(["nsenter", f"--net={ns}", sys.executable, "-c", code],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def fetch(ns: str, addr: str, port: int) -> str:
    code = (f"import socket; s=socket.create_connection(('{addr}', {port}), timeout=5);"
            " print(s.recv(100).decode())")
    return sh(ns, sys.executable, "-c", code).strip()


def test_setup_publish_teardown(host: str, ctr: str, ndb: NetworkDB, tmp_path: Path) -> None:
    ndb.create(CreateSpec(name="front", subnets=["10.77.0.0/24"], options={"mtu": "1400"}), [])
    locks = str(tmp_path / "locks")
    plan = kernel.make_plan(ndb, CID, ctr, ["front"], [PortSpec(80, "tcp", 8080)])
    t0 = time.monotonic()
    kernel.setup(plan, locks, host)
    setup_s = time.monotonic() - t0

    hl = links(host)
    assert hl["scopebox1"]["operstate"] == "UP" or "UP" in hl["scopebox1"]["flags"]  # type: ignore
    veth = kernel.host_iface(CID, 0)
    assert hl[veth]["master"] == "scopebox1"
    inside = links(ctr)
    addrs = [a["local"] for a in inside["eth0"]["addr_info"] if a["family"] == "inet"]  # type: ignore
    assert addrs == ["10.77.0.2"]
    assert "default via 10.77.0.1" in sh(ctr, "ip", "route")
    # what rtnl's messages asked for: both ends' MTU, the container end's MAC, hairpin
    assert inside["eth0"]["mtu"] == hl[veth]["mtu"] == 1400
    assert inside["eth0"]["address"] == kernel.derived_mac("10.77.0.2")
    port = json.loads(sh(host, "ip", "-d", "-j", "link", "show", "dev", veth))[0]
    assert port["linkinfo"]["info_slave_data"]["hairpin"] is True
    assert map_elements(host, "pf4_any") == [
        [{"concat": ["tcp", 8080]}, {"concat": ["10.77.0.2", 80]}]]

    server = serve_once(ctr, 80, "hello")
    # localhost -> DNAT in output -> route_localnet -> masquerade: the server sees the gateway
    assert fetch(host, "127.0.0.1", 8080) == "hello 10.77.0.1"
    assert server.wait(5) == 0

    t0 = time.monotonic()
    kernel.teardown(plan, locks, host)
    teardown_s = time.monotonic() - t0
    # the kernel deletes the pair with the namespace, a few ms later (kernel.teardown)
    deadline = time.monotonic() + 5
    while veth in links(host) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert veth not in links(host)
    assert not Path(ctr).exists()
    assert map_elements(host, "pf4_any") == []
    kernel.teardown(plan, locks, host)  # again: idempotent
    print(f"\nsetup {setup_s * 1000:.1f} ms, teardown {teardown_s * 1000:.1f} ms")


def test_reload_after_flush(host: str, ctr: str, ndb: NetworkDB, tmp_path: Path) -> None:
    locks = str(tmp_path / "locks")
    plan = kernel.make_plan(ndb, CID, ctr, ["podman"], [PortSpec(80, "tcp", 8081)])
    kernel.setup(plan, locks, host)
    sh(host, "nft", "flush", "ruleset")
    assert table(host) is None
    assert kernel.reload(ndb, locks, host) == ["scopebox0"]
    # 10.88.0.2 unless this machine routes 10.88/16 (a real Podman's bridge): the default
    # network then takes the first free subnet (db._default_subnet)
    address = plan.forwards[0].container_ip
    assert map_elements(host, "pf4_any") == [
        [{"concat": ["tcp", 8081]}, {"concat": [address, 80]}]]
    server = serve_once(ctr, 80, "again")
    assert fetch(host, "127.0.0.1", 8081).startswith("again ")
    assert server.wait(5) == 0
    kernel.teardown(plan, locks, host)
    ndb.release(CID)
    assert kernel.reload(ndb, locks, host) == []
    kernel.remove_network(ndb.get("podman"), locks, host)
    assert "scopebox0" not in links(host)


def test_nft_apply_time(host: str) -> None:
    """One transaction through `nft -f -` (the figure the design rests on)."""
    nft.apply(nft.skeleton(), host)
    times = sorted(nft.apply(nft.forwards_add([nft.Forward("tcp", 9000 + i, "", "10.0.0.2", 80)]),
                             host) for i in range(20))
    print(f"\nnft apply (incl. nsenter): median {times[10] * 1000:.1f} ms")
    assert len(map_elements(host, "pf4_any")) == 20


def test_nft_in_process_and_process_alike(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """libnftables in-process, and `nft` processes without it (SCOPEBOX_NFT_PROCESS=1): the
    same elements, the same refusal."""
    fwd = [nft.Forward("tcp", 9100, "", "10.0.0.2", 80)]
    for process in ("", "1"):
        monkeypatch.setenv("SCOPEBOX_NFT_PROCESS", process)
        monkeypatch.setattr(nft, "_LIB", [])
        nft.apply(nft.skeleton() + nft.forwards_add(fwd), host)
        assert map_elements(host, "pf4_any") == [
            [{"concat": ["tcp", 9100]}, {"concat": ["10.0.0.2", 80]}]]
        assert nft.table_exists(host)
        with pytest.raises(nft.NftError, match=r"^nftables refused the ruleset: .*Error"):
            nft.apply("add element inet scopebox nosuchmap { 1.2.3.4 }\n", host)
        nft.apply(nft.forwards_remove(fwd), host)
        assert map_elements(host, "pf4_any") == []
        nft.apply(nft.delete_table(), host)
        assert not nft.table_exists(host)


def cid(n: int) -> str:
    return f"{n:02x}" * 32


def test_parallel_setups_leave_nothing(host: str, ndb: NetworkDB, tmp_path: Path) -> None:
    """20 containers set up and torn down concurrently: no veth, namespace file, map element,
    lease or port claim is left."""
    from concurrent.futures import ThreadPoolExecutor

    locks = str(tmp_path / "locks")
    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))

    def one(i: int) -> None:
        store = Store(paths)
        db = NetworkDB(store)
        plan = kernel.make_plan(db, cid(i), str(tmp_path / "ns" / str(i)), ["podman"],
                                [PortSpec(80, "tcp", 10000 + i), PortSpec(53, "udp")])
        kernel.setup(plan, locks, host)
        kernel.teardown(plan, locks, host)
        db.release(cid(i))
        store.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(20)))
    # the kernel deletes the last veths with their namespaces, a few ms after teardown
    wait_for(lambda: not [n for n in links(host) if n.startswith("sb")], 5, "veths gone")
    assert not list((tmp_path / "ns").iterdir())
    assert map_elements(host, "pf4_any") == []
    assert ndb.leases() == [] and ndb.port_claims() == []
    kernel.remove_network(ndb.get("podman"), locks, host)
    assert "scopebox0" not in links(host)
