"""containers.conf's DNS defaults (dns_servers, dns_searches, dns_options) as Podman 4.3 takes
them: the defaults of --dns, --dns-search and --dns-option (Podman's 500-networking test)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.clihelp import Scopebox

CONF = """[containers]
dns_searches = ["example.com"]
dns_servers = ["1.1.1.1", "100.100.100.100", "1.0.0.1"]
dns_options = ["ndots:2"]
"""


def test_conf_dns_defaults_and_flags_win(sb: Scopebox, tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF)
    box = replace(sb, env={**sb.env, "CONTAINERS_CONF": str(conf)})
    out = box("run", "--rm", "--network", "host", "busybox", "cat", "/etc/resolv.conf").stdout
    assert out == ("search example.com\nnameserver 1.1.1.1\nnameserver 100.100.100.100\n"
                   "nameserver 1.0.0.1\noptions ndots:2\n")
    out = box("run", "--rm", "--network", "host", "--dns", "9.9.9.9", "busybox", "cat",
              "/etc/resolv.conf").stdout
    assert "nameserver 9.9.9.9\n" in out and "1.1.1.1" not in out
    assert "search example.com\n" in out
    conf.write_text('[containers]\ndns_servers = "1.1.1.1"\n')
    res = box("run", "--rm", "--network", "host", "busybox", "true", check=False)
    assert (res.returncode, res.stderr) == (
        125, f"Error: {conf}: [containers] dns_servers must be an array of strings\n")
