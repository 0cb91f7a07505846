"""The network's DNS responder on the real kernel, inside a private network namespace (the
test's "host"): containers' namespaces made by `kernel.setup` with leases from the store,
queries sent from inside them (busybox nslookup and a stdlib client) to the gateway.

The upstream resolver is the one thing that cannot exist offline: a fake one (`FAKE_UPSTREAM`)
answers on the host namespace's 127.0.0.1:53, named by the resolv.conf the responder is given.
Nothing here touches this machine's own network namespace."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.network import kernel, netlink
from supervisor.network.db import CreateSpec, NetworkDB
from supervisor.network.dns import lifecycle, records
from supervisor.paths import Paths
from supervisor.store import Store

REPO = str(Path(__file__).resolve().parents[2])
WEB, DB, LATE, OTHER = ("a1" * 32, "b2" * 32, "c3" * 32, "d4" * 32)

pytestmark = pytest.mark.skipif(
    shutil.which("nft") is None or shutil.which("busybox") is None,
    reason="needs nft (Debian nftables) and busybox (busybox-static): tests/install-deps.sh",
)

FAKE_UPSTREAM = """
import socket, struct, sys, threading
sys.path.insert(0, sys.argv[1])
from supervisor.network.dns import message
def reply(data):
    q = message.parse_query(data)
    if q.qname == "outside.example":
        return message.build(q, message.RCode.NOERROR, [(1, bytes([192, 0, 2, 7]))])
    return message.build(q, message.RCode.NXDOMAIN)
def tcp():
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", 53)); t.listen()
    while True:
        c, _ = t.accept()
        n = struct.unpack("!H", c.recv(2))[0]; data = b""
        while len(data) < n: data += c.recv(n - len(data))
        r = reply(data); c.sendall(struct.pack("!H", len(r)) + r); c.close()
threading.Thread(target=tcp, daemon=True).start()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    data, peer = u.recvfrom(512)
    u.sendto(reply(data), peer)
"""

CLIENT = """
import socket, sys, struct
sys.path.insert(0, sys.argv[1])
from supervisor.network.dns import message
server, name, qtype, proto = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
q = message.make_query(name, qtype, qid=0x4242)
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.sendto(q, (server, 53)); data = s.recv(4096)
else:
    s = socket.create_connection((server, 53), timeout=3)
    s.sendall(struct.pack("!H", len(q)) + q)
    n = struct.unpack("!H", s.recv(2))[0]; data = b""
    while len(data) < n: data += s.recv(n - len(data))
r = message.parse_reply(data)
print(message.RCode(r.rcode).name, *[a for _, a in r.answers])
"""


def sh(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nsenter", f"--net={ns}", *argv], check=check, capture_output=True,
                          text=True, timeout=30)


def query(ns: str, server: str, name: str, qtype: int = 1, proto: str = "udp") -> str:
    return sh(ns, sys.executable, "-c", CLIENT, REPO, server, name, str(qtype),
              proto).stdout.strip()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "hostns")
    netlink.create_netns(path)
    sh(path, "ip", "link", "set", "lo", "up")
    yield path
    netlink.remove_netns(path)


class Bed:
    """A store, networks, and containers' namespaces with their leases, in the host netns."""

    def __init__(self, tmp: Path, host: str) -> None:
        self.tmp, self.host = tmp, host
        self.paths = Paths(str(tmp / "root"), str(tmp / "run"))
        self.store = Store(self.paths)
        self.ndb = NetworkDB(self.store)
        self.plans: dict[str, kernel.Plan] = {}
        self.resolv = tmp / "resolv.conf"
        self.resolv.write_text("nameserver 10.77.0.1\nnameserver 127.0.0.1\n")  # not itself

    def container(self, cid: str, name: str, network: str, aliases: tuple[str, ...] = ()
                  ) -> str:
        ns = str(self.tmp / "netns" / cid)
        plan = kernel.make_plan(self.ndb, cid, ns, [network])
        self.plans[cid] = plan
        with self.store.transaction() as db:  # the row's name is what the responder reads
            db.execute("INSERT INTO containers (id, name, image_id, image_name, created,"
                       " status, config) VALUES (?, ?, '', '', '', 'running', '{}')",
                       (cid, name))
        records.set_aliases(self.store, network, cid, aliases)
        kernel.setup(plan, self.paths.locks, self.host)
        return ns

    def remove(self, cid: str) -> None:
        kernel.teardown(self.plans.pop(cid), self.paths.locks, self.host)
        self.ndb.release(cid)

    def ensure(self, network: str, idle: float = 60.0) -> None:
        """`ensure` from a process inside the host namespace: the responder binds there."""
        code = ("import sys; sys.path.insert(0, sys.argv[1]);"
                " from supervisor.paths import Paths; from supervisor.network import dns;"
                " dns.ensure(Paths(sys.argv[2], sys.argv[3]), sys.argv[4],"
                " resolv_conf=sys.argv[5], idle=float(sys.argv[6]))")
        sh(self.host, sys.executable, "-c", code, REPO, self.paths.root, self.paths.runroot,
           network, str(self.resolv), str(idle))

    def responder_pid(self, network: str) -> int | None:
        pid_file = Path(self.paths.runroot, "dns", f"{network}.pid")
        if not pid_file.exists() or not pid_file.read_text().strip():
            return None
        pid = int(pid_file.read_text())
        return pid if Path(f"/proc/{pid}").exists() else None

    def close(self) -> None:
        for cid in list(self.plans):
            self.remove(cid)
        for n in ("front", "back", "quiet"):
            lifecycle.release(self.paths, n)
        self.store.close()


