"""IPAM, the store's network tables and the nftables renderer: pure, no kernel."""

from __future__ import annotations

import ipaddress
import json
import threading
from pathlib import Path

import pytest

from supervisor.errors import ConflictError, NotFoundError, UsageError
from supervisor.network import ipam, nft
from supervisor.network.db import CreateSpec, NetworkDB, PortSpec
from supervisor.network.definition import DEFAULT_ID, Network
from supervisor.paths import Paths
from supervisor.store import Store


def sub(cidr: str, gw: str | None = None, rng: str | None = None) -> ipam.Subnet:
    return ipam.make_subnet(ipam.parse_net(cidr), gw, rng)


def test_allocation_skips_gateway_and_honours_range() -> None:
    s = sub("10.1.0.0/29")
    taken: set[ipam.Addr] = set()
    got = []
    for _ in range(5):  # .2 .. .6: .0 network, .1 gateway, .7 broadcast
        got.append(str(ipam.allocate(s, taken)))
        taken.add(ipaddress.ip_address(got[-1]))
    assert got == ["10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"]
    with pytest.raises(ConflictError, match="failed to find free IP"):
        ipam.allocate(s, taken)
    r = sub("10.2.0.0/24", "10.2.0.254", "10.2.0.128/25")
    assert (str(r.start), str(r.end)) == ("10.2.0.129", "10.2.0.254")
    assert str(ipam.allocate(r, set())) == "10.2.0.129"


def test_requested_ip() -> None:
    s = sub("10.1.0.0/24")
    assert str(ipam.allocate(s, set(), "10.1.0.9")) == "10.1.0.9"
    with pytest.raises(ConflictError, match="already allocated"):
        ipam.allocate(s, {ipaddress.ip_address("10.1.0.9")}, "10.1.0.9")
    for bad in ("10.1.0.1", "10.9.0.2", "nonsense"):
        with pytest.raises(UsageError):
            ipam.allocate(s, set(), bad)


def test_ipv6_allocation() -> None:
    s = sub("fd00:1::/64")
    assert str(s.gateway) == "fd00:1::1"
    assert str(ipam.allocate(s, {ipaddress.ip_address("fd00:1::2")})) == "fd00:1::3"


@pytest.mark.parametrize("name", ["a;b", "x y", "-lead", "a/b", "web@1.service", "$(id)", ""])
def test_bad_names(name: str) -> None:
    with pytest.raises(UsageError, match="invalid"):
        ipam.check_name(name)


def test_bad_gateway_and_range() -> None:
    with pytest.raises(UsageError, match=r"gateway 10\.96\.0\.1 not in subnet 10\.97\.0\.0/24"):
        sub("10.97.0.0/24", "10.96.0.1")
    with pytest.raises(UsageError, match="not in subnet"):
        sub("10.97.0.0/24", None, "10.96.0.0/24")


def test_host_routes_parsed() -> None:
    text = (
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    )
    assert ipam.parse_route4(text) == [ipaddress.IPv4Network("192.168.0.0/24")]


@pytest.fixture
def ndb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NetworkDB:
    # A host that routes nothing: the default network's subnet must not depend on what this
    # machine's bridges hold (a real podman's cni-podman0 takes 10.88.0.0/16 once it ran).
    monkeypatch.setattr(ipam, "host_routes", lambda ignore_devices=(): [])
    return NetworkDB(Store(Paths(str(tmp_path / "root"), str(tmp_path / "run"))))


def test_default_network_and_bridge_alias(ndb: NetworkDB) -> None:
    d = ndb.get("bridge")
    assert (d.name, d.id, d.network_interface) == ("podman", DEFAULT_ID, "scopebox0")
    assert d.to_json()["subnets"] == [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]
    assert ndb.get(DEFAULT_ID[:12]).name == "podman"


