"""Failures users hit on day one (issue 12): a full disk, a broken state database, the store on
overlayfs, resolv.conf without a network, a local image for another platform. The CLI on the
bare host, as a user types it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.registry.platform import Platform
from tests import cases
from tests.cases import (  # noqa: F401 (collected by pytest in this module)
    test_verbs_right_after_wait_and_stop_do_not_race_the_cleanup,
)
from tests.clihelp import Scopebox, leftovers, wait_for

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


def _private_store(tmp_path: Path) -> Scopebox:
    box = Scopebox(
        {"SCOPEBOX_ROOT": str(tmp_path / "root"), "SCOPEBOX_RUNROOT": str(tmp_path / "run")}
    )
    box.ensure_busybox()
    return box


def _refuses_in_one_line(box: Scopebox, db: Path, what: str) -> None:
    for verb in (["ps", "-a"], ["run", "--rm", "busybox", "true"], ["rm", "-f", "x"]):
        res = box(*verb, check=False)
        assert res.returncode == 125, (verb, res)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: "), res.stderr
        assert what in res.stderr and str(db) in res.stderr and "mv " in res.stderr, res.stderr


def test_truncated_state_db_is_not_taken_for_a_new_store(tmp_path: Path) -> None:
    box = _private_store(tmp_path)
    cid = box("run", "-d", "busybox", "sleep", "600").stdout.strip()
    db = Path(box.root) / "state.db"
    saved = db.read_bytes()
    try:
        db.write_bytes(b"")
        _refuses_in_one_line(box, db, "empty (0 bytes)")
        assert db.stat().st_size == 0  # nothing was written over it
    finally:
        db.write_bytes(saved)
        box("rm", "-f", cid)
    assert leftovers(box, cid) == []


def test_database_moved_aside_does_not_delete_running_containers(tmp_path: Path) -> None:
    """The one-line message for a broken database offers to move it aside and start empty;
    the next create must not take a running container's dir for a half-made create and
    delete its files through its mounted root."""
    box = _private_store(tmp_path)
    cid = box("run", "-d", "busybox", "sh", "-c", "echo hi > /marker; sleep 600").stdout.strip()
    cdir = Path(box.root, "containers", cid)
    wait_for(lambda: (cdir / "merged" / "marker").exists())
    db = Path(box.root) / "state.db"
    db.rename(db.with_suffix(".aside"))
    rootfs = tmp_path / "rootfs"  # the images were in the database too
    rootfs.mkdir()
    try:
        box("create", "--rootfs", str(rootfs), "true")
        assert (cdir / "merged" / "marker").read_text() == "hi\n"
        assert (cdir / "config.json").exists()
    finally:
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            Path(box.root, name).unlink(missing_ok=True)
        db.with_suffix(".aside").rename(db)
        box("rm", "-f", "-a")
    assert leftovers(box, cid) == []


def test_corrupt_state_db_says_what_to_do(tmp_path: Path) -> None:
    box = _private_store(tmp_path)
    cid = box("run", "-d", "busybox", "sleep", "600").stdout.strip()
    db = Path(box.root) / "state.db"
    saved = db.read_bytes()
    try:
        db.write_bytes(os.urandom(len(saved)))  # not a database at all
        _refuses_in_one_line(box, db, "unreadable")
        # A valid header with garbage pages behind it: "database disk image is malformed".
        db.write_bytes(saved[:4096] + os.urandom(len(saved) - 4096))
        _refuses_in_one_line(box, db, "unreadable")
    finally:
        db.write_bytes(saved)
        box("rm", "-f", cid)
    assert leftovers(box, cid) == []


CHATTY = "while :; do echo 0123456789012345678901234567890123456789012345678901234567890; done"


def _free(path: str) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@pytest.fixture
def full_store(tmp_path: Path) -> Iterator[Scopebox]:
    """A store on an 8 MiB tmpfs (the runroot stays on the host's /tmp)."""
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(root)], check=True)
    box = Scopebox({"SCOPEBOX_ROOT": str(root), "SCOPEBOX_RUNROOT": str(tmp_path / "run")})
    try:
        box.ensure_busybox()
        yield box
    finally:
        box("rm", "-a", "-f", check=False)
        subprocess.run(["umount", "-l", str(root)], check=True)


