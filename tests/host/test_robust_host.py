"""Failures users hit on day one (issue 12): a full disk, a broken state database, the store on
overlayfs, resolv.conf without a network, a local image for another platform. The CLI on the
bare host, as a user types it."""

from __future__ import annotations

import pytest

from supervisor.registry.platform import Platform
from tests import cases
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


def _host_nameservers() -> list[str]:
    with open("/etc/resolv.conf") as f:
        return [line for line in f.read().splitlines() if line.startswith("nameserver")]


def test_resolv_conf_without_a_network_names_no_server(sb: Scopebox) -> None:
    if not _host_nameservers():
        pytest.skip("the host's /etc/resolv.conf names no nameserver: nothing to leave out")
    none = sb("run", "--rm", "--network", "none", "busybox", "cat", "/etc/resolv.conf").stdout
    assert not [line for line in none.splitlines() if line.startswith("nameserver")], none
    host = sb("run", "--rm", "--network", "host", "busybox", "cat", "/etc/resolv.conf").stdout
    with open("/etc/resolv.conf") as f:
        assert host == f.read()


def test_local_image_of_another_platform_is_not_run(sb: Scopebox) -> None:
    here = str(Platform.host()).split("/")
    host, other = "/".join(here[:2]), "linux/s390x" if here[1] != "s390x" else "linux/amd64"
    name = cases.unique("plat")
    res = sb(
        "run", "--name", name, "--platform", other, "--pull=never", "busybox", "true", check=False
    )
    assert res.returncode == 125, res
    assert res.stderr.startswith("Error: ") and len(res.stderr.splitlines()) == 1, res.stderr
    assert host in res.stderr and other in res.stderr, res.stderr
    # The default policy (missing) takes it as missing and pulls, which fails here: a registry
    # that does not listen (no network needed) and an error that says both things.
    sb("tag", "busybox", "localhost:1/plat")
    try:
        res = sb(
            "run", "--name", name, "--platform", other, "localhost:1/plat", "true", check=False
        )
        assert res.returncode == 125 and "Traceback" not in res.stderr, res
        assert host in res.stderr and "pulling it failed" in res.stderr, res.stderr
    finally:
        sb("rmi", "localhost:1/plat")
    assert name not in sb("ps", "-a", "--format", "{{.Names}}").stdout
    # The matching platform runs the local image without a pull.
    out = sb("run", "--rm", "--platform", host, "--pull=never", "busybox", "echo", "ok")
    assert out.stdout == "ok\n"