def test_create_checks_and_json_round_trip(ndb: NetworkDB) -> None:
    n = ndb.create(CreateSpec(name="t3", subnets=["10.98.0.0/24"], gateways=["10.98.0.254"],
                              ip_ranges=["10.98.0.128/25"], internal=True, dns=False,
                              labels={"a": "b"}, options={"mtu": "1400"}), [])
    j = n.to_json()
    assert list(j) == ["name", "id", "driver", "network_interface", "created", "subnets",
                       "ipv6_enabled", "internal", "dns_enabled", "labels", "options",
                       "ipam_options"]
    assert j["network_interface"] == "scopebox1" and j["internal"] is True
    assert j["subnets"][0]["lease_range"] == {"start_ip": "10.98.0.129", "end_ip": "10.98.0.254"}
    assert Network.from_json(json.loads(json.dumps(j))) == n
    with pytest.raises(ConflictError, match="already used on the host or by another config"):
        ndb.create(CreateSpec(name="t4", subnets=["10.98.0.0/16"]), [])
    with pytest.raises(ConflictError, match="already used on the host"):
        ndb.create(CreateSpec(name="t5", subnets=["192.168.7.0/24"]),
                   [ipaddress.ip_network("192.168.0.0/16")])
    with pytest.raises(ConflictError, match="already exists"):
        ndb.create(CreateSpec(name="t3"), [])
    with pytest.raises(UsageError, match="unsupported bridge network option"):
        ndb.create(CreateSpec(name="t6", options={"foo": "1"}), [])
    assert [x.name for x in ndb.all()] == ["podman", "t3"]  # nothing half-made
    auto = ndb.create(CreateSpec(), [])
    assert (auto.name, str(auto.subnets[0].net)) == ("podman2", "10.89.0.0/24")


def test_leases_and_ports_are_exclusive(ndb: NetworkDB) -> None:
    a = ndb.lease("podman", "a" * 64, "sbaaaaaaaaaaa0")
    b = ndb.lease("podman", "b" * 64, "sbbbbbbbbbbbb0")
    assert (a.address, b.address) == ("10.88.0.2", "10.88.0.3")
    assert ndb.lease("podman", "a" * 64, "x") == a  # idempotent
    ndb.claim_ports("a" * 64, "podman", a.address, [PortSpec(80, "tcp", 8080)])
    with pytest.raises(ConflictError, match=r"127\.0\.0\.1:8080/tcp is already claimed"):
        ndb.claim_ports("b" * 64, "podman", b.address,
                        [PortSpec(81, "udp", 9000), PortSpec(80, "tcp", 8080, "127.0.0.1")])
    assert ndb.port_claims("b" * 64) == []  # all or nothing
    ndb.claim_ports("b" * 64, "podman", b.address, [PortSpec(80, "udp", 8080)])
    rand = ndb.claim_ports("b" * 64, "podman", b.address, [PortSpec(80)])[0]
    assert rand.host_port > 1024
    with pytest.raises(ConflictError, match="being used"):
        ndb.remove("podman")
    ndb.release("a" * 64)
    ndb.release("a" * 64)
    assert [c.container for c in ndb.port_claims()] == ["b" * 64] * 2
    # the next after the last given (Podman's round the range), not the one just freed
    assert ndb.lease("podman", "c" * 64, "sbccc").address == "10.88.0.4"


def test_concurrent_leases_never_collide(tmp_path: Path) -> None:
    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))
    NetworkDB(Store(paths))
    got: list[str] = []

    def worker(i: int) -> None:
        db = NetworkDB(Store(paths))
        for j in range(10):
            got.append(db.lease("podman", f"{i:02d}{j:02d}" + "0" * 60, "x").address)
            db.claim_ports(f"{i:02d}{j:02d}" + "0" * 60, "podman", got[-1], [PortSpec(80)])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ports = [c.host_port for c in NetworkDB(Store(paths)).port_claims()]
    assert len(got) == len(set(got)) == 40
    assert len(ports) == len(set(ports)) == 40


def test_not_found(ndb: NetworkDB) -> None:
    with pytest.raises(NotFoundError):
        ndb.get("nope")
    assert not ndb.exists("nope")


def test_renderer_shapes() -> None:
    fwd = nft.Forward("tcp", 8080, "", "10.88.0.2", 80)
    one = nft.Forward("udp", 53, "127.0.0.1", "10.88.0.3", 53)
    assert nft.forwards_add([fwd, one]) == (
        "add element inet scopebox pf4_any { tcp . 8080 : 10.88.0.2 . 80 }\n"
        "add element inet scopebox pf4_addr { 127.0.0.1 . udp . 53 : 10.88.0.3 . 53 }\n"
    )
    assert nft.forwards_remove([fwd]).splitlines() == [
        "add element inet scopebox pf4_any { tcp . 8080 : 10.88.0.2 . 80 }",
        "delete element inet scopebox pf4_any { tcp . 8080 }",
    ]
    text = nft.network_add(nft.NetRules("podman3", ("10.89.1.0/24",), internal=True))
    assert 'add rule inet scopebox nw_podman3 drop' in text
    assert "masquerade" in text and 'oifname != "podman3" masquerade' not in text
    full = nft.full([], [fwd])
    assert full.startswith("add table inet scopebox\ndelete table inet scopebox\n")
    assert full.count("add rule") == sum(len(r) for r in nft.BASE_RULES.values())


