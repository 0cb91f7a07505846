"""Containers on bridge networks as a user runs them: `run -p`, `port`, `inspect`, `ps`, reached
from the "host" (127.0.0.1 and its own address), from another container and from themselves
(hairpin), UDP, port conflicts, `nft flush ruleset` + `network reload`, and nothing left
behind (veth, namespace file, nft element, lease, port claim) after `rm`, `--rm`, a container's
own exit, 20 parallel runs and kill -9 of monitors.

The CLI runs under `nsenter --net=HOST`, HOST a private network namespace the test makes: the
bridge, veths and nftables table are made there, never in this machine's own namespace."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from supervisor.network import netlink
from tests.clihelp import Scopebox, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("nft") is None or shutil.which("unshare") is None or os.geteuid() != 0,
    reason="needs root, nft (Debian nftables) and unshare: install them (tests/install-deps.sh)",
)
HOST_ADDR = "192.0.2.1"  # the "host"'s own address (TEST-NET-1, on a veth pair)
OUTSIDE_ADDR = "192.0.2.2"  # another machine's, on the pair's other end in a namespace of its own
HTTPD = ["sh", "-c", "echo hello-$HOSTNAME > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]


def sh(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nsenter", f"--net={ns}", *argv], check=check, capture_output=True,
                          text=True, timeout=30)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("hostns") / "ns")
    netlink.create_netns(path)
    outside = f"{path}-outside"
    netlink.create_netns(outside)
    holder = subprocess.Popen(["nsenter", f"--net={outside}", "sleep", "60"])
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "add", "h0", "type", "veth", "peer", "name", "h1"],
                ["ip", "addr", "add", f"{HOST_ADDR}/24", "dev", "h0"],
                ["ip", "link", "set", "h0", "up"],
                ["ip", "link", "set", "h1", "netns", str(holder.pid)]):
        sh(path, *cmd)
    holder.kill()
    holder.wait()
    for cmd in (["ip", "addr", "add", f"{OUTSIDE_ADDR}/24", "dev", "h1"],
                ["ip", "link", "set", "h1", "up"]):
        sh(outside, *cmd)
    yield path
    netlink.remove_netns(outside)
    netlink.remove_netns(path)


@pytest.fixture(scope="module")
def sb(host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("scopebox")
    box = Scopebox({"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run"),
                    "SCOPEBOX_NETNS": "bridge"}, wrap=["nsenter", f"--net={host}"])
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")
    assert leaks(box, host) == []


def http_get(ns: str, addr: str, port: int, check: bool = True) -> str:
    code = (f"import socket; s=socket.create_connection(('{addr}', {port}), timeout=5);"
            " s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); d=b''\n"
            "while True:\n c=s.recv(4096)\n if not c: break\n d+=c\n"
            "print(d.decode().split('\\r\\n\\r\\n', 1)[-1].strip())")
    return sh(ns, sys.executable, "-c", code, check=check).stdout.strip()


def in_ctr_get(sb: Scopebox, ref: str, addr: str, port: int) -> str:
    """From inside a container (busybox nc: no python there)."""
    cmd = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {addr} {port}"
    out = sb("exec", ref, "sh", "-c", cmd).stdout
    return out.replace("\r\n", "\n").split("\n\n", 1)[-1].strip()


def table(ns: str) -> dict[str, list[object]]:
    """The scopebox table's maps and sets with their elements."""
    proc = sh(ns, "nft", "-j", "list", "table", "inet", "scopebox", check=False)
    if proc.returncode != 0:
        return {}
    out: dict[str, list[object]] = {}
    for obj in json.loads(proc.stdout)["nftables"]:
        for kind in ("map", "set"):
            if kind in obj:
                out[obj[kind]["name"]] = list(obj[kind].get("elem", []))
    return out


def veths(ns: str) -> list[str]:
    return [f"veth {x['ifname']}" for x in json.loads(sh(ns, "ip", "-j", "link").stdout)
            if x["ifname"].startswith("sb")]


def leaks(sb: Scopebox, ns: str) -> list[str]:
    """Per-container state left: veths, namespace files, forwards, source elements, leases,
    port claims. The kernel deletes a veth pair with its namespace, a few ms after teardown:
    veths are waited for (up to 5 s), the rest must be gone at once."""
    with contextlib.suppress(AssertionError):
        wait_for(lambda: not veths(ns), timeout=5, what="veths to go")
    found = veths(ns)
    netns_dir = Path(sb.runroot) / "netns"
    found += [f"netns {p}" for p in netns_dir.iterdir()] if netns_dir.exists() else []
    t = table(ns)
    found += [f"nft {m} {e}" for m in ("pf4_any", "pf4_addr", "nat_src", "pf6_any", "pf6_addr",
                                     "nat_src6") for e in t.get(m, [])]
    import sqlite3

    db = sqlite3.connect(f"{sb.root}/state.db")
    try:
        found += [f"lease {r}" for r in db.execute("SELECT * FROM net_leases")]
        found += [f"port {r}" for r in db.execute("SELECT * FROM net_ports")]
    finally:
        db.close()
    return found


