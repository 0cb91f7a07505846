"""issue 19: --umask, --label-file, --pidfile/--conmon-pidfile, -q and --disable-content-trust:
the parse, Podman 4.3's checks and texts, what goes into the OCI config and inspect. The
values expected were read from the real podman on the build host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conmon import protocol as P
from supervisor import runflags
from supervisor.cli.common import add_create_flags, create_options, new_create_parser
from supervisor.errors import UsageError
from supervisor.model import label_files
from supervisor.options import RunFlagOptions
from supervisor.runflags import RunFlagFacts, parse_umask


def _flags(**kw: Any) -> runflags.RunFlags:
    return runflags.validate(RunFlagOptions(**kw), RunFlagFacts(), network_host=False)


# --umask --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "shown"), [
    ("0077", "0077"), ("77", "0077"), ("0", "0000"), ("7777", "7777"), ("022", "0022"),
    ("", ""),
])  # fmt: skip
def test_umask_as_inspect_shows_it(given: str, shown: str) -> None:
    assert parse_umask(given) == shown


@pytest.mark.parametrize("bad", ["17777", "abc", "-1", "0o22", "08", "9", " 22"])
def test_bad_umask_is_podmans_error(bad: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_umask(bad)
    assert str(exc.value) == (f"running container create option: invalid umask string {bad}:"
                              " invalid argument")


def _spec() -> dict[str, Any]:
    return {"process": {"args": ["sh"], "user": {"uid": 0, "gid": 0, "umask": 0o022}},
            "linux": {"namespaces": []}, "mounts": []}


@pytest.mark.parametrize(("umask", "oci", "shown"), [
    (None, 0o022, "0022"), ("77", 0o077, "0077"), ("7777", 0o7777, "7777"),
    ("", 0o022, "0000"),  # Podman: no umask in its config (the runtime's 0022), "0000" shown
])  # fmt: skip
def test_umask_reaches_the_oci_config_and_inspect(umask: str | None, oci: int,
                                                  shown: str) -> None:
    flags = _flags(umask=umask)
    spec = _spec()
    runflags.apply(spec, flags, lambda mode, kind: "")
    assert spec["process"]["user"]["umask"] == oci
    assert runflags.config(flags)["Umask"] == shown


# --label-file ---------------------------------------------------------------------------------


def test_label_file_lines_as_podman_reads_them() -> None:
    lines = ("# comment", "", "  k1=v1", "k2=v 2  ", "NOEQ", "k3=a=b", "k1=override", "\tk4=")
    got = label_files(["f"], {"f": lines}, {})
    assert got == {"k1": "override", "k2": "v 2  ", "k3": "a=b", "k4": ""}


def test_label_file_star_takes_the_callers_variables_and_later_files_win() -> None:
    env = {"HOME": "/root", "HOSTNAME": "h", "PATH": "/bin"}
    got = label_files(["a", "b"], {"a": ("HO*", "x=1"), "b": ("x=2",)}, env)
    assert got == {"HOME": "/root", "HOSTNAME": "h", "x": "2"}


@pytest.mark.parametrize(("lines", "error"), [
    (("a b=c",), 'name "a b" has white spaces, poorly formatted name'),
    (("=x",), 'invalid environment variable: "=x"'),
    ("open nosuch: no such file or directory", "open nosuch: no such file or directory"),
    ("read /tmp: is a directory", "read /tmp: is a directory"),
])  # fmt: skip
def test_label_file_errors_are_podmans(lines: tuple[str, ...] | str, error: str) -> None:
    with pytest.raises(UsageError) as exc:
        label_files(["f"], {"f": lines}, {})
    assert str(exc.value) == f"unable to process labels: {error}"


def test_label_file_is_read_by_create_under_the_label_flags(tmp_path: Path) -> None:
    """Through the CLI's parse and validation, as `create` runs them."""
    from supervisor.container.create import _read_label_file

    path = tmp_path / "labels"
    path.write_text("k1=file\nk2=file\n")
    assert _read_label_file(str(path)) == ("k1=file", "k2=file")
    assert _read_label_file(str(tmp_path)) == f"read {tmp_path}: is a directory"
    assert _read_label_file(str(tmp_path / "no")) == (
        f"open {tmp_path / 'no'}: no such file or directory")
    opts = _parse("--label-file", str(path), "-l", "k2=cli", "busybox")
    assert opts.label_files == [str(path)] and opts.labels == {"k2": "cli"}