@pytest.fixture
def bed(tmp_path: Path, host: str) -> Iterator[Bed]:
    os.environ["SCOPEBOX_DNS_MODE"] = "process"
    b = Bed(tmp_path, host)
    b.ndb.create(CreateSpec(name="front", subnets=["10.77.0.0/24"]), [])
    b.ndb.create(CreateSpec(name="back", subnets=["10.78.0.0/24"]), [])
    b.ndb.create(CreateSpec(name="quiet", subnets=["10.79.0.0/24"], dns=False), [])
    upstream = subprocess.Popen(["nsenter", f"--net={host}", sys.executable, "-c",
                                 FAKE_UPSTREAM, REPO], stdout=subprocess.PIPE, text=True)
    assert upstream.stdout is not None and upstream.stdout.readline() == "ready\n"
    yield b
    upstream.kill()
    upstream.wait()
    b.close()
    del os.environ["SCOPEBOX_DNS_MODE"]


def wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] \
            != "Z":
        assert time.monotonic() < deadline, f"responder {pid} still alive"
        time.sleep(0.05)


def test_names_aliases_short_ids_later_containers_forwarding(bed: Bed) -> None:
    web = bed.container(WEB, "web", "front", ("frontend",))
    bed.container(DB, "db", "front")
    bed.ensure("front")
    pid = bed.responder_pid("front")
    assert pid is not None
    bed.ensure("front")  # idempotent: the same responder
    assert bed.responder_pid("front") == pid

    for name in ("db", "DB", "db.dns.podman", DB[:12]):
        assert query(web, "10.77.0.1", name) == "NOERROR 10.77.0.3", name
    assert query(web, "10.77.0.1", "frontend") == "NOERROR 10.77.0.2"
    assert query(web, "10.77.0.1", "db", proto="tcp") == "NOERROR 10.77.0.3"
    assert query(web, "10.77.0.1", "3.0.77.10.in-addr.arpa", 12) == \
        f"NOERROR db.dns.podman {DB[:12]}.dns.podman"
    assert query(web, "10.77.0.1", "nosuch.dns.podman") == "NXDOMAIN"
    # busybox's resolver, as a container's user would run it
    out = sh(web, "busybox", "nslookup", "frontend", "10.77.0.1").stdout
    assert "10.77.0.2" in out

    bed.container(LATE, "late", "front")  # after the responder started: no reload
    assert query(web, "10.77.0.1", "late") == "NOERROR 10.77.0.4"
    # forwarded to the (fake) upstream of the resolv.conf, over UDP; the responder's own
    # address there is skipped (it would ask itself)
    assert query(web, "10.77.0.1", "outside.example") == "NOERROR 192.0.2.7"
    assert query(web, "10.77.0.1", "nowhere.example") == "NXDOMAIN"
    assert query(web, "10.77.0.1", "outside.example", proto="tcp") == "NOERROR 192.0.2.7"
    bed.remove(LATE)
    assert query(web, "10.77.0.1", "late") == "NXDOMAIN"  # forwarded: upstream knows nothing


