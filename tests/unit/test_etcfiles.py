"""resolv.conf for a container, from the host's."""

from __future__ import annotations

from supervisor.etcfiles import resolv_conf

HOST = "# generated\nsearch example.com\nnameserver 10.0.0.1\nnameserver ::1\noptions ndots:2\n"


def test_network_none_keeps_search_and_options_but_no_server() -> None:
    out = resolv_conf(HOST, "none").splitlines()
    assert [line for line in out if not line.startswith("#")] == [
        "search example.com",
        "options ndots:2",
    ]


def test_network_host_keeps_the_hosts_file() -> None:
    assert resolv_conf(HOST, "host") == HOST
