"""`scopebox network ...` as a user types it (a private store; no kernel state is made: a
network is only a definition until a container joins it), side by side with Podman 4.3."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clihelp import Scopebox


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[Scopebox]:
    yield Scopebox({"SCOPEBOX_ROOT": str(tmp_path / "root"),
                    "SCOPEBOX_RUNROOT": str(tmp_path / "run")})


def test_create_inspect_ls_rm(sb: Scopebox) -> None:
    assert sb("network", "ls").stdout.splitlines() == [
        "NETWORK ID    NAME        DRIVER", "2f259bab93aa  podman      bridge"]  # Podman's layout
    assert sb("network", "create", "--subnet", "10.199.0.0/24", "--label", "app=web",
              "-o", "mtu=1400", "front").stdout == "front\n"
    (net,) = json.loads(sb("network", "inspect", "front").stdout)
    assert net["subnets"] == [{"subnet": "10.199.0.0/24", "gateway": "10.199.0.1"}]
    assert (net["labels"], net["options"]) == ({"app": "web"}, {"mtu": "1400"})
    assert net["network_interface"].startswith("scopebox")  # not podmanN: DIFFERENCES.md
    assert sb("network", "ls", "-q", "--filter", "label=app=web").stdout == "front\n"
    assert sb("network", "ls", "--format", "{{.Name}} {{.Labels}}").stdout.splitlines() == [
        "front app=web", "podman "]
    assert sb("network", "inspect", "--format", "{{.Name}}", "bridge").stdout == "podman\n"
    assert sb("network", "exists", "front").returncode == 0
    assert sb("network", "rm", "front").stdout == "front\n"
    assert sb("network", "exists", "front", check=False).returncode == 1
    assert not any(Path("/sys/class/net").glob(net["network_interface"]))


def host_route() -> str | None:
    """A subnet this host routes (not the default route), read from the kernel."""
    from supervisor.network import ipam

    with open("/proc/net/route") as f:
        nets = ipam.parse_route4(f.read())
    return str(nets[0]) if nets else None


def test_bad_input_one_line_nothing_made(sb: Scopebox) -> None:
    routed = host_route()
    sb("network", "create", "--subnet", "10.198.0.0/24", "one")
    bad = [
        (["a;b"], "names must match"),
        (["web@x.service"], "names must match"),
        (["--subnet", "10.198.0.0/16", "two"], "already used on the host or by another config"),
        (["--subnet", "127.0.0.0/24", "two"], "loopback"),
        *([(["--subnet", routed, "two"], "already used on the host")] if routed else []),
        (["--subnet", "10.197.0.0/24", "--gateway", "10.196.0.1", "two"], "not in subnet"),
        (["--subnet", "10.197.0.0/24", "--ip-range", "10.196.0.0/24", "two"], "not in subnet"),
        (["--subnet", "nonsense", "two"], "not a valid subnet"),
        (["-o", "mtu=abc", "two"], "mtu"),
        (["-d", "macvlan", "two"], "unsupported driver"),
        (["one"], "already exists"),
    ]
    for args, words in bad:
        res = sb("network", "create", *args, check=False)
        assert res.returncode == 125, args
        assert res.stderr.startswith("Error: ") and words in res.stderr, res.stderr
        assert len(res.stderr.splitlines()) == 1, res.stderr
    assert sb("network", "ls", "-q").stdout.splitlines() == ["one", "podman"]
    res = sb("network", "rm", "podman", check=False)
    assert (res.returncode, res.stderr) == (
        125, "Error: default network podman cannot be removed\n")
    res = sb("network", "rm", "nope", "one", check=False)
    assert res.returncode == 1 and res.stdout == "one\n" and "nope" in res.stderr
    res = sb("network", "run", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: unrecognized command `scopebox"
                                            " network run`\nTry 'scopebox network --help' for"
                                            " more information\n")


def test_prune_keeps_the_default(sb: Scopebox) -> None:
    sb("network", "create", "a1")
    sb("network", "create", "--label", "keep=1", "a2")
    assert sb("network", "prune", "-f", "--filter", "label!=keep").stdout == "a1\n"
    assert sb("network", "prune", "-f").stdout == "a2\n"
    assert sb("network", "ls", "-q").stdout == "podman\n"


def test_create_ignore_keeps_the_existing_network(sb: Scopebox) -> None:
    """quadlet (issue 13): `--ignore` (Podman 4.4's flag; Quadlet's `.network` units run it on
    every start): an existing network of that name is no error and is left as it is."""
    first = sb("network", "create", "--ignore", "--subnet", "10.194.0.0/24", "q1")
    again = sb("network", "create", "--ignore", "--subnet", "10.193.0.0/24", "q1")
    assert (first.stdout, again.stdout, again.stderr) == ("q1\n", "q1\n", "")
    assert sb("network", "ls", "-q").stdout.splitlines() == ["podman", "q1"]
    (net,) = json.loads(sb("network", "inspect", "q1").stdout)
    assert net["subnets"] == [{"subnet": "10.194.0.0/24", "gateway": "10.194.0.1"}]
    res = sb("network", "create", "q1", check=False)  # without it: still an error
    assert res.returncode == 125 and "already exists" in res.stderr
    res = sb("network", "create", "--ignore", "a;b", check=False)  # bad names stay bad
    assert res.returncode == 125 and "names must match" in res.stderr


@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is the reference here")
def test_inspect_keys_as_podmans(sb: Scopebox) -> None:
    """Podman with private roots and config dir: nothing global is touched (its runroot must
    be shorter than 50 characters: a short temporary dir)."""
    with tempfile.TemporaryDirectory(prefix="sbpm") as tmp:
        podman = ["podman", "--root", f"{tmp}/root", "--runroot", f"{tmp}/run",
                  "--network-config-dir", f"{tmp}/net"]
        compare_with_podman(sb, podman)


def compare_with_podman(sb: Scopebox, podman: list[str]) -> None:
    # --disable-dns: this Podman runs CNI (no DNS by default); netavark and we default to DNS
    args = ["--subnet", "10.195.0.0/24", "--ip-range", "10.195.0.128/25", "--internal",
            "--disable-dns", "--label", "a=b", "-o", "mtu=1400", "same"]
    subprocess.run([*podman, "network", "create", *args], check=True, capture_output=True)
    out = subprocess.run([*podman, "network", "inspect", "same"], check=True,
                         capture_output=True, text=True).stdout
    sb("network", "create", *args)
    ours = json.loads(sb("network", "inspect", "same").stdout)[0]
    theirs = json.loads(out)[0]
    assert list(ours) == list(theirs)
    skip = {"id", "created", "network_interface", "subnets"}
    assert {k: v for k, v in ours.items() if k not in skip} == {
        k: v for k, v in theirs.items() if k not in skip}
    assert ours["subnets"][0]["lease_range"]["start_ip"] == "10.195.0.129"