def test_full_disk_still_lets_the_user_stop_and_remove(full_store: Scopebox) -> None:
    sb = full_store
    a, b = cases.unique("chatty"), cases.unique("chatty")
    gate = Path(sb.root).parent / "gate"
    gate.mkdir()
    wait_go = "while [ ! -e /gate/go ]; do sleep 0.05; done; "
    for name in (a, b):  # max-size=0: unlimited, as a user may ask
        sb("run", "-d", "--name", name, "--log-opt", "max-size=0", "-v", f"{gate}:/gate",
           "busybox", "sh", "-c", wait_go + CHATTY)  # fmt: skip
    (gate / "go").touch()
    wait_for(lambda: _free(sb.root) < 64 << 10, timeout=60, what="the logs to fill the disk")
    dirs = cases.container_dirs(sb)
    listed = sb("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    assert f"{a} Up" in listed and f"{b} Up" in listed, listed
    assert sb.state(a)["Status"] == "running"
    # A new container cannot be made: one line, no row, no dir.
    res = sb("run", "-d", "--name", "late", "busybox", "true", check=False)
    assert res.returncode == 125 and res.stderr.startswith("Error: "), res
    assert res.stderr.count("\n") == 1 and "No space left" in res.stderr, res.stderr
    assert "late" not in sb("ps", "-a", "--format", "{{.Names}}").stdout
    assert cases.container_dirs(sb) == dirs
    # kill and stop work while the other container keeps the disk full, and the exit codes
    # are not lost (the monitor's exit record had its space before the disk filled up).
    sb("kill", a)
    sb("wait", a)
    assert sb.state(a)["ExitCode"] == 137
    sb("stop", "-t", "1", b)
    assert sb.state(b)["ExitCode"] == 137
    ids = [str(sb.inspect(n)["Id"]) for n in (a, b)]
    sb("rm", "-f", a, b)
    for cid in ids:
        assert leftovers(sb, cid) == []


def test_rm_f_of_a_running_container_on_a_full_disk(full_store: Scopebox) -> None:
    sb = full_store
    name = cases.unique("chatty")
    cid = sb(
        "run", "-d", "--name", name, "--log-opt", "max-size=0", "busybox", "sh", "-c", CHATTY
    ).stdout.strip()
    wait_for(lambda: _free(sb.root) < 64 << 10, timeout=60, what="the log to fill the disk")
    sb("rm", "-f", name)
    assert leftovers(sb, cid) == []


def test_default_log_size_limit_rotates(sb: Scopebox) -> None:
    name = cases.unique("chatty")
    sb("run", "-d", "--name", name, "busybox", "sh", "-c", "yes 0123456789012345678901234567890")
    try:
        config = sb.inspect(name)["HostConfig"]
        assert isinstance(config, dict)
        assert config["LogConfig"]["Config"]["max_size"] == str(10 << 20), config
        log = Path(sb.root) / "containers" / str(sb.inspect(name)["Id"]) / "ctr.log"
        wait_for(lambda: Path(f"{log}.1").exists(), timeout=120, what="a rotation at 10 MiB")
        assert Path(f"{log}.1").stat().st_size <= 10 << 20
    finally:
        sb("rm", "-f", name)


def test_store_on_overlayfs_falls_back_to_copies(sb: Scopebox, tmp_path: Path) -> None:
    """As inside a container: overlayfs cannot take upper/work dirs on an overlayfs."""
    for sub in ("lower", "upper", "work", "merged"):
        (tmp_path / sub).mkdir()
    opts = f"lowerdir={tmp_path}/lower,upperdir={tmp_path}/upper,workdir={tmp_path}/work"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, f"{tmp_path}/merged"],
                   check=True)  # fmt: skip
    box = Scopebox({"SCOPEBOX_ROOT": f"{tmp_path}/merged/root",
                    "SCOPEBOX_RUNROOT": f"{tmp_path}/run"})  # fmt: skip
    try:
        box.ensure_busybox()
        res = box("run", "--rm", "busybox", "sh", "-c", "echo hi > /x && cat /x")
        assert res.stdout == "hi\n"
        notice = [line for line in res.stderr.splitlines() if line]
        assert len(notice) == 1 and "overlayfs" in notice[0], res.stderr
        assert f"{tmp_path}/merged/root" in notice[0] and "SCOPEBOX_ROOT" in notice[0]
        # Said as chosen, it is no notice.
        quiet = Scopebox({**box.env, "SCOPEBOX_STORAGE_DRIVER": "vfs"})
        assert quiet("run", "--rm", "busybox", "true").stderr == ""
    finally:
        box("rm", "-a", "-f", check=False)
        subprocess.run(["umount", "-l", f"{tmp_path}/merged"], check=True)