def test_other_network_is_not_visible(bed: Bed) -> None:
    web = bed.container(WEB, "web", "front")
    other = bed.container(OTHER, "other", "back")
    bed.ensure("front")
    bed.ensure("back")
    assert query(web, "10.77.0.1", "other") == "NXDOMAIN"
    assert query(web, "10.77.0.1", "other.dns.podman") == "NXDOMAIN"
    assert query(other, "10.78.0.1", "other") == "NOERROR 10.78.0.2"
    assert query(other, "10.78.0.1", "web.dns.podman") == "NXDOMAIN"


def test_disable_dns_network_has_no_responder(bed: Bed) -> None:
    ns = bed.container(WEB, "web", "quiet")
    bed.ensure("quiet")
    assert bed.responder_pid("quiet") is None
    listening = sh(bed.host, "ss", "-H", "-lnu", "sport = :53").stdout
    assert "10.79.0.1" not in listening
    proc = sh(ns, sys.executable, "-c", CLIENT, REPO, "10.79.0.1", "web", "1", "tcp",
              check=False)
    assert proc.returncode != 0 and "ConnectionRefused" in proc.stderr


def test_release_stops_it_when_the_last_container_left(bed: Bed) -> None:
    bed.container(WEB, "web", "front")
    bed.container(DB, "db", "front")
    bed.ensure("front")
    pid = bed.responder_pid("front")
    assert pid is not None
    bed.remove(WEB)
    lifecycle.release(bed.paths, "front")  # one container is left: stays
    assert bed.responder_pid("front") == pid
    bed.remove(DB)
    lifecycle.release(bed.paths, "front")
    wait_gone(pid)
    assert "10.77.0.1" not in sh(bed.host, "ss", "-H", "-lnu", "sport = :53").stdout
    assert list(Path(bed.paths.runroot, "dns").iterdir()) == []  # its pid file, empty log


def test_release_runs_isolated(bed: Bed) -> None:
    """The monitor's exit command runs teardown under `python3 -I -S`: stdlib only."""
    bed.container(WEB, "web", "front")
    bed.ensure("front")
    pid = bed.responder_pid("front")
    assert pid is not None
    bed.remove(WEB)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from supervisor.paths import Paths;"
            " from supervisor.network.dns import lifecycle;"
            " lifecycle.release(Paths(sys.argv[2], sys.argv[3]), 'front');"
            " print(sorted(m for m in sys.modules if m.split('.')[0] in ('anyio', 'httpx')))")
    out = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", code, REPO, bed.paths.root,
                          bed.paths.runroot], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
    wait_gone(pid)


def test_exits_by_itself_when_idle_with_no_container(bed: Bed) -> None:
    web = bed.container(WEB, "web", "front")
    bed.ensure("front", idle=0.3)
    pid = bed.responder_pid("front")
    assert pid is not None
    time.sleep(1)  # idle, but a container is still on the network: it stays
    assert bed.responder_pid("front") == pid
    assert query(web, "10.77.0.1", "web") == "NOERROR 10.77.0.2"
    bed.remove(WEB)  # no release(): the monitor was kill -9ed, say
    wait_gone(pid)


def test_port_taken_is_one_clear_error(bed: Bed) -> None:
    bed.container(WEB, "web", "front")
    holder = subprocess.Popen(
        ["nsenter", f"--net={bed.host}", sys.executable, "-c",
         "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
         " s.bind(('10.77.0.1', 53));"
         " print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        with pytest.raises(subprocess.CalledProcessError) as err:
            bed.ensure("front")
        assert "cannot listen for DNS of network front on port 53: another program holds it" \
            in err.value.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert bed.responder_pid("front") is None


def test_bridge_keeps_its_mac_as_containers_join(bed: Bed) -> None:
    """A bridge without a MAC of its own takes its lowest port's: each joining container
    could change it and stall the others' traffic to the gateway (their ARP entry goes
    stale: the first query after a `run` timed out)."""
    bridge = bed.ndb.get("front").network_interface  # scopeboxN (podmanN is Podman's)

    def mac() -> str:
        return str(json.loads(sh(bed.host, "ip", "-j", "link", "show", bridge).stdout)[0]
                   ["address"])

    bed.container(WEB, "web", "front")
    first = mac()
    for cid, name in ((DB, "db"), (LATE, "late"), (OTHER, "other")):
        bed.container(cid, name, "front")
        assert mac() == first
