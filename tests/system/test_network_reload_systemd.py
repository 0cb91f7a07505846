"""Networks (issue 13) under a real systemd (the test bed's PID 1, in its own network
namespace): a restart or reload of nftables.service flushes the ruleset, scopebox's table with
it, and the shipped scopebox-network-reload.service puts the published ports back at once.

Run inside the bed:
    python tests/testbed.py run -- .venv/bin/pytest -q -m systemd \
        tests/system/test_network_reload_systemd.py
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor import install_units
from tests.clihelp import REPO, Scopebox, wait_for
from tests.host.test_network_run import HTTPD

pytestmark = pytest.mark.systemd


def systemctl(*args: str) -> None:
    subprocess.run(["systemctl", *args], check=True, capture_output=True, timeout=60)


def get(port: int) -> str:
    """What a client on the host reads from a published port ("" when nothing answers)."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
    except OSError:
        return ""
    return data.decode(errors="replace").split("\r\n\r\n", 1)[-1].strip()


def our_table() -> bool:
    return subprocess.run(["nft", "list", "table", "inet", "scopebox"],
                          capture_output=True).returncode == 0


@pytest.fixture
def unit(sb: Scopebox) -> Iterator[None]:
    """The unit as scopebox-install-units writes it, running this checkout's scopebox."""
    path = Path("/", install_units.NET_RELOAD_FILE)
    path.write_text(install_units.render_network_reload_unit(str(REPO / ".venv/bin/scopebox")))
    links = [Path("/", rel) for rel in install_units.NET_RELOAD_LINKS]
    for link in links:
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        os.symlink(f"/{install_units.NET_RELOAD_FILE}", link)
    systemctl("daemon-reload")
    yield
    systemctl("stop", "nftables.service")  # its ExecStop flushes the ruleset: ours goes too
    for p in (*links, path):
        p.unlink(missing_ok=True)
    systemctl("daemon-reload")
    sb("network", "reload", "--all")  # the bed's later tests find the table as before


def test_firewall_restart_and_reload_keep_published_ports(unit: None, sb: Scopebox) -> None:
    systemctl("start", "nftables.service")  # pulls the reload unit in (its .wants link)
    wait_for(lambda: subprocess.run(
        ["systemctl", "is-active", install_units.NET_RELOAD_UNIT],
        capture_output=True, text=True).stdout.strip() == "active", what="the reload unit")
    cid = sb("run", "-d", "-p", "18080:80", "busybox", *HTTPD).stdout.strip()
    try:
        hello = f"hello-{cid[:12]}"
        wait_for(lambda: get(18080) == hello, what="the published port")
        for verb in ("reload", "restart"):  # each flushes the ruleset (flush ruleset; ExecStop)
            systemctl(verb, "nftables.service")
            wait_for(lambda: get(18080) == hello, what=f"the port after {verb} of nftables")
            assert our_table()
        # the boot's path: the unit started by itself rebuilds what a flush removed
        subprocess.run(["nft", "flush", "ruleset"], check=True)
        assert get(18080) == ""
        systemctl("restart", install_units.NET_RELOAD_UNIT)
        assert get(18080) == hello
    finally:
        sb("rm", "-f", cid)
