"""performance (issue 16): what the read verbs import on an empty store.

Every module is paid for at every call (`ps` in a watch loop, `inspect` in scripts), so the
set each read verb loads is pinned here: a new import on these paths fails this test and has
to be made lazy (or added here, with its cost measured: bench/read_verbs.py). A structural
check, not a timing: it fails on a quiet machine and a loaded one alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
# What no read verb needs: each costs milliseconds at every call (or pulls in what does).
HEAVY = {
    "supervisor.images", "supervisor.model", "supervisor.options", "supervisor.runflags",
    "supervisor.network.request", "supervisor.container.reconcile", "supervisor.monitor",
    "supervisor.health", "supervisor.layers", "supervisor.blobs", "supervisor.spec",
    "ipaddress", "hashlib", "_hashlib", "secrets", "shutil", "subprocess", "tarfile", "gzip",
    "importlib.metadata", "platform", "locale", "email", "pathlib", "tempfile", "asyncio",
    "threading", "socket", "bz2", "lzma",
    # the common command lines parse without argparse (supervisor.cli.quick), records are
    # NamedTuples without typing (supervisor.records): each of these costs milliseconds
    "argparse", "gettext", "typing", "re", "dataclasses", "inspect", "ast", "tokenize",
    "shlex", "supervisor.cli.argparser",
}  # fmt: skip
# What a verb needs only for the output asked: the template engine for --format, json for
# JSON output (json loads re; an empty array, as `inspect`'s `[]` for no match, needs neither).
TEMPLATES = {"supervisor.format.gotemplate"}
JSON = {"json", "re"}
PS = {
    "supervisor", "supervisor.api", "supervisor.api.containers", "supervisor.cli",
    "supervisor.cli.main", "supervisor.cli.output", "supervisor.cli.ps", "supervisor.cli.quick",
    "supervisor.engine", "supervisor.errors", "supervisor.format", "supervisor.format.table",
    "supervisor.notices", "supervisor.paths", "supervisor.procs", "supervisor.records",
    "supervisor.refs", "supervisor.settings", "supervisor.sizes",
    "supervisor.store", "supervisor.timefmt", "supervisor.views",
    "supervisor.rootless",  # issue 17: is this process rootless (one read of uid_map)
}  # fmt: skip
INSPECT = {
    "supervisor", "supervisor.api", "supervisor.api.containers", "supervisor.cli",
    "supervisor.cli.inspect", "supervisor.cli.main", "supervisor.cli.output",
    "supervisor.cli.quick", "supervisor.engine", "supervisor.errors", "supervisor.imageref",
    "supervisor.notices", "supervisor.paths", "supervisor.procs", "supervisor.records",
    "supervisor.refs", "supervisor.settings", "supervisor.sizes",
    "supervisor.store", "supervisor.timefmt", "supervisor.views", "supervisor.rootless",
}  # fmt: skip


SITE = [p for p in sys.path if p.endswith("site-packages")]


def loaded(tmp_path: Path, *argv: str, store: dict[str, str] | None = None) -> tuple[int, set[str]]:
    rc, _, mods = loaded_output(tmp_path, *argv, store=store)
    return rc, mods


def loaded_output(tmp_path: Path, *argv: str, store: dict[str, str] | None = None
                  ) -> tuple[int, str, set[str]]:  # fmt: skip
    """The verb's exit code and every module loaded, in a fresh `python3 -I -S` as the
    installed launcher runs it (site-packages appended), on an empty private store (or on
    `store`: its SCOPEBOX_ROOT and SCOPEBOX_RUNROOT)."""
    code = (
        f"import sys; sys.path.insert(0, {str(CHECKOUT)!r}); sys.path += {SITE!r}\n"
        "from supervisor.cli.main import main\n"
        "rc = main(sys.argv[1:])\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n')\n"
        "raise SystemExit(rc)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "SCOPEBOX_ROOT": f"{tmp_path}/root",
           "SCOPEBOX_RUNROOT": f"{tmp_path}/run", **(store or {})}  # fmt: skip
    res = subprocess.run([sys.executable, "-I", "-S", "-c", code, *argv],
                         capture_output=True, text=True, env=env)  # fmt: skip
    line = res.stderr.rsplit("MODULES ", 1)[-1]
    return res.returncode, res.stdout, set(line.split())


def ours(mods: set[str]) -> set[str]:
    return {m for m in mods if m == "supervisor" or m.startswith("supervisor.")}


def test_ps_loads_only_what_it_uses(tmp_path: Path) -> None:
    rc, mods = loaded(tmp_path, "ps")
    assert rc == 0
    assert not mods & (HEAVY | TEMPLATES | JSON)
    assert ours(mods) == PS


def test_inspect_loads_only_what_it_uses(tmp_path: Path) -> None:
    rc, mods = loaded(tmp_path, "inspect", "nosuch")
    assert rc == 125  # no such object: Podman's code
    assert not mods & (HEAVY | TEMPLATES | JSON)
    assert ours(mods) == INSPECT


@pytest.mark.parametrize(
    ("argv", "also"),
    [
        (("ps", "-a", "--format", "json"), set()),  # `[]`
        (("ps", "--format", "{{.Names}} {{.Status}}"), TEMPLATES),
        (("images",), set()),
        (("images", "--format", "json"), set()),
        (("logs", "--tail", "1", "nosuch"), set()),
    ],
)
def test_read_verbs_stay_light(tmp_path: Path, argv: tuple[str, ...], also: set[str]) -> None:
    _, mods = loaded(tmp_path, *argv)
    assert not mods & (HEAVY | TEMPLATES | JSON) - also


def test_a_rare_flag_takes_argparse(tmp_path: Path) -> None:
    """The check above can fail: a flag the lean parser leaves to argparse loads it."""
    rc, mods = loaded(tmp_path, "ps", "--sort", "names")
    assert rc == 0
    assert {"argparse", "supervisor.cli.argparser"} <= mods


def test_version_needs_no_store(tmp_path: Path) -> None:
    rc, mods = loaded(tmp_path, "version")
    assert rc == 0
    assert not mods & (HEAVY | TEMPLATES | JSON)
    assert not mods & {"sqlite3", "enum", "supervisor.store", "supervisor.engine"}


def test_an_empty_listing_needs_no_enum(tmp_path: Path) -> None:
    """Container states (an enum) are loaded with the first row, not for an empty store."""
    for argv in (("ps",), ("images",), ("logs", "--tail", "1", "nosuch")):
        _, mods = loaded(tmp_path, *argv)
        assert not mods & {"enum", "supervisor.state"}, argv


def test_exec_looks_up_without_the_engine(tmp_path: Path) -> None:
    """exec's quick path (supervisor/execquick.py, issue 16): the lookup reads the row's
    plain columns, not the model; the running case is measured by bench/terminal.py and
    pinned by tests/host/test_terminal_host.py's exec test."""
    (tmp_path / "run").mkdir()
    rc, mods = loaded(tmp_path, "exec", "-e", "A=1", "nosuch", "true")
    assert rc == 125  # no such container: Podman's code
    assert not mods & (HEAVY | TEMPLATES | JSON)
    assert not mods & {"supervisor.engine", "supervisor.execute", "supervisor.state"}


