"""The generated config validates against the OCI runtime-spec JSON schema.

The schema comes from Debian's `golang-github-opencontainers-specs-dev`; its files refer to
each other by relative names (`defs.json#/...`), so each file is registered under its name.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from supervisor.spec import (
    Mount,
    NetworkMode,
    SpecOptions,
    Ulimit,
    build_spec,
    caller_hard_limits,
    parse_tmpfs,
)

SCHEMA_DIR = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema"

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
referencing = pytest.importorskip("referencing", reason="referencing is not installed")


@pytest.fixture(scope="module")
def validator() -> Any:
    return make_validator()


def make_validator() -> Any:
    """Draft-4 validator for the runtime-spec config schema from Debian's package."""
    if not os.path.isfile(os.path.join(SCHEMA_DIR, "config-schema.json")):
        pytest.skip(
            f"OCI runtime-spec schema missing at {SCHEMA_DIR}: "
            "apt-get install golang-github-opencontainers-specs-dev"
        )
    from referencing.jsonschema import DRAFT4

    resources = []
    for name in sorted(os.listdir(SCHEMA_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
                contents = json.load(f)
            resources.append((name, DRAFT4.create_resource(contents)))
    registry = referencing.Registry().with_resources(resources)
    schema = registry.contents("config-schema.json")
    return jsonschema.Draft4Validator(schema, registry=registry)


def _full_options(network: NetworkMode) -> SpecOptions:
    return SpecOptions(
        args=["/bin/sh", "-c", "echo hi"],
        rootfs="/var/lib/scopebox/containers/x/merged",
        cgroups_path="machine.slice:scopebox:x",
        env=["PATH=/usr/bin:/bin", "HOME=/root"],
        cwd="/srv",
        uid=1000,
        gid=1000,
        additional_gids=[10, 20],
        hostname="x",
        readonly_rootfs=True,
        mounts=[
            Mount("/data", "/srv/data", "bind", ("rbind", "ro", "rprivate")),
            parse_tmpfs("/run:size=64m"),
        ],
        etc_files={"/etc/hosts": "/b/hosts", "/etc/hostname": "/b/hostname"},
        network=network,
        systemd_cgroup=True,
        ulimits=[Ulimit("core", 0, 0)],
        hard_limits=caller_hard_limits(),
        annotations={"io.scopebox.name": "x"},
    )


@pytest.mark.parametrize("network", list(NetworkMode))
def test_config_is_valid(validator: Any, network: NetworkMode) -> None:
    spec = build_spec(_full_options(network))
    errors = [e.message for e in validator.iter_errors(spec)]
    assert errors == []


def test_validator_rejects_a_broken_config(validator: Any) -> None:
    # The schema must really be applied: an rlimit with a bad type name is an error.
    spec = build_spec(_full_options(NetworkMode.NONE))
    spec["process"]["rlimits"][0]["type"] = "nofile"
    spec["linux"]["namespaces"].append({"type": "bogus"})
    paths = {"/".join(map(str, e.absolute_path)) for e in validator.iter_errors(spec)}
    assert "process/rlimits/0/type" in paths
    assert any(p.startswith("linux/namespaces") for p in paths)