# the CLI's parse --------------------------------------------------------------------------------


def _parse(*argv: str) -> Any:
    p = new_create_parser("create", "")
    add_create_flags(p)
    return create_options(p.parse_args(list(argv)))


def test_flags_parse_into_the_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    opts = _parse("--umask", "077", "--unsetenv", "A", "--unsetenv", "B", "--unsetenv-all",
                  "--env-merge", "PATH=${PATH}:/x", "--pidfile", "rel.pid",
                  "--conmon-pidfile", "/abs/c.pid", "-q", "--disable-content-trust", "busybox")
    rf = opts.runflags
    assert (rf.umask, rf.unsetenv, rf.unsetenv_all, rf.env_merge) == (
        "077", ["A", "B"], True, ["PATH=${PATH}:/x"])
    # a relative pid file is the caller's directory's at create
    assert (rf.pidfile, rf.conmon_pidfile) == (str(tmp_path / "rel.pid"), "/abs/c.pid")
    assert _parse("busybox").runflags == RunFlagOptions()


def _cli(base: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "supervisor", *argv], capture_output=True,
                          text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "SCOPEBOX_ROOT": str(base / "r"),
                               "SCOPEBOX_RUNROOT": str(base / "rr")})  # fmt: skip


@pytest.mark.parametrize("verb", ["run", "create"])
def test_bad_values_are_one_line_and_125(verb: str, tmp_path: Path) -> None:
    res = _cli(tmp_path, verb, "--disable-content-trust=maybe", "busybox")
    assert (res.returncode, res.stdout) == (125, "")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert 'invalid argument "maybe" for "--disable-content-trust" flag' in res.stderr
    res = _cli(tmp_path, verb, "--umask", "8", "busybox", "true")
    assert (res.returncode, res.stderr) == (
        125, "Error: running container create option: invalid umask string 8: invalid"
        " argument\n")
    res = _cli(tmp_path, verb, "--env-merge", "TERM", "busybox", "true")
    assert (res.returncode, res.stderr) == (
        125, "Error: missing `=` for --env-merge substitution TERM\n")


# the monitor's arguments ---------------------------------------------------------------------


def test_pid_files_travel_to_the_monitor() -> None:
    base = ["--cid=" + "ab" * 32, "--bundle=/b", "--rundir=/r", "--exit-file=/r/exit",
            "--runtime=runc", "--sync-fd=3", "--start-fd=4", "--log-driver=none"]
    opts = P.parse_args([*base, "--container-pidfile=/p/ctr.pid", "--conmon-pidfile=/p/m.pid"])
    assert (opts.container_pidfile, opts.conmon_pidfile) == ("/p/ctr.pid", "/p/m.pid")
    argv = P.format_args(opts)
    assert "--container-pidfile=/p/ctr.pid" in argv and "--conmon-pidfile=/p/m.pid" in argv
    assert not any("pidfile" in a for a in P.format_args(P.parse_args(base)))


# --ipc=private (Podman's non-shareable IPC) ---------------------------------------------------


def test_ipc_private_is_not_joined_and_inspect_says_shareable() -> None:
    donor = "a" * 64
    flags = _flags(ipc="private")
    assert flags.ipc_private and runflags.host_config(flags)["IpcMode"] == "shareable"
    assert not _flags().ipc_private
    facts = RunFlagFacts(containers={"d": donor}, private_ipc=frozenset({donor}))
    with pytest.raises(UsageError, match=f"joining IPC of container {donor} is not allowed:"
                       r" non-shareable IPC \(hint: use IpcMode:shareable for the donor"):
        runflags.validate(RunFlagOptions(ipc="container:d"), facts, network_host=False)
    # its PID namespace may be joined; a default (shareable) donor's IPC too
    runflags.validate(RunFlagOptions(pid="container:d"), facts, network_host=False)
    assert runflags.validate(RunFlagOptions(ipc="container:d"), RunFlagFacts(
        containers={"d": donor}), network_host=False).ipc.target == donor