def test_published_port_from_everywhere(sb: Scopebox, host: str) -> None:
    cid = sb("run", "-d", "--name", "web", "-p", "8080:80", "--network-alias", "www",
             "busybox", *HTTPD).stdout.strip()
    ip = sb("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web").stdout.strip()
    hello = f"hello-{cid[:12]}"
    wait_for(lambda: http_get(host, ip, 80, check=False) == hello, what="httpd")
    assert http_get(host, "127.0.0.1", 8080) == hello
    assert http_get(host, HOST_ADDR, 8080) == hello
    assert http_get(f"{host}-outside", HOST_ADDR, 8080) == hello  # from another machine
    sb("run", "-d", "--name", "cli", "busybox", "sleep", "1000")
    assert in_ctr_get(sb, "cli", ip, 80) == hello  # container -> container by address
    assert in_ctr_get(sb, "cli", HOST_ADDR, 8080) == hello  # through the host's port
    assert in_ctr_get(sb, "web", HOST_ADDR, 8080) == hello  # hairpin
    hosts = sb("exec", "web", "cat", "/etc/hosts").stdout
    assert f"{ip}\t{cid[:12]} web www\n" in hosts and "\thost.containers.internal\n" in hosts
    assert sb("port", "web").stdout == "80/tcp -> 0.0.0.0:8080\n"
    assert "0.0.0.0:8080->80/tcp" in sb("ps", "--format", "{{.Ports}}").stdout
    listed = json.loads(sb("ps", "--format", "json", "--filter", "name=web").stdout)
    assert listed[0]["Networks"] == ["podman"]
    settings = sb.inspect("web")["NetworkSettings"]
    assert isinstance(settings, dict)
    podman = settings["Networks"]["podman"]
    assert (podman["IPAddress"], podman["Gateway"], podman["Aliases"]) == (
        ip, "10.88.0.1", ["www", cid[:12]])
    assert settings["Ports"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
    sb("rm", "-f", "web", "cli")
    assert leaks(sb, host) == []


def test_udp_random_port_and_port_verb(sb: Scopebox, host: str) -> None:
    sb("run", "-d", "--name", "u", "-p", "127.0.0.1::53/udp", "busybox", "sleep", "1000")
    line = sb("port", "u", "53/udp").stdout.strip()
    addr, port = line.split(":")
    assert addr == "127.0.0.1" and 1024 < int(port) < 65536
    sandbox = str(sb.inspect("u")["NetworkSettings"]["SandboxKey"])  # type: ignore[index]
    # A UDP echo server in the container's namespace (busybox has no UDP server).
    server = subprocess.Popen(
        ["nsenter", f"--net={sandbox}", sys.executable, "-c",
         "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
         " s.bind(('0.0.0.0', 53)); print('ready', flush=True); d, a = s.recvfrom(100);"
         " s.sendto(b'echo ' + d, a)"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline() == "ready\n"
        code = ("import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
                f" s.settimeout(5); s.sendto(b'ping', ('127.0.0.1', {port}));"
                " print(s.recv(100).decode())")
        assert sh(host, sys.executable, "-c", code).stdout.strip() == "echo ping"
    finally:
        server.kill()
        server.wait()
    sb("rm", "-f", "u")


def test_port_conflicts_are_one_line_before_start(sb: Scopebox, host: str) -> None:
    sb("run", "-d", "--name", "holder", "-p", "8090:80", "busybox", "sleep", "1000")
    res = sb("run", "-d", "--name", "second", "-p", "8090:80", "busybox", "true", check=False)
    # made but not started: Podman's run exits 126 (its `start` 125)
    assert res.returncode == 126 and len(res.stderr.splitlines()) == 1
    assert "8090/tcp is already claimed by a container" in res.stderr
    assert sb("inspect", "-f", "{{.State.Status}}", "second").stdout == "created\n"
    listener = subprocess.Popen(
        ["nsenter", f"--net={host}", sys.executable, "-c",
         "import socket,time; s=socket.socket(); s.bind(('0.0.0.0', 8091)); s.listen();"
         " print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout is not None and listener.stdout.readline() == "ready\n"
        res = sb("run", "-d", "-p", "8091:80", "busybox", "true", check=False)
        assert res.returncode == 126 and res.stderr == (
            "Error: cannot publish 0.0.0.0:8091/tcp: the host port is already in use by"
            " another program\n")
    finally:
        listener.kill()
        listener.wait()
    sb("rm", "-f", "-a")
    assert leaks(sb, host) == []


def test_flush_and_reload(sb: Scopebox, host: str) -> None:
    cid = sb("run", "-d", "-p", "8095:80", "busybox", *HTTPD).stdout.strip()
    wait_for(lambda: http_get(host, "127.0.0.1", 8095, check=False) != "", what="httpd")
    sh(host, "nft", "flush", "ruleset")
    assert table(host) == {}
    sb("network", "reload", "--all")
    assert http_get(host, "127.0.0.1", 8095) == f"hello-{cid[:12]}"
    sh(host, "nft", "flush", "ruleset")  # Podman's `network reload CONTAINER` (by name too)
    assert sb("network", "reload", cid[:12]).stdout == f"{cid}\n"
    assert http_get(host, "127.0.0.1", 8095) == f"hello-{cid[:12]}"
    sb("rm", "-f", cid)


def test_every_exit_path_leaves_nothing(sb: Scopebox, host: str) -> None:
    sb("run", "--rm", "-p", "8096:80", "busybox", "true")  # --rm
    assert leaks(sb, host) == []
    cid = sb("run", "-d", "-p", "8097:80", "busybox", "true").stdout.strip()  # its own exit
    wait_for(lambda: leaks(sb, host) == [], what="the exit command's teardown")
    assert sb("inspect", "-f", "{{.State.Status}}", cid).stdout == "exited\n"
    sb("start", cid)  # a second run gets its network again
    sb("wait", cid)
    wait_for(lambda: leaks(sb, host) == [], what="the exit command's teardown")
    sb("rm", cid)
    cid = sb("run", "-d", "-p", "8098:80", "busybox", "sleep", "1000").stdout.strip()
    sb("stop", "-t", "0", cid)  # stop
    assert leaks(sb, host) == []
    sb("rm", cid)


def test_kill_9_of_monitors_then_the_next_cli(sb: Scopebox, host: str) -> None:
    cids = [sb("run", "-d", "-p", f"{8100 + i}:80", "busybox", "sleep", "1000").stdout.strip()
            for i in range(3)]
    for cid in cids:
        monitor = int(sb("inspect", "-f", "{{.State.ConmonPid}}", cid).stdout)
        os.kill(monitor, signal.SIGKILL)
    sb("rm", "-f", *cids)
    assert leaks(sb, host) == []


def test_twenty_parallel_runs_and_removals(sb: Scopebox, host: str) -> None:
    def one(i: int) -> str:
        return sb("run", "-d", "-p", f"{8200 + i}:80", "-p", f"{8300 + i}:81/udp", "busybox",
                  "sleep", "1000").stdout.strip()

    with ThreadPoolExecutor(10) as pool:
        cids = list(pool.map(one, range(20)))
    assert len(table(host)["pf4_any"]) == 40
    addrs = {sb("inspect", "-f", "{{.NetworkSettings.IPAddress}}", c).stdout for c in cids}
    assert len(addrs) == 20
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda c: sb("rm", "-f", c), cids))
    assert leaks(sb, host) == []


@pytest.mark.parametrize(("args", "words"), [
    (["-p", "99999:80"], "port numbers must be between 1 and 65535"),
    (["-p", "8000-8010:80"], "port ranges have different lengths: 11 vs 1"),
    (["-p", "80/icmp"], "protocol must be tcp, udp or sctp"),
    (["-p", "1.2.3:80:80"], "not an IPv4 address"),
    (["--network", "nope"], "unable to find network with name or ID nope"),
    (["--network", "host", "--ip", "10.88.0.9"], "--ip can only be used with a bridge"),
    (["--network", "podman,podman"], "a network is named twice"),
    (["--ip", "10.88.0.5", "--network", "podman:ip=10.88.0.6"], "given twice"),
    (["--add-host", "nocolon"], "expected name:ip"),
    (["--mac-address", "zz"], "invalid MAC address"),
])
def test_bad_input_one_line_nothing_made(sb: Scopebox, host: str, args: list[str],
                                         words: str) -> None:
    before = sb("ps", "-aq").stdout
    res = sb("run", "--rm", *args, "busybox", "true", check=False)
    assert res.returncode == 125 and res.stderr.startswith("Error: "), res.stderr
    assert words in res.stderr and len(res.stderr.splitlines()) == 1, res.stderr
    assert sb("ps", "-aq").stdout == before
    assert leaks(sb, host) == []


def test_connect_and_disconnect_a_running_container(sb: Scopebox, host: str) -> None:
    sb("network", "create", "--subnet", "10.66.0.0/24", "back")
    sb("run", "-d", "--name", "c1", "busybox", "sleep", "1000")
    sb("network", "connect", "--alias", "db", "--ip", "10.66.0.50", "back", "c1")
    assert "10.66.0.50\t" in sb("exec", "c1", "cat", "/etc/hosts").stdout
    nets = sb.inspect("c1")["NetworkSettings"]["Networks"]  # type: ignore[index]
    assert nets["back"]["IPAddress"] == "10.66.0.50" and "db" in nets["back"]["Aliases"]
    sb("run", "-d", "--name", "c2", "--network", "back", "busybox", "sh", "-c",
       "echo across | nc -l -p 99")
    wait_for(lambda: sb("exec", "c1", "sh", "-c", "nc -w 2 10.66.0.2 99", check=False)
             .stdout == "across\n", what="c1 reaching c2 on the new network")
    res = sb("network", "connect", "back", "c1", check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: container c1 is already connected to network back\n")
    sb("network", "disconnect", "back", "c1")
    assert "10.66.0.50" not in sb("exec", "c1", "cat", "/etc/hosts").stdout
    assert "10.66.0.50" not in sb("exec", "c1", "ip", "addr").stdout
    sb("rm", "-f", "c1", "c2")
    sb("network", "rm", "back")
    assert leaks(sb, host) == []


def test_ports_follow_a_reconnect_and_a_bridge_gets_its_gateway_back(
        sb: Scopebox, host: str) -> None:
    """Podman's 500-networking connect/disconnect: the published port works again once the
    container rejoins; a bridge that exists without this network's gateway (another store
    made it) gets it; addresses carry their broadcast as netavark's (`ip a` shows `brd`)."""
    sb("network", "create", "--subnet", "10.67.0.0/24", "front")
    bridge = json.loads(sb("network", "inspect", "front").stdout)[0]["network_interface"]
    cid = sb("run", "-d", "--name", "pw", "-p", "8091:80", "--network", "front", "busybox",
             *HTTPD).stdout.strip()
    hello = f"hello-{cid[:12]}"
    wait_for(lambda: http_get(host, "127.0.0.1", 8091, check=False) == hello, what="httpd")
    assert "inet 10.67.0.2/24 brd 10.67.0.255 " in sb("exec", "pw", "ip", "addr").stdout
    sb("network", "disconnect", "front", "pw")
    assert http_get(host, "127.0.0.1", 8091, check=False) != hello
    sh(host, "ip", "addr", "flush", "dev", bridge)
    sb("network", "connect", "front", "pw")
    assert "inet 10.67.0.1/24 brd 10.67.0.255 " in sh(host, "ip", "addr", "show", bridge).stdout
    assert http_get(host, "127.0.0.1", 8091) == hello
    # on a second network too: leaving the one its ports were on moves them there
    sb("network", "create", "--subnet", "10.68.0.0/24", "side")
    sb("network", "connect", "side", "pw")
    sb("network", "disconnect", "front", "pw")
    assert http_get(host, "127.0.0.1", 8091) == hello
    assert sb("port", "pw").stdout == "80/tcp -> 0.0.0.0:8091\n"
    sb("rm", "-f", "pw")
    sb("network", "rm", "front", "side")
    assert leaks(sb, host) == []


def test_hosts_from_containers_conf(sb: Scopebox, tmp_path: Path) -> None:
    """containers.conf's base_hosts_file and host_containers_internal_ip (Podman's
    500-networking): the base entries after --add-host, its address for
    host.containers.internal; a container named as a base entry gets no line of its own."""
    base = tmp_path / "hosts"
    base.write_text("10.9.9.9 base1\n10.9.9.8 base2 #some comment\n")
    conf = tmp_path / "containers.conf"
    conf.write_text(f'[containers]\nbase_hosts_file = "{base}"\n'
                    'host_containers_internal_ip = "10.7.7.7"\n')
    box = Scopebox({**sb.env, "CONTAINERS_CONF": str(conf)}, wrap=sb.wrap)
    out = box("run", "--rm", "--add-host", "h3:10.0.0.3", "busybox", "cat", "/etc/hosts").stdout
    lines = out.splitlines()
    assert lines[:6] == ["10.0.0.3\th3", "10.9.9.9\tbase1", "10.9.9.8\tbase2",
                         "127.0.0.1\tlocalhost", "::1\tlocalhost",
                         "10.7.7.7\thost.containers.internal"], out
    assert len(lines) == 7 and lines[6].startswith("10.88.0.")
    out = box("run", "--rm", "--name", "base1", "--hostname", "base1", "busybox", "cat",
              "/etc/hosts").stdout
    assert out == ("10.9.9.9\tbase1\n10.9.9.8\tbase2\n127.0.0.1\tlocalhost\n::1\tlocalhost\n"
                   "10.7.7.7\thost.containers.internal\n")
