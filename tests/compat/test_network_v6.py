"""Differential (net6), beside the scenario tier: the containers here need a bridge, so both
engines run inside a private network namespace (the tier's shared engines run in this
machine's own). Podman 4.3 and scopebox side by side on IPv6 networks and published
ports, each with private roots (podman: its own --network-config-dir), both inside one private
network namespace made by the test: nothing global is touched. Compared: `network inspect`'s
shape for `--ipv6` and a v6 `--subnet`, bad input (exit code and message), `inspect`'s v6
fields, `ps` PORTS (ranges, udp, sctp, free ports, host addresses), `ps --format json` Ports
and `port`, in Podman's order."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.network import netlink
from tests.host.test_network_run import sh

REPO = Path(__file__).resolve().parents[2]
# Network names of this run: podman's CNI keeps per-network IPAM state in the global
# /var/lib/cni/networks/NAME, removed after the run (unique names: never another's).
TOKEN = uuid.uuid4().hex[:6]
NET = {n: f"{n}{TOKEN}" for n in ("v6auto", "v6only", "v6plus", "dual", "clash")}
pytestmark = [pytest.mark.host, pytest.mark.compat, pytest.mark.skipif(
    shutil.which("podman") is None or shutil.which("nft") is None or os.geteuid() != 0
    or not os.path.exists("/proc/net/if_inet6"),
    reason="podman is the reference here; needs root, nft and IPv6",
)]
PUBLISH = ["-p", "7300:7300/sctp", "-p", "9200:7200/udp", "-p", "7001", "-p", "7500:75",
           "-p", "7100-7102:7100-7102", "-p", "7400:74"]


def by_proto(items: list[str]) -> list[str]:
    """Podman 4.3 orders host addresses and protocols by Go map walks (at random; scopebox:
    as given, then tcp, udp, sctp): compared grouped by protocol, each group's own order kept
    (fixed host ports by number, free ones last)."""
    return sorted(items, key=lambda item: item.split("/")[-1].split('"protocol": ')[-1])


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    tmp = Path(tempfile.mkdtemp(prefix="sb6c"))  # podman's runroot must be short
    ns = str(tmp / "ns")
    netlink.create_netns(ns)
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "add", "h0", "type", "veth", "peer", "name", "h1"],
                ["ip", "addr", "add", "2001:db8::1/64", "dev", "h0", "nodad"],
                ["ip", "link", "set", "h0", "up"], ["ip", "link", "set", "h1", "up"]):
        sh(ns, *cmd)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = tmp / "containers.conf"
    conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={hard}:{hard}", '
                    '"nproc=4096:4096"]\n')
    wrap = ["nsenter", f"--net={ns}", "env", f"CONTAINERS_CONF={conf}",
            f"SCOPEBOX_ROOT={tmp}/sb/root", f"SCOPEBOX_RUNROOT={tmp}/sb/run",
            "SCOPEBOX_NETNS=bridge"]
    podman = [*wrap, "podman", "--root", f"{tmp}/p/root", "--runroot", f"{tmp}/p/run",
              "--network-config-dir", f"{tmp}/p/net", "--storage-driver", "vfs",
              "--runtime", "runc", "--events-backend", "file", "--cgroup-manager", "cgroupfs"]
    mine = [*wrap, sys.executable, "-m", "supervisor"]
    tar = tmp / "busybox.tar"
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                   capture_output=True)
    pair = {"podman": podman, "scopebox": mine}
    for argv in pair.values():
        subprocess.run([*argv, "import", "--change", 'CMD ["sh"]', str(tar), "busybox"],
                       check=True, capture_output=True, cwd=REPO)
    yield pair
    for argv in pair.values():
        subprocess.run([*argv, "rm", "-a", "-f", "-t", "0"], capture_output=True, cwd=REPO)
        subprocess.run([*argv, "network", "prune", "-f"], capture_output=True, cwd=REPO)
        subprocess.run([*argv, "rmi", "-a", "-f"], capture_output=True, cwd=REPO)
    netlink.remove_netns(ns)
    shutil.rmtree(tmp, ignore_errors=True)
    for name in NET.values():
        shutil.rmtree(f"/var/lib/cni/networks/{name}", ignore_errors=True)


def run(argv: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*argv, *args], capture_output=True, text=True, cwd=REPO, timeout=120)


def both(engines: dict[str, list[str]], *args: str) -> dict[str, subprocess.CompletedProcess[str]]:
    return {name: run(argv, *args) for name, argv in engines.items()}


def test_ipv6_network_shapes(engines: dict[str, list[str]]) -> None:
    for args in (["--ipv6", NET["v6auto"]], ["--subnet", "fd97::/64", NET["v6only"]],
                 ["--ipv6", "--subnet", "10.98.0.0/24", NET["v6plus"]],
                 ["--subnet", "10.99.0.0/24", "--subnet", "fd99::/64", "--gateway",
                  "10.99.0.1", "--gateway", "fd99::fe", NET["dual"]]):
        res = both(engines, "network", "create", "--disable-dns", *args)
        assert [r.returncode for r in res.values()] == [0, 0], res
        docs = {k: json.loads(run(argv, "network", "inspect", args[-1]).stdout)[0]
                for k, argv in engines.items()}
        shape = {k: ([":" in s["subnet"] for s in d["subnets"]],
                     [s["subnet"].split("/")[1] for s in d["subnets"]], d["ipv6_enabled"],
                     list(d)) for k, d in docs.items()}
        assert shape["scopebox"] == shape["podman"], args
        if NET["dual"] in args:
            assert docs["scopebox"]["subnets"] == docs["podman"]["subnets"]


@pytest.mark.parametrize("args", [
    ["network", "create", "--subnet", "fd97::/48", NET["clash"]],  # overlaps v6only's
    ["network", "create", "--subnet", "fd96::/64", "--gateway", "10.0.0.1", NET["clash"]],
    ["network", "create", "--subnet", "fd96::/64", "--gateway", "fd95::1", NET["clash"]],
    ["run", "--rm", "--network", NET["v6only"], "--ip6", "zz", "busybox", "true"],
])
def test_bad_ipv6_input_as_podman(engines: dict[str, list[str]], args: list[str]) -> None:
    if run(engines["scopebox"], "network", "exists", NET["v6only"]).returncode != 0:
        both(engines, "network", "create", "--disable-dns", "--subnet", "fd97::/64",
             NET["v6only"])
    res = both(engines, *args)
    ours, theirs = res["scopebox"], res["podman"]
    assert ours.returncode == theirs.returncode == 125, res
    assert len(ours.stderr.strip().splitlines()) == 1
    # podman's message is a prefix of ours (ours may name what it clashes with)
    assert ours.stderr.strip().startswith(theirs.stderr.strip().splitlines()[-1][:40]), res
    assert run(engines["scopebox"], "network", "exists", NET["clash"]).returncode == 1


def test_ports_and_v6_fields_as_podman(engines: dict[str, list[str]]) -> None:
    if run(engines["scopebox"], "network", "exists", NET["dual"]).returncode != 0:
        both(engines, "network", "create", "--disable-dns", "--subnet", "10.99.0.0/24",
             "--subnet", "fd99::/64", NET["dual"])
    outs: dict[str, dict[str, object]] = {}
    for name, argv in engines.items():
        ctr = run(argv, "run", "-d", "--network", NET["dual"], "--ip6", "fd99::20", *PUBLISH,
                  "busybox", "sleep", "300")
        assert ctr.returncode == 0, (name, ctr.stderr)
        cid = ctr.stdout.strip()
        settings = json.loads(run(argv, "inspect", cid).stdout)[0]["NetworkSettings"]
        ps = run(argv, "ps", "--filter", f"id={cid}", "--format", "{{.Ports}}").stdout
        rand = next(p["HostPort"] for p in settings["Ports"]["7001/tcp"])
        doc = json.loads(run(argv, "ps", "--filter", f"id={cid}", "--format", "json").stdout)
        outs[name] = {
            "v6": {k: v for k, v in settings["Networks"][NET["dual"]].items()
                   if "IPv6" in k or k in ("IPPrefixLen", "Gateway")},
            "top": (settings["IPAddress"], settings["GlobalIPv6Address"]),
            "ps": by_proto(ps.strip().replace(rand, "RANDOM").split(", ")),
            "json": sorted(({**p, "host_port": "RANDOM" if str(p["host_port"]) == rand
                             else p["host_port"]} for p in doc[0]["Ports"]),
                           key=lambda p: str(p["protocol"])),
            "port": by_proto([line.split(" -> ")[0] + " -> " + line.split(" -> ")[1]
                              for line in run(argv, "port", cid).stdout.replace(
                                  rand, "RANDOM").splitlines()]),
            "port1": run(argv, "port", cid, "7101").stdout,
            "bindings": settings["Ports"]["7200/udp"],
        }
        run(argv, "rm", "-f", "-t", "0", cid)
    assert outs["scopebox"] == outs["podman"]


def test_ipv6_host_address_as_podman(engines: dict[str, list[str]]) -> None:
    if run(engines["scopebox"], "network", "exists", NET["dual"]).returncode != 0:
        both(engines, "network", "create", "--disable-dns", "--subnet", "10.99.0.0/24",
             "--subnet", "fd99::/64", NET["dual"])
    outs: dict[str, list[object]] = {}
    for name, argv in engines.items():
        cid = run(argv, "run", "-d", "--network", NET["dual"], "-p", "[2001:db8::1]:7601:77/udp",
                  "-p", "[2001:db8::1]:7600:76", "busybox", "sleep", "300").stdout.strip()
        # two protocols: Podman 4.3 orders them by a Go map walk (at random), so as sets
        ps = run(argv, "ps", "--filter", f"id={cid}", "--format", "{{.Ports}}").stdout
        outs[name] = [sorted(ps.strip().split(", ")),
                      sorted(run(argv, "port", cid).stdout.splitlines()),
                      run(argv, "inspect", cid, "--format",
                          "{{json .HostConfig.PortBindings}}").stdout]
        run(argv, "rm", "-f", "-t", "0", cid)
    assert outs["scopebox"] == outs["podman"]


def test_publish_all_order_as_podman(engines: dict[str, list[str]]) -> None:
    """-P's free ports come after the fixed ones."""
    import re

    outs = {}
    for name, argv in engines.items():
        cid = run(argv, "run", "-d", "--expose", "5000", "--expose", "81", "-P", "-p",
                  "9999:99", "busybox", "sleep", "300").stdout.strip()
        ps = run(argv, "ps", "--filter", f"id={cid}", "--format", "{{.Ports}}").stdout
        items = re.sub(r":\d{5}->", ":FREE->", ps).strip().split(", ")
        # the free ones last; their order is a Go map walk's in Podman 4.3
        outs[name] = (items[0], sorted(items[1:]))
        run(argv, "rm", "-f", "-t", "0", cid)
    assert outs["scopebox"] == outs["podman"]
    assert outs["podman"][0] == "0.0.0.0:9999->99/tcp"