def test_plan_round_trips_through_json(ndb: NetworkDB, tmp_path: Path) -> None:
    from supervisor.network import kernel

    cid = "d" * 64
    ndb.create(CreateSpec(name="back", subnets=["10.66.0.0/24"], internal=True), [])
    plan = kernel.make_plan(ndb, cid, str(tmp_path / "ns"), ["podman", "back"],
                            [PortSpec(80, "tcp", 8080)], [None, "10.66.0.9"])
    again = kernel.Plan.decode(json.loads(json.dumps(plan.encode())))
    assert again == plan
    assert [a.iface for a in plan.attachments] == ["eth0", "eth1"]
    assert plan.attachments[1].addresses == ("10.66.0.9/24",)
    assert plan.attachments[1].gateways == ()  # internal, and not the first network
    assert len({a.host_iface for a in plan.attachments}) == 2
    assert all(len(a.host_iface) <= 15 for a in plan.attachments)
    assert plan.forwards == (nft.Forward("tcp", 8080, "", "10.88.0.2", 80),)


def test_teardown_imports_stdlib_only() -> None:
    """The monitor's exit command runs teardown as `python3 -I -S`: no sqlite, no pyroute2."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    code = (
        f"import sys; sys.path.insert(0, {str(repo)!r}); import supervisor.network.kernel;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('sqlite3', 'pyroute2', 'supervisor') and not m.startswith('supervisor.network')"
        " and m != 'supervisor'))"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_allocation_goes_round_the_range_as_podmans() -> None:
    """After `last`, the next free address; past the end, round to the start: an address a
    container just left is not given out again at once (Podman's bats: disconnect/connect
    changes the IP)."""
    s = sub("10.1.0.0/29")  # .2 .. .6
    a = ipaddress.ip_address
    assert str(ipam.allocate(s, set(), last=a("10.1.0.2"))) == "10.1.0.3"
    assert str(ipam.allocate(s, {a("10.1.0.4")}, last=a("10.1.0.3"))) == "10.1.0.5"
    assert str(ipam.allocate(s, set(), last=a("10.1.0.6"))) == "10.1.0.2"  # round
    assert str(ipam.allocate(s, {a("10.1.0.2")}, last=a("10.1.0.6"))) == "10.1.0.3"
    assert str(ipam.allocate(s, set(), last=a("10.9.0.9"))) == "10.1.0.2"  # not in range
    taken = {a(f"10.1.0.{i}") for i in range(2, 7)}
    with pytest.raises(ConflictError, match="failed to find free IP"):
        ipam.allocate(s, taken, last=a("10.1.0.3"))


def test_store_remembers_the_last_address_given(tmp_path: Path) -> None:
    store = Store(Paths(root=str(tmp_path / "root"), runroot=str(tmp_path / "run")))
    ndb = NetworkDB(store)
    ndb.create(CreateSpec(name="rr", subnets=("10.5.0.0/24",)), [])
    first = ndb.lease("rr", "a" * 64, "veth0").address
    ndb.release("a" * 64)
    assert ndb.lease("rr", "a" * 64, "veth0").address != first  # not the one just left
    ndb.release("a" * 64)
    assert ndb.lease("rr", "b" * 64, "veth1", requested=first).address == first  # --ip
    assert ndb.lease("rr", "c" * 64, "veth2").address == "10.5.0.4"  # --ip moved nothing
    ndb.release("b" * 64)
    ndb.release("c" * 64)
    ndb.remove("rr")
    ndb.create(CreateSpec(name="rr", subnets=("10.5.0.0/24",)), [])  # a new network: anew
    assert ndb.lease("rr", "a" * 64, "veth0").address == "10.5.0.2"
    store.close()
