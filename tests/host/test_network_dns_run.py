"""DNS with real containers (the network resource and the responder together), inside a
private network namespace as the "host": names, aliases and short ids resolve on a user
network, a container started later resolves, another network's containers do not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.network import netlink
from tests.clihelp import Scopebox
from tests.host.test_network_run import leaks, sh


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("dnshost") / "ns")
    netlink.create_netns(path)
    sh(path, "ip", "link", "set", "lo", "up")
    yield path
    netlink.remove_netns(path)


@pytest.fixture(scope="module")
def sb(host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("scopebox")
    box = Scopebox({"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run"),
                    "SCOPEBOX_NETNS": "bridge"}, wrap=["nsenter", f"--net={host}"])
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")
    box("network", "prune", "-f")
    assert leaks(box, host) == []


def lookup(sb: Scopebox, net: str, name: str) -> str:
    """The address busybox's nslookup finds for `name` from a new container on `net`, or ''."""
    res = sb("run", "--rm", "--network", net, "busybox", "nslookup", name, check=False)
    found = re.findall(r"Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)", res.stdout)
    # the first Address line is the server's (the gateway); the answer's follow it
    return found[-1] if len(found) > 1 else ""


def ip_of(sb: Scopebox, name: str) -> str:
    return sb("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name).stdout.strip() or \
        sb("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
           name).stdout.strip()


def test_names_aliases_short_ids_and_later_containers(sb: Scopebox, tmp_path: Path) -> None:
    sb("network", "create", "dnsa")
    sb("network", "create", "dnsb")
    cid = sb("run", "-d", "--name", "db", "--network", "dnsa", "--network-alias", "database",
             "--network-alias", "my_db", "busybox", "sleep", "300").stdout.strip()
    addr = ip_of(sb, "db")
    assert addr.startswith("10.")
    resolv = sb("exec", "db", "cat", "/etc/resolv.conf").stdout
    assert "search dns.podman" in resolv and "nameserver " in resolv, resolv
    assert lookup(sb, "dnsa", "db") == addr
    assert lookup(sb, "dnsa", "DATABASE") == addr
    assert lookup(sb, "dnsa", "my_db") == addr  # a compose service's name, as Podman takes it
    assert lookup(sb, "dnsa", cid[:12]) == addr
    assert lookup(sb, "dnsa", "db.dns.podman") == addr
    # another network does not see it
    assert lookup(sb, "dnsb", "db") == ""
    # a container started after the responder: db resolves it at once
    sb("run", "-d", "--name", "late", "--network", "dnsa", "busybox", "sleep", "300")
    late = ip_of(sb, "late")
    out = sb("exec", "db", "nslookup", "late", check=False).stdout
    assert late in out, out
    sb("rm", "-f", "-t", "0", "db", "late")
    sb("network", "rm", "dnsa", "dnsb")


def test_responder_that_cannot_start_is_one_line_and_leaves_nothing(sb: Scopebox,
                                                                    host: str) -> None:
    """Another program on the gateway's port 53: `run` fails with the engine's one line (no
    "unexpected", no traceback), and the container's network is torn down again."""
    import subprocess
    import sys

    sb("network", "create", "--subnet", "10.78.0.0/24", "dnsheld")
    holder = subprocess.Popen(
        ["nsenter", f"--net={host}", sys.executable, "-c",
         "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
         " s.setsockopt(socket.SOL_IP, 15, 1); s.bind(('10.78.0.1', 53));"
         " print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        res = sb("run", "--name", "held", "--network", "dnsheld", "busybox", "true",
                 check=False)
        assert res.returncode == 126  # run's start failed after the create (Podman's 126)
        assert res.stderr == ("Error: cannot listen for DNS of network dnsheld on port 53: "
                              "another program holds it\n")
        assert leaks(sb, host) == []
    finally:
        holder.kill()
        holder.wait()
    sb("rm", "held")
    sb("network", "rm", "dnsheld")
