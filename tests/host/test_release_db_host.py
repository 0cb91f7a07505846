"""A state database written by the release before the typed container model (12b1814,
containers' config as schema-1 dicts) is read, migrated and used by today's code.

The fixture comes from tests/data/release-db/make.sh, run with that release's code: its store,
the container dirs its `create` made, and what its `ps` and `inspect` printed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clihelp import REPO, Scopebox

DATA = REPO / "tests/data/release-db"


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    with open(DATA / "release.json") as f:
        out: dict[str, Any] = json.load(f)
    return out


@pytest.fixture(scope="module")
def old(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("release")
    root = base / "root"
    root.mkdir()
    shutil.copyfile(DATA / "state.db", root / "state.db")
    with tarfile.open(DATA / "containers.tar.gz") as tar:
        tar.extractall(root, filter="tar")
    # The image's one layer: the same busybox root the release imported.
    tar_path = base / "busybox.tar"
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar_path)], check=True)
    db = sqlite3.connect(root / "state.db")
    (layers,) = db.execute("SELECT layers FROM images").fetchone()
    db.close()
    for diff in json.loads(layers):
        (root / "layers" / diff).mkdir(parents=True)
        subprocess.run(["tar", "-C", str(root / "layers" / diff), "-xf", str(tar_path)], check=True)
    box = Scopebox({"SCOPEBOX_ROOT": str(root), "SCOPEBOX_RUNROOT": str(base / "run"),
                    "SCOPEBOX_CGROUP_MANAGER": "cgroupfs"})
    yield box
    box("rm", "-a", "-f")
    assert box("ps", "-aq").stdout == ""


def _same(old: Any, new: Any, where: str) -> None:
    """Every value the release showed is shown again (new keys may be added)."""
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}.{key} is gone"
            _same(value, new[key], f"{where}.{key}")
    elif isinstance(old, list) and old and isinstance(old[0], dict):  # e.g. Mounts
        assert isinstance(new, list) and len(new) == len(old), f"{where}: {old!r} vs {new!r}"
        for i, (o, n) in enumerate(zip(old, new, strict=True)):
            _same(o, n, f"{where}[{i}]")
    else:
        assert new == old, f"{where}: release said {old!r}, now {new!r}"


def test_inspect_shows_what_the_release_showed(old: Scopebox, release: dict[str, Any]) -> None:
    text = json.dumps(release["inspect"]).replace(release["root"], old.root)
    for before in json.loads(text):
        now = old.inspect(before["Id"])
        # volumes (issue 14): Binds are now Podman's SOURCE:DEST:MODE,PROPAGATION,... (the
        # release printed the -v text): the same mounts with the same modes, options spelled out
        binds = before["HostConfig"].pop("Binds")
        new_binds = now["HostConfig"]["Binds"]  # type: ignore[index]
        assert len(new_binds) == len(binds)
        for was, is_ in zip(binds, new_binds, strict=True):
            src, dst, *mode = was.split(":")
            assert is_.split(":")[:2] == [src, dst]
            assert is_.split(":")[2].split(",")[0] == (mode[0] if mode else "rw")
        # runflags (issue 19): HostConfig.Ulimits lists the rlimits the container gets, as
        # Podman's does (the release printed an empty list for the defaults)
        if before["HostConfig"].get("Ulimits") == []:
            before["HostConfig"].pop("Ulimits")
        # runflags (issue 19): Config.Env is the merged environment the process gets, as
        # Podman's (the release printed the image's and -e's): each variable is still there
        env, now_env = before["Config"].pop("Env"), now["Config"]["Env"]  # type: ignore[index]
        assert set(env) <= set(now_env), (env, now_env)
        # fidelity (issue 19): OCIRuntime is the runtime's name, as Podman shows it
        assert now["OCIRuntime"] == os.path.basename(before.pop("OCIRuntime"))
        # fidelity (bats 030-run): .Image is the bare id, as Podman 4.3 shows it
        assert now["Image"] == before.pop("Image").removeprefix("sha256:")
        _same(before, now, before["Name"])


def test_ps_lists_what_the_release_listed(old: Scopebox, release: dict[str, Any]) -> None:
    out = old("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Status}} {{.Command}}")
    now = {line.split()[0]: line for line in out.stdout.splitlines()}
    assert len(now) == len(release["ps"])
    for line in release["ps"]:
        cid, name, status = line.split()[:3]
        assert now[cid].split()[1:3] == [name, status]
        # The release quoted arguments in COMMAND; it now joins them as Podman does.
        assert now[cid].endswith(line.split(" ", 3)[3].split(" ago ")[-1].replace("'", ""))


@pytest.mark.parametrize(
    ("name", "code", "log"),
    [("labels", 0, "hi"), ("exited", 3, ""), ("entry", 0, "hello"), ("logs", 0, "logged")],
)
def test_release_containers_start(old: Scopebox, name: str, code: int, log: str) -> None:
    old("start", name)
    assert old("wait", name).stdout.strip() == str(code)
    assert old("logs", name).stdout.strip() == log
    assert old.state(name)["ExitCode"] == code


def test_release_running_container_stops(old: Scopebox) -> None:
    old("start", "health")
    st = old.state("health")
    assert st["Running"] is True
    assert "sleep 1000" in Path(f"/proc/{st['Pid']}/cmdline").read_text().replace("\0", " ")
    assert old("ps", "--format", "{{.Names}}").stdout.split() == ["health"]
    old("stop", "-t", "1", "health")
    assert old.state("health")["Status"] == "exited"
    old("start", "limits")
    assert old("wait", "limits").stdout.strip() == "0"


def test_release_auto_remove_container_goes(old: Scopebox) -> None:
    old("start", "autorm")
    old("wait", "autorm", check=False)
    # wait returns at the exit; the removal follows from the monitor's cleanup (Podman's
    # conmon runs `container cleanup --rm` the same way): give it a few seconds, no more
    deadline = time.monotonic() + 10
    while "autorm" in old("ps", "-a", "--format", "{{.Names}}").stdout.split():
        assert time.monotonic() < deadline, "autorm was not removed 10 s after it exited"
        time.sleep(0.2)