def _stored(tmp_path: Path, name: str, **log: str) -> str:
    """A container row named `name` in the private store (its config with `log`'s driver and
    path), as `create` stores it; its id."""
    from supervisor.model import LogConfig, LogDriver
    from supervisor.paths import Paths
    from supervisor.state import Status
    from supervisor.store import ContainerRow, Store
    from tests.unit.configs import config

    paths = Paths(root=f"{tmp_path}/root", runroot=f"{tmp_path}/run")
    cid = name * 64
    driver = LogDriver(log.get("driver", "k8s-file"))
    store = Store(paths)
    store.add_container(ContainerRow(
        id=cid, name=name, image_id="", image_name="", created="2026-12-08T00:00:00Z",
        status=Status.EXITED, config=config(log=LogConfig(driver, path=log.get("path", ""))),
    ))  # fmt: skip
    store.close()
    return cid


def test_logs_reads_a_k8s_file_without_the_model(tmp_path: Path) -> None:
    """logs' quick path (issue 16): the log file found from the row's stored JSON, neither the
    config decoded (the model, dataclasses) nor the state reconciled; the default file and
    --log-opt path=."""
    line = "2026-12-08T00:00:01.000000000Z stdout F {}\n"
    cid = _stored(tmp_path, "a")
    os.makedirs(f"{tmp_path}/root/containers/{cid}")
    Path(f"{tmp_path}/root/containers/{cid}/ctr.log").write_text(
        line.format("one") + line.format("two"))
    _stored(tmp_path, "b", path=f"{tmp_path}/b.log")
    Path(f"{tmp_path}/b.log").write_text(line.format("three"))
    for name, last in (("a", "two"), ("b", "three")):
        rc, out, mods = loaded_output(tmp_path, "logs", "--tail", "1", name)
        assert (rc, out) == (0, f"{last}\n")
        assert not mods & {"supervisor.model", "dataclasses", "supervisor.container.reconcile"}
    # the none driver: the row's way, Podman's error
    _stored(tmp_path, "c", driver="none")
    rc, out, mods = loaded_output(tmp_path, "logs", "c")
    assert rc == 125 and "supervisor.model" in mods


