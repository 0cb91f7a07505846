"""performance (issue 16): the read verbs do no work for containers they do not show.

`ps` without -a shows running and paused containers only: the rows of created and exited
ones are not decoded (no model, no dataclasses, no json) nor reconciled, so `ps` in a watch
loop costs the same with 200 stopped containers as with none (bench/read_verbs.py
--containers 200 measures it beside podman). Structural, not timed: the module set is pinned.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.clihelp import Scopebox
from tests.unit.test_cli_imports import HEAVY, JSON, PS, loaded, ours


def test_ps_skips_containers_it_does_not_show(sb: Scopebox, tmp_path: Path) -> None:
    cid = sb("create", "--name", "reads-created", "--network", "none", "busybox", "true").stdout
    try:
        rc, mods = loaded(tmp_path, "ps", store=sb.env)
        assert rc == 0
        assert not mods & (HEAVY | JSON | {"supervisor.state", "enum"})
        assert ours(mods) == PS
        # the same store: -a decodes and shows it (the check above can fail)
        rc, mods = loaded(tmp_path, "ps", "-a", store=sb.env)
        assert rc == 0
        assert {"supervisor.model", "supervisor.state", "json"} <= mods
        assert sb("ps", "-q").stdout == ""
        assert sb("ps", "-aq").stdout.split() == [cid.strip()[:12]]
        assert sb("ps", "-aq", "--filter", "status=created").stdout.split() == [cid.strip()[:12]]
    finally:
        sb("rm", "-f", "reads-created")


def test_inspect_of_a_container_without_a_lease_loads_no_network_code(
    sb: Scopebox, tmp_path: Path
) -> None:
    """network.kernel (netlink, nft: subprocess, socket, threading) is for a lease's subnet
    and MAC; a --network none container has none, and its NetworkSettings are Podman's."""
    sb("create", "--name", "reads-nonet", "--network", "none", "busybox", "true")
    try:
        rc, mods = loaded(tmp_path, "inspect", "reads-nonet", store=sb.env)
        assert rc == 0
        assert not mods & {"supervisor.network.kernel", "subprocess", "socket", "threading",
                            "ipaddress"}
        net = sb("inspect", "-f", "{{json .NetworkSettings}}", "reads-nonet").stdout
        assert '"MacAddress":""' in net.replace(" ", "")
        assert '"IPAddress":""' in net.replace(" ", "")
    finally:
        sb("rm", "-f", "reads-nonet")


def test_images_of_a_store_with_an_image_stays_light(sb: Scopebox, tmp_path: Path) -> None:
    """`images` decodes image rows (json) but no container config: no model, no typing."""
    rc, mods = loaded(tmp_path, "images", store=sb.env)
    assert rc == 0
    assert "json" in mods  # the rows were read (the check below can fail)
    assert not mods & HEAVY - JSON
    assert not mods & {"typing", "warnings", "supervisor.model", "supervisor.state"}


def test_create_loads_no_platform_nor_toml_parser_once_cached(sb: Scopebox, tmp_path: Path) -> None:
    """run's and create's path (issue 16): no `platform` without --platform/--os/--arch/
    --variant (the host's machine from os.uname), and containers.conf's create keys from the
    one cache of containers.conf documents (supervisor.tomlcache) once a create has read
    them (tomllib only when a file changed)."""
    try:
        for name in ("reads-c1", "reads-c2"):
            rc, mods = loaded(tmp_path, "create", "--name", name, "--network", "none",
                              "busybox", "true", store=sb.env)  # fmt: skip
            assert rc == 0
            assert "platform" not in mods
            assert "supervisor.model" in mods  # it did create (the checks can fail)
        assert "tomllib" not in mods  # the second create: the first filled the cache
        from supervisor import tomlcache

        assert os.path.exists(tomlcache.PATH)
        assert not os.path.exists(os.path.join(sb.runroot, "containers-conf.json"))
    finally:
        sb("rm", "-f", "reads-c1", "reads-c2", check=False)
