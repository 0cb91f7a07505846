"""supervisor.model: validation into a typed config, and the stored form of every schema."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from supervisor.errors import UsageError
from supervisor.model import (
    SCHEMA,
    CgroupManager,
    HostFacts,
    LogDriver,
    NetworkMode,
    OnFailure,
    RestartName,
    dump_config,
    load_config,
    validate,
    with_image,
)
from supervisor.options import CreateOptions
from supervisor.spec import Ulimit

RELEASE_DB = Path(__file__).resolve().parent.parent / "data/release-db/state.db"
HOST = HostFacts(
    systemd=False,
    runtime_name="runc",
    runtime_path="/usr/sbin/runc",
    host_cpus=frozenset({0, 1}),
    host_mems=frozenset({0}),
    unified=False,
)


def release_configs() -> dict[str, dict[str, object]]:
    db = sqlite3.connect(RELEASE_DB)
    try:
        return {
            name: json.loads(cfg) for name, cfg in db.execute("SELECT name, config FROM containers")
        }
    finally:
        db.close()


def test_validate_types_what_the_user_asked_for() -> None:
    opts = CreateOptions(
        image="busybox", env=["A=1", "HOME"], ulimits=["nofile=10:20"], log_opts={"tag": "t"},
        stop_signal="SIGUSR1", network="host", creds="u:p",
    )  # fmt: skip
    cfg = validate(opts, replace(HOST, environ={"HOME": "/root"}))
    assert cfg.env == ("A=1", "HOME=/root")
    assert cfg.ulimits == (Ulimit("nofile", 10, 20),)
    assert cfg.log.driver is LogDriver.K8S_FILE and cfg.log.tag == "t"
    assert cfg.network is NetworkMode.HOST and cfg.stop_signal == 10
    assert cfg.cgroup_manager is CgroupManager.CGROUPFS and cfg.cgroup_parent == "/scopebox"
    assert cfg.options.creds is None  # never stored


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (CreateOptions(image="b", log_driver="journald"), "needs systemd"),
        (CreateOptions(image="b", network="pasta:-T,80"), "not supported by scopebox"),
        (CreateOptions(image="b", network="a;b"), "not a network name"),
        (CreateOptions(image="b", volumes=["/nowhere:/x"]), "does not exist"),
        (CreateOptions(image="b", env_files=["/nowhere"]), "cannot read --env-file"),
        (CreateOptions(image="b", cgroups="disabled"), "needs crun"),
        (CreateOptions(image="b", cgroups="split"), "a cgroup of its own"),
        (CreateOptions(image="b", sdnotify="loud"), "invalid --sdnotify"),
        (CreateOptions(image="/x", rootfs=True), "is not a directory"),
    ],
)
def test_validate_refuses(opts: CreateOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate(opts, HOST)


def test_with_image_takes_the_image_healthcheck() -> None:
    cfg = validate(CreateOptions(image="b"), HOST)
    image = {"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}}
    hc = with_image(cfg, image).healthcheck
    assert hc is not None and hc.test == ("CMD-SHELL", "true") and hc.interval == 5_000_000_000
    assert hc.on_failure is OnFailure.NONE
    assert with_image(cfg, {}).healthcheck is None


def test_stored_form_round_trips() -> None:
    cfg = with_image(
        validate(CreateOptions(image="b", labels={"a": "b"}, tmpfs=["/t:size=1m"]), HOST),
        {"Healthcheck": {"Test": ["CMD", "true"]}},
    )
    stored = json.loads(json.dumps(dump_config(cfg)))
    assert stored["schema"] == SCHEMA
    assert load_config(stored) == cfg


def test_release_configs_migrate() -> None:
    """Every config the release wrote reads as today's type, with the same values."""
    configs = release_configs()
    assert len(configs) >= 10
    for name, old in configs.items():
        cfg = load_config(old)
        assert load_config(json.loads(json.dumps(dump_config(cfg)))) == cfg, name
        assert cfg.runtime == old["runtime"] and cfg.stop_signal == old["stop_signal"]
        assert [list(u) for u in cfg.ulimits] == old["ulimits"]
    limits = load_config(configs["limits"])
    assert limits.ulimits[0] == Ulimit("nofile", 1024, 2048)
    assert limits.resources["memory"]["limit"] == 64 << 20
    health = load_config(configs["health"]).healthcheck
    assert health is not None and health.retries == 2 and health.test == ("CMD-SHELL", "true")
    assert load_config(configs["labels"]).options.labels == {"app": "web", "tier": "front"}
    assert load_config(configs["autorm"]).auto_remove
    assert load_config(configs["rootfs"]).rootfs
    assert load_config(configs["plain"]).restart.name is RestartName.NO
    logs = load_config(configs["logs"]).log
    assert (logs.max_size, logs.max_file, logs.tag) == (1 << 20, 2, "mytag")
    mounts = load_config(configs["mounts"]).mounts
    assert [m.destination for m in mounts] == ["/data", "/scratch"] and "ro" in mounts[0].options


def test_newer_schema_is_refused() -> None:
    with pytest.raises(UsageError, match="newer than this scopebox"):
        load_config({"schema": SCHEMA + 1})


def test_the_store_reads_log_settings_of_this_schema() -> None:
    """logs' quick path (supervisor.store.find_container_log) reads the stored JSON of this
    schema only: a new schema must be taught to it too."""
    from supervisor.store import CONFIG_SCHEMA
    from tests.unit.configs import config

    assert CONFIG_SCHEMA == SCHEMA == dump_config(config())["schema"]
    assert dump_config(config())["log"] == {"driver": "k8s-file", "max_size": 0,
                                            "max_file": 1, "path": "", "tag": ""}  # fmt: skip


def test_field_types_are_typing_s() -> None:
    """The decoder's types (model.field_types, issue 16) are typing.get_type_hints' for every
    class a stored config holds."""
    import dataclasses
    import typing

    from supervisor.model import ContainerConfig, field_types

    seen: set[type] = set()
    todo: list[type] = [ContainerConfig]
    while todo:
        tp = todo.pop()
        if tp in seen:
            continue
        seen.add(tp)
        hints = field_types(tp)
        assert hints == typing.get_type_hints(tp), tp
        for t in hints.values():
            for a in (t, *typing.get_args(t), *(a for b in typing.get_args(t)
                                                for a in typing.get_args(b))):  # fmt: skip
                if isinstance(a, type) and (dataclasses.is_dataclass(a) or hasattr(a, "_fields")):
                    todo.append(a)
    assert len(seen) > 15