def _waitable(tmp_path: Path, name: str, status: str, restart: str = "no") -> str:
    """A container row named `name` with exit code 3 in its row, stored with `status` in
    this boot (the monitor's pid: none alive) and the restart policy `restart`; its id."""
    from supervisor.model import RestartName, RestartPolicy
    from supervisor.paths import Paths
    from supervisor.procs import boot_id
    from supervisor.state import Status
    from supervisor.store import ContainerRow, Store
    from tests.unit.configs import config

    paths = Paths(root=f"{tmp_path}/root", runroot=f"{tmp_path}/run")
    cid = name * 64
    store = Store(paths)
    store.add_container(ContainerRow(
        id=cid, name=name, image_id="", image_name="", created="2026-12-08T00:00:00Z",
        status=Status(status), config=config(restart=RestartPolicy(RestartName(restart))),
        exit_code=3, boot_id=boot_id(), finished_at="2026-12-08T00:00:01Z",
    ))  # fmt: skip
    store.close()
    os.makedirs(paths.container_dir(cid), exist_ok=True)
    return cid


def _exit_record(tmp_path: Path, cid: str, code: int) -> None:
    """The monitor's exit record of the container's run, as conmon writes it."""
    Path(f"{tmp_path}/root/containers/{cid}/exit").write_text(
        f'{{"exit_code": {code}, "signal": 0, "oom_killed": false,'
        ' "finished_at": "2026-12-08T00:00:02.000000000Z"}')


def test_wait_answers_without_the_engine(tmp_path: Path) -> None:
    """wait's quick path (supervisor/waitquick.py, issue 16): an exited container's code from
    its row, a running one's from the monitor's exit record, neither config decoded nor the
    engine loaded; a missing name is the engine's error, without it too."""
    _waitable(tmp_path, "a", "exited")
    _exit_record(tmp_path, _waitable(tmp_path, "b", "running"), 7)
    rc, out, mods = loaded_output(tmp_path, "wait", "a", "b")
    assert (rc, out) == (0, "3\n7\n")
    assert not mods & (HEAVY | JSON | {"supervisor.engine", "supervisor.state", "enum"})
    rc, out, mods = loaded_output(tmp_path, "wait", "nosuch")
    assert rc == 125 and not mods & {"supervisor.engine", "supervisor.model", "argparse"}


def test_wait_leaves_a_restart_policy_to_the_engine(tmp_path: Path) -> None:
    """The check above can fail: a container with a restart policy (its record may not be
    the last word) is waited for the engine's way, which loads the model."""
    _exit_record(tmp_path, _waitable(tmp_path, "c", "running", restart="always"), 7)
    rc, out, mods = loaded_output(tmp_path, "wait", "c")
    assert (rc, out) == (0, "7\n")
    assert "supervisor.model" in mods
